package node

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestRenderBar: the bar's fill, counts, rate and time left.
func TestRenderBar(t *testing.T) {
	got := renderBar("sync", 5000, 10000, 1000, 2*time.Second)
	want := "sync [###############...............] 5000/10000 blocks 50% · 500 blocks/s · 10s left"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if got := renderBar("reindex", 0, 0, 0, 0); got != "reindex [##############################] 0/0 blocks 100%" {
		t.Fatalf("empty total: %q", got)
	}
}

// TestSyncProgressBar: during initial sync a bar is drawn (at most every
// barInterval) and cleared once caught up; without a terminal nothing is.
func TestSyncProgressBar(t *testing.T) {
	r := newTipLogRun(t)
	var term bytes.Buffer
	r.l.bar = progressBar{out: &term, what: "sync"}
	r.best = 100
	for range 50 {
		r.connect(1, 50*time.Millisecond)
	}
	draws := strings.Count(term.String(), "\r\033[Ksync [")
	// 50 blocks over 2.5 s, a draw at most every 200 ms: 12 or 13 draws.
	if draws < 10 || draws > 14 {
		t.Fatalf("%d draws in 2.5 s, want about 12:\n%q", draws, term.String())
	}
	if !strings.Contains(term.String(), "50/100 blocks 50%") {
		t.Fatalf("no bar at 50/100: %q", term.String())
	}
	term.Reset()
	for range 50 {
		r.connect(1, 50*time.Millisecond)
	}
	if out := term.String(); !strings.HasSuffix(out, "\r\033[K") {
		t.Fatalf("bar not cleared when caught up: %q", out)
	}
	r.lines() // the log lines are tipLog's own test's business

	quiet := newTipLogRun(t)
	quiet.best = 10
	quiet.connect(1, time.Second) // no bar writer: must not panic or write
}
