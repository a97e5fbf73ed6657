package shell

import (
	"io"
	"strings"

	"github.com/pegasus-go/pegasus/thrift/keys"
)

func init() {
	register(&Command{Name: "hash", Group: "data", Summary: "show which partition a key belongs to", JSON: true,
		Help: "Computes the key's hash locally; with a current table, also its partition and servers.\n" +
			"JSON: key_hash, and app_name, app_id, partition_count, partition_index, primary,\n" +
			"secondaries with a current table.",
		Args: hkSk,
		Run:  runHash})
}

func runHash(c *Call) error {
	hk, sk := []byte(c.args[0]), []byte(c.args[1])
	h := keys.KeyHash(keys.EncodeKey(hk, sk))
	kv := &kvTable{name: "hash"}
	kv.add("key_hash", h)
	j := map[string]any{"key_hash": h}
	if c.s.table != "" {
		ctx, cancel := c.adminCtx()
		defer cancel()
		r, err := c.s.route(ctx, c.s.table, true)
		if err != nil {
			return failf(err, "ERROR: query partitions of %s failed, error=%s", c.s.table, describe(err))
		}
		idx := keys.PartitionIndex(h, int32(len(r.parts)))
		primary, secs := "", []string{}
		if idx >= 0 && int(idx) < len(r.parts) {
			primary, secs = r.parts[idx].Primary, append(secs, r.parts[idx].Secondaries...)
		}
		kv.add("app_name", c.s.table)
		kv.add("app_id", r.appID)
		kv.add("partition_count", len(r.parts))
		kv.add("partition_index", idx)
		kv.add("primary", primary)
		kv.add("secondaries", strings.Join(secs, ","))
		j["app_name"], j["app_id"], j["partition_count"], j["partition_index"] = c.s.table, r.appID, len(r.parts), idx
		j["primary"], j["secondaries"] = primary, secs
	}
	return c.Emit(j, func(w io.Writer) { printSections(w, kv) })
}
