package peerwire

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/gen/replication"
	"github.com/pegasus-go/pegasus/thrift/rpc"
	"github.com/pegasus-go/pegasus/thrift/wire"
)

// decodeBytes decodes b as the args of RPC name, turning a panic into a
// test failure.
func decodeBytes(t *testing.T, name string, b []byte) (e Envelope, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("Decode(%s, % x) panicked: %v", name, b, p)
		}
	}()
	return Decode(&rpc.Request{Name: name, Args: b})
}

func TestDecodeTruncated(t *testing.T) {
	for seed := range uint64(50) {
		e := newGen(seed).envelope(msgTypes[seed%uint64(len(msgTypes))])
		name, args, _ := Encode(e)
		b, err := wire.EncodeStruct(nil, args)
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(b) {
			if _, err := decodeBytes(t, name, b[:n]); err == nil {
				t.Fatalf("seed %d: %d of %d bytes decoded", seed, n, len(b))
			}
		}
		if _, err := decodeBytes(t, name, append(b, 0)); err == nil {
			t.Fatalf("seed %d: a trailing byte decoded", seed)
		}
	}
}

// TestDecodeMangled flips, inserts and deletes bytes of valid messages and
// feeds random bytes: Decode never panics, and whatever it accepts is a
// message Encode accepts too.
func TestDecodeMangled(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	accepted := 0
	for seed := range uint64(300) {
		e := newGen(seed).envelope(msgTypes[seed%uint64(len(msgTypes))])
		name, args, _ := Encode(e)
		b, _ := wire.EncodeStruct(nil, args)
		for range 30 {
			m := append([]byte(nil), b...)
			switch r.IntN(4) {
			case 0:
				m[r.IntN(len(m))] ^= byte(1 << r.IntN(8))
			case 1:
				m[r.IntN(len(m))] = byte(r.Uint32())
			case 2:
				i := r.IntN(len(m))
				m = append(m[:i], m[i+1:]...)
			case 3:
				m = make([]byte, r.IntN(64))
				for i := range m {
					m[i] = byte(r.Uint32())
				}
			}
			got, err := decodeBytes(t, name, m)
			if err != nil {
				continue
			}
			accepted++
			if _, _, err := Encode(got); err != nil {
				t.Fatalf("Decode accepted what Encode refuses: %v", err)
			}
		}
	}
	t.Logf("%d mangled messages still valid", accepted)
}

// rawMessage is a valid peer_message as built by hand, for the tests to
// spoil one field at a time.
func rawMessage() *replication.PeerMessage {
	addr := func(s string) *base.RPCAddress {
		a, err := base.ParseRPCAddress(s)
		if err != nil {
			panic(err)
		}
		return a
	}
	return &replication.PeerMessage{
		Pid: base.NewGpid(2, 1), FromNode: addr("10.0.0.1:34801"), ToNode: addr("10.0.0.2:34801"), Ballot: 4,
		Config: &replication.ReplicaConfig{Pid: base.NewGpid(2, 1), Ballot: 4, MaxReplicaCount: 3,
			Primary: addr("10.0.0.1:34801"), Secondaries: []*base.RPCAddress{addr("10.0.0.2:34801")}},
	}
}

