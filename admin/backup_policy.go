package admin

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Backup policies as plain calls (docs/backup.md, "Policies").

// BackupPolicy is a policy to add.
type BackupPolicy struct {
	Name            string
	Provider        string
	AppIDs          []int32
	IntervalSeconds int64
	StartTime       string // "H:M", the meta server's local time
	HistoryCount    int32
}

// AddBackupPolicy adds a backup policy.
func (c *Client) AddBackupPolicy(ctx context.Context, p BackupPolicy) error {
	req := &admin.ConfigurationAddBackupPolicyRequest{
		BackupProviderType: p.Provider, PolicyName: p.Name, AppIds: p.AppIDs, BackupIntervalSeconds: p.IntervalSeconds,
		BackupHistoryCountToKeep: p.HistoryCount, StartTime: p.StartTime,
	}
	res := admin.NewMetaAddBackupPolicyResult()
	if err := c.call(ctx, catalog.RPC_CM_ADD_BACKUP_POLICY, &admin.MetaAddBackupPolicyArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return err
	}
	return check("add backup policy", res.Success, res.Success.GetHintMessage())
}

// PolicyBackup is one backup of a policy.
type PolicyBackup struct {
	*admin.BackupEntry
	// Status is "running", "completed" or "failed".
	Status string
	// Hint says why a failed backup failed.
	Hint string
}

// PolicyInfo is a policy with its newest backups, newest first.
type PolicyInfo struct {
	*admin.PolicyEntry
	Backups []PolicyBackup
}

var policyBackupLine = regexp.MustCompile(`^backup (\d+): (running|failed: (.*))$`)

// QueryBackupPolicies returns the named policies (all when names is empty),
// each with at most backups of its newest backups.
func (c *Client) QueryBackupPolicies(ctx context.Context, names []string, backups int32) ([]PolicyInfo, error) {
	req := &admin.ConfigurationQueryBackupPolicyRequest{PolicyNames: names, BackupInfoCount: backups}
	if req.PolicyNames == nil {
		req.PolicyNames = []string{}
	}
	res := admin.NewMetaQueryBackupPolicyResult()
	if err := c.call(ctx, catalog.RPC_CM_QUERY_BACKUP_POLICY, &admin.MetaQueryBackupPolicyArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return nil, err
	}
	if err := check("query backup policy", res.Success, res.Success.GetHintMsg()); err != nil {
		return nil, err
	}
	status := map[int64][2]string{}
	for _, line := range strings.Split(res.Success.GetHintMsg(), "\n") {
		if m := policyBackupLine.FindStringSubmatch(line); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			if m[2] == "running" {
				status[id] = [2]string{"running", ""}
			} else {
				status[id] = [2]string{"failed", m[3]}
			}
		}
	}
	out := make([]PolicyInfo, 0, len(res.Success.Policys))
	for i, p := range res.Success.Policys {
		info := PolicyInfo{PolicyEntry: p}
		if i < len(res.Success.BackupInfos) {
			for _, b := range res.Success.BackupInfos[i] {
				st, ok := status[b.BackupID]
				if !ok {
					st = [2]string{"completed", ""}
				}
				info.Backups = append(info.Backups, PolicyBackup{BackupEntry: b, Status: st[0], Hint: st[1]})
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// PolicyChange is a modification of a policy; nil and empty fields stay
// as they are.
type PolicyChange struct {
	AddAppIDs, RemoveAppIDs []int32
	IntervalSeconds         *int64
	HistoryCount            *int32
	StartTime               *string
	Disable                 *bool
	ForceDisable            bool // disable even while a backup of the policy runs
}

// ModifyBackupPolicy changes policy name and returns the meta's hint, which
// says what changed.
func (c *Client) ModifyBackupPolicy(ctx context.Context, name string, ch PolicyChange) (string, error) {
	req := &admin.ConfigurationModifyBackupPolicyRequest{
		PolicyName: name, AddAppids: ch.AddAppIDs, RemovalAppids: ch.RemoveAppIDs, NewBackupIntervalSec_: ch.IntervalSeconds,
		BackupHistoryCountToKeep: ch.HistoryCount, StartTime: ch.StartTime, IsDisable: ch.Disable,
	}
	if ch.ForceDisable {
		req.ForceDisable = &ch.ForceDisable
	}
	res := admin.NewMetaModifyBackupPolicyResult()
	if err := c.call(ctx, catalog.RPC_CM_MODIFY_BACKUP_POLICY, &admin.MetaModifyBackupPolicyArgs{Req: req}, res, func() errGetter { return res.Success }); err != nil {
		return "", err
	}
	if err := check("modify backup policy", res.Success, res.Success.GetHintMessage()); err != nil {
		return "", err
	}
	return res.Success.HintMessage, nil
}
