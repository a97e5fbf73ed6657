package status

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/BurntSushi/toml"
)

// ConfigPage serves /config: the effective configuration cfg (a struct
// with toml tags, defaults filled in) as JSON, keyed as in the TOML file so
// that what an operator reads matches what they would write. sections, when
// given, keeps only those top-level tables (a replica server shows
// "replica" and not the unused "meta" defaults). The value is encoded once,
// at start: the configuration does not change while a server runs (the log
// level, which may, is answered by get-log-level).
func ConfigPage(cfg any, sections ...string) (http.Handler, error) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
		return nil, fmt.Errorf("status: encode configuration: %w", err)
	}
	var tree map[string]any
	if _, err := toml.NewDecoder(&buf).Decode(&tree); err != nil {
		return nil, fmt.Errorf("status: re-read configuration: %w", err)
	}
	if len(sections) > 0 {
		kept := make(map[string]any, len(sections))
		for _, s := range sections {
			if v, ok := tree[s]; ok {
				kept[s] = v
			}
		}
		tree = kept
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, tree) }), nil
}