func TestDecodeRejects(t *testing.T) {
	neg := int64(-1)
	phase := replication.LearnPhase(9)
	for _, tc := range []struct {
		name  string
		spoil func(m *replication.PeerMessage)
		want  string
	}{
		{"valid", func(*replication.PeerMessage) {}, ""},
		{"nil pid", func(m *replication.PeerMessage) { m.Pid = nil }, "invalid gpid 0.0"}, // written as 0
		{"table 0", func(m *replication.PeerMessage) { m.Pid = base.NewGpid(0, 1) }, "invalid gpid"},
		{"negative partition", func(m *replication.PeerMessage) { m.Pid = base.NewGpid(2, -1) }, "invalid gpid"},
		{"no sender", func(m *replication.PeerMessage) { m.FromNode = nil }, "from_node: no address"},
		{"zero receiver", func(m *replication.PeerMessage) { m.ToNode = &base.RPCAddress{} }, "to_node: no address"},
		{"group address", func(m *replication.PeerMessage) { m.FromNode = base.RPCAddressFromRaw(0x0a00000187f10002) }, "not an IPv4"},
		{"stray bits", func(m *replication.PeerMessage) { m.FromNode = base.RPCAddressFromRaw(0x0a00000187f10101) }, "not an IPv4"},
		{"port 0", func(m *replication.PeerMessage) { m.ToNode = base.RPCAddressFromRaw(0x0a00000200000001) }, "not a usable"},
		{"address 0.0.0.0", func(m *replication.PeerMessage) { m.ToNode = base.RPCAddressFromRaw(0x87f10001) }, "not a usable"},
		{"bad secondary", func(m *replication.PeerMessage) { m.Config.Secondaries[0] = base.RPCAddressFromRaw(3) }, "secondary 0"},
		{"zero secondary", func(m *replication.PeerMessage) { m.Config.Secondaries[0] = &base.RPCAddress{} }, "secondary 0: no address"},
		{"bad primary", func(m *replication.PeerMessage) { m.Config.Primary = base.RPCAddressFromRaw(2) }, "primary"},
		{"config without pid", func(m *replication.PeerMessage) { m.Config.Pid = nil }, "config: invalid gpid 0.0"},
		{"config of another partition", func(m *replication.PeerMessage) { m.Config.Pid = base.NewGpid(2, 2) }, "config of 2.2"},
		{"negative ballot", func(m *replication.PeerMessage) { m.Ballot = -1 }, "negative ballot"},
		{"negative config ballot", func(m *replication.PeerMessage) { m.Config.Ballot = -1 }, "config: ballot -1"},
		{"negative decree", func(m *replication.PeerMessage) { m.Decree = &neg }, "negative decree"},
		{"negative copy to", func(m *replication.PeerMessage) { m.CopyTo = &neg }, "negative copy to"},
		{"negative mutation decree", func(m *replication.PeerMessage) { m.Mutation = &replication.MutationData{Decree: -5} }, "mutation: negative"},
		{"negative entry ballot", func(m *replication.PeerMessage) {
			m.Entries = []*replication.MutationData{{Decree: 1}, {Ballot: -2}}
		}, "entry 1: negative"},
		{"learn phase", func(m *replication.PeerMessage) { m.Learner = &phase }, "learn phase 9"},
		{"unknown error", func(m *replication.PeerMessage) { m.Err = base.NewErrorCode("ERR_NO_SUCH") }, "unknown error code"},
		{"app of another table", func(m *replication.PeerMessage) { m.App = &layer2.AppInfo{AppID: 3} }, "app_info of table 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := rawMessage()
			tc.spoil(m)
			b, err := wire.EncodeStruct(nil, &replication.PeerGroupCheckArgs{Msg: m})
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeBytes(t, catalog.RPC_GROUP_CHECK, b)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid message refused: %v", err)
			case tc.want == "":
				if got.Msg.Type != pacifica.MsgGroupCheck || got.Msg.Config.Secondaries[0].String() != "10.0.0.2:34801" {
					t.Fatalf("decoded %+v", got.Msg)
				}
			case err == nil:
				t.Fatalf("accepted: %+v", got.Msg)
			case !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestDecodeRejectsMissingFields(t *testing.T) {
	b, _ := wire.EncodeStruct(nil, &replication.PeerLearnArgs{Msg: rawMessage()})
	// The args field header (3 bytes), then peer_message field 1, the pid:
	// a field header and an i64.
	if b[3] != 12 || b[4] != 0 || b[5] != 1 { // gpid is a STRUCT holding a bare i64
		t.Fatalf("pid is not the first field: % x", b[:6])
	}
	noPid := append(b[:3:3], b[3+3+8:]...)
	if _, err := decodeBytes(t, catalog.RPC_LEARN, noPid); err == nil || !strings.Contains(err.Error(), "no pid") {
		t.Errorf("message without pid: %v", err)
	}
	if _, err := decodeBytes(t, catalog.RPC_LEARN, []byte{0}); err == nil || !strings.Contains(err.Error(), "no message") {
		t.Errorf("args without a message: %v", err)
	}
	good, _ := wire.EncodeStruct(nil, &replication.PeerLearnArgs{Msg: rawMessage()})
	for _, name := range []string{catalog.RPC_LEARN_CHECKPOINT, catalog.RPC_CONFIG_PROPOSAL, "RPC_PREPARE_ACK_ACK", ""} {
		if _, err := decodeBytes(t, name, good); err == nil {
			t.Errorf("decoded as %q", name)
		}
	}
	if _, err := decodeBytes(t, catalog.RPC_LEARN, good); err != nil {
		t.Errorf("the good message: %v", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	valid := func() Envelope { return newGen(3).envelope(pacifica.MsgPrepare) }
	v6 := netip.MustParseAddrPort("[::1]:34801")
	for _, tc := range []struct {
		name  string
		spoil func(e *Envelope)
	}{
		{"IPv6 sender", func(e *Envelope) { e.Msg.From = v6 }},
		{"no receiver", func(e *Envelope) { e.Msg.To = netip.AddrPort{} }},
		{"IPv6 primary", func(e *Envelope) { e.Msg.Config.Primary = v6 }},
		{"IPv6 secondary", func(e *Envelope) { e.Msg.Config.Secondaries = []netip.AddrPort{v6} }},
		{"zero gpid", func(e *Envelope) { e.Msg.Pid = base.Gpid{}; e.Msg.Config = pacifica.Config{} }},
		{"negative committed", func(e *Envelope) { e.Msg.Committed = -1 }},
		{"negative timestamp", func(e *Envelope) { e.Msg.Mutation.TimestampUs = -1 }},
		{"learn phase", func(e *Envelope) { e.Msg.Learner = -1 }},
		{"receiver status", func(e *Envelope) { e.Msg.ReceiverStatus = 7 }},
		{"app", func(e *Envelope) { e.App = &layer2.AppInfo{AppID: e.Msg.Pid.Appid + 1} }},
	} {
		e := valid()
		if _, _, err := Encode(e); err != nil {
			t.Fatalf("%s: unspoilt message refused: %v", tc.name, err)
		}
		tc.spoil(&e)
		if _, _, err := Encode(e); err == nil {
			t.Errorf("%s: encoded", tc.name)
		}
	}
	// An IPv4-mapped endpoint is IPv4.
	e := valid()
	mapped := netip.AddrPortFrom(netip.AddrFrom16(e.Msg.To.Addr().As16()), e.Msg.To.Port())
	want := e.Msg.To
	e.Msg.To = mapped
	got, _, err := wireTrip(t, e)
	if err != nil || got.Msg.To != want {
		t.Errorf("mapped receiver %v came back as %v, %v", mapped, got.Msg.To, err)
	}
}
