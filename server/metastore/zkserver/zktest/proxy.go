package zktest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to a ZooKeeper server and can cut them,
// so a test can take one client's session away without touching the
// others: point that client at Proxy.Addr instead of the server.
type Proxy struct {
	Addr   string
	target string
	l      net.Listener

	mu    sync.Mutex // guards mode, conns
	mode  proxyMode
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

type proxyMode int

const (
	forwarding proxyMode = iota
	// refusing: every connection is closed at once, new ones too; the
	// client sees the disconnection immediately.
	refusing
	// stalled: connections stay open but nothing is delivered either way;
	// the client learns only from its own timeouts.
	stalled
)

// NewProxy listens on a free loopback port and forwards to target. It is
// closed when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: l.Addr().String(), target: target, l: l, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		if mode != refusing {
			p.conns[c] = struct{}{}
		}
		p.mu.Unlock()
		switch mode {
		case refusing:
			c.Close()
		case stalled:
			p.wg.Add(1)
			go p.swallow(c)
		default:
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				p.drop(c)
				continue
			}
			p.mu.Lock()
			p.conns[up] = struct{}{}
			p.mu.Unlock()
			p.wg.Add(2)
			go p.pipe(c, up)
			go p.pipe(up, c)
		}
	}
}

// pipe copies from src to dst while forwarding; once the proxy stalls it
// reads and discards, and any end closes both.
func (p *Proxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			mode := p.mode
			p.mu.Unlock()
			if mode == forwarding {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					err = werr
				}
			}
		}
		if err != nil {
			p.drop(src)
			p.drop(dst)
			return
		}
	}
}

func (p *Proxy) swallow(c net.Conn) {
	defer p.wg.Done()
	io.Copy(io.Discard, c)
	p.drop(c)
}

func (p *Proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) setMode(m proxyMode, closeAll bool) {
	p.mu.Lock()
	p.mode = m
	var victims []net.Conn
	if closeAll {
		for c := range p.conns {
			victims = append(victims, c)
		}
	}
	p.mu.Unlock()
	for _, c := range victims {
		p.drop(c)
	}
}

// Cut closes every connection and refuses new ones until Heal.
func (p *Proxy) Cut() { p.setMode(refusing, true) }

// Stall stops delivering bytes in both directions, keeping connections
// open, until Heal: a silent network partition.
func (p *Proxy) Stall() { p.setMode(stalled, false) }

// Heal forwards again. Connections open during a stall are closed, since
// bytes were lost; the client reconnects.
func (p *Proxy) Heal() { p.setMode(forwarding, true) }

func (p *Proxy) close() {
	p.l.Close()
	p.setMode(refusing, true)
	p.wg.Wait()
}
