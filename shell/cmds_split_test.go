package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pegasus-go/pegasus/admin"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/catalog"
	admintypes "github.com/pegasus-go/pegasus/thrift/gen/admin"
	"github.com/pegasus-go/pegasus/thrift/gen/layer2"
	"github.com/pegasus-go/pegasus/thrift/rpc"
)

// splitMeta stands in for the meta server's split RPCs (and the
// configuration query the wait uses): table "t" of count partitions.
// Every query_split while splitting registers one more child, so a wait
// sees progress and an end.
type splitMeta struct {
	mu       sync.Mutex
	count    int32                            // current partition count
	newCount int32                            // 0 when not splitting
	parents  map[int32]admintypes.SplitStatus // pending parents
	reg      map[int32]bool                   // parents whose child registered
	advance  bool                             // register a child on each query
	lastCtl  *admintypes.ControlSplitRequest
}

func startSplitMeta(t *testing.T, count int32) (*splitMeta, string) {
	t.Helper()
	m := &splitMeta{count: count, advance: true}
	rs := rpc.NewServer(rpc.ServerOptions{})
	rs.Handle(catalog.RPC_CM_START_PARTITION_SPLIT, m.start)
	rs.Handle(catalog.RPC_CM_QUERY_PARTITION_SPLIT, m.query)
	rs.Handle(catalog.RPC_CM_CONTROL_PARTITION_SPLIT, m.control)
	rs.Handle(catalog.RPC_CM_QUERY_PARTITION_CONFIG_BY_INDEX, m.config)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); rs.Serve(l) }()
	t.Cleanup(func() { rs.Close(); <-done })
	return m, l.Addr().String()
}

