package rocksdb

import (
	"math/rand"
	"strconv"
	"testing"

	"github.com/linxGnu/grocksdb"
)

// The benchmarks compare this layer with direct grocksdb calls on the same
// DB in the same run, so the difference is the cost of the wrapper (locks,
// copies, decree bookkeeping), not of the machine.

const benchKeys, benchValueSize = 10000, 1024

func benchDB(b *testing.B) *DB {
	b.Helper()
	db := openTest(b, Options{})
	value := make([]byte, benchValueSize)
	batch := db.NewBatch()
	defer batch.Destroy()
	for i := 0; i < benchKeys; i++ {
		batch.Put([]byte(numberedKey(i)), value)
		if batch.Count() == 1000 {
			if err := db.Write(batch, db.LastAppliedDecree()+1); err != nil {
				b.Fatal(err)
			}
			batch.Clear()
		}
	}
	if err := db.Flush(); err != nil {
		b.Fatal(err)
	}
	return db
}

func benchKeyList() [][]byte {
	keys := make([][]byte, benchKeys)
	r := rand.New(rand.NewSource(1))
	for i := range keys {
		keys[i] = []byte(numberedKey(r.Intn(benchKeys)))
	}
	return keys
}

func BenchmarkGet(b *testing.B) {
	db := benchDB(b)
	keys := benchKeyList()
	ro := grocksdb.NewDefaultReadOptions()
	defer ro.Destroy()
	get := map[string]func(key []byte) []byte{
		"ours": func(key []byte) []byte {
			v, _, err := db.Get(key)
			if err != nil {
				b.Fatal(err)
			}
			return v
		},
		// What this layer does underneath, without lock and wrapping.
		"raw-pinned": func(key []byte) []byte {
			h, err := db.Raw().GetPinnedCF(ro, db.DataCF(), key)
			if err != nil {
				b.Fatal(err)
			}
			v := append([]byte(nil), h.Data()...)
			h.Destroy()
			return v
		},
		// The obvious grocksdb call: malloc'ed copy in C, then a Go copy.
		"raw-getbytes": func(key []byte) []byte {
			v, err := db.Raw().GetBytes(ro, key)
			if err != nil {
				b.Fatal(err)
			}
			return v
		},
	}
	for _, name := range []string{"ours", "raw-pinned", "raw-getbytes"} {
		f := get[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(benchValueSize)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if v := f(keys[i%len(keys)]); len(v) != benchValueSize {
					b.Fatalf("value of %d bytes", len(v))
				}
			}
		})
	}
}

// BenchmarkWrite gives every variant a fresh DB, so none pays for the
// flushes and compactions another one caused.
func BenchmarkWrite(b *testing.B) {
	keys := benchKeyList()
	value := make([]byte, benchValueSize)
	wo := grocksdb.NewDefaultWriteOptions()
	defer wo.Destroy()

	b.Run("ours", func(b *testing.B) {
		db := openTest(b, Options{})
		batch := db.NewBatch()
		defer batch.Destroy()
		b.SetBytes(benchValueSize)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			batch.Clear()
			batch.Put(keys[i%len(keys)], value)
			if err := db.Write(batch, int64(i+1)); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same records (value plus decree) written straight through grocksdb.
	b.Run("raw-with-decree", func(b *testing.B) {
		db := openTest(b, Options{})
		wb := grocksdb.NewWriteBatch()
		defer wb.Destroy()
		var decree []byte
		b.SetBytes(benchValueSize)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			wb.Clear()
			wb.Put(keys[i%len(keys)], value)
			decree = strconv.AppendInt(decree[:0], int64(i+1), 10)
			wb.PutCF(db.metaCF, decreeKey, decree)
			if err := db.Raw().Write(wo, wb); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-value-only", func(b *testing.B) {
		db := openTest(b, Options{})
		wb := grocksdb.NewWriteBatch()
		defer wb.Destroy()
		b.SetBytes(benchValueSize)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			wb.Clear()
			wb.Put(keys[i%len(keys)], value)
			if err := db.Raw().Write(wo, wb); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkScan reads every record of the preloaded DB once per op.
func BenchmarkScan(b *testing.B) {
	db := benchDB(b)
	b.Run("ours", func(b *testing.B) {
		b.SetBytes(benchKeys * benchValueSize)
		for i := 0; i < b.N; i++ {
			it := db.NewIterator(IterOptions{})
			n := 0
			for it.SeekToFirst(); it.Valid(); it.Next() {
				n += len(it.Key()) + len(it.Value())
			}
			it.Close()
			if n == 0 {
				b.Fatal("empty scan")
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		ro := grocksdb.NewDefaultReadOptions()
		defer ro.Destroy()
		ro.SetFillCache(false)
		b.SetBytes(benchKeys * benchValueSize)
		for i := 0; i < b.N; i++ {
			it := db.Raw().NewIteratorCF(ro, db.DataCF())
			n := 0
			for it.SeekToFirst(); it.Valid(); it.Next() {
				k, v := it.Key(), it.Value()
				n += len(k.Data()) + len(v.Data())
			}
			it.Close()
			if n == 0 {
				b.Fatal("empty scan")
			}
		}
	})
}
