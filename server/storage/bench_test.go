package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/linxGnu/grocksdb"
	"github.com/pegasus-go/pegasus/rocksdb"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

// The benchmarks run each Partition call next to the equivalent direct
// grocksdb calls in the same run ("raw"), so that the ratio measures this
// layer (schema, responses, limits), not the machine. Writes use fresh DBs
// per variant; reads share one preloaded partition and its raw handle.

const (
	benchHashKeys   = 1000
	benchSortKeys   = 10 // per hash key
	benchValueBytes = 1024
)

var benchEngine = rocksdb.Options{BlockCacheBytes: 64 << 20, DisableWAL: true}

func benchHash(i int) []byte { return []byte(fmt.Sprintf("user%05d", i)) }
func benchSort(j int) []byte { return []byte(fmt.Sprintf("s%02d", j)) }

func openBench(b *testing.B) *Partition {
	b.Helper()
	o := testOptions(filepath.Join(b.TempDir(), "rdb"), SystemClock{})
	o.Engine = benchEngine
	p, err := Open(o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// loadedPartition returns a partition holding benchHashKeys × benchSortKeys
// records of 1 KB, flushed to SST files.
func loadedPartition(b *testing.B) *Partition {
	b.Helper()
	p := openBench(b)
	value := &base.Blob{Data: make([]byte, benchValueBytes)}
	for i := 0; i < benchHashKeys; i++ {
		req := &rrdb.MultiPutRequest{HashKey: &base.Blob{Data: benchHash(i)}}
		for j := 0; j < benchSortKeys; j++ {
			req.Kvs = append(req.Kvs, &rrdb.KeyValue{Key: &base.Blob{Data: benchSort(j)}, Value: value})
		}
		m := &Mutation{Decree: int64(i + 1), TimestampUs: 1, Writes: []Write{{Op: OpMultiPut, Request: req}}}
		if _, err := p.Apply(m); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.db.Flush(); err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkPut(b *testing.B) {
	value := make([]byte, benchValueBytes)
	b.Run("ours", func(b *testing.B) {
		p := openBench(b)
		req := &rrdb.UpdateRequest{Key: &base.Blob{}, Value: &base.Blob{Data: value}}
		m := &Mutation{Writes: []Write{{Op: OpPut, Request: req}}}
		keyList := benchKeyList()
		b.ReportAllocs()
		b.SetBytes(benchValueBytes)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			req.Key.Data = keyList[i%len(keyList)]
			m.Decree, m.TimestampUs = int64(i+1), int64(i+1)
			if _, err := p.Apply(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same bytes (header + value, plus the decree record) through
	// grocksdb directly.
	b.Run("raw", func(b *testing.B) {
		db, err := rocksdb.Open(filepath.Join(b.TempDir(), "rdb"), benchEngine)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		wo := grocksdb.NewDefaultWriteOptions()
		wo.DisableWAL(true)
		defer wo.Destroy()
		wb := grocksdb.NewWriteBatch()
		defer wb.Destroy()
		stored := appendValue(nil, DataVersion1, 0, 0, value)
		keyList := benchKeyList()
		var decree []byte
		b.ReportAllocs()
		b.SetBytes(benchValueBytes)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			wb.Clear()
			wb.Put(keyList[i%len(keyList)], stored)
			decree = strconv.AppendInt(decree[:0], int64(i+1), 10)
			wb.Put([]byte(rocksdb.DecreeKey), decree)
			if err := db.Raw().Write(wo, wb); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchKeyList is a fixed pseudo-random sequence of existing record keys.
func benchKeyList() [][]byte {
	out := make([][]byte, 4096)
	x := uint32(1)
	for i := range out {
		x = x*1664525 + 1013904223
		out[i] = keys.EncodeKey(benchHash(int(x>>8)%benchHashKeys), benchSort(int(x>>20)%benchSortKeys))
	}
	return out
}

func BenchmarkGet(b *testing.B) {
	p := loadedPartition(b)
	keyList := benchKeyList()
	ctx := context.Background()
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(benchValueBytes)
		for i := 0; i < b.N; i++ {
			if r := p.Get(ctx, keyList[i%len(keyList)]); len(r.Value.Data) != benchValueBytes {
				b.Fatalf("%+v", r)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		ro := grocksdb.NewDefaultReadOptions()
		defer ro.Destroy()
		raw, cf := p.db.Raw(), p.db.DataCF()
		b.ReportAllocs()
		b.SetBytes(benchValueBytes)
		for i := 0; i < b.N; i++ {
			h, err := raw.GetPinnedCF(ro, cf, keyList[i%len(keyList)])
			if err != nil {
				b.Fatal(err)
			}
			v := append([]byte(nil), h.Data()...)
			h.Destroy()
			if len(v) != benchValueBytes+12 {
				b.Fatalf("value of %d bytes", len(v))
			}
		}
	})
}

func BenchmarkMultiGet(b *testing.B) {
	p := loadedPartition(b)
	ctx := context.Background()
	sortKeys := make([]*base.Blob, benchSortKeys)
	for j := range sortKeys {
		sortKeys[j] = &base.Blob{Data: benchSort(j)}
	}
	b.Run("points/ours", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(benchSortKeys * benchValueBytes)
		for i := 0; i < b.N; i++ {
			req := &rrdb.MultiGetRequest{HashKey: &base.Blob{Data: benchHash(i % benchHashKeys)}, SortKeys: sortKeys}
			if r := p.MultiGet(ctx, req); len(r.Kvs) != benchSortKeys {
				b.Fatalf("%d kvs, error %d", len(r.Kvs), r.Error)
			}
		}
	})
	b.Run("points/raw", func(b *testing.B) {
		ro := grocksdb.NewDefaultReadOptions()
		defer ro.Destroy()
		raw, cf := p.db.Raw(), p.db.DataCF()
		var key []byte
		b.ReportAllocs()
		b.SetBytes(benchSortKeys * benchValueBytes)
		for i := 0; i < b.N; i++ {
			hash := benchHash(i % benchHashKeys)
			n := 0
			for _, sk := range sortKeys {
				key = keys.AppendKey(key[:0], hash, sk.Data)
				h, err := raw.GetPinnedCF(ro, cf, key)
				if err != nil {
					b.Fatal(err)
				}
				v := append([]byte(nil), h.Data()...)
				h.Destroy()
				n += len(v)
			}
			if n != benchSortKeys*(benchValueBytes+12) {
				b.Fatalf("%d bytes", n)
			}
		}
	})
	b.Run("range/ours", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(benchSortKeys * benchValueBytes)
		for i := 0; i < b.N; i++ {
			req := &rrdb.MultiGetRequest{HashKey: &base.Blob{Data: benchHash(i % benchHashKeys)}}
			if r := p.MultiGet(ctx, req); len(r.Kvs) != benchSortKeys {
				b.Fatalf("%d kvs, error %d", len(r.Kvs), r.Error)
			}
		}
	})
	b.Run("range/raw", func(b *testing.B) {
		ro := grocksdb.NewDefaultReadOptions()
		defer ro.Destroy()
		raw, cf := p.db.Raw(), p.db.DataCF()
		b.ReportAllocs()
		b.SetBytes(benchSortKeys * benchValueBytes)
		for i := 0; i < b.N; i++ {
			hash := benchHash(i % benchHashKeys)
			start, stop := keys.EncodeKey(hash, nil), keys.NextHashKey(hash)
			it := raw.NewIteratorCF(ro, cf)
			var kvs [][2][]byte
			for it.Seek(start); it.Valid(); it.Next() {
				k := it.Key().Data()
				if string(k) >= string(stop) {
					break
				}
				kvs = append(kvs, [2][]byte{append([]byte(nil), k...), append([]byte(nil), it.Value().Data()...)})
			}
			it.Close()
			if len(kvs) != benchSortKeys {
				b.Fatalf("%d kvs", len(kvs))
			}
		}
	})
}

// BenchmarkScan reads the whole partition per op, in batches of 1000.
func BenchmarkScan(b *testing.B) {
	p := loadedPartition(b)
	ctx := context.Background()
	total := benchHashKeys * benchSortKeys
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(total * benchValueBytes))
		for i := 0; i < b.N; i++ {
			req := fullScanRequest()
			req.BatchSize = 1000
			r := p.GetScanner(ctx, req)
			n := len(r.Kvs)
			for r.ContextID >= 0 {
				r = p.Scan(ctx, &rrdb.ScanRequest{ContextID: r.ContextID})
				n += len(r.Kvs)
			}
			if n != total || r.Error != 0 {
				b.Fatalf("%d records, error %d", n, r.Error)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		ro := grocksdb.NewDefaultReadOptions()
		defer ro.Destroy()
		raw, cf := p.db.Raw(), p.db.DataCF()
		b.ReportAllocs()
		b.SetBytes(int64(total * benchValueBytes))
		for i := 0; i < b.N; i++ {
			it := raw.NewIteratorCF(ro, cf)
			var kvs [][2][]byte
			for it.Seek([]byte{0, 0}); it.Valid(); it.Next() {
				kvs = append(kvs, [2][]byte{append([]byte(nil), it.Key().Data()...), append([]byte(nil), it.Value().Data()...)})
			}
			it.Close()
			if len(kvs) != total {
				b.Fatalf("%d records", len(kvs))
			}
		}
	})
}
