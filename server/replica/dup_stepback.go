package replica

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/pegasus-go/pegasus/server/replica/mlog"
)

// Learner step-back for duplication: a learner that installs a checkpoint
// holds the decrees up to it in storage but not in its log. Should it
// become primary, its duplications would find nothing to ship between
// their confirmed decree and the checkpoint. So when the table duplicates,
// the primary puts its logged mutations from confirmed+1 up to the
// checkpoint's decree into the shared checkpoint directory (one file,
// fetched with the rest), and the learner appends them to its own log
// before it installs the checkpoint. Replay skips them (they are at or
// below storage's decree); the duplication reader finds them
// (dup_reader.go reads such out-of-order tails).

// stepBackFile is the file in a learner checkpoint holding the log
// entries a duplication still needs.
const stepBackFile = "pegasus_dup_stepback.log"

// maxStepBackBytes bounds the file: a duplication lagging further behind
// than this catches a new primary up with a snapshot instead.
const maxStepBackBytes = 256 << 20

var stepBackCRC = crc32.MakeTable(crc32.Castagnoli)

// writeStepBack puts r's logged mutations with decrees in (retained,
// upTo] into dir/stepBackFile, when its table duplicates. Each record:
// u32 length of data · u32 CRC-32C of data · i64 ballot · i64 decree ·
// data.
func (r *Replica) writeStepBack(dir string, upTo int64) error {
	from := r.retainedFrom()
	if from >= upTo {
		return nil // not duplicating, or nothing retained below the checkpoint
	}
	f, err := os.Create(filepath.Join(dir, stepBackFile))
	if err != nil {
		return fmt.Errorf("step-back log: %w", err)
	}
	w := bufio.NewWriter(f)
	cur := r.mlog.NewCursor(r.Gpid, from+1)
	written := 0
	var hdr [24]byte
	for written < maxStepBackBytes {
		n, err := cur.Read(upTo, 1024, func(e mlog.Entry) error {
			binary.BigEndian.PutUint32(hdr[0:], uint32(len(e.Data)))
			binary.BigEndian.PutUint32(hdr[4:], crc32.Checksum(e.Data, stepBackCRC))
			binary.BigEndian.PutUint64(hdr[8:], uint64(e.Ballot))
			binary.BigEndian.PutUint64(hdr[16:], uint64(e.Decree))
			w.Write(hdr[:])
			_, err := w.Write(e.Data)
			written += len(hdr) + len(e.Data)
			return err
		})
		if err != nil {
			f.Close()
			return fmt.Errorf("step-back log: %w", err)
		}
		if n == 0 {
			break
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("step-back log: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("step-back log: %w", err)
	}
	return nil
}

// takeStepBack moves a fetched checkpoint's step-back entries into the
// replica's log (durably) and removes the file, so that the checkpoint
// holds only RocksDB's files. A checkpoint without the file is left as
// it is.
func (r *Replica) takeStepBack(dir string) error {
	path := filepath.Join(dir, stepBackFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("step-back log: %w", err)
	}
	defer os.Remove(path)
	defer f.Close()
	br := bufio.NewReader(f)
	var batch []mlog.Entry
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := r.mlog.Append(context.Background(), batch...)
		batch, size = batch[:0], 0
		return err
	}
	var hdr [24]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("step-back log: %w", err)
		}
		n := binary.BigEndian.Uint32(hdr[0:])
		if n > mlog.MaxEntrySize {
			return fmt.Errorf("step-back log: entry of %d bytes", n)
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(br, data); err != nil {
			return fmt.Errorf("step-back log: %w", err)
		}
		if crc32.Checksum(data, stepBackCRC) != binary.BigEndian.Uint32(hdr[4:]) {
			return fmt.Errorf("step-back log: checksum mismatch")
		}
		batch = append(batch, mlog.Entry{Gpid: r.Gpid, Ballot: int64(binary.BigEndian.Uint64(hdr[8:])),
			Decree: int64(binary.BigEndian.Uint64(hdr[16:])), Data: data})
		if size += len(data); size >= 4<<20 {
			if err := flush(); err != nil {
				return fmt.Errorf("step-back log: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("step-back log: %w", err)
	}
	return nil
}
