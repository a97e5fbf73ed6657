package mlog

import (
	"context"
	"sync/atomic"
	"testing"
)

func benchAppend(b *testing.B, policy Policy) {
	l, err := Open(b.TempDir(), Options{Policy: policy})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	data := make([]byte, 1024)
	var decree atomic.Int64
	b.SetParallelism(8) // 16 concurrent appenders on 2 cores
	b.SetBytes(1024)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Append(context.Background(), Entry{Ballot: 1, Decree: decree.Add(1), Data: data}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAppendSyncEveryBatch: 1 KB appends from 16 goroutines, each
// returning after its group's fsync.
func BenchmarkAppendSyncEveryBatch(b *testing.B) { benchAppend(b, SyncEveryBatch) }

// BenchmarkAppendSyncPeriodic: the same without waiting for fsync.
func BenchmarkAppendSyncPeriodic(b *testing.B) { benchAppend(b, SyncPeriodic) }
