package meta

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// Backup policy RPCs: RPC_CM_ADD_BACKUP_POLICY, RPC_CM_QUERY_BACKUP_POLICY
// and RPC_CM_MODIFY_BACKUP_POLICY.

// checkPolicyTables refuses table ids that are not available tables.
func (s *Server) checkPolicyTables(ids []int32) error {
	var bad []string
	if err := s.read(func(st *State) {
		for _, id := range ids {
			if app, ok := st.App(id); !ok || !app.Available() {
				bad = append(bad, fmt.Sprint(id))
			}
		}
	}); err != nil {
		return err
	}
	if len(bad) > 0 {
		return refuse(base.ERR_INVALID_PARAMETERS, "no available table with id %s", strings.Join(bad, ", "))
	}
	return nil
}

func invalid(err error) error { return refuse(base.ERR_INVALID_PARAMETERS, "%s", err.Error()) }

func (s *Server) addBackupPolicy(ctx context.Context, q *admin.ConfigurationAddBackupPolicyRequest) any {
	resp := &admin.ConfigurationAddBackupPolicyResponse{}
	if err := s.addPolicy(ctx, q); err != nil {
		resp.Err, resp.HintMessage = ec(s.replyErrno(err)), hintOf(err)
		return resp
	}
	resp.Err = ec(base.ERR_OK)
	return resp
}

func (s *Server) addPolicy(ctx context.Context, q *admin.ConfigurationAddBackupPolicyRequest) error {
	if err := checkPolicyName(q.PolicyName); err != nil {
		return invalid(err)
	}
	if err := s.providerOK(q.BackupProviderType); err != nil {
		return err
	}
	ids := dedupIDs(q.AppIds)
	if len(ids) == 0 {
		return refuse(base.ERR_INVALID_PARAMETERS, "a policy needs at least one table")
	}
	if err := checkInterval(q.BackupIntervalSeconds); err != nil {
		return invalid(err)
	}
	if err := checkHistoryCount(q.BackupHistoryCountToKeep); err != nil {
		return invalid(err)
	}
	if _, err := parseStartTime(q.StartTime); err != nil {
		return invalid(err)
	}
	if err := s.checkPolicyTables(ids); err != nil {
		return err
	}
	p := &policyRecord{
		Name: q.PolicyName, Provider: q.BackupProviderType, AppIDs: ids, IntervalSec: q.BackupIntervalSeconds,
		StartTime: strings.TrimSpace(q.StartTime), HistoryCount: q.BackupHistoryCountToKeep, SinceMs: nowMs(s.now()),
	}
	s.pol.mu.Lock()
	defer s.pol.mu.Unlock()
	if err := s.loadPoliciesLocked(ctx); err != nil {
		return err
	}
	if _, ok := s.pol.records[p.Name]; ok {
		return refuse(base.ERR_INVALID_PARAMETERS, "policy %s already exists", p.Name)
	}
	if err := s.savePolicy(ctx, p); err != nil {
		return err
	}
	s.pol.records[p.Name] = p
	s.log.Info("meta: backup policy added", "policy", p.Name, "app_ids", p.AppIDs, "interval_s", p.IntervalSec, "start_time", p.StartTime, "keep", p.HistoryCount)
	return nil
}

