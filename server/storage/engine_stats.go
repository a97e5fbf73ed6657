package storage

import (
	"errors"
	"fmt"

	"github.com/pegasus-go/pegasus/rocksdb"
)

// EngineProperties reads the partition's RocksDB figures for monitoring.
// A closed partition (one learning replaced, say) fails with ErrClosed.
func (p *Partition) EngineProperties() (rocksdb.Properties, error) {
	if p.closed.Load() {
		return rocksdb.Properties{}, ErrClosed
	}
	props, err := p.db.Properties()
	if errors.Is(err, rocksdb.ErrClosed) {
		return props, ErrClosed // closed meanwhile
	}
	if err != nil {
		return props, fmt.Errorf("partition %d.%d: %w", p.opts.AppID, p.opts.PartitionIndex, err)
	}
	return props, nil
}

// Flush writes the memtables to SST files and waits, so that everything
// applied so far is durable without the mutation log. It returns the
// decree that is durable afterwards.
func (p *Partition) Flush() (int64, error) {
	if p.closed.Load() {
		return 0, ErrClosed
	}
	if err := p.db.Flush(); errors.Is(err, rocksdb.ErrClosed) {
		return 0, ErrClosed
	} else if err != nil {
		return 0, fmt.Errorf("flush partition %d.%d: %w", p.opts.AppID, p.opts.PartitionIndex, err)
	}
	return p.LastFlushedDecree()
}
