package base

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrnoCatalogue(t *testing.T) {
	// 88 names in protocol.md §4.1 plus the client-only ERR_SESSION_RESET.
	if n := len(errnoCatalogue); n != 89 {
		t.Errorf("catalogue has %d names, want 89", n)
	}
	for e, s := range errnoCatalogue {
		if s.goClient && !s.javaClient {
			t.Errorf("%s: parseable by Go but not Java; ForClient assumes Go ⊆ Java", e)
		}
	}
}

func TestErrnoClients(t *testing.T) {
	for _, tc := range []struct {
		e          Errno
		known      bool
		goc, javac bool
		forClient  Errno
	}{
		{ERR_OK, true, true, true, ERR_OK},
		{ERR_OBJECT_NOT_FOUND, true, true, true, ERR_OBJECT_NOT_FOUND},
		{ERR_DISK_INSUFFICIENT, true, true, true, ERR_DISK_INSUFFICIENT},
		{ERR_LEARNER_NOT_FOUND, true, false, true, ERR_UNKNOWN},
		{ERR_DIR_NOT_EMPTY, true, false, true, ERR_UNKNOWN},
		{ERR_RETRY_EXHAUSTED, true, false, false, ERR_UNKNOWN},
		{ERR_DISK_IO_ERROR, true, false, false, ERR_DISK_INSUFFICIENT},
		{ERR_NOT_MATCHED, true, false, false, ERR_UNKNOWN},
		{"ERR_NO_SUCH_THING", false, false, false, ERR_UNKNOWN},
		{"", false, false, false, ERR_UNKNOWN},
	} {
		t.Run(string(tc.e), func(t *testing.T) {
			if got := tc.e.Known(); got != tc.known {
				t.Errorf("Known = %v", got)
			}
			if got := tc.e.GoClientParses(); got != tc.goc {
				t.Errorf("GoClientParses = %v", got)
			}
			if got := tc.e.JavaClientParses(); got != tc.javac {
				t.Errorf("JavaClientParses = %v", got)
			}
			if got := tc.e.ForClient(); got != tc.forClient {
				t.Errorf("ForClient = %s, want %s", got, tc.forClient)
			}
		})
	}
}

func TestForClientAlwaysParseable(t *testing.T) {
	for e := range errnoCatalogue {
		if f := e.ForClient(); !f.GoClientParses() || !f.JavaClientParses() {
			t.Errorf("%s.ForClient() = %s, not parseable by every client", e, f)
		}
	}
}

func TestErrnoAsError(t *testing.T) {
	err := fmt.Errorf("create table: %w", ERR_APP_EXIST)
	if !errors.Is(err, ERR_APP_EXIST) || errors.Is(err, ERR_APP_NOT_EXIST) {
		t.Errorf("errors.Is on wrapped Errno failed: %v", err)
	}
	var e Errno
	if !errors.As(err, &e) || e != ERR_APP_EXIST || err.Error() != "create table: ERR_APP_EXIST" {
		t.Errorf("errors.As = %v, %q", e, err.Error())
	}
}
