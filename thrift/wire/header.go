package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/thrift/lib/go/thrift"
)

// Sizes and constants of the THFT request header (protocol.md §1.2).
const (
	HeaderV0Size    = 48 // fixed header of version 0, as the Go client sends it
	HeaderV1Size    = 16 // fixed part of version 1, followed by a thrift request_meta
	maxV1MetaLength = 4096
	// DefaultMaxBodySize caps one request body; legitimate multi_puts can be
	// tens of MB, so the cap is generous.
	DefaultMaxBodySize = 128 << 20
	// maxNameLength bounds an RPC name; every real name is under 48 bytes.
	maxNameLength = 256
)

// Signature is the four bytes that start every thrift request frame.
var Signature = [4]byte{'T', 'H', 'F', 'T'}

// Errors that make a server close the connection without replying.
var (
	ErrBadSignature    = errors.New("wire: frame does not start with THFT")
	ErrBadVersion      = errors.New("wire: unsupported header version")
	ErrBadHeaderLength = errors.New("wire: header length is not 48")
	ErrFrameTooLarge   = errors.New("wire: frame body exceeds the size limit")
	ErrBadMessageType  = errors.New("wire: message type is neither CALL nor ONEWAY")
	ErrBadMessage      = errors.New("wire: malformed message begin")
)

// Header is the routing information in front of a request (both versions).
type Header struct {
	Version        uint32 // 0 (Go client) or 1 (Java client)
	AppID          int32  // table id; 0 for meta, node admin and remote commands
	PartitionIndex int32
	ClientTimeout  uint32 // milliseconds; advisory only
	ThreadHash     int32  // AppID*7919 + PartitionIndex; a dispatch hint
	PartitionHash  uint64 // hash of the hash key, or 0
	BackupRequest  bool   // v1 only: a read a secondary may serve
}

// ThreadHash is the dispatch hint clients put in the header.
func ThreadHash(appID, partitionIndex int32) int32 { return appID*7919 + partitionIndex }

// Request is one decoded request frame. Args holds the encoded args struct
// (the bytes after the message begin); it aliases the frame buffer.
type Request struct {
	Header Header
	Name   []byte // RPC name; aliases the frame buffer
	Type   thrift.TMessageType
	Seqid  int32
	Args   []byte
	Body   []byte // the whole thrift message
}

// ReadRequest reads one request frame from r. buf is scratch space that
// may be reused across calls (the returned slices alias it); the grown
// buffer is returned. Any error means the connection must be closed.
func ReadRequest(r io.Reader, buf []byte, maxBody int) (Request, []byte, error) {
	var req Request
	if maxBody <= 0 {
		maxBody = DefaultMaxBodySize
	}
	// The fixed header is read into buf too (a local array would escape
	// through the io.Reader and cost an allocation per frame).
	buf = grow(buf, HeaderV0Size)
	fixed := buf[:HeaderV0Size]
	if _, err := io.ReadFull(r, fixed[:8]); err != nil {
		return req, buf, err
	}
	if [4]byte(fixed[:4]) != Signature {
		return req, buf, ErrBadSignature
	}
	req.Header.Version = binary.BigEndian.Uint32(fixed[4:8])
	var bodyLen uint32
	var headerLen int
	switch req.Header.Version {
	case 0:
		if _, err := io.ReadFull(r, fixed[8:HeaderV0Size]); err != nil {
			return req, buf, unexpected(err)
		}
		if binary.BigEndian.Uint32(fixed[8:12]) != HeaderV0Size {
			return req, buf, ErrBadHeaderLength
		}
		bodyLen = binary.BigEndian.Uint32(fixed[16:20])
		h := &req.Header
		h.AppID = int32(binary.BigEndian.Uint32(fixed[24:28]))
		h.PartitionIndex = int32(binary.BigEndian.Uint32(fixed[28:32]))
		h.ClientTimeout = binary.BigEndian.Uint32(fixed[32:36])
		h.ThreadHash = int32(binary.BigEndian.Uint32(fixed[36:40]))
		h.PartitionHash = binary.BigEndian.Uint64(fixed[40:48])
		headerLen = HeaderV0Size
	case 1:
		if _, err := io.ReadFull(r, fixed[8:HeaderV1Size]); err != nil {
			return req, buf, unexpected(err)
		}
		metaLen := binary.BigEndian.Uint32(fixed[8:12])
		bodyLen = binary.BigEndian.Uint32(fixed[12:16])
		if metaLen > maxV1MetaLength {
			return req, buf, fmt.Errorf("wire: v1 meta of %d bytes: %w", metaLen, ErrFrameTooLarge)
		}
		buf = grow(buf, HeaderV1Size+int(metaLen))
		meta := buf[HeaderV1Size : HeaderV1Size+int(metaLen)]
		if _, err := io.ReadFull(r, meta); err != nil {
			return req, buf, unexpected(err)
		}
		if err := decodeRequestMeta(meta, &req.Header); err != nil {
			return req, buf, err
		}
		headerLen = HeaderV1Size + int(metaLen)
	default:
		return req, buf, fmt.Errorf("%w %d", ErrBadVersion, req.Header.Version)
	}
	if uint64(bodyLen) > uint64(maxBody) {
		return req, buf, fmt.Errorf("wire: body of %d bytes (limit %d): %w", bodyLen, maxBody, ErrFrameTooLarge)
	}
	buf = grow(buf, headerLen+int(bodyLen))
	body := buf[headerLen : headerLen+int(bodyLen)]
	if _, err := io.ReadFull(r, body); err != nil {
		return req, buf, unexpected(err)
	}
	if err := parseCall(body, &req); err != nil {
		return req, buf, err
	}
	return req, buf, nil
}

