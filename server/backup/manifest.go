package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Manifest lists one partition's checkpoint files as uploaded; restore
// and verify check every file against it.
type Manifest struct {
	AppID          int32      `json:"app_id"`
	PartitionIndex int32      `json:"partition_index"`
	BackupID       int64      `json:"backup_id"`
	Decree         int64      `json:"checkpoint_decree"`
	Files          []FileInfo `json:"files"`
	TotalSize      int64      `json:"total_size"`
}

// FileInfo is one checkpoint file: its path relative to the checkpoint
// directory, size and CRC-32C (Castagnoli).
type FileInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	CRC32C uint32 `json:"crc32c"`
}

// ErrCorrupt marks a backup whose files do not match their manifest, or
// whose metadata is unreadable.
var ErrCorrupt = errors.New("backup corrupt")

// ErrIncomplete marks a backup missing its completion marker or a
// partition's manifest.
var ErrIncomplete = errors.New("backup incomplete")

// Progress is told how many of a partition's files are done.
type Progress func(done, total int)

// UploadCheckpoint uploads the checkpoint in dir as partition pidx of the
// backup at loc, then its manifest. Whatever an earlier attempt left
// under the partition is removed first, so only the files the manifest
// names are there. It returns the manifest written.
func UploadCheckpoint(ctx context.Context, bs BlockService, loc Location, pidx int32, dir string, decree int64, progress Progress) (Manifest, error) {
	m := Manifest{AppID: loc.AppID, PartitionIndex: pidx, BackupID: loc.BackupID, Decree: decree}
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		names = append(names, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return m, fmt.Errorf("upload partition %d: list checkpoint: %w", pidx, err)
	}
	sort.Strings(names)
	if err := bs.Remove(ctx, loc.PartitionDir(pidx)); err != nil {
		return m, fmt.Errorf("upload partition %d: clear earlier attempt: %w", pidx, err)
	}
	for i, name := range names {
		fi, err := uploadFile(ctx, bs, filepath.Join(dir, filepath.FromSlash(name)), loc.FilePath(pidx, name))
		if err != nil {
			return m, fmt.Errorf("upload partition %d: %w", pidx, err)
		}
		fi.Name = name
		m.Files = append(m.Files, fi)
		m.TotalSize += fi.Size
		if progress != nil {
			progress(i+1, len(names))
		}
	}
	if err := putJSON(ctx, bs, loc.ManifestPath(pidx), m); err != nil {
		return m, fmt.Errorf("upload partition %d: %w", pidx, err)
	}
	return m, nil
}

func uploadFile(ctx context.Context, bs BlockService, local, remote string) (FileInfo, error) {
	f, err := os.Open(local)
	if err != nil {
		return FileInfo{}, err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := bs.Upload(ctx, remote, io.TeeReader(f, h))
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Size: n, CRC32C: h.Sum32()}, nil
}

// ReadManifest reads a partition's manifest; a missing one is
// ErrIncomplete, an unreadable one ErrCorrupt.
func ReadManifest(ctx context.Context, bs BlockService, loc Location, pidx int32) (Manifest, error) {
	var m Manifest
	err := getJSON(ctx, bs, loc.ManifestPath(pidx), &m)
	if errors.Is(err, ErrNotFound) {
		return m, fmt.Errorf("partition %d has no manifest: %w", pidx, ErrIncomplete)
	}
	if err != nil {
		return m, err
	}
	if m.PartitionIndex != pidx || m.BackupID != loc.BackupID {
		return m, fmt.Errorf("manifest of partition %d names partition %d of backup %d: %w", pidx, m.PartitionIndex, m.BackupID, ErrCorrupt)
	}
	return m, nil
}

// DownloadCheckpoint downloads partition pidx of the backup at loc into
// dest (which must not exist), checking every file's size and CRC against
// the manifest. On any error dest is removed.
func DownloadCheckpoint(ctx context.Context, bs BlockService, loc Location, pidx int32, dest string, progress Progress) (Manifest, error) {
	m, err := ReadManifest(ctx, bs, loc, pidx)
	if err != nil {
		return m, err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return m, fmt.Errorf("download partition %d: %w", pidx, err)
	}
	for i, fi := range m.Files {
		if err := downloadFile(ctx, bs, loc.FilePath(pidx, fi.Name), filepath.Join(dest, filepath.FromSlash(fi.Name)), fi); err != nil {
			os.RemoveAll(dest)
			return m, fmt.Errorf("download partition %d: %w", pidx, err)
		}
		if progress != nil {
			progress(i+1, len(m.Files))
		}
	}
	syncDir(dest)
	return m, nil
}

func downloadFile(ctx context.Context, bs BlockService, remote, local string, want FileInfo) error {
	r, err := bs.Download(ctx, remote)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("file %s is missing: %w", want.Name, ErrCorrupt)
	}
	if err != nil {
		return err
	}
	defer r.Close()
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return err
	}
	f, err := os.Create(local)
	if err != nil {
		return err
	}
	h := crc32.New(castagnoli)
	n, err := io.Copy(f, io.TeeReader(r, h))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("file %s: %w", want.Name, err)
	}
	return checkFile(want, n, h.Sum32())
}

// checkFile compares a file's size and CRC with its manifest entry.
func checkFile(want FileInfo, size int64, crc uint32) error {
	if size != want.Size {
		return fmt.Errorf("file %s: size %d, manifest says %d: %w", want.Name, size, want.Size, ErrCorrupt)
	}
	if crc != want.CRC32C {
		return fmt.Errorf("file %s: crc32c %08x, manifest says %08x: %w", want.Name, crc, want.CRC32C, ErrCorrupt)
	}
	return nil
}

func putJSON(ctx context.Context, bs BlockService, p string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", p, err)
	}
	_, err = bs.Upload(ctx, p, bytes.NewReader(append(b, '\n')))
	return err
}

func getJSON(ctx context.Context, bs BlockService, p string, v any) error {
	r, err := bs.Download(ctx, p)
	if err != nil {
		return err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %v: %w", p, err, ErrCorrupt)
	}
	return nil
}
