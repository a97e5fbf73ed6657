package rocksdb

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// persistedCFOption reads option name of each column family from the newest
// OPTIONS file RocksDB wrote into dir.
func persistedCFOption(t *testing.T, dir, name string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "OPTIONS-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no OPTIONS file in %s (%v)", dir, err)
	}
	sort.Slice(files, func(i, j int) bool {
		ni, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(files[i]), "OPTIONS-"))
		nj, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(files[j]), "OPTIONS-"))
		return ni < nj
	})
	raw, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	cf := ""
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[CFOptions \"") {
			cf = strings.TrimSuffix(strings.TrimPrefix(line, "[CFOptions \""), "\"]")
			continue
		}
		if strings.HasPrefix(line, "[") {
			cf = ""
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && cf != "" && k == name {
			got[cf] = v
		}
	}
	return got
}

func TestArenaBlockBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		data string
	}{
		{"an eighth of the default memtable", Options{}, strconv.Itoa(DefaultWriteBufferBytes / 8)},
		{"an eighth of a set memtable", Options{WriteBufferBytes: 24 << 20}, strconv.Itoa(3 << 20)},
		{"set", Options{ArenaBlockBytes: 4 << 20}, strconv.Itoa(4 << 20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rdb")
			db := openAt(t, dir, tc.opts)
			writeKVs(t, db, 1, kv{"k", "v"})
			got := persistedCFOption(t, dir, "arena_block_size")
			if got[DataColumnFamily] != tc.data {
				t.Errorf("data CF arena_block_size = %q, want %s", got[DataColumnFamily], tc.data)
			}
			// The meta CF keeps RocksDB's default: at most 1 MiB.
			meta, err := strconv.Atoi(got[MetaColumnFamily])
			if err != nil || meta <= 0 || meta > 1<<20 {
				t.Errorf("meta CF arena_block_size = %q, want RocksDB's default (<= 1 MiB)", got[MetaColumnFamily])
			}
		})
	}
	if _, err := Open(filepath.Join(t.TempDir(), "bad"), Options{ArenaBlockBytes: -1}); err == nil {
		t.Error("Open accepted a negative ArenaBlockBytes")
	}
}
