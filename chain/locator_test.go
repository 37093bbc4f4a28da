package chain_test

import (
	"testing"

	"powchain/wire"
)

// TestLocatorsAndHeaders: a locator starts at the tip, thins out
// exponentially and ends at genesis; LocateHeaders answers from the fork
// point; MissingBlocks lists the bodies headers-first sync still needs.
func TestLocatorsAndHeaders(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 40)
	loc := h.c.TipLocator()
	if loc[0] != h.c.Tip().Hash || loc[len(loc)-1] != h.c.Params().GenesisHash {
		t.Fatalf("locator does not run from tip to genesis: %d entries", len(loc))
	}
	if len(loc) > 20 {
		t.Fatalf("locator of a 40-block chain has %d entries", len(loc))
	}

	// A peer on a fork of a30 asks for headers: it gets a31..a40.
	h.g.SetTip("a30")
	h.g.NextBlock("f31", nil)
	h.acceptSide("f31")
	peerLoc := []wire.Hash{h.g.Block("f31").BlockHash(), h.g.Block("a30").BlockHash(), h.c.Params().GenesisHash}
	got := h.c.LocateHeaders(peerLoc, wire.Hash{}, 2000)
	if len(got) != 10 || got[0].BlockHash() != h.g.Block("a31").BlockHash() {
		t.Fatalf("LocateHeaders gave %d headers starting at height-30 successor? first %s", len(got), got[0].BlockHash())
	}
	if got := h.c.LocateHeaders(peerLoc, h.g.Block("a33").BlockHash(), 2000); len(got) != 3 {
		t.Fatalf("stop hash ignored: %d headers", len(got))
	}
	if got := h.c.LocateHeaders(nil, wire.Hash{}, 5); len(got) != 5 || got[0].BlockHash() != h.g.Block("a1").BlockHash() {
		t.Fatalf("empty locator: %d headers", len(got))
	}

	// Headers ahead of the bodies: MissingBlocks lists them lowest first.
	h.g.SetTip("a40")
	var hdrs []wire.BlockHeader
	for i := 41; i <= 45; i++ {
		hdrs = append(hdrs, h.g.NextBlock("a"+itoa(i), nil).Header)
	}
	if err := h.c.ProcessHeaders(hdrs); err != nil {
		t.Fatal(err)
	}
	skip := h.g.Block("a41").BlockHash()
	missing := h.c.MissingBlocks(3, 1000, func(x wire.Hash) bool { return x == skip })
	if len(missing) != 3 || missing[0].Hash != h.g.Block("a42").BlockHash() || missing[0].Height != 42 || missing[2].Hash != h.g.Block("a44").BlockHash() {
		t.Fatalf("missing blocks %v", missing)
	}
	if capped := h.c.MissingBlocks(10, 43, nil); len(capped) != 3 || capped[2].Height != 43 {
		t.Fatalf("missing blocks up to height 43: %v", capped)
	}
	if h.c.HaveBlock(h.g.Block("a42").BlockHash()) || !h.c.HaveBlock(h.g.Block("a40").BlockHash()) {
		t.Fatal("HaveBlock wrong")
	}
	if loc := h.c.BestHeaderLocator(); loc[0] != h.g.Block("a45").BlockHash() {
		t.Fatal("best header locator does not start at the best header")
	}

	// A longer header branch from a38 takes over: the missing blocks are
	// now that branch's, from its fork point up.
	h.g.SetTip("a38")
	hdrs = nil
	for i := 39; i <= 48; i++ {
		hdrs = append(hdrs, h.g.NextBlock("s"+itoa(i), nil).Header)
	}
	if err := h.c.ProcessHeaders(hdrs); err != nil {
		t.Fatal(err)
	}
	missing = h.c.MissingBlocks(100, 1000, nil)
	if len(missing) != 10 || missing[0].Hash != h.g.Block("s39").BlockHash() || missing[9].Height != 48 {
		t.Fatalf("missing blocks after the header reorg: %v", missing)
	}
}

// TestEqualWorkHeaderDoesNotDisplaceTip: a competing header with the same
// work as the tip is not the best header (the tip's data came first), so
// sync does not chase it.
func TestEqualWorkHeaderDoesNotDisplaceTip(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 2)
	h.g.SetTip("a1")
	rival := h.g.NextBlock("b2", nil)
	if err := h.c.ProcessHeaders([]wire.BlockHeader{rival.Header}); err != nil {
		t.Fatal(err)
	}
	if best := h.c.BestHeader(); best.Hash != h.g.Block("a2").BlockHash() {
		t.Fatalf("best header %s, want the tip a2", best.Hash)
	}
	if missing := h.c.MissingBlocks(10, 100, nil); len(missing) != 0 {
		t.Fatalf("sync would fetch %v", missing)
	}
	// Its body arriving later changes nothing either: first seen wins.
	h.acceptSide("b2")
	if best := h.c.BestHeader(); best.Hash != h.g.Block("a2").BlockHash() {
		t.Fatalf("best header %s after b2's body, want a2", best.Hash)
	}
}
