package replica

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/server/replica/peerwire"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// failures signals each "peer send failed" log record.
type failures struct {
	slog.Handler
	ch chan struct{}
}

func (f failures) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "peer send failed") {
		select {
		case f.ch <- struct{}{}:
		default:
		}
	}
	return nil
}

func (f failures) Enabled(context.Context, slog.Level) bool { return true }

// A peer that refused a connection a moment ago gets the messages queued
// during the backoff once it is back, instead of losing them (a lost
// prepare held its writes until the state machine resent it a second
// later, after every restart of a replica server).
func TestPeerMessagesWaitOutTheBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	to := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close() // down until the test starts a server there

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	failed := make(chan struct{}, 16)
	p := newPeers(ctx, &wg, slog.New(failures{slog.Default().Handler(), failed}))
	p.redialMin, p.redialMax = 2*time.Second, 2*time.Second
	defer p.close()

	ack := func(decree int64) peerwire.Envelope {
		return peerwire.Envelope{Msg: pacifica.Message{
			Type: pacifica.MsgPrepareAck, Pid: base.Gpid{Appid: 1, PartitionIndex: 0},
			From: netip.MustParseAddrPort("127.0.0.1:1"), To: to, Ballot: 3, Decree: decree, AckBallot: 3,
		}}
	}
	p.send(ack(1))
	select {
	case <-failed:
	case <-time.After(10 * time.Second):
		t.Fatal("the first send to a closed port did not fail")
	}

	got := make(chan int64, 16)
	rs := rpc.NewServer(rpc.ServerOptions{})
	for _, name := range peerwire.Names() {
		rs.Handle(name, func(_ context.Context, req *rpc.Request) rpc.Reply {
			if e, err := peerwire.Decode(req); err == nil {
				got <- e.Msg.Decree
			}
			return rpc.Reply{Silent: true}
		})
	}
	ln, err = net.Listen("tcp", to.String())
	if err != nil {
		t.Fatalf("listen again on %v: %v", to, err)
	}
	go rs.Serve(ln)
	defer rs.Close()

	sent := time.Now()
	p.send(ack(2)) // inside the backoff: held, not dropped
	select {
	case d := <-got:
		if d != 2 {
			t.Fatalf("received decree %d, want 2 (1 was lost with the failed dial)", d)
		}
		if waited := time.Since(sent); waited < time.Second {
			t.Errorf("delivered after %v, inside the 2 s backoff", waited)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a message queued during the backoff never arrived")
	}
	select {
	case d := <-got:
		t.Fatalf("unexpected second message, decree %d", d)
	case <-time.After(100 * time.Millisecond):
	}
}
