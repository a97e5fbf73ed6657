package remotecmd

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRegistryCommands(t *testing.T) {
	r := NewRegistry("replica")
	level := new(slog.LevelVar)
	r.AddLogLevel(level, func(s string) (slog.Level, error) {
		if s == "debug" {
			return slog.LevelDebug, nil
		}
		return 0, errors.New("bad level")
	})
	ctx := context.Background()
	if out := r.Call(ctx, "set-log-level", []string{"debug"}); !strings.Contains(out, "to DEBUG") || level.Level() != slog.LevelDebug {
		t.Fatalf("set-log-level: %q, level %v", out, level.Level())
	}
	if out := r.Call(ctx, "set-log-level", []string{"loud"}); !strings.HasPrefix(out, "ERROR: bad level") || !strings.Contains(out, "usage: set-log-level") {
		t.Fatalf("bad level: %q", out)
	}
	if out := r.Call(ctx, "get-log-level", nil); out != "DEBUG" {
		t.Fatalf("get-log-level: %q", out)
	}
	if out := r.Call(ctx, "nope", nil); out != "unknown command 'nope'" {
		t.Fatalf("unknown: %q", out)
	}
	if out := r.Call(ctx, "help", []string{"server-info"}); !strings.Contains(out, "version") {
		t.Fatalf("help server-info: %q", out)
	}
}
