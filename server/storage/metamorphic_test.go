package storage

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
	"github.com/pegasus-go/pegasus/thrift/keys"
)

var (
	metaSeed  = flag.Uint64("metamorphic.seed", 0, "seed of the metamorphic test (0: random)")
	metaRuns  = flag.Int("metamorphic.runs", 3, "sequences the metamorphic test runs")
	metaSteps = flag.Int("metamorphic.steps", 1500, "operations per metamorphic sequence")
)

// TestMetamorphic runs random operation sequences against a Partition and
// the in-memory model, comparing every response. A failure prints the seed;
// rerun with -metamorphic.seed=N -metamorphic.runs=1 to reproduce it.
func TestMetamorphic(t *testing.T) {
	seed := *metaSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	for run := 0; run < *metaRuns; run++ {
		s := seed + uint64(run)
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) {
			runMetamorphic(t, s, *metaSteps)
		})
	}
}

// The vocabulary is small so that operations collide often.
var (
	mHashKeys = []string{"", "a", "b", "ab", "ba", "\xff", "a\xff"}
	mSortKeys = []string{"", "1", "2", "12", "21", "\xff", "\xff\xff", "1\xff"}
	mValues   = []string{"", "0", "1", "-1", "7", " 12", "0x1f", "010", "08", "abc", "12a",
		"9223372036854775807", "-9223372036854775808", "ab1"}
	mPatterns = []string{"", "1", "2", "12", "\xff", "a", "b"}
)

type metaRun struct {
	t     *testing.T
	rng   *rand.Rand
	seed  uint64
	f     *fixture
	m     *model
	envs  map[string]string
	step  int
	trace []string // recent operations, printed on failure
}

func runMetamorphic(t *testing.T, seed uint64, steps int) {
	f := newFixture(t, func(o *Options) {
		o.MultiGetMaxIterationCount = 5
		o.MultiGetMaxIterationSize = 40
		o.MaxIterationCount = 4
		o.PartitionCount = 2
		o.PartitionIndex = 1
	})
	r := &metaRun{
		t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), seed: seed, f: f,
		m: &model{
			recs: map[string]modelRec{}, partCount: 2, partIndex: 1, appID: 3, server: f.opts.Server,
			mgMaxCount: 5, mgMaxSize: 40, scanCap: 4,
		},
		envs: map[string]string{},
	}
	for r.step = 0; r.step < steps; r.step++ {
		r.doStep()
	}
}

func (r *metaRun) pick(ss []string) string { return ss[r.rng.IntN(len(ss))] }

func (r *metaRun) now() uint32 { return EpochSeconds(r.f.clock.Now()) }

func (r *metaRun) note(format string, args ...any) {
	r.trace = append(r.trace, fmt.Sprintf("%d: ", r.step)+fmt.Sprintf(format, args...))
	if len(r.trace) > 30 {
		r.trace = r.trace[1:]
	}
}

func (r *metaRun) compare(what string, got, want any) {
	g, w := render(got), render(want)
	if g != w {
		r.t.Fatalf("seed %d, step %d, %s:\n got  %s\n want %s\nrecent operations:\n%s",
			r.seed, r.step, what, g, w, strings.Join(r.trace, "\n"))
	}
}

func (r *metaRun) expireTs() int32 {
	now := int32(r.now())
	switch x := r.rng.IntN(20); {
	case x < 11:
		return 0
	case x < 16:
		return now + int32(1+r.rng.IntN(4))
	case x < 18:
		return now - int32(r.rng.IntN(3))
	case x < 19:
		return -1
	default:
		return -5
	}
}

func (r *metaRun) doStep() {
	switch x := r.rng.IntN(1000); {
	case x < 450:
		r.mutation()
	case x < 530:
		k := key(r.pick(mHashKeys), r.pick(mSortKeys))
		r.note("get %q", k)
		r.compare("get", r.f.p.Get(r.t.Context(), k), r.m.get(k, r.now()))
	case x < 580:
		k := key(r.pick(mHashKeys), r.pick(mSortKeys))
		r.note("ttl %q", k)
		r.compare("ttl", r.f.p.TTL(r.t.Context(), k), r.m.ttl(k, r.now()))
	case x < 700:
		req := r.multiGetRequest()
		r.note("multi_get %s", render(req))
		r.compare("multi_get", r.f.p.MultiGet(r.t.Context(), req), r.m.multiGet(req, r.now()))
	case x < 740:
		req := &rrdb.BatchGetRequest{}
		for i := r.rng.IntN(4); i > 0; i-- {
			req.Keys = append(req.Keys, &rrdb.FullKey{HashKey: blob(r.pick(mHashKeys)), SortKey: blob(r.pick(mSortKeys))})
		}
		r.note("batch_get %s", render(req))
		r.compare("batch_get", r.f.p.BatchGet(r.t.Context(), req), r.m.batchGet(req, r.now()))
	case x < 780:
		h := r.pick(mHashKeys)
		r.note("sortkey_count %q", h)
		r.compare("sortkey_count", r.f.p.SortKeyCount(r.t.Context(), []byte(h)), r.m.sortKeyCount([]byte(h), r.now()))
	case x < 870:
		r.scan()
	case x < 960:
		d := time.Duration(r.rng.IntN(4)) * time.Second
		r.note("advance %v", d)
		r.f.clock.Advance(d)
	case x < 980:
		r.changeEnvs()
	case x < 993:
		r.note("compact")
		if err := r.f.p.Compact(r.t.Context()); err != nil {
			r.t.Fatal(err)
		}
		r.m.compact(r.now())
	default:
		r.note("reopen")
		r.f.opts.Envs = r.envs
		r.f.reopen()
		r.m.defaultTTL, r.m.validateHash = modelEnvs(r.envs, 0, false)
		// Every reopen flushes an L0 file, and RocksDB compacts L0 files
		// in the background at a time of its choosing, dropping expired
		// records (which decides some "incomplete" outcomes). Compacting
		// right away keeps L0 below the trigger, so that only the steps of
		// this test drop records.
		if err := r.f.p.Compact(r.t.Context()); err != nil {
			r.t.Fatal(err)
		}
		r.m.compact(r.now())
	}
}

