package shell

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/pegasus-go/pegasus/admin"
)

// nodes_migrator drains a replica server: every partition it serves is
// moved off it through the meta's balancer (move_pri where it is primary,
// copy_sec where it is a secondary), round after round until it holds
// nothing, when it is safe to stop.

func init() {
	register(&Command{Name: "nodes_migrator", Aliases: []string{"nodes-migrator"}, Group: "cluster",
		Summary: "move every replica off a replica server (scale-in)", JSON: true,
		Help: "Plans one move per partition the origin serves — move_pri to one of its secondaries where it\n" +
			"is primary, copy_sec to the least loaded other server where it is a secondary — and asks the\n" +
			"meta server to run them; partitions never drop below their replica count. Needs the meta level\n" +
			"steady (at lively the balancer would move replicas back). --dry-run prints the plan only;\n" +
			"--wait repeats rounds until the origin holds nothing and says when it is safe to stop it.\n" +
			"Exit 0 when drained (or the plan was printed/sent), 1 on failure or timeout.",
		Flags: []Flag{
			{Short: "f", Long: "origin", Value: "host:port", Kind: KindNode, Help: "the replica server to drain", Required: true},
			{Short: "t", Long: "target", Value: "h:p,h:p", Kind: KindNode, Help: "move replicas only to these servers"},
			{Long: "dry-run", Help: "print the plan and change nothing"},
			{Short: "w", Long: "wait", Help: "repeat until the origin holds nothing"},
			{Long: "timeout", Value: "duration", Help: "give up waiting after this long (default 30m)"},
		},
		Run: runNodesMigrator})
}

type drainJSON struct {
	Origin    string   `json:"origin"`
	Moves     []string `json:"moves"`
	Remaining int      `json:"remaining"`
	Drained   bool     `json:"drained"`
}

func runNodesMigrator(c *Call) error {
	origin, err := parseNodeArg("origin", c.Str("origin", ""))
	if err != nil {
		return err
	}
	var targets []netip.AddrPort
	if t := c.Str("target", ""); t != "" {
		for _, s := range strings.Split(t, ",") {
			a, err := parseNodeArg("target", strings.TrimSpace(s))
			if err != nil {
				return err
			}
			targets = append(targets, a)
		}
	}
	timeout := 30 * time.Minute
	if s := c.Str("timeout", ""); s != "" {
		if timeout, err = time.ParseDuration(s); err != nil || timeout <= 0 {
			return usagef("invalid --timeout %q", s)
		}
	}
	deadline := time.Now().Add(timeout)
	out := drainJSON{Origin: origin.String(), Moves: []string{}}
	var bar *progress
	initial := -1
	defer func() {
		if bar != nil {
			bar.finish()
		}
	}()
	for round := 1; ; round++ {
		ctx, cancel := c.adminCtx()
		plan, remaining, err := c.s.admin.DrainPlan(ctx, origin, targets)
		cancel()
		if err != nil {
			return failf(err, "plan the migration off %v failed: %s", origin, describe(err))
		}
		out.Remaining = remaining
		if initial < 0 {
			initial = remaining
		}
		if bar != nil {
			bar.update(initial-remaining, 0)
		}
		if remaining == 0 {
			if bar != nil {
				bar.finish()
				bar = nil
			}
			out.Drained = true
			return c.Emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "%v holds no replicas: it is safe to stop it\n", origin)
			})
		}
		if c.Switch("dry-run") {
			for _, m := range plan {
				out.Moves = append(out.Moves, m.String())
			}
			return c.Emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "%v serves %d replicas; %d moves planned:\n", origin, remaining, len(plan))
				for _, m := range plan {
					fmt.Fprintf(w, "  %v\n", m)
				}
			})
		}
		accepted := 0
		if len(plan) == 0 && !c.Switch("wait") {
			// Every partition left has a move under way (e.g. a copy_sec with
			// its extra learner in), or no other server can take it.
			return failf(nil, "%v still serves %d replicas and no move can start now; run with --wait to follow the moves under way", origin, remaining)
		}
		if len(plan) > 0 {
			ctx, cancel = c.adminCtx()
			accepted, err = c.s.admin.StartDrain(ctx, plan)
			cancel()
		}
		if errors.Is(err, admin.ErrBalancerLively) {
			return failf(err, "%v", err)
		}
		if err != nil {
			return failf(err, "send moves failed: %s", describe(err))
		}
		for _, m := range plan {
			out.Moves = append(out.Moves, m.String())
		}
		if !c.Switch("json") && accepted > 0 {
			c.Printf("round %d: %v serves %d replicas, %d moves started", round, origin, remaining, accepted)
		}
		if c.Switch("wait") && bar == nil && initial > 0 {
			bar = c.s.startProgress(fmt.Sprintf("draining %v", origin), initial, "", func(st progressState) string {
				return fmt.Sprintf("%v: %d of %d replicas moved off, %v", origin, st.Done, st.Total, st.Elapsed.Round(time.Second))
			})
		}
		if !c.Switch("wait") {
			return c.Emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "moves under way; run again with --wait to follow them until %v is empty\n", origin)
			})
		}
		if time.Now().After(deadline) {
			return failf(nil, "%v still serves %d replicas after %v (moves under way or no server can take them)", origin, remaining, timeout)
		}
		select {
		case <-c.ctx.Done():
			return failf(c.ctx.Err(), "interrupted")
		case <-time.After(2 * time.Second):
		}
	}
}
