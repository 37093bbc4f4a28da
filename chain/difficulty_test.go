package chain_test

import (
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// TestDifficultyAnchor: aserti3-2d is anchored at block 1 of each chain.
// Block 1 must carry the genesis bits exactly; later blocks follow the
// schedule counted from their own chain's block 1, not from genesis and not
// from another branch's block 1, and the anchor survives a restart.
func TestDifficultyAnchor(t *testing.T) {
	h := newHarness(t)
	g, p := h.g, h.g.Params()
	setBits := func(bits uint32) chaintest.Munger { return func(b *wire.Block) { b.Header.Bits = bits } }
	genesis := p.GenesisBlock.Header

	// Block 1: the genesis bits, neither the (easier) limit nor anything
	// harder, although both have valid proof of work.
	g.NextBlock("a1-limit", nil, setBits(p.PowLimitBits))
	h.reject("a1-limit", chain.ErrUnexpectedBits)
	g.SetTip("genesis")
	g.NextBlock("a1-harder", nil, setBits(genesis.Bits-1))
	h.reject("a1-harder", chain.ErrUnexpectedBits)

	// Branch a starts one spacing after genesis, branch b 40 spacings
	// (four half-lives) later; both are then on their own schedule.
	g.SetTip("genesis")
	h.extend("a", 3)
	g.SetTip("genesis")
	late := 40 * p.TargetSpacing
	g.NextBlock("b1", nil, func(b *wire.Block) { b.Header.Timestamp += late })
	h.acceptSide("b1")
	a1, b1 := g.Block("a1").Header.Timestamp, g.Block("b1").Header.Timestamp

	// On b, bits counted from a's block 1 (or from genesis, the old rule:
	// the same schedule here) would be 2^4 times easier.
	easier := p.NextBits(1, b1, a1)
	if easier == genesis.Bits {
		t.Fatalf("test setup: anchors a and b give the same bits %#08x", easier)
	}
	g.NextBlock("b2-a-anchor", nil, setBits(easier))
	h.reject("b2-a-anchor", chain.ErrUnexpectedBits)
	g.SetTip("b1")
	g.NextBlock("b2", nil)
	if got := g.Block("b2").Header.Bits; got != genesis.Bits {
		t.Fatalf("b2 on schedule carries %#08x, want the anchor's %#08x", got, genesis.Bits)
	}
	h.acceptSide("b2")

	// On a, bits counted from b's block 1 would be 2^4 times harder.
	harder := p.NextBits(3, g.Block("a3").Header.Timestamp, b1)
	g.SetTip("a3")
	g.NextBlock("a4-b-anchor", nil, setBits(harder))
	h.reject("a4-b-anchor", chain.ErrUnexpectedBits)

	// After a restart the anchors come back from the block index.
	h.reopen()
	g.SetTip("a3")
	g.NextBlock("a4", nil)
	h.accept("a4")
	g.SetTip("b2")
	g.NextBlock("b3-a-anchor", nil, setBits(p.NextBits(2, g.Block("b2").Header.Timestamp, a1)))
	h.reject("b3-a-anchor", chain.ErrUnexpectedBits)
	g.SetTip("b2")
	g.NextBlock("b3", nil)
	h.acceptSide("b3")
	if tip := h.c.Tip(); tip.AnchorTime != a1 {
		t.Fatalf("tip's anchor time %d, want a1's timestamp %d", tip.AnchorTime, a1)
	}
}

// TestRegtestConstantBits: on regtest every block carries the genesis bits,
// whatever the pace; any other bits are refused, harder ones too.
func TestRegtestConstantBits(t *testing.T) {
	p := chain.RegtestParams()
	h := newHarnessWithParams(t, p)
	h.clock.Set(time.Unix(p.GenesisBlock.Header.Timestamp, 0).Add(24 * time.Hour))
	h.extend("r", 30) // 30 blocks in 30 seconds: far ahead of a 600 s spacing
	for _, name := range []string{"r1", "r30"} {
		if bits := h.g.Block(name).Header.Bits; bits != p.PowLimitBits {
			t.Fatalf("%s bits %#08x, want %#08x", name, bits, p.PowLimitBits)
		}
	}
	h.g.NextBlock("r31-harder", nil, func(b *wire.Block) { b.Header.Bits = chaintest.GenesisBits })
	h.reject("r31-harder", chain.ErrUnexpectedBits)
}
