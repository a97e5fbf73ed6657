package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pegasus-go/pegasus/server/meta"
	"github.com/pegasus-go/pegasus/server/remotecmd"
)

// addMetaCommands registers the meta server's own remote commands: the
// queries it can answer today. (Upstream's meta.lb.* tuning knobs do not
// exist here; meta.lb.plan shows the balancer's plan.)
func addMetaCommands(cmds *remotecmd.Registry, m *meta.Server) {
	cmds.Add(remotecmd.Command{Name: "meta.lb.plan", Usage: "meta.lb.plan",
		Help: "show, as JSON, the balancer moves under way and those it would plan per table at level lively (a table is planned only when healthy)",
		Run: func(context.Context, []string) (string, error) {
			v, err := m.BalanceView()
			if err != nil {
				return "", fmt.Errorf("%w (ask the leader: %s)", err, leaderOf(m))
			}
			b, err := json.MarshalIndent(v, "", "  ")
			return string(b), err
		}})
	cmds.Add(remotecmd.Command{Name: "meta.level", Usage: "meta.level",
		Help: "show the meta function level and the level the meta acts at (freezed while too few replica servers live)",
		Run: func(context.Context, []string) (string, error) {
			level, effective, err := m.Levels()
			if err != nil {
				return "", fmt.Errorf("%w (ask the leader: %s)", err, leaderOf(m))
			}
			return fmt.Sprintf("meta_function_level: %s\neffective_function_level: %s", level, effective), nil
		}})
	cmds.Add(remotecmd.Command{Name: "meta.cluster", Usage: "meta.cluster",
		Help: "show the cluster summary as JSON (what /meta/cluster serves)",
		Run: func(context.Context, []string) (string, error) {
			v, err := m.ClusterView()
			if err != nil {
				return "", fmt.Errorf("%w (ask the leader: %s)", err, leaderOf(m))
			}
			b, err := json.MarshalIndent(v, "", "  ")
			return string(b), err
		}})
}

// leaderOf names the meta leader for a follower's error messages.
func leaderOf(m *meta.Server) string {
	v, _ := m.ClusterView()
	if v.PrimaryMetaServer == "" {
		return "none elected yet"
	}
	return v.PrimaryMetaServer
}
