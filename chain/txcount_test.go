package chain_test

import (
	"maps"
	"testing"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// TestTxCount: BlockInfo.TxCount is the block's number of transactions
// for every block whose body is stored, on the best chain or off it, and
// 0 for a header without its body; the counts are in the index records,
// so they survive a reopen. Records without counts (as builds from before
// them wrote) get them from the bodies when the chain opens, written
// back.
func TestTxCount(t *testing.T) {
	h := txCountChain(t)
	g, params := h.g, h.cfg.Params
	headersOnly := []wire.BlockHeader{g.NextBlock("h4", nil).Header, g.NextBlock("h5", nil).Header}
	if err := h.c.ProcessHeaders(headersOnly); err != nil {
		t.Fatal(err)
	}

	want := map[wire.Hash]uint32{params.GenesisHash: 1}
	for name, n := range map[string]uint32{"b1": 1, "fan": 2, "spends": 4, "side": 1, "h4": 0, "h5": 0} {
		want[g.Block(name).BlockHash()] = n
	}
	check := func(when string) {
		t.Helper()
		for hash, n := range want {
			info, ok := h.c.BlockInfoByHash(hash)
			if !ok || info.TxCount != int(n) || info.HaveData != (n > 0) {
				t.Fatalf("%s: block %s: TxCount %d (have data %v, known %v), want %d", when, hash, info.TxCount, info.HaveData, ok, n)
			}
		}
		stored, err := h.c.StoredTxCounts()
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(stored, want) {
			t.Fatalf("%s: index records count %v, want %v", when, stored, want)
		}
	}
	check("as accepted")
	h.reopen()
	check("reopened")

	if err := h.c.DropTxCounts(); err != nil {
		t.Fatal(err)
	}
	stored, err := h.c.StoredTxCounts()
	if err != nil || stored[g.Block("spends").BlockHash()] != 0 {
		t.Fatalf("DropTxCounts left %v, %v", stored, err)
	}
	h.reopen()
	check("reopened over records without counts")

	// A body that arrives after its header gets its count.
	h.accept("h4")
	want[g.Block("h4").BlockHash()] = 1
	check("h4's body arrived")
	if tip := h.c.Tip(); tip.TxCount != 1 || tip.Hash != g.Block("h4").BlockHash() {
		t.Fatalf("tip %+v", tip)
	}
}

// txCountChain is the chain both transaction-count tests start from: b1,
// "fan" (a spend of b1's coinbase into three outputs), "spends" (three
// spends of those, the tip) and "side" (an empty block on b1, off the
// best chain), with a coinbase maturity of 1; the generator's tip is
// "spends".
func txCountChain(t *testing.T) *harness {
	t.Helper()
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	h := newHarnessWithParams(t, params)
	g := h.g
	g.NextBlock("b1", nil)
	h.accept("b1")
	fan := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 0, 3)
	g.NextBlock("fan", []*wire.Tx{fan})
	h.accept("fan")
	var spends []*wire.Tx
	for i := range 3 {
		spends = append(spends, g.SpendTx([]chaintest.SpendableOut{g.TxOut(fan, uint32(i))}, 10, 1))
	}
	g.NextBlock("spends", spends)
	h.accept("spends")
	g.SetTip("b1")
	g.NextBlock("side", nil)
	h.acceptSide("side")
	g.SetTip("spends")
	return h
}
