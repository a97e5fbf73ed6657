package storage

import (
	"context"
	"fmt"

	"github.com/pegasus-go/pegasus/rocksdb"
)

// Row is one live record as stored: what a duplication's initial copy ships
// to the follower cluster. Key is the encoded key (keys.EncodeKey); Key and
// Value are only valid during the callback.
type Row struct {
	Key, Value []byte
	// ExpireTs is the absolute expiry in Pegasus epoch seconds (0: none).
	ExpireTs uint32
	// Timetag is the value's conflict-resolution tag (0 in data version 0).
	Timetag uint64
}

// Rows calls fn for every live (not expired) record, in key order, from an
// iterator's implicit snapshot. Open it on a checkpoint (Checkpoint, then
// Open on that directory) to get the rows of exactly one decree. It stops
// at the first error of fn or ctx.
func (p *Partition) Rows(ctx context.Context, fn func(Row) error) error {
	it := p.db.NewIterator(rocksdb.IterOptions{})
	defer it.Close()
	now := p.now()
	n := 0
	for it.SeekToFirst(); it.Valid(); it.Next() {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		key := it.Key()
		if len(key) < 2 {
			continue // not a record
		}
		v, err := decodeValue(p.dataVersion, it.Value())
		if err != nil {
			return fmt.Errorf("rows of partition %d.%d: %w", p.opts.AppID, p.opts.PartitionIndex, err)
		}
		if isExpired(v.expireTs, now) {
			continue
		}
		if err := fn(Row{Key: key, Value: v.data, ExpireTs: v.expireTs, Timetag: v.timetag}); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("rows of partition %d.%d: %w", p.opts.AppID, p.opts.PartitionIndex, err)
	}
	return nil
}
