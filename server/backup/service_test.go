package backup

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// services runs a test against every provider.
func services(t *testing.T, f func(t *testing.T, bs BlockService)) {
	t.Run("local", func(t *testing.T) { f(t, NewLocalService(t.TempDir())) })
	t.Run("memory", func(t *testing.T) { f(t, NewMemoryService()) })
}

func TestBlockServiceContract(t *testing.T) {
	services(t, func(t *testing.T, bs BlockService) {
		ctx := t.Context()
		if _, err := bs.Download(ctx, "a/b"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("download of a missing file: %v", err)
		}
		if _, err := bs.List(ctx, "a"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("list of a missing dir: %v", err)
		}
		for _, p := range []string{"a/x", "a/b/y", "a/b/z"} {
			if n, err := bs.Upload(ctx, p, strings.NewReader("data of "+p)); err != nil || n != int64(len("data of "+p)) {
				t.Fatalf("upload %s: %d, %v", p, n, err)
			}
		}
		if _, err := bs.Upload(ctx, "a/x", strings.NewReader("new")); err != nil {
			t.Fatal(err)
		}
		r, err := bs.Download(ctx, "a/x")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		if string(b) != "new" {
			t.Fatalf("a/x = %q after replacing it", b)
		}
		es, err := bs.List(ctx, "a")
		if err != nil || len(es) != 2 || es[0] != (Entry{Name: "b", IsDir: true}) || es[1] != (Entry{Name: "x", Size: 3}) {
			t.Fatalf("list a = %+v, %v", es, err)
		}
		if ok, err := bs.Exists(ctx, "a/b"); !ok || err != nil {
			t.Fatalf("exists a/b = %v, %v", ok, err)
		}
		if err := bs.Remove(ctx, "a/b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := bs.Exists(ctx, "a/b/y"); ok {
			t.Fatal("a/b/y survived removing a/b")
		}
		if err := bs.Remove(ctx, "no/such"); err != nil {
			t.Fatalf("remove of a missing path: %v", err)
		}
		if _, err := bs.Upload(ctx, "../escape", strings.NewReader("x")); err == nil {
			t.Fatal("a path leaving the root was accepted")
		}
	})
}

func TestOpen(t *testing.T) {
	if _, err := Open(LocalServiceType, ""); err == nil {
		t.Fatal("local_service without a root opened")
	}
	if _, err := Open("hdfs_service", "/x"); err == nil {
		t.Fatal("an unknown provider opened")
	}
	bs, err := Open(LocalServiceType, t.TempDir())
	if err != nil || bs.Type() != LocalServiceType {
		t.Fatalf("Open = %v, %v", bs, err)
	}
}
