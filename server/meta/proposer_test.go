package meta

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// proposalSink is a replica server that only records proposals.
type proposalSink struct {
	rs   *rpc.Server
	done chan error
	got  chan *replication.ConfigurationUpdateRequest
}

func listenSink(t *testing.T, addr string) *proposalSink {
	t.Helper()
	var (
		l   net.Listener
		err error
	)
	for range 50 { // the port of a closed sink may take a moment to free
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := &proposalSink{rs: rpc.NewServer(rpc.ServerOptions{Logger: quietLog}), done: make(chan error, 1),
		got: make(chan *replication.ConfigurationUpdateRequest, 16)}
	s.rs.Handle(catalog.RPC_CONFIG_PROPOSAL, func(_ context.Context, req *rpc.Request) rpc.Reply {
		args := &replication.ReplicationConfigProposalArgs{}
		if err := req.DecodeArgs(args); err == nil {
			s.got <- args.Proposal
		}
		return rpc.Reply{Silent: true}
	})
	go func() { s.done <- s.rs.Serve(l) }()
	return s
}

func (s *proposalSink) close() {
	s.rs.Close()
	<-s.done
}

func (s *proposalSink) expect(t *testing.T, ballot int64) {
	t.Helper()
	select {
	case p := <-s.got:
		if p.Config.Ballot != ballot || p.Info.AtomicIdempotent == nil {
			t.Fatalf("proposal %+v, want ballot %d", p, ballot)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no proposal with ballot %d", ballot)
	}
}

// TestProposerReconnects: one connection per replica server, redialled
// after the server restarts; proposals to a dead server are dropped
// without blocking others.
func TestProposerReconnects(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := newProposer(ctx, quietLog, 4)
	defer func() { cancel(); p.close() }()

	l, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the sink to come back on
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	sink := listenSink(t, addr)
	target := mustAddrPort(t, addr)
	proposal := func(ballot int64) *replication.ConfigurationUpdateRequest {
		return toUpdateRequest(ConfigUpdate{App: App{ID: 1}, Config: Partition{Pid: base.Gpid{Appid: 1}, Ballot: ballot}, Node: target})
	}

	p.send(target, proposal(1))
	sink.expect(t, 1)
	sink.close()
	// The old connection breaks; sends fail until the server is back.
	p.send(target, proposal(2))
	sink = listenSink(t, addr)
	defer sink.close()
	deadline := time.Now().Add(5 * time.Second)
	for ballot := int64(3); ; ballot++ {
		p.send(target, proposal(ballot))
		select {
		case got := <-sink.got:
			if got.Config.Ballot < 2 {
				t.Fatalf("stale proposal %d", got.Config.Ballot)
			}
			// A dead server does not hold up another one.
			p.send(rs(99), proposal(100))
			p.send(target, proposal(1000))
			for {
				select {
				case got := <-sink.got:
					if got.Config.Ballot == 1000 {
						return
					}
				case <-time.After(5 * time.Second):
					t.Fatal("proposal after a dead server's was not delivered")
				}
			}
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("proposals never reached the restarted server")
		}
	}
}
