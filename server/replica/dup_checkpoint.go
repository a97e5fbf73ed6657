package replica

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pegasus-go/pegasus/server/storage"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// errNoDecreeYet: the partition has committed nothing yet, so there is no
// snapshot decree ≥ 1 to start a duplication from. The primary's empty
// writes give it one soon.
var errNoDecreeYet = fmt.Errorf("partition has no committed decree yet")

// dupSnapshotBytes is how much of a snapshot is converted before it is
// shipped (and acknowledged) and the next part read.
const dupSnapshotBytes = 1 << 20

func dupDir(r *Replica) string {
	if r.dir != "" {
		return filepath.Join(r.dir, "dup")
	}
	return r.rdbDir + ".dup"
}

// shipCheckpoint ships a snapshot of the partition: it checkpoints storage
// at decree D0 ≥ 1, opens the checkpoint, and sends every live row as a
// put (its key, value, expiry and the timestamp of its timetag, so the
// follower's last-write-wins check orders it against later writes). It
// returns D0: the follower holds everything up to it once this returns.
func (d *duplicator) shipCheckpoint() (int64, error) {
	dir := filepath.Join(dupDir(d.r), fmt.Sprintf("snapshot.%d.%d", d.key.dupid, time.Now().UnixNano()))
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	defer os.RemoveAll(dir)
	d0, err := d.r.Storage().Checkpoint(dir)
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	if d0 < 1 {
		return 0, errNoDecreeYet
	}
	so := d.r.storeOpts
	so.Dir = dir
	snap, err := storage.Open(so)
	if err != nil {
		return 0, fmt.Errorf("snapshot: open checkpoint: %w", err)
	}
	defer snap.Close()
	var pending []shippedEntry
	bytes := 0
	now := time.Now().UnixMicro()
	err = snap.Rows(d.ctx, func(row storage.Row) error {
		e, err := snapshotEntry(row, d.clusterID, now)
		if err != nil {
			return err
		}
		e.decree = d0
		pending = append(pending, e)
		if bytes += e.size; bytes >= dupSnapshotBytes {
			if err := d.ship(pending); err != nil {
				return err
			}
			pending, bytes = pending[:0], 0
		}
		return nil
	})
	if err == nil {
		err = d.ship(pending)
	}
	if err != nil {
		return 0, fmt.Errorf("snapshot at decree %d: %w", d0, err)
	}
	return d0, nil
}

// snapshotEntry is the put that recreates one row on the follower. A row
// without a timetag (data version 0) takes now as its timestamp.
func snapshotEntry(row storage.Row, clusterID, now int64) (shippedEntry, error) {
	args := &rrdb.RrdbPutArgs{Update: &rrdb.UpdateRequest{
		Key: base.NewBlob(append([]byte(nil), row.Key...)), Value: base.NewBlob(append([]byte(nil), row.Value...)),
		ExpireTsSeconds: int32(row.ExpireTs),
	}}
	raw, err := wire.EncodeStruct(nil, args)
	if err != nil {
		return shippedEntry{}, fmt.Errorf("encode row: %w", err)
	}
	ts := int64(row.Timetag >> 8)
	if ts == 0 {
		ts = now
	}
	cid, verify := clusterID, true
	return shippedEntry{
		hash: keys.KeyHash(row.Key), size: len(raw) + dupEntryOverhead,
		entry: &rrdb.DuplicateEntry{Timestamp: &ts, TaskCode: &base.TaskCode{Code: catalog.RPC_RRDB_RRDB_PUT},
			RawMessage: base.NewBlob(raw), ClusterID: &cid, VerifyTimetag: &verify},
	}, nil
}
