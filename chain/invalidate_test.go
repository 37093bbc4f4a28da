package chain_test

import (
	"errors"
	"fmt"
	"testing"

	"powchain/chain"
	"powchain/wire"
)

// TestInvalidateAndReconsider: invalidating a best-chain block moves the tip
// to the best remaining branch; reconsidering it moves the tip back.
func TestInvalidateAndReconsider(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 5)
	h.g.SetTip("a2")
	h.g.NextBlock("s3", nil)
	h.g.NextBlock("s4", nil)
	h.acceptSide("s3")
	h.acceptSide("s4")
	hash := func(n string) wire.Hash { return h.g.Block(n).BlockHash() }

	if err := h.c.InvalidateBlock(hash("a4")); err != nil {
		t.Fatal(err)
	}
	h.expectTip("s4") // beats a3, the rest of the old chain
	h.expectUTXOs("s4")
	for _, n := range []string{"a4", "a5"} {
		if info, _ := h.c.BlockInfoByHash(hash(n)); !info.Invalid || info.MainChain {
			t.Fatalf("%s after invalidateblock: %+v", n, info)
		}
	}
	h.reopen()
	h.expectTip("s4")

	if err := h.c.ReconsiderBlock(hash("a4")); err != nil {
		t.Fatal(err)
	}
	h.expectTip("a5")
	h.expectUTXOs("a5")
	if info, _ := h.c.BlockInfoByHash(hash("a5")); info.Invalid {
		t.Fatal("a5 still invalid after reconsiderblock")
	}

	if err := h.c.InvalidateBlock(h.c.Params().GenesisHash); err == nil {
		t.Fatal("invalidated the genesis block")
	}
	if err := h.c.InvalidateBlock(wire.Hash{1}); err == nil {
		t.Fatal("invalidated an unknown block")
	}
	if err := h.c.ReconsiderBlock(wire.Hash{1}); err == nil {
		t.Fatal("reconsidered an unknown block")
	}
}

// TestChainTips: every branch end is listed with its status.
func TestChainTips(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 4)
	h.g.SetTip("a2")
	h.g.NextBlock("fork3", nil)
	h.acceptSide("fork3") // stored, never connected
	h.g.SetTip("a1")
	h.g.NextBlock("bad2", nil, func(b *wire.Block) { b.Transactions[0].Outputs[0].Amount++ })
	h.g.NextBlock("bad3", nil)
	h.g.NextBlock("bad4", nil)
	h.g.NextBlock("bad5", nil)
	for _, n := range []string{"bad2", "bad3", "bad4"} {
		h.acceptSide(n)
	}
	h.reject("bad5", chain.ErrInvalidAncestor)
	h.g.SetTip("a3")
	hdr := h.g.NextBlock("header-only", nil).Header
	if err := h.c.ProcessHeaders([]wire.BlockHeader{hdr}); err != nil {
		t.Fatal(err)
	}
	if err := h.c.InvalidateBlock(h.g.Block("a4").BlockHash()); err != nil {
		t.Fatal(err)
	}
	if err := h.c.ReconsiderBlock(h.g.Block("a4").BlockHash()); err != nil {
		t.Fatal(err)
	}
	h.g.SetTip("a2")
	h.g.NextBlock("fork3b", nil)
	h.g.NextBlock("fork4b", nil)
	h.g.NextBlock("fork5b", nil)
	h.acceptSide("fork3b")
	h.acceptSide("fork4b")
	h.accept("fork5b") // a2..a4 become a validated fork
	got := map[string]string{}
	for _, tip := range h.c.ChainTips() {
		for _, n := range []string{"fork5b", "a4", "fork3", "bad5", "header-only"} {
			if h.g.Block(n).BlockHash() == tip.Hash {
				got[n] = fmt.Sprintf("%d/%d", tip.Status, tip.BranchLen)
			}
		}
	}
	want := map[string]string{
		"fork5b": fmt.Sprintf("%d/0", chain.TipActive), "a4": fmt.Sprintf("%d/2", chain.TipValidFork),
		"fork3": fmt.Sprintf("%d/1", chain.TipValidHeaders), "bad5": fmt.Sprintf("%d/4", chain.TipInvalid),
		"header-only": fmt.Sprintf("%d/2", chain.TipHeadersOnly),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("chain tips %v, want %v", got, want)
	}
}

// TestInvalidateBestChainBlockMovesBestHeader: invalidating a block of the
// best chain takes the best header off the invalidated branch too, to the
// best header not known to be invalid, as a reopen finds it.
func TestInvalidateBestChainBlockMovesBestHeader(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 5)
	h.g.SetTip("a1")
	h.g.NextBlock("s2", nil)
	h.acceptSide("s2")
	if err := h.c.InvalidateBlock(h.g.Block("a3").BlockHash()); err != nil {
		t.Fatal(err)
	}
	h.expectTip("a2")
	check := func(when string) {
		t.Helper()
		best := h.c.BestHeader()
		if best.Hash != h.g.Block("a2").BlockHash() || best.Invalid {
			t.Fatalf("best header %s: height %d, invalid %v; want a2, the tip", when, best.Height, best.Invalid)
		}
	}
	check("after invalidateblock")
	h.reopen()
	check("after a reopen")
}

// TestInterruptedInvalidateBlockResumes: an invalidateblock that stops
// after marking the block invalid and before disconnecting it (a crash,
// here a failed write) leaves the database's tip on the invalid branch;
// opening takes the chain off it, to the best valid branch.
func TestInterruptedInvalidateBlockResumes(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 5)
	h.c.SetConnectWriteHook(func(height uint64) error {
		return errors.New("crash")
	})
	if err := h.c.InvalidateBlock(h.g.Block("a3").BlockHash()); err == nil {
		t.Fatal("invalidateblock succeeded through a failed write")
	}
	h.reopen()
	h.expectTip("a2")
	h.expectUTXOs("a2")
	h.g.SetTip("a2")
	h.g.NextBlock("b3", nil)
	h.accept("b3")
}
