package rpc

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTP shares the RPC port, as upstream does: a connection whose first
// bytes are an HTTP method is handed to an http.Server instead of the
// thrift reader, so `curl host:34601/metrics` works.

var httpMethods = [][]byte{[]byte("GET "), []byte("POST"), []byte("HEAD"), []byte("PUT "), []byte("DELE"), []byte("OPTI")}

// isHTTP reports whether a connection's first four bytes start an HTTP request.
func isHTTP(first []byte) bool {
	for _, m := range httpMethods {
		if bytes.Equal(first, m) {
			return true
		}
	}
	return false
}

// connListener feeds connections detected as HTTP to an http.Server.
type connListener struct {
	addr   net.Addr
	conns  chan net.Conn
	once   sync.Once
	closed chan struct{}
}

func newConnListener() *connListener {
	return &connListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *connListener) Addr() net.Addr {
	if l.addr != nil {
		return l.addr
	}
	return &net.TCPAddr{}
}

// hand gives c to the HTTP server; false if it is shutting down.
func (l *connListener) hand(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

// peekedConn replays the bytes already buffered while sniffing.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// httpFront runs the HTTP side of a Server.
type httpFront struct {
	ln  *connListener
	srv *http.Server
	wg  sync.WaitGroup
}

func startHTTP(h http.Handler) *httpFront {
	f := &httpFront{ln: newConnListener(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		if err := f.srv.Serve(f.ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			_ = err // the listener only fails when closed
		}
	}()
	return f
}

func (f *httpFront) close() {
	f.srv.Close()
	f.ln.Close()
	f.wg.Wait()
}
