package admin

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sample is one line of a Prometheus text exposition: a metric name, its
// labels and its value.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Scrape is what one server's /metrics answered, and when.
type Scrape struct {
	Addr    string
	Samples []Sample
	// Sent and Received bracket the request on the local clock; Date is
	// the server's clock from the HTTP Date header (one-second precision),
	// zero when absent.
	Sent, Received, Date time.Time
}

// ClockOffset estimates how far the server's clock is ahead of the local
// one. The Date header truncates to the second, so the server time is taken
// as Date plus half a second; the error is at most half a second plus half
// the round trip. ok is false when the server sent no Date.
func (s *Scrape) ClockOffset() (offset time.Duration, ok bool) {
	if s.Date.IsZero() {
		return 0, false
	}
	mid := s.Sent.Add(s.Received.Sub(s.Sent) / 2)
	return s.Date.Add(500 * time.Millisecond).Sub(mid), true
}

// Find returns the samples of one metric whose labels include every pair
// of match (nil matches all).
func (s *Scrape) Find(name string, match map[string]string) []Sample {
	var out []Sample
	for _, x := range s.Samples {
		if x.Name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if x.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, x)
		}
	}
	return out
}

// Sum adds up the samples Find returns; ok is false when there are none.
func (s *Scrape) Sum(name string, match map[string]string) (sum float64, ok bool) {
	for _, x := range s.Find(name, match) {
		sum += x.Value
		ok = true
	}
	return sum, ok
}

// Has reports whether the server exposes a metric at all.
func (s *Scrape) Has(name string) bool {
	for _, x := range s.Samples {
		if x.Name == name {
			return true
		}
	}
	return false
}

var metricsHTTP = &http.Client{}

// ScrapeMetrics reads http://addr/metrics — every pegasus-go server serves
// it on its RPC port — and parses it.
func ScrapeMetrics(ctx context.Context, addr string) (*Scrape, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	s := &Scrape{Addr: addr, Sent: time.Now()}
	resp, err := metricsHTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	defer resp.Body.Close()
	s.Received = time.Now()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: HTTP %s", addr, resp.Status)
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		s.Date = d
	}
	if s.Samples, err = ParseMetrics(resp.Body); err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	return s, nil
}

// ParseMetrics reads the Prometheus text format: comment lines are
// skipped, every other line is `name{label="value",...} value [timestamp]`.
func ParseMetrics(r io.Reader) ([]Sample, error) {
	var out []Sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("metrics line %d: %w", n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	return out, nil
}

func parseSample(line string) (Sample, error) {
	s := Sample{}
	end := strings.IndexAny(line, "{ \t")
	if end <= 0 {
		return s, fmt.Errorf("no value in %q", line)
	}
	s.Name, line = line[:end], line[end:]
	if line[0] == '{' {
		labels, rest, err := parseLabels(line[1:])
		if err != nil {
			return s, fmt.Errorf("%s: %w", s.Name, err)
		}
		s.Labels, line = labels, rest
	}
	fields := strings.Fields(line)
	if len(fields) < 1 {
		return s, fmt.Errorf("%s: no value", s.Name)
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return s, fmt.Errorf("%s: %w", s.Name, err)
	}
	s.Value = v
	return s, nil
}

func parseValue(f string) (float64, error) {
	switch f {
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(f, 64)
}

// parseLabels reads `a="x",b="y"}` and returns the labels and what follows
// the closing brace.
func parseLabels(in string) (map[string]string, string, error) {
	labels := map[string]string{}
	for {
		in = strings.TrimLeft(in, " ,")
		if in == "" {
			return nil, "", fmt.Errorf("unterminated labels")
		}
		if in[0] == '}' {
			return labels, in[1:], nil
		}
		eq := strings.IndexByte(in, '=')
		if eq <= 0 || eq+1 >= len(in) || in[eq+1] != '"' {
			return nil, "", fmt.Errorf("bad label in %q", in)
		}
		name := strings.TrimSpace(in[:eq])
		var val strings.Builder
		i := eq + 2
		for ; i < len(in) && in[i] != '"'; i++ {
			if in[i] == '\\' && i+1 < len(in) {
				i++
				switch in[i] {
				case 'n':
					val.WriteByte('\n')
				default:
					val.WriteByte(in[i])
				}
				continue
			}
			val.WriteByte(in[i])
		}
		if i >= len(in) {
			return nil, "", fmt.Errorf("unterminated value of label %s", name)
		}
		labels[name] = val.String()
		in = in[i+1:]
	}
}
