package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/thrift/lib/go/thrift"
)

// ReplySuffix turns a request name into its reply name.
const ReplySuffix = "_ACK"

// maxReplyName is upstream's limit on a reply name (a 48-byte buffer
// holding a NUL-terminated string).
const maxReplyName = 47

// DefaultMaxReplySize caps a reply frame a client accepts.
const DefaultMaxReplySize = 256 << 20

// ReplyName is the name a reply to the named request carries.
func ReplyName(request string) string {
	n := request + ReplySuffix
	if len(n) > maxReplyName {
		n = n[:maxReplyName]
	}
	return n
}

// AppendReply appends a reply frame: total length (counting itself), the
// transport error name, a strict REPLY message begin with the reply name
// and seqid, then — only when errName is ERR_OK and result is not nil —
// the result struct (field 0 holds the response value).
func AppendReply(buf []byte, errName string, request string, seqid int32, result thrift.TStruct) ([]byte, error) {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0)
	e := GetEncoder(buf)
	defer PutEncoder(e)
	ctx := context.Background()
	e.appendString(errName)
	_ = e.WriteMessageBegin(ctx, ReplyName(request), thrift.REPLY, seqid)
	if errName == "ERR_OK" && result != nil {
		if err := result.Write(ctx, e); err != nil {
			return buf[:start], fmt.Errorf("wire: encode %s result: %w", request, err)
		}
	}
	buf = e.Buf
	binary.BigEndian.PutUint32(buf[start:start+4], uint32(len(buf)-start))
	return buf, nil
}

// Reply is one decoded reply frame. Result aliases the frame and is empty
// when the server sent no result struct.
type Reply struct {
	Err    string // transport error name, e.g. ERR_OK
	Name   string // reply name, e.g. RPC_RRDB_RRDB_GET_ACK
	Seqid  int32
	Result []byte
}

// ReadReplyFrame reads one reply frame (its 4-byte length included) from r,
// returning the frame without the length prefix in a buffer from alloc
// (make when nil).
func ReadReplyFrame(r io.Reader, alloc func(n int) []byte, maxSize int) ([]byte, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxReplySize
	}
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	total := binary.BigEndian.Uint32(l[:])
	if total < 4 || uint64(total) > uint64(maxSize) {
		return nil, fmt.Errorf("wire: reply frame of %d bytes (limit %d): %w", total, maxSize, ErrFrameTooLarge)
	}
	var buf []byte
	if alloc != nil {
		buf = alloc(int(total - 4))
	} else {
		buf = make([]byte, total-4)
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		return buf, unexpected(err)
	}
	return buf, nil
}

// ParseReply decodes a reply frame without its length prefix.
func ParseReply(frame []byte) (Reply, error) {
	var rep Reply
	d := Decoder{buf: frame}
	errName, err := d.sized("error name")
	if err != nil {
		return rep, fmt.Errorf("wire: reply error name: %w", err)
	}
	if len(errName) == 0 || len(errName) > maxNameLength {
		return rep, fmt.Errorf("%w: error name of %d bytes", ErrBadMessage, len(errName))
	}
	name, typ, seqid, err := d.readMessageBegin()
	if err != nil {
		return rep, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if typ != thrift.REPLY {
		return rep, fmt.Errorf("%w: reply has message type %d", ErrBadMessage, typ)
	}
	rep.Err = string(errName)
	rep.Name = string(name)
	rep.Seqid = seqid
	rep.Result = frame[d.pos:]
	return rep, nil
}

// ErrNoResult reports an ERR_OK reply that carried no result struct.
var ErrNoResult = errors.New("wire: reply has no result struct")

// DecodeResult decodes a reply's result struct into result.
func DecodeResult(rep Reply, result thrift.TStruct) error {
	if len(rep.Result) == 0 {
		return ErrNoResult
	}
	return DecodeStruct(rep.Result, result)
}

// DecodeStruct decodes one struct from b into v, requiring that it ends
// exactly at the end of b.
func DecodeStruct(b []byte, v thrift.TStruct) error {
	d := GetDecoder(b)
	defer PutDecoder(d)
	if err := v.Read(context.Background(), d); err != nil {
		return err
	}
	if d.pos != len(b) {
		return fmt.Errorf("wire: %d trailing bytes after struct", len(b)-d.pos)
	}
	return nil
}

// EncodeStruct appends v's encoding to buf.
func EncodeStruct(buf []byte, v thrift.TStruct) ([]byte, error) {
	e := GetEncoder(buf)
	defer PutEncoder(e)
	if err := v.Write(context.Background(), e); err != nil {
		return buf, err
	}
	return e.Buf, nil
}
