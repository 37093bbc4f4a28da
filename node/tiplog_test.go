package node

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// tipLogRun drives a tipLog with JSON output and returns the lines as
// decoded objects; every line must be valid JSON.
type tipLogRun struct {
	t    *testing.T
	out  bytes.Buffer
	l    tipLog
	now  time.Time
	tip  uint64
	best uint64
}

func newTipLogRun(t *testing.T) *tipLogRun {
	r := &tipLogRun{t: t, now: time.Unix(1_800_000_000, 0)}
	r.l.log = slog.New(slog.NewJSONHandler(&r.out, nil))
	return r
}

func info(height uint64) chain.BlockInfo {
	return chain.BlockInfo{Height: height, Hash: wire.Hash{byte(height), 0xab}, ChainWork: big.NewInt(int64(height) + 1)}
}

// connect connects one block of txs transactions and moves the clock.
func (r *tipLogRun) connect(txs int, advance time.Duration) {
	r.now = r.now.Add(advance)
	r.tip++
	blk := &wire.Block{Transactions: make([]*wire.Tx, txs)}
	r.l.observe(chain.Notification{Type: chain.BlockConnected, Block: blk, Height: r.tip}, chain.BlockInfo{}, chain.BlockInfo{}, r.now)
	r.l.observe(chain.Notification{Type: chain.TipChanged, Height: r.tip}, info(r.tip), info(r.best), r.now)
}

func (r *tipLogRun) lines() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.out.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			r.t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	r.out.Reset()
	return out
}

// TestTipLogInitialSync: while behind the best header, one progress line
// per 10 s of blocks, with numbers as numbers and hashes as hex; once
// caught up, one line per block.
func TestTipLogInitialSync(t *testing.T) {
	r := newTipLogRun(t)
	r.best = 1000
	for range 100 { // 100 blocks, 4 transactions each, 0.25 s apart: 25 s
		r.connect(4, 250*time.Millisecond)
	}
	lines := r.lines()
	var progress []map[string]any
	for _, l := range lines {
		switch l["msg"] {
		case "sync progress":
			progress = append(progress, l)
		case "new tip":
			t.Fatalf("a per-block line during initial sync: %v", l)
		}
	}
	if lines[0]["msg"] != "initial sync" || len(progress) != 2 {
		t.Fatalf("want a start line and 2 progress lines in 25 s, got %v", lines)
	}
	p := progress[0] // 40 blocks in the 10 s after the start
	if p["height"] != 41.0 || p["headers"] != 1000.0 || p["blocks_per_s"] != 4.0 || p["tx_per_s"] != 16.0 ||
		p["progress"] != 0.041 || p["eta_s"] != 240.0 || p["hash"] != (wire.Hash{41, 0xab}).String() {
		t.Fatalf("progress line %v", p)
	}
	// Caught up: the last progress line, then a line per block.
	r.best = r.tip + 2
	r.connect(1, time.Second)
	r.connect(1, time.Second)
	r.connect(3, time.Second)
	lines = r.lines()
	if len(lines) != 3 || lines[0]["msg"] != "sync progress" || lines[0]["progress"] != 1.0 ||
		lines[1]["msg"] != "new tip" || lines[2]["msg"] != "new tip" || lines[2]["txs"] != 3.0 || lines[2]["height"] != 103.0 ||
		lines[2]["hash"] != (wire.Hash{103, 0xab}).String() {
		t.Fatalf("after catching up: %v", lines)
	}
}

// TestTipLogReorganisation: a reorganisation is one line with the fork
// point, both tips and the counts, besides the new tip's line.
func TestTipLogReorganisation(t *testing.T) {
	r := newTipLogRun(t)
	r.best = 10
	for range 10 {
		r.connect(1, time.Second)
	}
	r.lines()
	old := info(10)
	for h := uint64(10); h >= 9; h-- {
		r.l.observe(chain.Notification{Type: chain.BlockDisconnected, Hash: info(h).Hash, Height: h}, chain.BlockInfo{}, chain.BlockInfo{}, r.now)
	}
	r.tip, r.best = 8, 11
	for range 3 {
		r.tip++
		r.l.observe(chain.Notification{Type: chain.BlockConnected, Block: &wire.Block{}, Height: r.tip}, chain.BlockInfo{}, chain.BlockInfo{}, r.now)
	}
	r.l.observe(chain.Notification{Type: chain.TipChanged}, info(11), info(11), r.now)
	lines := r.lines()
	if len(lines) != 2 || lines[1]["msg"] != "new tip" {
		t.Fatalf("lines %v", lines)
	}
	want := map[string]any{"msg": "chain reorganisation", "fork_height": 8.0, "old_tip": old.Hash.String(), "old_height": 10.0,
		"new_tip": info(11).Hash.String(), "new_height": 11.0, "disconnected": 2.0, "connected": 3.0}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("reorganisation line %s = %v, want %v (%v)", k, lines[0][k], v, lines[0])
		}
	}
}
