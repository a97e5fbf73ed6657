package catalog

import (
	"fmt"

	"github.com/apache/thrift/lib/go/thrift"
)

// Target says which server process serves an RPC (protocol.md §2.1).
type Target int

// Targets.
const (
	// Replica: the primary (or, for backup reads, a secondary) of the
	// partition named by the header's app_id and partition_index.
	Replica Target = iota + 1
	// Meta: the leader meta server; header app_id = partition_index = 0.
	Meta
	// ReplicaAdmin: a replica server as a node; header app_id =
	// partition_index = 0.
	ReplicaAdmin
	// Any: every server process (remote commands, authentication).
	Any
)

func (t Target) String() string {
	switch t {
	case Replica:
		return "R"
	case Meta:
		return "M"
	case ReplicaAdmin:
		return "R0"
	case Any:
		return "Any"
	}
	return fmt.Sprintf("Target(%d)", int(t))
}

// Class is the kind of operation.
type Class int

// Classes.
const (
	// Read does not change table data.
	Read Class = iota + 1
	// Write changes table data and goes through replication.
	Write
	// Admin is a cluster or node management operation.
	Admin
)

func (c Class) String() string {
	switch c {
	case Read:
		return "read"
	case Write:
		return "write"
	case Admin:
		return "admin"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// maxNameLen is the longest RPC name the upstream server keeps (a 48-byte
// buffer including the terminating NUL, protocol.md §1.2.4 and §1.3).
const maxNameLen = 47

// Entry describes one RPC. The zero Entry is not valid; get entries from
// Lookup or All.
type Entry struct {
	// Name is the request's thrift message name, e.g. "RPC_RRDB_RRDB_PUT".
	Name   string
	Target Target
	Class  Class
	// Oneway RPCs never get a reply (RPC_RRDB_RRDB_CLEAR_SCANNER).
	Oneway bool
	// Reserved names are server-internal RPCs this implementation knows by
	// name only; they have no args or result types.
	Reserved bool

	newArgs     func() thrift.TStruct
	newResult   func() thrift.TStruct
	request     func(args thrift.TStruct) (any, error)
	setRequest  func(args thrift.TStruct, v any) error
	response    func(result thrift.TStruct) (any, error)
	setResponse func(result thrift.TStruct, v any) error
}

// ReplyName is the thrift message name of the reply: the request name with
// "_ACK" appended, cut to the 47 bytes the upstream server keeps.
func (e Entry) ReplyName() string { return ReplyName(e.Name) }

// ReplyName returns name+"_ACK" cut to 47 bytes; it also serves names that
// are not in the catalogue (an ERR_HANDLER_NOT_FOUND reply uses it).
func ReplyName(name string) string {
	s := name + "_ACK"
	if len(s) > maxNameLen {
		s = s[:maxNameLen]
	}
	return s
}

// NewArgs returns a new, empty generated args struct (e.g.
// *rrdb.RrdbPutArgs), or nil for a reserved name.
func (e Entry) NewArgs() thrift.TStruct {
	if e.newArgs == nil {
		return nil
	}
	return e.newArgs()
}

// NewResult returns a new, empty generated result struct (e.g.
// *rrdb.RrdbPutResult), or nil for one-way RPCs and reserved names.
func (e Entry) NewResult() thrift.TStruct {
	if e.newResult == nil {
		return nil
	}
	return e.newResult()
}

// Request returns field 1 of args, the RPC's argument, with the Go type of
// the generated field: a pointer to the request struct (or *base.Blob for
// get/remove/ttl/sortkey_count), int64 for clear_scanner. args must come
// from this entry's NewArgs.
func (e Entry) Request(args thrift.TStruct) (any, error) {
	if e.request == nil {
		return nil, fmt.Errorf("%s: no args type", e.Name)
	}
	return e.request(args)
}

// SetRequest stores v as field 1 of args. v must have the type Request
// returns.
func (e Entry) SetRequest(args thrift.TStruct, v any) error {
	if e.setRequest == nil {
		return fmt.Errorf("%s: no args type", e.Name)
	}
	return e.setRequest(args, v)
}

// Response returns field 0 ("success") of result: a pointer to the response
// struct, or *string for RPC_CLI_CLI_CALL. It is nil if the field is unset.
func (e Entry) Response(result thrift.TStruct) (any, error) {
	if e.response == nil {
		return nil, fmt.Errorf("%s: no result type", e.Name)
	}
	return e.response(result)
}

// SetResponse stores v as field 0 of result. v must have the type Response
// returns; for RPC_CLI_CLI_CALL a plain string is accepted too.
func (e Entry) SetResponse(result thrift.TStruct, v any) error {
	if e.setResponse == nil {
		return fmt.Errorf("%s: no result type", e.Name)
	}
	return e.setResponse(result, v)
}

// NewArgsWith returns a new args struct holding req.
func (e Entry) NewArgsWith(req any) (thrift.TStruct, error) {
	args := e.NewArgs()
	if args == nil {
		return nil, fmt.Errorf("%s: no args type", e.Name)
	}
	if err := e.SetRequest(args, req); err != nil {
		return nil, err
	}
	return args, nil
}

// NewResultWith returns a new result struct holding resp.
func (e Entry) NewResultWith(resp any) (thrift.TStruct, error) {
	result := e.NewResult()
	if result == nil {
		return nil, fmt.Errorf("%s: no result type", e.Name)
	}
	if err := e.SetResponse(result, resp); err != nil {
		return nil, err
	}
	return result, nil
}

// structPtr is a pointer to a generated struct.
type structPtr[T any] interface {
	*T
	thrift.TStruct
}

// withArgs fills the args half of e. field returns the address of the args
// struct's single field, which serves both to get and to set it.
func withArgs[A any, PA structPtr[A], F any](e Entry, field func(PA) *F) Entry {
	e.newArgs = func() thrift.TStruct { return PA(new(A)) }
	e.request = func(s thrift.TStruct) (any, error) {
		p, ok := s.(PA)
		if !ok || p == nil {
			return nil, fmt.Errorf("%s: args is %T, want %T", e.Name, s, p)
		}
		return *field(p), nil
	}
	e.setRequest = func(s thrift.TStruct, v any) error {
		p, ok := s.(PA)
		if !ok || p == nil {
			return fmt.Errorf("%s: args is %T, want %T", e.Name, s, p)
		}
		f, ok := v.(F)
		if !ok {
			return fmt.Errorf("%s: request is %T, want %T", e.Name, v, f)
		}
		*field(p) = f
		return nil
	}
	return e
}

// withResult fills the result half of e, like withArgs.
func withResult[R any, PR structPtr[R], F any](e Entry, field func(PR) *F) Entry {
	e.newResult = func() thrift.TStruct { return PR(new(R)) }
	e.response = func(s thrift.TStruct) (any, error) {
		p, ok := s.(PR)
		if !ok || p == nil {
			return nil, fmt.Errorf("%s: result is %T, want %T", e.Name, s, p)
		}
		return *field(p), nil
	}
	e.setResponse = func(s thrift.TStruct, v any) error {
		p, ok := s.(PR)
		if !ok || p == nil {
			return fmt.Errorf("%s: result is %T, want %T", e.Name, s, p)
		}
		switch f := v.(type) {
		case F:
			*field(p) = f
			return nil
		case string:
			// The remote-command result is an optional string field, i.e.
			// *string; accept the plain string callers naturally have.
			if sp, ok := any(field(p)).(**string); ok {
				*sp = &f
				return nil
			}
		}
		var want F
		return fmt.Errorf("%s: response is %T, want %T", e.Name, v, want)
	}
	return e
}

// call describes a two-way RPC.
func call[A any, PA structPtr[A], Q any, R any, PR structPtr[R], S any](
	name string, target Target, class Class, arg func(PA) *Q, res func(PR) *S) Entry {
	e := Entry{Name: name, Target: target, Class: class}
	return withResult(withArgs(e, arg), res)
}

// oneway describes an RPC without a reply.
func oneway[A any, PA structPtr[A], Q any](name string, target Target, class Class, arg func(PA) *Q) Entry {
	return withArgs(Entry{Name: name, Target: target, Class: class, Oneway: true}, arg)
}

// reserved describes an internal RPC known by name only.
func reserved(name string, target Target, class Class) Entry {
	return Entry{Name: name, Target: target, Class: class, Reserved: true}
}
