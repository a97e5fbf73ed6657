package filecopy

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/rpc"
)

func serve(t *testing.T) (*Service, *rpc.Conn) {
	t.Helper()
	svc := NewService()
	rs := rpc.NewServer(rpc.ServerOptions{})
	svc.Register(rs)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); rs.Serve(l) }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, l.Addr().String(), rpc.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); rs.Close(); <-done })
	return svc, c
}

func writeTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewSource(7))
	big := make([]byte, 2*MaxChunk+12345)
	rng.Read(big)
	files := map[string][]byte{"CURRENT": []byte("MANIFEST-000004\n"), "empty": {}, "sub/000009.sst": big}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func TestFetchCopiesAShareExactly(t *testing.T) {
	svc, c := serve(t)
	src := t.TempDir()
	files := writeTree(t, src)
	session, release, err := svc.Share(src)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	dest := filepath.Join(t.TempDir(), "copy")
	var last, total int64
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Fetch(ctx, c, session, dest, func(d, tot int64) { last, total = d, tot }); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes, %v; want %d bytes", name, len(got), err, len(want))
		}
	}
	if last != total || total != int64(2*MaxChunk+12345+16) {
		t.Fatalf("progress ended at %d of %d", last, total)
	}
	if err := Fetch(ctx, c, session, dest, nil); err == nil {
		t.Fatal("fetch into an existing directory succeeded")
	}
	release()
	if err := Fetch(ctx, c, session, filepath.Join(t.TempDir(), "x"), nil); err == nil {
		t.Fatal("fetch of a released share succeeded")
	}
}

func TestChangedFileFailsTheChecksumAndLeavesNothing(t *testing.T) {
	svc, c := serve(t)
	src := t.TempDir()
	writeTree(t, src)
	session, release, err := svc.Share(src)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// The file changes after it was shared (same size, other bytes).
	p := filepath.Join(src, "sub", "000009.sst")
	b, _ := os.ReadFile(p)
	b[MaxChunk+3] ^= 0xff
	os.WriteFile(p, b, 0o644)
	dest := filepath.Join(t.TempDir(), "copy")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Fetch(ctx, c, session, dest, nil); !errors.Is(err, ErrChecksum) {
		t.Fatalf("got %v, want a checksum error", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatal("a failed fetch left the destination behind")
	}
	if _, err := os.Stat(dest + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("a failed fetch left its temporary directory behind")
	}
}

func TestLocalPathRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../x", "/etc/passwd", "a/../../x", "", "a/./b", ".."} {
		if _, err := localPath("/tmp/d", name); err == nil {
			t.Errorf("%q accepted", name)
		}
	}
	if p, err := localPath("/tmp/d", "sub/f"); err != nil || p != "/tmp/d/sub/f" {
		t.Errorf("sub/f: %q %v", p, err)
	}
}
