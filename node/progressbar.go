package node

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// barInterval is how often a progress bar is redrawn at most.
const barInterval = 200 * time.Millisecond

// progressBar draws one line, redrawn in place, on a terminal: what is
// done of a total, the rate since the bar started and the time left. It
// is driven by explicit inputs (counts and times) and owned by one caller
// at a time (tipLog under its mutex; reindexing before the node runs).
type progressBar struct {
	out   io.Writer // nil: no bar
	what  string    // "sync", "reindex"
	start time.Time
	from  uint64 // done at start
	drawn time.Time
	shown bool
}

// update redraws the bar (at most every barInterval) with done of total.
func (b *progressBar) update(done, total uint64, now time.Time) {
	if b.out == nil {
		return
	}
	if b.start.IsZero() {
		b.start, b.from = now, done
	}
	if b.shown && now.Sub(b.drawn) < barInterval {
		return
	}
	b.drawn, b.shown = now, true
	fmt.Fprintf(b.out, "\r\033[K%s", renderBar(b.what, done, total, done-min(b.from, done), now.Sub(b.start)))
}

// clear removes the bar from the terminal (before a log line, and at the
// end) and starts counting afresh at the next update.
func (b *progressBar) clear() {
	if b.out != nil && b.shown {
		fmt.Fprint(b.out, "\r\033[K")
	}
	b.shown, b.start = false, time.Time{}
}

// renderBar formats "sync [#####.....] 5123/10000 blocks 51% · 830 blocks/s · 6s left".
func renderBar(what string, done, total, since uint64, elapsed time.Duration) string {
	const width = 30
	frac := 1.0
	if total > 0 && done < total {
		frac = float64(done) / float64(total)
	}
	filled := int(frac * width)
	line := fmt.Sprintf("%s [%s%s] %d/%d blocks %d%%", what, strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		done, total, int(frac*100))
	if secs := elapsed.Seconds(); secs > 0 && since > 0 {
		rate := float64(since) / secs
		left := time.Duration(float64(total-min(done, total))/rate) * time.Second
		line += fmt.Sprintf(" · %.0f blocks/s · %s left", rate, left.Round(time.Second))
	}
	return line
}
