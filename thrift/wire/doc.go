// Package wire is Pegasus's thrift wire format at the byte level: the THFT
// request header (versions 0 and 1), the reply frame, and a thrift binary
// protocol that reads from and appends to byte slices.
//
// Generated thrift structs read and write through Decoder and Encoder, which
// implement thrift.TProtocol without any transport underneath: a frame is
// read whole from the connection first, then decoded in place. Every length
// read from the wire is checked against the bytes that remain, so a
// malformed frame yields an error rather than a large allocation or a panic.
package wire
