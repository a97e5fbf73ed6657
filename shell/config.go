package shell

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// DefaultMeta is the meta server of a local onebox, used when no cluster
// is named anywhere.
const DefaultMeta = "127.0.0.1:34601"

// Config is the shell's TOML file (conf/shell.toml documents every key).
type Config struct {
	// DefaultCluster is used when neither --cluster nor -n is given.
	DefaultCluster string `toml:"default_cluster"`
	// TimeoutMS is the initial data operation timeout (`timeout`).
	TimeoutMS int64 `toml:"timeout_ms"`
	// HistorySize caps the lines kept in the history file.
	HistorySize int `toml:"history_size"`
	// Clusters maps cluster names to their meta servers.
	Clusters map[string]ClusterConfig `toml:"clusters"`

	path string
}

// ClusterConfig is one named cluster.
type ClusterConfig struct {
	MetaServers []string `toml:"meta_servers"`
}

// LoadConfig reads a config file. path "" searches, in order:
// $PEGASUS_SHELL_CONFIG, $HOME/.pegasus-shell.toml, and conf/shell.toml next
// to the binary's directory (bin/../conf); finding none gives an empty
// config, which knows only the onebox.
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		path = findConfig()
	}
	cfg := &Config{}
	if path != "" {
		md, err := toml.DecodeFile(path, cfg)
		if err != nil {
			return nil, fmt.Errorf("read config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return nil, fmt.Errorf("read config %s: unknown key %s", path, und[0])
		}
		cfg.path = path
	}
	for name, c := range cfg.Clusters {
		if len(c.MetaServers) == 0 {
			return nil, fmt.Errorf("config %s: cluster %s has no meta_servers", path, name)
		}
	}
	return cfg, nil
}

func findConfig() string {
	var candidates []string
	if p := os.Getenv("PEGASUS_SHELL_CONFIG"); p != "" {
		candidates = append(candidates, p)
	}
	if home := os.Getenv("HOME"); home != "" {
		candidates = append(candidates, filepath.Join(home, ".pegasus-shell.toml"))
	}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "..", "conf", "shell.toml"))
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// Path is the file the config came from ("" for none).
func (c *Config) Path() string { return c.path }

// ClusterNames lists the configured clusters, sorted.
func (c *Config) ClusterNames() []string {
	out := make([]string, 0, len(c.Clusters))
	for n := range c.Clusters {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Resolve turns a cluster name from the config, or a comma-separated list
// of meta servers (host:port), into a name and a meta list. "" means the
// default cluster, or the onebox when there is none.
func (c *Config) Resolve(nameOrList string) (name string, metas []string, err error) {
	if nameOrList == "" {
		if c.DefaultCluster == "" {
			return "onebox", []string{DefaultMeta}, nil
		}
		nameOrList = c.DefaultCluster
	}
	if strings.Contains(nameOrList, ":") {
		for _, m := range strings.Split(nameOrList, ",") {
			if m = strings.TrimSpace(m); m != "" {
				metas = append(metas, m)
			}
		}
		if len(metas) == 0 {
			return "", nil, errors.New("empty meta server list")
		}
		return c.nameOf(metas), metas, nil
	}
	cc, ok := c.Clusters[nameOrList]
	if !ok {
		if nameOrList == "onebox" {
			return "onebox", []string{DefaultMeta}, nil
		}
		where := "no config file"
		if c.path != "" {
			where = c.path
		}
		return "", nil, fmt.Errorf("cluster %q is not in [clusters] of %s", nameOrList, where)
	}
	return nameOrList, cc.MetaServers, nil
}

// nameOf finds the configured name of a meta list; "unknown" (upstream's
// word) when none matches.
func (c *Config) nameOf(metas []string) string {
	key := strings.Join(metas, ",")
	for _, n := range c.ClusterNames() {
		if strings.Join(c.Clusters[n].MetaServers, ",") == key {
			return n
		}
	}
	if key == DefaultMeta {
		return "onebox"
	}
	return "unknown"
}
