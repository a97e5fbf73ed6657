package metastore

import (
	"net"
	"time"

	"github.com/go-zookeeper/zk"
)

// boundHandshake wraps dial so that a server which takes a connection but
// never answers the session handshake is given up on after limit.
//
// go-zookeeper waits ten receive timeouts for that answer (40 s with a
// 6 s session), while the server expires the session after its timeout: a
// ZooKeeper restarted under a client that reconnected while it was still
// starting left the client connected without a session until the session
// was gone (TestZooKeeperRestart, once in CI). A third of the session
// timeout leaves time for another attempt (go-zookeeper pauses a second
// after trying every server) before the session expires; the Java client
// also bounds its handshake by the session timeout.
func boundHandshake(dial zk.Dialer, limit time.Duration) zk.Dialer {
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		c, err := dial(network, address, timeout)
		if err != nil {
			return nil, err
		}
		return &handshakeConn{Conn: c, limit: limit}, nil
	}
}

// handshakeConn caps the first read deadline set on a connection: the one
// go-zookeeper sets for the handshake's answer. Later deadlines (its
// receive loop's, a receive timeout each, set after the handshake by the
// goroutine it starts then) pass unchanged.
type handshakeConn struct {
	net.Conn
	capped bool // set by the first SetReadDeadline; the handshake happens-before the receive loop
	limit  time.Duration
}

func (c *handshakeConn) SetReadDeadline(t time.Time) error {
	if !c.capped && !t.IsZero() {
		c.capped = true
		if latest := time.Now().Add(c.limit); t.After(latest) {
			t = latest
		}
	}
	return c.Conn.SetReadDeadline(t)
}
