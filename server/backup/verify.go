package backup

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Report is the outcome of Verify.
type Report struct {
	Info       Info
	Partitions []PartitionReport
	// Problems are backup-level: no metadata, unreadable metadata.
	Problems []string
}

// PartitionReport is one partition's check.
type PartitionReport struct {
	Index    int32
	Files    int
	Bytes    int64
	Problems []string
}

// OK reports whether the backup is complete and every file matches.
func (r Report) OK() bool {
	if len(r.Problems) > 0 {
		return false
	}
	for _, p := range r.Partitions {
		if len(p.Problems) > 0 {
			return false
		}
	}
	return true
}

// ProblemList is every problem found, each naming its partition.
func (r Report) ProblemList() []string {
	out := append([]string(nil), r.Problems...)
	for _, p := range r.Partitions {
		for _, s := range p.Problems {
			out = append(out, fmt.Sprintf("partition %d: %s", p.Index, s))
		}
	}
	return out
}

// Verify checks the backup at loc without restoring it: the completion
// marker, every partition's manifest, and every file's presence, size and
// CRC-32C (each file is read in full). progress, if set, is told after
// each partition. Problems with the backup go in the report; the error
// is for failures of the check itself (the provider, a cancelled ctx).
func Verify(ctx context.Context, bs BlockService, loc Location, progress Progress) (Report, error) {
	var rep Report
	info, err := ReadInfo(ctx, bs, loc)
	if err != nil {
		if errors.Is(err, ErrIncomplete) || errors.Is(err, ErrCorrupt) {
			rep.Problems = append(rep.Problems, err.Error())
			return rep, nil
		}
		return rep, err
	}
	rep.Info = info
	for pidx := int32(0); pidx < info.PartitionCount; pidx++ {
		pr, err := verifyPartition(ctx, bs, loc, pidx)
		if err != nil {
			return rep, err
		}
		rep.Partitions = append(rep.Partitions, pr)
		if progress != nil {
			progress(int(pidx+1), int(info.PartitionCount))
		}
	}
	return rep, nil
}

func verifyPartition(ctx context.Context, bs BlockService, loc Location, pidx int32) (PartitionReport, error) {
	pr := PartitionReport{Index: pidx}
	m, err := ReadManifest(ctx, bs, loc, pidx)
	if err != nil {
		if errors.Is(err, ErrIncomplete) || errors.Is(err, ErrCorrupt) {
			pr.Problems = append(pr.Problems, err.Error())
			return pr, nil
		}
		return pr, err
	}
	for _, fi := range m.Files {
		size, crc, err := readCRC(ctx, bs, loc.FilePath(pidx, fi.Name))
		switch {
		case errors.Is(err, ErrNotFound):
			pr.Problems = append(pr.Problems, fmt.Sprintf("file %s is missing", fi.Name))
			continue
		case err != nil:
			return pr, err
		}
		if err := checkFile(fi, size, crc); err != nil {
			pr.Problems = append(pr.Problems, err.Error())
			continue
		}
		pr.Files++
		pr.Bytes += size
	}
	return pr, nil
}

func readCRC(ctx context.Context, bs BlockService, p string) (int64, uint32, error) {
	r, err := bs.Download(ctx, p)
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, r)
	if err != nil {
		return 0, 0, fmt.Errorf("read %s: %w", p, err)
	}
	return n, h.Sum32(), nil
}