func (m *splitMeta) start(ctx context.Context, req *rpc.Request) rpc.Reply {
	args := admintypes.NewMetaStartPartitionSplitArgs()
	if err := req.DecodeArgs(args); err != nil {
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	resp := &admintypes.StartPartitionSplitResponse{Err: base.NewErrorCode(base.ERR_OK)}
	switch {
	case args.Req.AppName != "t":
		resp.Err, resp.HintMsg = base.NewErrorCode(base.ERR_APP_NOT_EXIST), "no table "+args.Req.AppName
	case m.newCount != 0:
		resp.Err, resp.HintMsg = base.NewErrorCode(base.ERR_BUSY), "already splitting"
	case args.Req.NewPartitionCount_ != 2*m.count:
		resp.Err, resp.HintMsg = base.NewErrorCode(base.ERR_INVALID_PARAMETERS), "only doubling is supported"
	default:
		m.newCount, m.count = 2*m.count, 2*m.count
		m.parents, m.reg = map[int32]admintypes.SplitStatus{}, map[int32]bool{}
		for i := range m.newCount / 2 {
			m.parents[i] = admintypes.SplitStatus_SPLITTING
		}
	}
	return rpc.OK(&admintypes.MetaStartPartitionSplitResult{Success: resp})
}

func (m *splitMeta) query(ctx context.Context, req *rpc.Request) rpc.Reply {
	m.mu.Lock()
	defer m.mu.Unlock()
	resp := &admintypes.QuerySplitResponse{Err: base.NewErrorCode(base.ERR_OK), Status: map[int32]admintypes.SplitStatus{}}
	if m.newCount == 0 {
		resp.Err = base.NewErrorCode(base.ERR_INVALID_STATE)
		return rpc.OK(&admintypes.MetaQueryPartitionSplitResult{Success: resp})
	}
	resp.NewPartitionCount_ = m.newCount
	for p, s := range m.parents {
		resp.Status[p] = s
	}
	if m.advance {
		for i := range m.newCount / 2 {
			if m.parents[i] == admintypes.SplitStatus_SPLITTING {
				delete(m.parents, i)
				m.reg[i] = true
				break
			}
		}
	}
	switch {
	case len(m.parents) == 0:
		m.newCount = 0
	case allStatus(m.parents, admintypes.SplitStatus_CANCELING):
		m.count, m.newCount = m.newCount/2, 0
	}
	return rpc.OK(&admintypes.MetaQueryPartitionSplitResult{Success: resp})
}

func allStatus(ps map[int32]admintypes.SplitStatus, s admintypes.SplitStatus) bool {
	for _, v := range ps {
		if v != s {
			return false
		}
	}
	return true
}

func (m *splitMeta) control(ctx context.Context, req *rpc.Request) rpc.Reply {
	args := admintypes.NewMetaControlPartitionSplitArgs()
	if err := req.DecodeArgs(args); err != nil {
		return rpc.Fail(base.ERR_INVALID_DATA)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastCtl = args.Req
	resp := &admintypes.ControlSplitResponse{Err: base.NewErrorCode(base.ERR_OK)}
	switch args.Req.ControlType {
	case admintypes.SplitControlType_CANCEL:
		if len(m.reg) > 0 {
			resp.Err = base.NewErrorCode(base.ERR_CHILD_REGISTERED)
			break
		}
		for p := range m.parents {
			m.parents[p] = admintypes.SplitStatus_CANCELING
		}
	case admintypes.SplitControlType_PAUSE:
		for p := range m.parents {
			if args.Req.ParentPidx < 0 || p == args.Req.ParentPidx {
				m.parents[p] = admintypes.SplitStatus_PAUSED
			}
		}
	}
	return rpc.OK(&admintypes.MetaControlPartitionSplitResult{Success: resp})
}

func (m *splitMeta) config(ctx context.Context, req *rpc.Request) rpc.Reply {
	m.mu.Lock()
	defer m.mu.Unlock()
	resp := &layer2.QueryCfgResponse{Err: base.NewErrorCode(base.ERR_OK), AppID: 1, PartitionCount: m.count}
	for i := range m.count {
		pc := &layer2.PartitionConfiguration{Pid: &base.Gpid{Appid: 1, PartitionIndex: i}, Ballot: 3,
			Primary: &base.RPCAddress{}, Secondaries: []*base.RPCAddress{}, LastDrops: []*base.RPCAddress{}}
		if m.newCount != 0 && i >= m.count/2 && !m.reg[i-m.count/2] {
			pc.Ballot = -1
		}
		resp.Partitions = append(resp.Partitions, pc)
	}
	return rpc.OK(&admintypes.MetaQueryConfigResult{Success: resp})
}

// splitSession runs command lines against a splitMeta.
func splitSession(t *testing.T, addr string) func(line string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	s, err := NewSession(Options{Cluster: addr, Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return func(line string) (int, string, string) {
		out.Reset()
		errb.Reset()
		code := s.Exec(context.Background(), line)
		return code, out.String(), errb.String()
	}
}

func TestSplitCommandNames(t *testing.T) {
	for alias, name := range map[string]string{
		"partition-split start": "start_partition_split", "partition-split query": "query_partition_split",
		"partition-split pause": "pause_partition_split", "partition-split restart": "restart_partition_split",
		"partition-split cancel": "cancel_partition_split",
	} {
		cmd, rest := lookupWords(append(strings.Fields(alias), "-a", "t"))
		if cmd == nil || cmd.Name != name || !reflect.DeepEqual(rest, []string{"-a", "t"}) {
			t.Errorf("%s: got %v, %q", alias, cmd, rest)
		}
		if lookup(name) == nil {
			t.Errorf("%s is not registered", name)
		}
	}
	subs := subcommands("partition-split")
	var names []string
	for _, s := range subs {
		names = append(names, s[0])
	}
	if want := []string{"cancel", "pause", "query", "restart", "start"}; !reflect.DeepEqual(names, want) {
		t.Errorf("subcommands = %q, want %q", names, want)
	}
}

func TestSplitSuggest(t *testing.T) {
	s, err := NewSession(Options{Cluster: "127.0.0.29:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	texts := func(before string) []string {
		var out []string
		for _, sg := range s.suggest(before) {
			out = append(out, sg.Text)
		}
		return out
	}
	if got := texts("partition-sp"); !reflect.DeepEqual(got, []string{"partition-split"}) {
		t.Errorf("first word: %q", got)
	}
	if got := texts("partition-split "); !reflect.DeepEqual(got, []string{"cancel", "pause", "query", "restart", "start"}) {
		t.Errorf("second word: %q", got)
	}
	if got := texts("partition-split pa"); !reflect.DeepEqual(got, []string{"pause"}) {
		t.Errorf("second word prefix: %q", got)
	}
	if got := texts("partition-split pause --par"); !reflect.DeepEqual(got, []string{"--parent_pidx"}) {
		t.Errorf("flags of a two-word alias: %q", got)
	}
	if got := texts("start_partition_split t 16 --w"); !reflect.DeepEqual(got, []string{"--wait", "--wait_timeout"}) {
		t.Errorf("flags: %q", got)
	}
}

func TestSplitUsageErrors(t *testing.T) {
	_, addr := startSplitMeta(t, 8)
	run := splitSession(t, addr)
	for _, line := range []string{
		"start_partition_split",            // no table
		"start_partition_split t",          // no count
		"start_partition_split t sixteen",  // not a number
		"start_partition_split t 16 -a u",  // two tables
		"start_partition_split t 16 -p 32", // two counts
		"partition-split start -a t",       // no count
		"pause_partition_split t -2",       // not an index
		"pause_partition_split t 9",        // not a parent (checked after the query)
		"query_partition_split t extra",    // too many arguments
		"start_partition_split t 16 --wait_timeout 0",
		"partition-split",            // no subcommand
		"partition-split frobnicate", // unknown subcommand
	} {
		if line == "pause_partition_split t 9" {
			if code, _, _ := run("start_partition_split t 16"); code != ExitOK {
				t.Fatalf("start: exit %d", code)
			}
		}
		if code, out, errs := run(line); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (out %q, err %q)", line, code, ExitUsage, out, errs)
		}
	}
	if _, _, errs := run("partition-split"); !strings.Contains(errs, "cancel, pause, query, restart, start") {
		t.Errorf("no subcommand: %q", errs)
	}
}

func TestSplitStartWaitAndQuery(t *testing.T) {
	m, addr := startSplitMeta(t, 8)
	run := splitSession(t, addr)

	if code, _, errs := run("query_partition_split t"); code != ExitFailed || !strings.Contains(errs, "table t is not splitting") {
		t.Errorf("query before a split: exit %d, %q", code, errs)
	}
	if code, _, errs := run("start_partition_split t 12"); code != ExitFailed || !strings.Contains(errs, "ERR_INVALID_PARAMETERS, only doubling") {
		t.Errorf("start to 12: exit %d, %q", code, errs)
	}
	m.mu.Lock()
	m.advance = false
	m.mu.Unlock()
	if code, out, errs := run("partition-split start -a t -p 16"); code != ExitOK || out != "start partition split of t to 16 partitions succeed\n" {
		t.Fatalf("start: exit %d, %q, %q", code, out, errs)
	}
	m.mu.Lock()
	delete(m.parents, 3)
	m.reg[3] = true
	m.parents[5] = admintypes.SplitStatus_PAUSED
	m.mu.Unlock()
	want := "table t: splitting 8 -> 16 partitions, 1/8 children registered\n" +
		"parent_pidx  status\n" +
		"0            SPLITTING\n1            SPLITTING\n2            SPLITTING\n4            SPLITTING\n" +
		"5            PAUSED\n6            SPLITTING\n7            SPLITTING\n"
	if code, out, _ := run("query_partition_split t"); code != ExitOK || out != want {
		t.Errorf("query: exit %d\n%s\nwant\n%s", code, out, want)
	}
	code, out, _ := run("partition-split query -a t --json")
	var v splitView
	if err := json.Unmarshal([]byte(out), &v); code != ExitOK || err != nil {
		t.Fatalf("query --json: exit %d, %v: %q", code, err, out)
	}
	if v.OldCount != 8 || v.NewCount != 16 || v.Registered != 1 || v.Parents["5"] != "PAUSED" || len(v.Parents) != 7 {
		t.Errorf("query --json: %+v", v)
	}

	// A cancel after a child registered is refused, saying why.
	if code, _, errs := run("cancel_partition_split t"); code != ExitFailed || !strings.Contains(errs, "ERR_CHILD_REGISTERED") ||
		!strings.Contains(errs, "can no longer be canceled") {
		t.Errorf("cancel after a registration: exit %d, %q", code, errs)
	}

	// Restart the paused parent, then wait for the rest (the fake meta
	// registers one child per query).
	m.mu.Lock()
	m.parents[5] = admintypes.SplitStatus_SPLITTING
	m.advance = true
	m.mu.Unlock()
	code, out, errs := run("query_partition_split t")
	if code != ExitOK {
		t.Fatalf("query: %d %q", code, errs)
	}
	m.mu.Lock()
	m.newCount, m.count = 0, 8 // start over for a waited start
	m.mu.Unlock()
	code, out, errs = run("start_partition_split t 16 --wait --json")
	if code != ExitOK {
		t.Fatalf("start --wait: exit %d, %q, %q", code, out, errs)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil || res["outcome"] != "finished" || res["new_partition_count"] != 16.0 {
		t.Errorf("start --wait --json: %v %q", err, out)
	}
	if !strings.Contains(errs, "children registered") {
		t.Errorf("no progress lines on stderr: %q", errs)
	}
}

func TestSplitControls(t *testing.T) {
	m, addr := startSplitMeta(t, 4)
	run := splitSession(t, addr)
	m.mu.Lock()
	m.advance = false
	m.mu.Unlock()
	if code, _, errs := run("pause_partition_split t"); code != ExitFailed || !strings.Contains(errs, "not splitting") {
		t.Errorf("pause without a split: exit %d, %q", code, errs)
	}
	if code, _, _ := run("start_partition_split t 8"); code != ExitOK {
		t.Fatal("start failed")
	}
	if code, out, _ := run("partition-split pause -a t -i 2 --wait"); code != ExitOK || !strings.Contains(out, "partition split of t paused (parent 2)") {
		t.Errorf("pause: exit %d, %q", code, out)
	}
	m.mu.Lock()
	got := *m.lastCtl
	m.mu.Unlock()
	if got.ControlType != admintypes.SplitControlType_PAUSE || got.ParentPidx != 2 || got.OldPartitionCount == nil || *got.OldPartitionCount != 4 {
		t.Errorf("pause request: %+v", got)
	}
	if code, out, _ := run("restart_partition_split t"); code != ExitOK || out != "restart partition split of t (every parent) succeed\n" {
		t.Errorf("restart: exit %d, %q", code, out)
	}
	m.mu.Lock()
	got = *m.lastCtl
	m.mu.Unlock()
	if got.ControlType != admintypes.SplitControlType_RESTART || got.ParentPidx != -1 {
		t.Errorf("restart request: %+v", got)
	}
	// The fake meta halves the count back once every parent is canceling.
	code, out, errs := run("cancel_partition_split t --wait")
	if code != ExitOK || !strings.Contains(out, "partition split of t canceled: back at 4 partitions") {
		t.Errorf("cancel --wait: exit %d, %q, %q", code, out, errs)
	}
}

func TestSplitSummary(t *testing.T) {
	sp := admin.SplitProgress{OldCount: 4, NewCount: 8, Registered: 1, Parent: []admintypes.SplitStatus{
		admintypes.SplitStatus_SPLITTING, admintypes.SplitStatus_NOT_SPLIT, admintypes.SplitStatus_PAUSED, admintypes.SplitStatus_SPLITTING}}
	if got, want := splitSummary(sp), "1/4 children registered, 2 splitting, 1 paused"; got != want {
		t.Errorf("splitSummary = %q, want %q", got, want)
	}
}
