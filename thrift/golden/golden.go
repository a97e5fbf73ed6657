// Package golden reads the recorded wire vectors (thrift/testdata/wire,
// copied from the spec) for the tests of any package: one file per frame,
// lowercase hex wrapped at 64 digits a line.
package golden

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Dir is the directory holding the vectors.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "wire")
}

// Read returns the bytes of vector name (e.g. "rrdb_put.request").
func Read(name string) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(Dir(), name+".hex"))
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(strings.ReplaceAll(string(raw), "\n", ""))
	if err != nil {
		return nil, fmt.Errorf("golden vector %s: %w", name, err)
	}
	return b, nil
}

// Names lists the vectors whose file name ends with suffix (e.g.
// ".request"), without ".hex", sorted.
func Names(suffix string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(Dir(), "*"+suffix+".hex"))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(filepath.Base(f), ".hex")
	}
	sort.Strings(names)
	return names, nil
}
