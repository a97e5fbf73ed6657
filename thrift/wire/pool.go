package wire

import "sync"

var encoders = sync.Pool{New: func() any { return NewEncoder(nil) }}
var decoders = sync.Pool{New: func() any { return NewDecoder(nil) }}

// GetEncoder returns a pooled encoder appending to buf. Return it with
// PutEncoder once its Buf has been taken.
func GetEncoder(buf []byte) *Encoder {
	e := encoders.Get().(*Encoder)
	e.Buf = buf
	return e
}

// PutEncoder returns e to the pool; e must not be used afterwards.
func PutEncoder(e *Encoder) {
	e.Buf = nil
	encoders.Put(e)
}

// GetDecoder returns a pooled decoder reading buf.
func GetDecoder(buf []byte) *Decoder {
	d := decoders.Get().(*Decoder)
	d.Reset(buf)
	return d
}

// PutDecoder returns d to the pool; d must not be used afterwards.
func PutDecoder(d *Decoder) {
	d.Reset(nil)
	decoders.Put(d)
}