func (r *metaRun) mutation() {
	n := 1 + r.rng.IntN(3)
	if r.rng.IntN(30) == 0 {
		n = 0
	}
	writes := make([]Write, n)
	for i := range writes {
		writes[i] = r.write()
	}
	r.f.decree++
	m := &Mutation{Decree: r.f.decree, TimestampUs: r.f.clock.Now().UnixMicro(), Writes: writes}
	desc := make([]string, n)
	for i, w := range writes {
		desc[i] = w.Op.String() + render(w.Request)
	}
	r.note("apply %d %s", m.Decree, strings.Join(desc, "; "))
	got, err := r.f.p.Apply(m)
	if err != nil {
		r.t.Fatalf("seed %d, step %d: apply: %v", r.seed, r.step, err)
	}
	now := epochSecondsFromMicros(m.TimestampUs)
	for i, w := range writes {
		r.compare(fmt.Sprintf("write %d (%v)", i, w.Op), got[i], r.m.apply(w, m.Decree, now))
	}
	if d := r.f.p.LastAppliedDecree(); d != m.Decree {
		r.t.Fatalf("seed %d, step %d: decree %d after applying %d", r.seed, r.step, d, m.Decree)
	}
}

func (r *metaRun) write() Write {
	h, s, v := r.pick(mHashKeys), r.pick(mSortKeys), r.pick(mValues)
	switch r.rng.IntN(7) {
	case 0:
		return putW(h, s, v, r.expireTs())
	case 1:
		return removeW(h, s)
	case 2:
		var kv []string
		for i := r.rng.IntN(4); i > 0; i-- {
			kv = append(kv, r.pick(mSortKeys), r.pick(mValues))
		}
		return multiPutW(h, r.expireTs(), kv...)
	case 3:
		var ss []string
		for i := r.rng.IntN(4); i > 0; i-- {
			ss = append(ss, r.pick(mSortKeys))
		}
		return multiRemoveW(h, ss...)
	case 4:
		incs := []int64{0, 1, -1, 5, 1 << 62, -(1 << 62), 9223372036854775807}
		return incrW(h, s, incs[r.rng.IntN(len(incs))], r.expireTs())
	case 5:
		return Write{Op: OpCheckAndSet, Request: &rrdb.CheckAndSetRequest{
			HashKey: blob(h), CheckSortKey: blob(s), CheckType: r.checkType(), CheckOperand: blob(r.pick(mValues)),
			SetDiffSortKey: r.rng.IntN(2) == 0, SetSortKey: blob(r.pick(mSortKeys)), SetValue: blob(v),
			SetExpireTsSeconds: r.expireTs(), ReturnCheckValue: r.rng.IntN(2) == 0,
		}}
	default:
		req := &rrdb.CheckAndMutateRequest{
			HashKey: blob(h), CheckSortKey: blob(s), CheckType: r.checkType(), CheckOperand: blob(r.pick(mValues)),
			ReturnCheckValue: r.rng.IntN(2) == 0, MutateList: []*rrdb.Mutate{},
		}
		for i := r.rng.IntN(4); i > 0; i-- {
			op := rrdb.MutateOperation(r.rng.IntN(2))
			if r.rng.IntN(20) == 0 {
				op = 2
			}
			req.MutateList = append(req.MutateList, &rrdb.Mutate{
				Operation: op, SortKey: blob(r.pick(mSortKeys)), Value: blob(r.pick(mValues)), SetExpireTsSeconds: r.expireTs(),
			})
		}
		return Write{Op: OpCheckAndMutate, Request: req}
	}
}

func (r *metaRun) checkType() rrdb.CasCheckType {
	if r.rng.IntN(25) == 0 {
		return rrdb.CasCheckType([]int{-1, 18}[r.rng.IntN(2)])
	}
	return rrdb.CasCheckType(r.rng.IntN(18))
}

func (r *metaRun) filterType() rrdb.FilterType {
	if r.rng.IntN(30) == 0 {
		return rrdb.FilterType([]int{-1, 4}[r.rng.IntN(2)])
	}
	if r.rng.IntN(2) == 0 {
		return 0
	}
	return rrdb.FilterType(r.rng.IntN(4))
}