// ParseRequest decodes a request frame held entirely in frame.
func ParseRequest(frame []byte, maxBody int) (Request, error) {
	r := &sliceReader{b: frame}
	req, _, err := ReadRequest(r, nil, maxBody)
	if err == nil && len(r.b) != 0 {
		err = fmt.Errorf("wire: %d bytes after the request body", len(r.b))
	}
	return req, err
}

type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

func parseCall(body []byte, req *Request) error {
	d := Decoder{buf: body}
	name, typ, seqid, err := d.readMessageBegin()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if len(name) == 0 || len(name) > maxNameLength {
		return fmt.Errorf("%w: name of %d bytes", ErrBadMessage, len(name))
	}
	if typ != thrift.CALL && typ != thrift.ONEWAY {
		return fmt.Errorf("%w: type %d", ErrBadMessageType, typ)
	}
	req.Name, req.Type, req.Seqid = name, typ, seqid
	req.Args = body[d.pos:]
	req.Body = body
	return nil
}

// decodeRequestMeta reads the v1 header's thrift request_meta struct.
func decodeRequestMeta(b []byte, h *Header) error {
	d := NewDecoder(b)
	ctx := context.Background()
	for {
		_, t, id, err := d.ReadFieldBegin(ctx)
		if err != nil {
			return fmt.Errorf("wire: v1 request meta: %w", err)
		}
		if t == thrift.STOP {
			break
		}
		switch {
		case id == 1 && t == thrift.I32:
			h.AppID, err = d.ReadI32(ctx)
		case id == 2 && t == thrift.I32:
			h.PartitionIndex, err = d.ReadI32(ctx)
		case id == 3 && t == thrift.I32:
			var v int32
			v, err = d.ReadI32(ctx)
			h.ClientTimeout = uint32(v)
		case id == 4 && t == thrift.I64:
			var v int64
			v, err = d.ReadI64(ctx)
			h.PartitionHash = uint64(v)
		case id == 5 && t == thrift.BOOL:
			h.BackupRequest, err = d.ReadBool(ctx)
		default:
			err = d.Skip(ctx, t)
		}
		if err != nil {
			return fmt.Errorf("wire: v1 request meta field %d: %w", id, err)
		}
	}
	h.ThreadHash = ThreadHash(h.AppID, h.PartitionIndex)
	return nil
}

// AppendRequest appends a version-0 request frame for one call: header,
// strict message begin, and args (nil args writes an empty struct).
func AppendRequest(buf []byte, h Header, name string, typ thrift.TMessageType, seqid int32, args thrift.TStruct) ([]byte, error) {
	start := len(buf)
	buf = append(buf, make([]byte, HeaderV0Size)...)
	hdr := buf[start:]
	copy(hdr[0:4], Signature[:])
	binary.BigEndian.PutUint32(hdr[4:8], 0)
	binary.BigEndian.PutUint32(hdr[8:12], HeaderV0Size)
	binary.BigEndian.PutUint32(hdr[24:28], uint32(h.AppID))
	binary.BigEndian.PutUint32(hdr[28:32], uint32(h.PartitionIndex))
	binary.BigEndian.PutUint32(hdr[32:36], h.ClientTimeout)
	binary.BigEndian.PutUint32(hdr[36:40], uint32(ThreadHash(h.AppID, h.PartitionIndex)))
	binary.BigEndian.PutUint64(hdr[40:48], h.PartitionHash)
	e := GetEncoder(buf)
	defer PutEncoder(e)
	ctx := context.Background()
	_ = e.WriteMessageBegin(ctx, name, typ, seqid)
	if args != nil {
		if err := args.Write(ctx, e); err != nil {
			return buf[:start], fmt.Errorf("wire: encode %s args: %w", name, err)
		}
	} else {
		_ = e.WriteFieldStop(ctx)
	}
	buf = e.Buf
	binary.BigEndian.PutUint32(buf[start+16:start+20], uint32(len(buf)-start-HeaderV0Size))
	return buf, nil
}

// grow returns buf resized to n bytes, keeping its contents.
func grow(buf []byte, n int) []byte {
	if cap(buf) >= n {
		return buf[:n]
	}
	out := make([]byte, n, n+n/4)
	copy(out, buf)
	return out
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
