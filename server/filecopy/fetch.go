package filecopy

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// ErrChecksum is wrapped when a chunk or a file does not match its CRC.
var ErrChecksum = errors.New("filecopy: checksum mismatch")

// Progress is told the bytes copied so far out of the total.
type Progress func(done, total int64)

// Fetch copies the directory shared as session on the server behind conn
// into dest, which must not exist: files go to dest+".tmp" first and the
// directory is renamed into place only when every file arrived intact.
func Fetch(ctx context.Context, conn *rpc.Conn, session, dest string, progress Progress) error {
	res := replication.NewFilecopyListFilesResult()
	err := conn.Call(ctx, wire.Header{}, catalog.RPC_FILECOPY_LIST, &replication.FilecopyListFilesArgs{Req: &replication.FilecopyListRequest{Session: session}}, res)
	if err != nil {
		return fmt.Errorf("filecopy: list %s: %w", session, err)
	}
	if res.Success == nil || res.Success.Err.Code() != base.ERR_OK {
		return fmt.Errorf("filecopy: list %s: %s", session, res.Success.GetErr().Code())
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("filecopy: %s already exists", dest)
	}
	tmp := dest + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("filecopy: %w", err)
	}
	var total, done int64
	for _, f := range res.Success.Files {
		total += f.Size
	}
	for _, f := range res.Success.Files {
		if err := fetchFile(ctx, conn, session, tmp, f, func(n int64) {
			done += n
			if progress != nil {
				progress(done, total)
			}
		}); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil { // an empty share
		return fmt.Errorf("filecopy: %w", err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("filecopy: install %s: %w", dest, err)
	}
	return nil
}

// localPath maps a listed name into dir, refusing names that would escape it.
func localPath(dir, name string) (string, error) {
	clean := path.Clean(name)
	if name == "" || path.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../") || clean != name {
		return "", fmt.Errorf("filecopy: unsafe file name %q", name)
	}
	return filepath.Join(dir, filepath.FromSlash(clean)), nil
}

func fetchFile(ctx context.Context, conn *rpc.Conn, session, dir string, f *replication.FileMeta, advance func(int64)) error {
	p, err := localPath(dir, f.Name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("filecopy: %w", err)
	}
	out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("filecopy: %w", err)
	}
	defer out.Close()
	sum := crc32.New(castagnoli)
	for off := int64(0); off < f.Size; {
		n := int32(MaxChunk)
		if rest := f.Size - off; rest < int64(n) {
			n = int32(rest)
		}
		res := replication.NewFilecopyFetchChunkResult()
		req := &replication.FilecopyFetchRequest{Session: session, Name: f.Name, Offset: off, Length: n}
		if err := conn.Call(ctx, wire.Header{}, catalog.RPC_FILECOPY_FETCH, &replication.FilecopyFetchChunkArgs{Req: req}, res); err != nil {
			return fmt.Errorf("filecopy: fetch %s at %d: %w", f.Name, off, err)
		}
		r := res.Success
		if r == nil || r.Err.Code() != base.ERR_OK {
			return fmt.Errorf("filecopy: fetch %s at %d: %s", f.Name, off, r.GetErr().Code())
		}
		data := r.Data.Bytes()
		if len(data) == 0 {
			return fmt.Errorf("filecopy: %s ends at %d, listed as %d bytes", f.Name, off, f.Size)
		}
		if int32(crc32.Checksum(data, castagnoli)) != r.Crc32c {
			return fmt.Errorf("%w: %s chunk at %d", ErrChecksum, f.Name, off)
		}
		if _, err := out.Write(data); err != nil {
			return fmt.Errorf("filecopy: %w", err)
		}
		sum.Write(data)
		off += int64(len(data))
		advance(int64(len(data)))
	}
	if int32(sum.Sum32()) != f.Crc32c {
		return fmt.Errorf("%w: %s", ErrChecksum, f.Name)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("filecopy: %w", err)
	}
	return out.Close()
}
