package shell

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pegasus-go/pegasus/admin"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
)

var targetFlags = []Flag{
	{Short: "t", Long: "node_type", Value: "type", Choices: []string{"all", "meta-server", "replica-server"}, Help: "send to every server of this kind (default all)"},
	{Short: "l", Long: "node_list", Value: "h:p,h:p", Kind: KindNode, Help: "send to these servers"},
	resolveFlag,
}

func init() {
	register(
		&Command{Name: "remote_command", Group: "cluster", Summary: "run a command on server processes", JSON: true,
			Help: "Sends a remote command to meta and/or replica servers and prints each answer, in the\n" +
				"text layout of upstream 2.5 (COMMAND:, CALL [...] succeed: ..., Succeed count:).\n" +
				"-j prints upstream HEAD's JSON: command, details (per node: acked, message, role),\n" +
				"succeed_count, failed_count. `remote_command help` lists a server's commands.",
			Args:  []Arg{{Name: "command", Kind: KindRemoteCommand}, {Name: "arguments", Optional: true, Repeated: true}},
			Flags: append(append([]Flag{}, targetFlags...), Flag{Short: "i", Long: "sample_interval_ms", Value: "ms", Help: "accepted for upstream's scripts; unused"}),
			Run:   func(c *Call) error { return runRemote(c, c.args[0], c.args[1:]) }},
		&Command{Name: "server_info", Group: "cluster", Summary: "show servers' version and start time", JSON: true,
			Help:  "Same as `remote_command server-info`.",
			Flags: targetFlags,
			Run:   func(c *Call) error { return runRemote(c, "server-info", nil) }},
	)
}

type remoteTarget struct {
	addr, role string
}

type remoteAnswer struct {
	Acked   bool   `json:"acked"`
	Message any    `json:"message"`
	Role    string `json:"role"`
}

// remoteTargets resolves -t and -l.
func (c *Call) remoteTargets(ctx context.Context) ([]remoteTarget, error) {
	if c.Has("node_type") && c.Has("node_list") {
		return nil, usagef("please specify either node_type or node_list, not both")
	}
	if list := c.Str("node_list", ""); list != "" {
		var out []remoteTarget
		for _, a := range strings.Split(list, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, remoteTarget{a, "user-specified"})
			}
		}
		return out, nil
	}
	kind := c.Str("node_type", "all")
	var out []remoteTarget
	if kind == "all" || kind == "meta-server" {
		for _, m := range c.s.metas {
			out = append(out, remoteTarget{m, "meta-server"})
		}
	}
	if kind == "all" || kind == "replica-server" {
		nodes, err := c.s.admin.ListNodes(ctx, admintypes.NodeStatus_NS_ALIVE)
		if err != nil {
			return nil, err
		}
		var addrs []string
		for _, n := range nodes {
			addrs = append(addrs, n.Node.String())
		}
		sort.Strings(addrs)
		for _, a := range addrs {
			out = append(out, remoteTarget{a, "replica-server"})
		}
	}
	return out, nil
}

func runRemote(c *Call, command string, args []string) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	targets, err := c.remoteTargets(ctx)
	if err != nil {
		if _, ok := err.(*usageError); ok {
			return err
		}
		return failf(err, "ERROR: list replica servers failed, error=%s", describe(err))
	}
	type result struct {
		reply string
		err   error
	}
	results := make([]result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
			defer cancel()
			r, err := admin.RemoteCommand(cctx, t.addr, command, args)
			results[i] = result{r, err}
		}()
	}
	wg.Wait()
	full := strings.TrimSpace(strings.Join(append([]string{command}, args...), " "))
	succeeded := 0
	for _, r := range results {
		if r.err == nil {
			succeeded++
		}
	}
	failed := len(results) - succeeded
	if c.JSON() {
		details := map[string]remoteAnswer{}
		for i, t := range targets {
			a := remoteAnswer{Acked: results[i].err == nil, Role: t.role}
			if results[i].err != nil {
				a.Message = describe(results[i].err)
			} else {
				var parsed any
				if json.Unmarshal([]byte(results[i].reply), &parsed) == nil {
					a.Message = parsed
				} else {
					a.Message = results[i].reply
				}
			}
			details[t.addr] = a
		}
		if err := writeJSON(c.out, map[string]any{"command": full, "details": details,
			"succeed_count": succeeded, "failed_count": failed}); err != nil {
			return err
		}
	} else {
		w := c.out
		fmt.Fprintf(w, "COMMAND: %s\n\n", full)
		for i, t := range targets {
			if results[i].err != nil {
				fmt.Fprintf(w, "CALL [%s] [%s] failed: %s\n", t.role, t.addr, describe(results[i].err))
			} else {
				fmt.Fprintf(w, "CALL [%s] [%s] succeed: %s\n", t.role, t.addr, strings.TrimRight(results[i].reply, "\n"))
			}
		}
		fmt.Fprintf(w, "\nSucceed count: %d\nFailed count: %d\n", succeeded, failed)
	}
	if failed > 0 {
		return failf(nil, "ERROR: %d of %d remote calls failed", failed, len(results))
	}
	unknown := 0
	for _, r := range results {
		if strings.HasPrefix(r.reply, "unknown command '") {
			unknown++
		}
	}
	if unknown > 0 {
		return failf(nil, "ERROR: %d of %d servers do not know the command '%s'; `remote_command help` lists theirs", unknown, len(results), command)
	}
	return nil
}
