package shell

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress reports long work — scans, copies, waiting for partitions — on
// standard error: a bar with the rate and ETA when it is a terminal,
// otherwise a plain line at most once a second (so that logs of cron jobs
// show it is alive without filling up).
type progress struct {
	mu       sync.Mutex // guards everything below
	w        io.Writer
	bar      *progressbar.ProgressBar
	unit     string // what the bar's rate counts, e.g. "rows"
	steps    int
	plain    func(p progressState) string
	start    time.Time
	lastLine time.Time
	lastRows int64
	lastAt   time.Time
	rate     float64
}

// progressState is what a plain progress line may mention.
type progressState struct {
	Elapsed     time.Duration
	Done, Total int
	Rows        int64
	LastSecond  int64 // rows since the previous line
}

// plainInterval spaces plain progress lines.
const plainInterval = time.Second

// startProgress starts reporting work of total steps (partitions, splits).
func (s *Session) startProgress(title string, total int, unit string, plain func(progressState) string) *progress {
	p := &progress{w: s.stderr, plain: plain, unit: unit, steps: total, start: time.Now()}
	p.lastLine, p.lastAt = p.start, p.start
	if s.opts.ProgressBars {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(s.stderr),
			progressbar.OptionSetDescription(title),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionFullWidth(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		p.title(title)
	}
	return p
}

func (p *progress) title(t string) { p.bar.Describe(t) }

// update records done steps of total and rows processed.
func (p *progress) update(done int, rows int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.bar != nil {
		if dt := now.Sub(p.lastAt).Seconds(); dt >= 0.5 {
			p.rate = float64(rows-p.lastRows) / dt
			p.lastRows, p.lastAt = rows, now
		}
		if p.unit != "" {
			p.bar.Describe(fmt.Sprintf("%d %s, %.0f %s/s", rows, p.unit, p.rate, p.unit))
		}
		p.bar.Set(done)
		return
	}
	if now.Sub(p.lastLine) < plainInterval || p.plain == nil {
		return
	}
	st := progressState{Elapsed: now.Sub(p.start), Done: done, Total: p.total(), Rows: rows, LastSecond: rows - p.lastRows}
	p.lastLine, p.lastRows = now, rows
	if line := p.plain(st); line != "" {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) total() int { return p.steps }

// finish removes the bar.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
