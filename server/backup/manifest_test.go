package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkpointDir makes a directory shaped like a small checkpoint.
func checkpointDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ckpt")
	files := map[string]string{
		"CURRENT":         "MANIFEST-000004\n",
		"000007.sst":      strings.Repeat("sst data ", 1000),
		"OPTIONS-000005":  "options",
		"sub/extra.meta":  "nested",
		"MANIFEST-000004": "rocksdb manifest",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var testLoc = Location{Cluster: "c1", AppName: "t", AppID: 3, BackupID: 1700000000000}

// uploadAll writes a two-partition backup with its info.
func uploadAll(t *testing.T, bs BlockService) {
	t.Helper()
	ctx := t.Context()
	dir := checkpointDir(t)
	info := Info{BackupID: testLoc.BackupID, Cluster: "c1", AppName: "t", AppID: 3, PartitionCount: 2}
	for pidx := int32(0); pidx < 2; pidx++ {
		var last [2]int
		m, err := UploadCheckpoint(ctx, bs, testLoc, pidx, dir, 42, func(d, n int) { last = [2]int{d, n} })
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Files) != 5 || last != [2]int{5, 5} || m.Decree != 42 {
			t.Fatalf("manifest %+v, progress %v", m, last)
		}
		info.Partitions = append(info.Partitions, PartitionSummary{Index: pidx, Decree: m.Decree, Files: len(m.Files), Size: m.TotalSize})
	}
	if err := WriteInfo(ctx, bs, testLoc, info); err != nil {
		t.Fatal(err)
	}
}

func TestUploadDownloadVerify(t *testing.T) {
	services(t, func(t *testing.T, bs BlockService) {
		ctx := t.Context()
		uploadAll(t, bs)
		rep, err := Verify(ctx, bs, testLoc, nil)
		if err != nil || !rep.OK() || len(rep.Partitions) != 2 || rep.Partitions[1].Files != 5 {
			t.Fatalf("verify = %+v, %v", rep, err)
		}
		dest := filepath.Join(t.TempDir(), "restore")
		if _, err := DownloadCheckpoint(ctx, bs, testLoc, 1, dest, nil); err != nil {
			t.Fatal(err)
		}
		want := checkpointDir(t)
		for _, name := range []string{"CURRENT", "000007.sst", "sub/extra.meta"} {
			a, _ := os.ReadFile(filepath.Join(want, name))
			b, err := os.ReadFile(filepath.Join(dest, name))
			if err != nil || string(a) != string(b) {
				t.Fatalf("%s restored as %q, %v", name, b, err)
			}
		}
		ids, err := ListBackups(ctx, bs, TableDir("", "c1", "t", 3))
		if err != nil || len(ids) != 1 || ids[0] != testLoc.BackupID {
			t.Fatalf("ListBackups = %v, %v", ids, err)
		}
	})
}

// corrupt damages one uploaded file in place, keeping its size.
func corrupt(t *testing.T, bs BlockService, p string) {
	t.Helper()
	switch s := bs.(type) {
	case *MemoryService:
		if !s.Corrupt(p) {
			t.Fatalf("no file %s", p)
		}
	case *LocalService:
		f := filepath.Join(s.Root, filepath.FromSlash(p))
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCorruptFileIsReported(t *testing.T) {
	services(t, func(t *testing.T, bs BlockService) {
		ctx := t.Context()
		uploadAll(t, bs)
		corrupt(t, bs, testLoc.FilePath(1, "000007.sst"))
		rep, err := Verify(ctx, bs, testLoc, nil)
		if err != nil || rep.OK() {
			t.Fatalf("verify of a corrupt backup = %+v, %v", rep, err)
		}
		probs := rep.ProblemList()
		if len(probs) != 1 || !strings.Contains(probs[0], "partition 1: file 000007.sst: crc32c") {
			t.Fatalf("problems %q", probs)
		}
		dest := filepath.Join(t.TempDir(), "restore")
		if _, err := DownloadCheckpoint(ctx, bs, testLoc, 1, dest, nil); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("download of a corrupt partition: %v", err)
		}
		if _, err := os.Stat(dest); !os.IsNotExist(err) {
			t.Fatal("a failed download left its directory behind")
		}
		if _, err := DownloadCheckpoint(ctx, bs, testLoc, 0, dest, nil); err != nil {
			t.Fatalf("intact partition 0: %v", err)
		}
	})
}

func TestIncompleteBackupIsReported(t *testing.T) {
	services(t, func(t *testing.T, bs BlockService) {
		ctx := t.Context()
		uploadAll(t, bs)
		if err := bs.Remove(ctx, testLoc.ManifestPath(0)); err != nil {
			t.Fatal(err)
		}
		if err := bs.Remove(ctx, testLoc.FilePath(1, "CURRENT")); err != nil {
			t.Fatal(err)
		}
		rep, _ := Verify(ctx, bs, testLoc, nil)
		got := fmt.Sprint(rep.ProblemList())
		if rep.OK() || !strings.Contains(got, "partition 0: partition 0 has no manifest") || !strings.Contains(got, "partition 1: file CURRENT is missing") {
			t.Fatalf("problems %s", got)
		}
		if err := bs.Remove(ctx, testLoc.InfoPath()); err != nil {
			t.Fatal(err)
		}
		rep, _ = Verify(ctx, bs, testLoc, nil)
		if rep.OK() || !strings.Contains(fmt.Sprint(rep.Problems), "backup_info.json") {
			t.Fatalf("a backup without its marker: %+v", rep)
		}
	})
}
