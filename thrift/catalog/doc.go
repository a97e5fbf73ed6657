// Package catalog is the RPC catalogue of protocol.md §2: for every RPC name
// a client may send, where it is served (Target), what kind of operation it
// is (Class), whether it is one-way, and the generated thrift structs that
// wrap its argument (the "args" struct, field id 1) and its reply (the
// "result" struct, field id 0 "success").
//
// A server decodes a request body like this:
//
//	name, _, seqid, err := prot.ReadMessageBegin(ctx)
//	e, ok := catalog.Lookup(name)
//	if !ok || e.Reserved {
//		// reply ERR_HANDLER_NOT_FOUND, named catalog.ReplyName(name)
//	}
//	args := e.NewArgs()
//	if err := args.Read(ctx, prot); err != nil { ... }
//	req, _ := e.Request(args) // e.g. *rrdb.UpdateRequest for RPC_RRDB_RRDB_PUT
//
// and encodes the reply with
//
//	result, err := e.NewResultWith(resp) // resp e.g. *rrdb.UpdateResponse
//	prot.WriteMessageBegin(ctx, e.ReplyName(), thrift.REPLY, seqid)
//	result.Write(ctx, prot)
//
// Reserved names (server-internal RPCs of §2.2/§2.3) are known but carry no
// types, so a server can tell "unknown name" from "known but not served";
// both are answered with ERR_HANDLER_NOT_FOUND.
package catalog
