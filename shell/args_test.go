package shell

import (
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		line string
		want []string
		bad  bool
	}{
		{"set hk sk v", []string{"set", "hk", "sk", "v"}, false},
		{`  get  "a\x00b"   'x y' `, []string{"get", "a\x00b", "x y"}, false},
		{`set "q\"uote\n" 'it\'s'`, []string{"set", "q\"uote\n", "it's"}, false},
		{`set "unbalanced`, nil, true},
		{`set "a"b`, nil, true},
		{"", nil, false},
	}
	for _, c := range cases {
		got, err := splitArgs(c.line)
		if (err != nil) != c.bad || (!c.bad && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("%q: got %q, %v", c.line, got, err)
		}
	}
	if escape([]byte("a\x00\n\"é")) != `a\x00\n\"\xC3\xA9` {
		t.Errorf("escape: %s", escape([]byte("a\x00\n\"é")))
	}
}