func (r *metaRun) multiGetRequest() *rrdb.MultiGetRequest {
	req := &rrdb.MultiGetRequest{
		HashKey:              blob(r.pick(mHashKeys)),
		MaxKvCount:           []int32{0, -1, 1, 2, 3, 100}[r.rng.IntN(6)],
		MaxKvSize:            []int32{0, -5, 1, 5, 12, 1000}[r.rng.IntN(6)],
		NoValue:              r.rng.IntN(4) == 0,
		StartSortkey:         blob(r.pick(mSortKeys)),
		StopSortkey:          blob(r.pick(mSortKeys)),
		StartInclusive:       r.rng.IntN(2) == 0,
		StopInclusive:        r.rng.IntN(2) == 0,
		SortKeyFilterType:    r.filterType(),
		SortKeyFilterPattern: blob(r.pick(mPatterns)),
		Reverse:              r.rng.IntN(3) == 0,
		SortKeys:             []*base.Blob{},
	}
	if r.rng.IntN(3) == 0 {
		for i := 1 + r.rng.IntN(4); i > 0; i-- {
			req.SortKeys = append(req.SortKeys, blob(r.pick(mSortKeys)))
		}
	}
	return req
}

func (r *metaRun) optBool() *bool {
	switch r.rng.IntN(3) {
	case 0:
		return nil
	case 1:
		return thriftBool(true)
	}
	return thriftBool(false)
}

func (r *metaRun) scan() {
	req := fullScanRequest()
	switch r.rng.IntN(3) {
	case 0:
		h := []byte(r.pick(mHashKeys))
		req.StartKey = &base.Blob{Data: keys.EncodeKey(h, nil)}
		req.StopKey = &base.Blob{Data: keys.EncodeKey(h, []byte{0xFF, 0xFF})}
	case 1:
		req.StartKey = &base.Blob{Data: key(r.pick(mHashKeys), r.pick(mSortKeys))}
		req.StopKey = &base.Blob{Data: key(r.pick(mHashKeys), r.pick(mSortKeys))}
		req.StartInclusive, req.StopInclusive = r.rng.IntN(2) == 0, r.rng.IntN(2) == 0
	}
	req.BatchSize = []int32{0, -1, 1, 2, 3, 5, 1000}[r.rng.IntN(7)]
	req.NoValue = r.rng.IntN(4) == 0
	req.HashKeyFilterType, req.HashKeyFilterPattern = r.filterType(), blob(r.pick(mPatterns))
	req.SortKeyFilterType, req.SortKeyFilterPattern = r.filterType(), blob(r.pick(mPatterns))
	req.ValidatePartitionHash, req.ReturnExpireTs = r.optBool(), r.optBool()
	req.FullScan, req.OnlyReturnCount = r.optBool(), r.optBool()
	r.note("scan %s", render(req))

	want := r.m.scan(req, r.now())
	ctx := r.t.Context()
	got := r.f.p.GetScanner(ctx, req)
	seen := map[int64]bool{}
	for i, w := range want {
		id := got.ContextID
		if i < len(want)-1 {
			// More batches expected: the id must be fresh and non-negative.
			if id < 0 || seen[id] {
				r.compare(fmt.Sprintf("scan batch %d context id", i), got, w)
			}
			seen[id] = true
			got.ContextID = 0
		}
		r.compare(fmt.Sprintf("scan batch %d", i), got, w)
		if i < len(want)-1 {
			got = r.f.p.Scan(ctx, &rrdb.ScanRequest{ContextID: id})
		}
	}
	if n := r.f.p.scanners.len(); n != 0 {
		r.t.Fatalf("seed %d, step %d: %d scanner contexts left", r.seed, r.step, n)
	}
}

func (r *metaRun) changeEnvs() {
	envs := map[string]string{}
	if x := r.rng.IntN(5); x > 0 {
		envs[EnvDefaultTTL] = []string{"", "0", "3", "bogus"}[x-1]
	}
	if x := r.rng.IntN(4); x > 0 {
		envs[EnvValidatePartitionHash] = []string{"true", "false", "junk"}[x-1]
	}
	r.note("envs %v", envs)
	r.envs = envs
	r.f.p.UpdateEnvs(envs)
	r.m.defaultTTL, r.m.validateHash = modelEnvs(envs, r.m.defaultTTL, r.m.validateHash)
}

// modelEnvs is the model's reading of the table envs: an absent key resets
// its setting, a malformed value keeps the previous one.
func modelEnvs(envs map[string]string, ttl uint32, validate bool) (uint32, bool) {
	newTTL, newValidate := uint32(0), false
	if v, ok := envs[EnvDefaultTTL]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			newTTL = uint32(n)
		} else {
			newTTL = ttl
		}
	}
	if v, ok := envs[EnvValidatePartitionHash]; ok {
		switch v {
		case "true":
			newValidate = true
		case "false":
		default:
			newValidate = validate
		}
	}
	return newTTL, newValidate
}