// dedupIDs sorts ids and drops duplicates.
func dedupIDs(ids []int32) []int32 {
	out := append([]int32(nil), ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	n := 0
	for i, id := range out {
		if i == 0 || id != out[n-1] {
			out[n] = id
			n++
		}
	}
	return out[:n]
}

// queryBackupPolicy answers with the named policies (all when none are
// named) and, per policy, its newest backup_info_count backups, newest
// first. backup_entry has no status, so hint_msg carries a line per
// returned backup that is not complete: "backup <id>: running" or
// "backup <id>: failed: <why>".
func (s *Server) queryBackupPolicy(ctx context.Context, q *admin.ConfigurationQueryBackupPolicyRequest) any {
	resp := &admin.ConfigurationQueryBackupPolicyResponse{Policys: []*admin.PolicyEntry{}, BackupInfos: [][]*admin.BackupEntry{}}
	fail := func(err error) any {
		resp.Err = ec(s.replyErrno(err))
		h := hintOf(err)
		resp.HintMsg = &h
		return resp
	}
	pols, err := s.policyList(ctx)
	if err != nil {
		return fail(err)
	}
	if err := s.loadBackups(ctx); err != nil {
		return fail(err)
	}
	if len(q.PolicyNames) > 0 {
		byName := map[string]*policyRecord{}
		for _, p := range pols {
			byName[p.Name] = p
		}
		var chosen []*policyRecord
		var unknown []string
		for _, n := range q.PolicyNames {
			if p, ok := byName[n]; ok {
				chosen = append(chosen, p)
			} else {
				unknown = append(unknown, n)
			}
		}
		if len(unknown) > 0 {
			return fail(refuse(base.ERR_OBJECT_NOT_FOUND, "no backup policy named %s", strings.Join(unknown, ", ")))
		}
		pols = chosen
	}
	var hints []string
	for _, p := range pols {
		resp.Policys = append(resp.Policys, &admin.PolicyEntry{
			PolicyName: p.Name, BackupProviderType: p.Provider, BackupIntervalSeconds: formatInterval(p.IntervalSec),
			AppIds: p.AppIDs, BackupHistoryCountToKeep: p.HistoryCount, StartTime: p.StartTime, IsDisable: p.Disabled,
		})
		recs := s.policyBackups(p.Name)
		infos := []*admin.BackupEntry{}
		for i := len(recs) - 1; i >= 0 && len(infos) < int(q.BackupInfoCount); i-- {
			r := recs[i]
			infos = append(infos, &admin.BackupEntry{BackupID: r.BackupID, StartTimeMs: r.StartTimeMs, EndTimeMs: r.EndTimeMs, AppIds: []int32{r.AppID}})
			switch {
			case r.Failed:
				hints = append(hints, fmt.Sprintf("backup %d: failed: %s", r.BackupID, r.Hint))
			case !r.finished():
				hints = append(hints, fmt.Sprintf("backup %d: running", r.BackupID))
			}
		}
		resp.BackupInfos = append(resp.BackupInfos, infos)
	}
	resp.Err = ec(base.ERR_OK)
	if len(hints) > 0 {
		h := strings.Join(hints, "\n")
		resp.HintMsg = &h
	}
	return resp
}

func (s *Server) modifyBackupPolicy(ctx context.Context, q *admin.ConfigurationModifyBackupPolicyRequest) any {
	resp := &admin.ConfigurationModifyBackupPolicyResponse{}
	hint, err := s.modifyPolicy(ctx, q)
	if err != nil {
		resp.Err, resp.HintMessage = ec(s.replyErrno(err)), hintOf(err)
		return resp
	}
	resp.Err, resp.HintMessage = ec(base.ERR_OK), hint
	return resp
}

// modifyPolicy applies a modify request; the returned hint says what
// changed.
func (s *Server) modifyPolicy(ctx context.Context, q *admin.ConfigurationModifyBackupPolicyRequest) (string, error) {
	if len(q.AddAppids) > 0 {
		if err := s.checkPolicyTables(q.AddAppids); err != nil {
			return "", err
		}
	}
	if err := s.loadBackups(ctx); err != nil {
		return "", err
	}
	s.pol.mu.Lock()
	defer s.pol.mu.Unlock()
	if err := s.loadPoliciesLocked(ctx); err != nil {
		return "", err
	}
	cur, ok := s.pol.records[q.PolicyName]
	if !ok {
		return "", refuse(base.ERR_OBJECT_NOT_FOUND, "no backup policy named %q", q.PolicyName)
	}
	p := cur.clone()
	var changes []string
	if len(q.AddAppids) > 0 || len(q.RemovalAppids) > 0 {
		remove := map[int32]bool{}
		for _, id := range q.RemovalAppids {
			remove[id] = true
		}
		var ids []int32
		for _, id := range append(p.AppIDs, q.AddAppids...) {
			if !remove[id] {
				ids = append(ids, id)
			}
		}
		p.AppIDs = dedupIDs(ids)
		if len(p.AppIDs) == 0 {
			return "", refuse(base.ERR_INVALID_PARAMETERS, "a policy needs at least one table: removing %v would leave none", q.RemovalAppids)
		}
		changes = append(changes, fmt.Sprintf("app_ids = %v", p.AppIDs))
	}
	if q.NewBackupIntervalSec_ != nil {
		if err := checkInterval(*q.NewBackupIntervalSec_); err != nil {
			return "", invalid(err)
		}
		p.IntervalSec = *q.NewBackupIntervalSec_
		changes = append(changes, fmt.Sprintf("backup_interval_seconds = %d", p.IntervalSec))
	}
	if q.BackupHistoryCountToKeep != nil {
		if err := checkHistoryCount(*q.BackupHistoryCountToKeep); err != nil {
			return "", invalid(err)
		}
		p.HistoryCount = *q.BackupHistoryCountToKeep
		changes = append(changes, fmt.Sprintf("backup_history_count = %d", p.HistoryCount))
	}
	if q.StartTime != nil {
		if _, err := parseStartTime(*q.StartTime); err != nil {
			return "", invalid(err)
		}
		p.StartTime = strings.TrimSpace(*q.StartTime)
		changes = append(changes, "start_time = "+p.StartTime)
	}
	if q.IsDisable != nil && *q.IsDisable != p.Disabled {
		if *q.IsDisable {
			if !q.GetForceDisable() {
				for _, r := range s.policyBackups(p.Name) {
					if !r.finished() {
						return "", refuse(base.ERR_BUSY, "policy %s has backup %d of table %s running: retry when it ends, or force", p.Name, r.BackupID, r.AppName)
					}
				}
			}
			changes = append(changes, "disabled")
		} else {
			changes = append(changes, "enabled")
		}
		p.Disabled = *q.IsDisable
	}
	if len(changes) == 0 {
		return "nothing changed", nil
	}
	if err := s.savePolicy(ctx, p); err != nil {
		return "", err
	}
	s.pol.records[p.Name] = p
	s.log.Info("meta: backup policy modified", "policy", p.Name, "changes", changes)
	return "policy " + p.Name + ": " + strings.Join(changes, ", "), nil
}
