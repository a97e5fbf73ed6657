package storage

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestValueSchemaRoundTrip(t *testing.T) {
	tag := Timetag(1_700_000_000_123_456, 5, false)
	for _, version := range []uint32{DataVersion0, DataVersion1, DataVersion2} {
		for _, data := range [][]byte{nil, []byte("v"), bytes.Repeat([]byte{0xAB}, 1000)} {
			raw := appendValue(nil, version, 123456, tag, data)
			if len(raw) != valueHeaderLen(version)+len(data) {
				t.Fatalf("v%d: len %d", version, len(raw))
			}
			sv, err := decodeValue(version, raw)
			if err != nil {
				t.Fatalf("v%d: %v", version, err)
			}
			if sv.expireTs != 123456 || !bytes.Equal(sv.data, data) {
				t.Fatalf("v%d: decoded %+v", version, sv)
			}
			if version != DataVersion0 && sv.timetag != tag {
				t.Fatalf("v%d: timetag %#x want %#x", version, sv.timetag, tag)
			}
			if ts, ok := expireTsOf(version, raw); !ok || ts != 123456 {
				t.Fatalf("v%d: expireTsOf = %d, %v", version, ts, ok)
			}
			if _, err := decodeValue(version, raw[:valueHeaderLen(version)-1]); !errors.Is(err, errShortValue) {
				t.Fatalf("v%d: short value error %v", version, err)
			}
		}
	}
}

func TestValueV1Layout(t *testing.T) {
	raw := appendValue(nil, DataVersion1, 0x01020304, 0x1112131415161718, []byte("ud"))
	want := []byte{1, 2, 3, 4, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 'u', 'd'}
	if !bytes.Equal(raw, want) {
		t.Fatalf("v1 bytes %x want %x", raw, want)
	}
	raw2 := appendValue(nil, DataVersion2, 0x01020304, 0, nil)
	if raw2[0] != 0x82 || len(raw2) != 13 {
		t.Fatalf("v2 bytes %x", raw2)
	}
}

func TestTimetag(t *testing.T) {
	if got := Timetag(1, 0, false); got != 1<<8 {
		t.Errorf("Timetag(1,0,false) = %#x", got)
	}
	if got := Timetag(1, 3, true); got != 1<<8|3<<1|1 {
		t.Errorf("Timetag(1,3,true) = %#x", got)
	}
}

func TestEpochSeconds(t *testing.T) {
	if got := EpochSeconds(time.Unix(PegasusEpochOffset+100, 0)); got != 100 {
		t.Errorf("EpochSeconds = %d", got)
	}
	if got := EpochSeconds(time.Unix(0, 0)); got != 0 {
		t.Errorf("EpochSeconds before the epoch = %d", got)
	}
	if got := epochSecondsFromMicros((PegasusEpochOffset + 7) * 1_000_000); got != 7 {
		t.Errorf("epochSecondsFromMicros = %d", got)
	}
	if isExpired(0, 100) || !isExpired(100, 100) || isExpired(101, 100) {
		t.Error("isExpired boundary wrong")
	}
	c := NewManualClock(time.Unix(1000, 0))
	c.SetStep(time.Second)
	if c.Now().Unix() != 1000 || c.Now().Unix() != 1001 {
		t.Error("ManualClock step wrong")
	}
	c.SetStep(0)
	c.Advance(time.Minute)
	if c.Now().Unix() != 1062 {
		t.Error("ManualClock advance wrong")
	}
}
