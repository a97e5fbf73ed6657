package replica

import (
	"errors"
	"fmt"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/mlog"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
)

// errLogGap reports that the mutation log does not hold the decree a
// duplication must ship next (collected, or never logged here: the
// replica learned a checkpoint past it).
var errLogGap = errors.New("mutation log gap")

// logReader loads a primary's committed mutations from the shared
// mutation log, in decree order and without gaps, for its duplicators.
type logReader struct {
	r   *Replica
	cur *mlog.Cursor
}

func newLogReader(r *Replica, from int64) *logReader {
	return &logReader{r: r, cur: r.mlog.NewCursor(r.Gpid, from)}
}

// reset makes the next load start at decree from.
func (lr *logReader) reset(from int64) { lr.cur.Reset(from) }

// load returns the mutations from the cursor's position up to committed:
// by the cursor when the log holds them in decree order, else (a learner's
// step-back entries come after later decrees in its log) by a scan of the
// whole log. errLogGap means the log does not hold the next decree at all.
func (lr *logReader) load(committed int64, maxCount, maxBytes int) ([]pacifica.Mutation, error) {
	from := lr.cur.Next()
	ms, err := lr.loadInOrder(committed, maxCount, maxBytes)
	switch {
	case errors.Is(err, errLogGap):
	case err == nil && len(ms) == 0 && committed >= from:
		// Committed decrees but none in order: they come later in the log.
		err = fmt.Errorf("%w: partition %s: decree %d not found in order", errLogGap, gpidString(lr.r.Gpid), from)
	default:
		return ms, err
	}
	ms, serr := lr.scan(from, committed, maxCount)
	if serr != nil {
		return nil, serr
	}
	if len(ms) == 0 {
		return nil, err
	}
	lr.cur.Reset(ms[len(ms)-1].Decree + 1)
	return ms, nil
}

// scan reads the whole log for the mutations from decree from up to
// committed (at most maxCount), wherever they are in it, and returns the
// gapless run starting at from.
func (lr *logReader) scan(from, committed int64, maxCount int) ([]pacifica.Mutation, error) {
	upTo := min(committed, from+int64(maxCount)-1)
	found := map[int64]pacifica.Mutation{}
	err := lr.r.mlog.Replay(func(e mlog.Entry) error {
		if e.Gpid != lr.r.Gpid || e.Decree < from || e.Decree > upTo {
			return nil
		}
		m, err := peerwire.DecodeMutation(e.Ballot, e.Decree, e.Data)
		if err != nil {
			return err
		}
		found[e.Decree] = m // a later copy replaces an earlier one
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan the mutation log: %w", err)
	}
	var out []pacifica.Mutation
	for d := from; d <= upTo; d++ {
		m, ok := found[d]
		if !ok {
			break
		}
		out = append(out, m)
	}
	return out, nil
}

// loadInOrder returns the mutations from the cursor's position up to committed,
// at most maxCount of them and about maxBytes of payload. A decree logged
// again (re-prepared under a higher ballot) replaces the earlier copy. The
// first mutation must be the decree asked for and the rest follow without
// gaps: anything else is errLogGap and the cursor stays where it was.
func (lr *logReader) loadInOrder(committed int64, maxCount, maxBytes int) ([]pacifica.Mutation, error) {
	from := lr.cur.Next()
	var out []pacifica.Mutation
	bytes := 0
	for bytes < maxBytes && len(out) < maxCount {
		n, err := lr.cur.Read(committed, maxCount-len(out), func(e mlog.Entry) error {
			m, err := peerwire.DecodeMutation(e.Ballot, e.Decree, e.Data)
			if err != nil {
				return err
			}
			switch want := from + int64(len(out)); {
			case m.Decree == want:
				out = append(out, m)
			case m.Decree < want && m.Decree >= from:
				out[m.Decree-from] = m // a later copy of a decree replaces the earlier one
			default:
				return fmt.Errorf("%w: partition %s: decree %d follows %d", errLogGap, gpidString(lr.r.Gpid), m.Decree, want-1)
			}
			bytes += len(e.Data)
			return nil
		})
		if err != nil {
			lr.cur.Reset(from)
			return nil, fmt.Errorf("read the mutation log: %w", err)
		}
		if n == 0 {
			break
		}
	}
	return out, nil
}
