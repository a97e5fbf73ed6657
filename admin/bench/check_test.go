package bench

import (
	"strings"
	"testing"
)

func TestCheckValue(t *testing.T) {
	v := checkValue(42, 16)
	if len(v) != 16 || !strings.HasPrefix(string(v), "c42:") {
		t.Fatalf("checkValue = %q", v)
	}
	if n, ok := parseCheckValue(v); !ok || n != 42 {
		t.Fatalf("parse = %d, %v", n, ok)
	}
	if n, ok := parseCheckValue(checkValue(7, 0)); !ok || n != 7 {
		t.Fatalf("a value shorter than its header: %d, %v", n, ok)
	}
	for _, bad := range []string{"", "x1:", "c:", "cx:", "c12"} {
		if _, ok := parseCheckValue([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestChecker(t *testing.T) {
	c := newChecker(8)
	// Key 1: write 0 acked, write 1 unknown, write 2 acked, write 3 unknown.
	s0, _ := c.nextWrite(1)
	c.wrote(1, s0, true)
	s1, _ := c.nextWrite(1)
	c.wrote(1, s1, false)
	c.read(1, checkValue(0, 8)) // before write 1's fate is known: fine
	c.read(1, checkValue(1, 8)) // the unknown write applied: fine
	s2, _ := c.nextWrite(1)
	c.wrote(1, s2, true)
	s3, _ := c.nextWrite(1)
	c.wrote(1, s3, false)
	c.read(1, checkValue(2, 8))
	c.read(1, checkValue(3, 8))
	c.read(7, nil) // never written, absent
	if r := c.result(); !r.OK() || r.ReadsChecked != 5 || r.AckedWrites != 2 || r.UnknownWrites != 2 {
		t.Fatalf("clean history: %+v", r)
	}

	c.read(1, checkValue(1, 8)) // older than acked write 2: wrong during the run
	c.read(1, checkValue(9, 8)) // never issued
	c.read(1, []byte("garbage"))
	c.read(7, checkValue(0, 8)) // a key never written
	if r := c.result(); r.WrongReads != 4 || r.FirstProblem == "" {
		t.Fatalf("wrong reads: %+v", r)
	}

	// Final verification: absent or older after an ack is a lost write.
	c2 := newChecker(8)
	for k := range 4 {
		s, _ := c2.nextWrite(k)
		c2.wrote(k, s, true)
		s, _ = c2.nextWrite(k)
		c2.wrote(k, s, true)
	}
	c2.verified(0, checkValue(1, 8)) // right
	c2.verified(1, nil)              // lost
	c2.verified(2, checkValue(0, 8)) // lost: an older write
	c2.verified(3, []byte("c5:"))    // wrong: never written
	r := c2.result()
	if r.LostWrites != 2 || r.WrongReads != 1 || r.Verified != 4 || r.OK() || !strings.Contains(r.FirstProblem, "k1") {
		t.Fatalf("verification: %+v", r)
	}
}

func TestOwnedKey(t *testing.T) {
	cfg := Config{Keys: 10, Workers: 3}
	for w := range 3 {
		for k := range 100 {
			o := ownedKey(cfg, w, k)
			if o%3 != w || o >= 10 || o < 0 {
				t.Fatalf("worker %d, key %d -> %d", w, k, o)
			}
		}
	}
}
