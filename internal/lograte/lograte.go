package lograte

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults: a message may write 5,000 lines an hour, about 1 MB of text
// (Bitcoin Core allows each log site 1 MiB an hour): more than the
// node's busiest message in normal work ("new tip" on a local network, a
// block a second: 3,600 an hour) and than a busy node's churn of peers,
// while a stranger who makes the node log (a connection, a ban) can fill
// no more than about 1 MB an hour with each message it reaches.
const (
	DefaultLimit  = 5000
	DefaultWindow = time.Hour
	// MaxMessages bounds the messages whose lines are counted.
	MaxMessages = 4096
)

// Handler passes each message's first Limit lines of every Window to the
// handler it wraps and drops the rest (see the package doc).
type Handler struct {
	next   slog.Handler
	counts *counts
}

// counts is what the handlers of one New share.
type counts struct {
	limit  int
	window time.Duration
	mu     sync.Mutex
	byMsg  map[message]*tally // guarded by mu
}

// message identifies a log message: its level and text.
type message struct {
	level slog.Level
	text  string
}

// tally counts one message's lines since start.
type tally struct {
	start   time.Time
	lines   int
	dropped int
}

// New wraps next: each message passes at most limit lines per window.
// limit and window must be positive.
func New(next slog.Handler, limit int, window time.Duration) *Handler {
	return &Handler{next: next, counts: &counts{limit: limit, window: window, byMsg: make(map[message]*tally)}}
}

// Enabled reports whether the wrapped handler handles level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle passes r on unless its message has used up its window. The
// first line a window drops is replaced by a warning that lines of the
// message are dropped; the first line of the next window is preceded by
// one saying how many were. A record without a time (slog.Logger always
// sets one) passes uncounted.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Time.IsZero() {
		return h.next.Handle(ctx, r)
	}
	v := h.counts.count(message{r.Level, r.Message}, r.Time)
	switch {
	case v.firstDrop:
		return h.notice(ctx, r, "log lines dropped: a message reached its limit for this window")
	case !v.pass:
		return nil
	case v.droppedBefore > 0:
		h.notice(ctx, r, "log lines were dropped: a message reached its limit", slog.Int("dropped", v.droppedBefore))
	}
	return h.next.Handle(ctx, r)
}

// notice writes a warning about r's message, at r's time.
func (h *Handler) notice(ctx context.Context, r slog.Record, text string, attrs ...slog.Attr) error {
	if !h.next.Enabled(ctx, slog.LevelWarn) {
		return nil
	}
	n := slog.NewRecord(r.Time, slog.LevelWarn, text, 0)
	n.AddAttrs(slog.String("message", r.Message), slog.String("level", r.Level.String()),
		slog.Int("limit", h.counts.limit), slog.Duration("window", h.counts.window))
	n.AddAttrs(attrs...)
	return h.next.Handle(ctx, n)
}

// verdict is what count decided about one line.
type verdict struct {
	pass bool
	// droppedBefore: the lines of the message the window that just ended
	// dropped (only for the first line of a new window).
	droppedBefore int
	// firstDrop: the line is the first its window drops.
	firstDrop bool
}

// count counts a line of m at t.
func (c *counts) count(m message, t time.Time) verdict {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.byMsg[m]
	if w == nil {
		if len(c.byMsg) >= MaxMessages {
			return verdict{pass: true}
		}
		w = &tally{start: t}
		c.byMsg[m] = w
	}
	var v verdict
	if t.Sub(w.start) >= c.window {
		v.droppedBefore = w.dropped
		*w = tally{start: t}
	}
	if w.lines >= c.limit {
		w.dropped++
		return verdict{firstDrop: w.dropped == 1}
	}
	w.lines++
	v.pass = true
	return v
}

// WithAttrs returns a handler adding attrs, sharing h's counts.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{next: h.next.WithAttrs(attrs), counts: h.counts}
}

// WithGroup returns a handler opening group name, sharing h's counts.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), counts: h.counts}
}
