package lograte

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// newTest returns a handler limiting each message to limit lines an hour,
// writing text lines into the returned buffer without times.
func newTest(limit int) (*Handler, *bytes.Buffer) {
	var buf bytes.Buffer
	text := slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}})
	return New(text, limit, time.Hour), &buf
}

// logAt logs msg through h at time t, as slog.Logger does.
func logAt(t *testing.T, h slog.Handler, level slog.Level, t0 time.Time, msg string, args ...any) {
	t.Helper()
	r := slog.NewRecord(t0, level, msg, 0)
	r.Add(args...)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Error(err) // not Fatal: TestConcurrentUse logs from goroutines
	}
}

func lines(buf *bytes.Buffer) []string {
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
}

// wantLines fails the test unless buf holds exactly the lines want.
func wantLines(t *testing.T, buf *bytes.Buffer, want []string) {
	t.Helper()
	if got := strings.Join(lines(buf), "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// TestLimitPerMessage: a message passes its limit's lines in a window, the
// first line past it becomes one warning and the rest are dropped; other
// messages, and the same text at another level, are counted apart.
func TestLimitPerMessage(t *testing.T) {
	h, buf := newTest(3)
	for i := range 10 {
		logAt(t, h, slog.LevelInfo, t0.Add(time.Duration(i)*time.Second), "peer connected", "peer", i)
	}
	logAt(t, h, slog.LevelInfo, t0.Add(time.Minute), "disconnecting peer", "peer", 1)
	logAt(t, h, slog.LevelWarn, t0.Add(time.Minute), "peer connected", "peer", 11)
	want := []string{
		`level=INFO msg="peer connected" peer=0`,
		`level=INFO msg="peer connected" peer=1`,
		`level=INFO msg="peer connected" peer=2`,
		`level=WARN msg="log lines dropped: a message reached its limit for this window" message="peer connected" level=INFO limit=3 window=1h0m0s`,
		`level=INFO msg="disconnecting peer" peer=1`,
		`level=WARN msg="peer connected" peer=11`,
	}
	wantLines(t, buf, want)
}

// TestNextWindowSaysWhatWasDropped: a window ends an hour after its first
// line; the next line of the message passes, after a warning that counts
// the lines the window dropped (the warning in their place included).
func TestNextWindowSaysWhatWasDropped(t *testing.T) {
	h, buf := newTest(2)
	for i := range 6 {
		logAt(t, h, slog.LevelInfo, t0.Add(time.Duration(i)*time.Minute), "banning peer", "peer", i)
	}
	buf.Reset()
	logAt(t, h, slog.LevelInfo, t0.Add(time.Hour-time.Nanosecond), "banning peer", "peer", 6)
	if buf.Len() != 0 {
		t.Fatalf("a line within the window passed: %q", buf.String())
	}
	logAt(t, h, slog.LevelInfo, t0.Add(time.Hour), "banning peer", "peer", 7)
	logAt(t, h, slog.LevelInfo, t0.Add(time.Hour+time.Second), "banning peer", "peer", 8)
	want := []string{
		`level=WARN msg="log lines were dropped: a message reached its limit" message="banning peer" level=INFO limit=2 window=1h0m0s dropped=5`,
		`level=INFO msg="banning peer" peer=7`,
		`level=INFO msg="banning peer" peer=8`,
	}
	wantLines(t, buf, want)
}

// TestDerivedHandlersShareCounts: loggers made With attributes or a group
// count against the same limit as the handler they came from.
func TestDerivedHandlersShareCounts(t *testing.T) {
	h, buf := newTest(2)
	a := h.WithAttrs([]slog.Attr{slog.String("component", "p2p")})
	b := h.WithGroup("g")
	logAt(t, h, slog.LevelInfo, t0, "peer connected")
	logAt(t, a, slog.LevelInfo, t0, "peer connected")
	logAt(t, b, slog.LevelInfo, t0, "peer connected")
	logAt(t, a, slog.LevelInfo, t0, "peer connected")
	if got := len(lines(buf)); got != 3 {
		t.Fatalf("%d lines (%q), want 2 and the warning", got, buf.String())
	}
}

// TestMessagesTrackedBounded: past MaxMessages distinct messages, further
// ones pass uncounted, so the counts cannot grow without bound.
func TestMessagesTrackedBounded(t *testing.T) {
	h, buf := newTest(1)
	for i := range MaxMessages {
		logAt(t, h, slog.LevelInfo, t0, fmt.Sprintf("message %d", i))
	}
	buf.Reset()
	for range 3 {
		logAt(t, h, slog.LevelInfo, t0, "one more")
	}
	if got := len(h.counts.byMsg); got != MaxMessages {
		t.Fatalf("%d messages tracked, want %d", got, MaxMessages)
	}
	if got := len(lines(buf)); got != 3 {
		t.Fatalf("%d lines of an untracked message, want all 3", got)
	}
}

// TestLevelBelowNext: a line the wrapped handler does not take is not
// counted, and no warning is written where warnings are not wanted.
func TestLevelBelowNext(t *testing.T) {
	var buf bytes.Buffer
	h := New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}), 1, time.Hour)
	log := slog.New(h)
	for range 3 {
		log.Info("quiet")
		log.Error("loud")
	}
	if got := strings.Count(buf.String(), "\n"); got != 1 {
		t.Fatalf("%d lines (%q), want the one error", got, buf.String())
	}
}

// TestConcurrentUse: many goroutines logging the same message pass exactly
// the limit, plus the one warning.
func TestConcurrentUse(t *testing.T) {
	h, buf := newTest(50)
	var wg sync.WaitGroup // slog's TextHandler writes one line at a time
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				logAt(t, h, slog.LevelInfo, t0.Add(time.Duration(i)*time.Millisecond), "busy", "g", g)
			}
		})
	}
	wg.Wait()
	if got := len(lines(buf)); got != 51 {
		t.Fatalf("%d lines, want 50 and the warning", got)
	}
}
