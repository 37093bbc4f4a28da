package chain_test

import (
	"testing"

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
