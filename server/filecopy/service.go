// Package filecopy moves directories between servers over the RPC port: a
// server shares a directory (a RocksDB checkpoint for a learner, later a
// backup) under an unguessable session id; a peer lists it and fetches each
// file in bounded chunks, checking every chunk's and every file's CRC-32C,
// and installs the copy only when all of it arrived intact.
package filecopy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// MaxChunk bounds one fetch.
const MaxChunk = 4 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Service serves shared directories.
type Service struct {
	mu       sync.Mutex // guards sessions
	sessions map[string]*share
}

// share is one shared directory: its files as they were when shared.
type share struct {
	dir   string
	files []*replication.FileMeta
	byKey map[string]*replication.FileMeta
}

// NewService returns a service sharing nothing.
func NewService() *Service { return &Service{sessions: make(map[string]*share)} }

// Share makes dir (its regular files, recursively) fetchable and returns
// the session id and a function that ends the share. The files must not
// change while shared (a checkpoint's do not): their checksums are taken now.
func (s *Service) Share(dir string) (session string, release func(), err error) {
	sh := &share{dir: dir, byKey: make(map[string]*replication.FileMeta)}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		size, sum, err := checksumFile(path)
		if err != nil {
			return err
		}
		fm := &replication.FileMeta{Name: filepath.ToSlash(rel), Size: size, Crc32c: int32(sum)}
		sh.files = append(sh.files, fm)
		sh.byKey[fm.Name] = fm
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("share %s: %w", dir, err)
	}
	sort.Slice(sh.files, func(i, j int) bool { return sh.files[i].Name < sh.files[j].Name })
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", nil, fmt.Errorf("share %s: session id: %w", dir, err)
	}
	session = hex.EncodeToString(id[:])
	s.mu.Lock()
	s.sessions[session] = sh
	s.mu.Unlock()
	return session, func() {
		s.mu.Lock()
		delete(s.sessions, session)
		s.mu.Unlock()
	}, nil
}

func checksumFile(path string) (int64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, f)
	return n, h.Sum32(), err
}

func (s *Service) lookup(session string) *share {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[session]
}

// Register installs the list and fetch handlers on rs.
func (s *Service) Register(rs *rpc.Server) {
	rs.Handle(catalog.RPC_FILECOPY_LIST, s.handleList)
	rs.Handle(catalog.RPC_FILECOPY_FETCH, s.handleFetch)
}

func (s *Service) handleList(_ context.Context, req *rpc.Request) rpc.Reply {
	args := replication.NewFilecopyListFilesArgs()
	if err := req.DecodeArgs(args); err != nil || args.Req == nil {
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	resp := &replication.FilecopyListResponse{Err: base.NewErrorCode(base.ERR_OK), Files: []*replication.FileMeta{}}
	if sh := s.lookup(args.Req.Session); sh == nil {
		resp.Err = base.NewErrorCode(base.ERR_OBJECT_NOT_FOUND)
	} else {
		resp.Files = sh.files
	}
	return rpc.OK(&replication.FilecopyListFilesResult{Success: resp})
}

func (s *Service) handleFetch(_ context.Context, req *rpc.Request) rpc.Reply {
	args := replication.NewFilecopyFetchChunkArgs()
	if err := req.DecodeArgs(args); err != nil || args.Req == nil {
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	r := args.Req
	resp := &replication.FilecopyFetchResponse{Err: base.NewErrorCode(base.ERR_OK), Data: base.NewBlob(nil)}
	reply := func(e base.Errno) rpc.Reply {
		resp.Err = base.NewErrorCode(e)
		return rpc.OK(&replication.FilecopyFetchChunkResult{Success: resp})
	}
	sh := s.lookup(r.Session)
	if sh == nil {
		return reply(base.ERR_OBJECT_NOT_FOUND)
	}
	fm := sh.byKey[r.Name] // only listed names: no path escapes the share
	if fm == nil {
		return reply(base.ERR_PATH_NOT_FOUND)
	}
	if r.Offset < 0 || r.Offset > fm.Size || r.Length <= 0 || r.Length > MaxChunk {
		return reply(base.ERR_INVALID_PARAMETERS)
	}
	f, err := os.Open(filepath.Join(sh.dir, filepath.FromSlash(fm.Name)))
	if err != nil {
		return reply(base.ERR_FILE_OPERATION_FAILED)
	}
	defer f.Close()
	buf := make([]byte, r.Length)
	n, err := f.ReadAt(buf, r.Offset)
	if err != nil && err != io.EOF {
		return reply(base.ERR_FILE_OPERATION_FAILED)
	}
	resp.Data.Data = buf[:n]
	resp.Crc32c = int32(crc32.Checksum(buf[:n], castagnoli))
	return reply(base.ERR_OK)
}
