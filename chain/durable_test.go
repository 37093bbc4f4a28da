package chain_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"powchain/chain"
)

// durableHeight reads the height recorded as durable; -1 if none.
func (h *harness) durableHeight() int64 {
	h.t.Helper()
	height, found, err := chain.DurableHeight(h.cfg.Path)
	if err != nil {
		h.t.Fatalf("durable record: %v", err)
	}
	if !found {
		return -1
	}
	return int64(height)
}

// TestCaughtUpTipIsDurableBeforeAnnounced: once caught up, every tip has
// been synced and recorded as durable when TipChanged is delivered.
func TestCaughtUpTipIsDurableBeforeAnnounced(t *testing.T) {
	h := newHarness(t)
	var announced, durableAtAnnounce []int64
	h.c.Subscribe(func(n chain.Notification) {
		if n.Type == chain.TipChanged {
			announced = append(announced, int64(n.Height))
			durableAtAnnounce = append(durableAtAnnounce, h.durableHeight())
		}
	})
	h.extend("a", 5)
	for i := range announced {
		if durableAtAnnounce[i] != announced[i] {
			t.Fatalf("tip %d announced while the durable record says %d", announced[i], durableAtAnnounce[i])
		}
	}
	if len(announced) != 5 {
		t.Fatalf("%d tips announced", len(announced))
	}
}

// TestInitialSyncSyncsOnInterval: during initial sync (an old tip) blocks
// are synced once SyncInterval has passed on the injected clock, not one
// by one; Sync and Close sync whatever is left.
func TestInitialSyncSyncsOnInterval(t *testing.T) {
	h := newHarness(t)
	h.clock.Advance(30 * 24 * time.Hour) // every block is now a month old
	h.reopen()                           // the last sync is now
	h.extend("a", 3)
	if d := h.durableHeight(); d != -1 {
		t.Fatalf("durable record at height %d before the sync interval passed", d)
	}
	h.clock.Advance(chain.DefaultSyncInterval)
	h.extend("b", 1)
	h.extend("c", 1)
	if d := h.durableHeight(); d != 4 {
		t.Fatalf("durable record at height %d after the interval, want 4", d)
	}
	if err := h.c.Sync(); err != nil || h.durableHeight() != 5 {
		t.Fatalf("Sync: %v, durable height %d, want 5", err, h.durableHeight())
	}
	h.extend("d", 1)
	h.reopen()
	if d := h.durableHeight(); d != 6 {
		t.Fatalf("durable record at height %d after Close, want 6", d)
	}
}

// TestTornJournalLossIsReported: a chain synced at height 50 whose LevelDB
// journal loses its end reopens consistent at 25 and reports heights
// 26..50 lost, once.
func TestTornJournalLossIsReported(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 25)
	journal := newestJournal(t, h.cfg.Path)
	info, err := os.Stat(journal)
	if err != nil {
		t.Fatal(err)
	}
	at25 := info.Size()
	h.extend("b", 25)
	durable := h.c.Tip()
	if err := h.c.Close(); err != nil {
		t.Fatal(err)
	}
	if j := newestJournal(t, h.cfg.Path); j != journal {
		t.Fatalf("journal rotated from %s to %s: the test must truncate the one holding blocks 26..50", journal, j)
	}
	if err := os.Truncate(journal, at25); err != nil {
		t.Fatal(err)
	}
	c, err := chain.Open(h.cfg)
	if err != nil {
		t.Fatalf("reopen after truncating the journal: %v", err)
	}
	h.c = c
	h.expectTip("a25")
	h.expectUTXOs("a25")
	lost, ok := h.c.LostOnOpen()
	if want := (chain.LostBlocks{From: 26, To: 50, DurableHash: durable.Hash}); !ok || lost != want {
		t.Fatalf("LostOnOpen %+v %v, want %+v", lost, ok, want)
	}
	h.reopen()
	if lost, ok := h.c.LostOnOpen(); ok {
		t.Fatalf("loss reported again on the next open: %+v", lost)
	}
}

// newestJournal is the LevelDB journal (NNNNNN.log) being written.
func newestJournal(t *testing.T, dir string) string {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no journal in %s: %v", dir, err)
	}
	return logs[len(logs)-1] // zero-padded numbers: the last is the newest
}

// TestKilledReorgIsNoLoss: a node killed in the middle of a reorganisation
// (its database as the kill leaves it: the old branch disconnected and
// part of the new one connected, the last sync on the old tip) reopens on
// the new branch and reports nothing lost: the durable tip was
// reorganised away, not lost by the storage.
func TestKilledReorgIsNoLoss(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 5)
	h.g.SetTip("a2")
	for _, n := range []string{"s3", "s4", "s5"} {
		h.g.NextBlock(n, nil)
		h.acceptSide(n)
	}
	h.g.NextBlock("s6", nil)
	killed := filepath.Join(t.TempDir(), "killed")
	h.c.SetConnectWriteHook(func(height uint64) error {
		if height == 6 { // a5..a3 disconnected, s3..s5 connected, nothing synced
			return os.CopyFS(killed, os.DirFS(h.cfg.Path))
		}
		return nil
	})
	h.accept("s6")
	if d := h.durableHeight(); d != 6 {
		t.Fatalf("durable record at height %d, want 6", d)
	}
	cfg := h.cfg
	cfg.Path = killed
	c, err := chain.Open(cfg)
	if err != nil {
		t.Fatalf("open the killed node's database: %v", err)
	}
	defer c.Close()
	if tip := c.Tip(); tip.Hash != h.g.Block("s6").BlockHash() {
		t.Fatalf("reopened at height %d, want s6", tip.Height)
	}
	if lost, ok := c.LostOnOpen(); ok {
		t.Fatalf("LostOnOpen %+v after a reorganisation the kill interrupted", lost)
	}
}
