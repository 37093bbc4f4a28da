package chain_test

import (
	"errors"
	"testing"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// TestChainTxCount: BlockInfo.ChainTxCount is the number of transactions
// of the chain ending at the block, its own included, for every block
// whose chain has all its bodies stored (best chain or side branch), and
// 0 for a header without its body and for a body whose parent's is
// missing, until that arrives; the counts are computed again when the
// chain opens (from records with or without their transaction counts)
// and when it is reindexed.
func TestChainTxCount(t *testing.T) {
	h := txCountChain(t)
	g, params := h.g, h.cfg.Params
	g.NextBlock("h4", []*wire.Tx{g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("fan")}, 10, 2)})
	g.NextBlock("h5", nil)
	if err := h.c.ProcessHeaders([]wire.BlockHeader{g.Block("h4").Header, g.Block("h5").Header}); err != nil {
		t.Fatal(err)
	}

	// The test's own sums, from the blocks it built: each block's
	// transactions plus its parent's chain's.
	want := map[string]uint64{}
	var sum func(name string) uint64
	sum = func(name string) uint64 {
		if name == "genesis" {
			return uint64(len(params.GenesisBlock.Transactions))
		}
		return sum(parentName(g, name)) + uint64(len(g.Block(name).Transactions))
	}
	check := func(when string) {
		t.Helper()
		for _, name := range []string{"genesis", "b1", "fan", "spends", "side", "h4", "h5"} {
			hash := params.GenesisHash
			if name != "genesis" {
				hash = g.Block(name).BlockHash()
			}
			info, ok := h.c.BlockInfoByHash(hash)
			if !ok || info.ChainTxCount != want[name] {
				t.Errorf("%s: %s has ChainTxCount %d (known %v), want %d", when, name, info.ChainTxCount, ok, want[name])
			}
		}
	}
	for _, name := range []string{"genesis", "b1", "fan", "spends", "side"} {
		want[name] = sum(name)
	}
	if want["spends"] != 1+1+2+4 || want["side"] != 1+1+1 {
		t.Fatalf("the test's sums are off: %v", want)
	}
	check("as accepted, h4 and h5 headers only")

	// h5's body before its parent's: stored, but its chain is not whole.
	if _, err := h.process("h5"); err != nil {
		t.Fatal(err)
	}
	check("h5's body without h4's")
	h.reopen()
	check("reopened without h4's body")
	if _, err := h.process("h4"); err != nil {
		t.Fatal(err)
	}
	h.expectTip("h5")
	want["h4"], want["h5"] = sum("h4"), sum("h5")
	check("h4's body arrived")

	h.reopen()
	check("reopened")
	if err := h.c.DropTxCounts(); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	check("reopened over records without transaction counts")
	if err := h.c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := chain.Reindex(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	check("reindexed")
}

// parentName is the name of the block the generator built name on
// ("genesis" for the first).
func parentName(g *chaintest.Generator, name string) string {
	prev := g.Block(name).Header.PrevBlock
	for _, n := range []string{"b1", "fan", "spends", "side", "h4", "h5"} {
		if g.Block(n).BlockHash() == prev {
			return n
		}
	}
	return "genesis"
}

// TestBlockAndAncestor: the block (the tip, or one named by hash, on the
// best chain or off it) and its ancestor as many blocks below as below
// says, both as BlockInfoByHash describes them; below's error comes back
// as it is, an unknown block is not ok, and a depth below the genesis
// block is an error.
func TestBlockAndAncestor(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 6)
	h.g.SetTip("a2")
	h.g.NextBlock("s3", nil)
	h.g.NextBlock("s4", nil)
	h.acceptSide("s3")
	h.acceptSide("s4")
	info := func(name string) chain.BlockInfo {
		t.Helper()
		i, ok := h.c.BlockInfoByHash(h.g.Block(name).BlockHash())
		if !ok {
			t.Fatalf("%s unknown", name)
		}
		return i
	}
	hashOf := func(name string) *wire.Hash {
		hash := h.g.Block(name).BlockHash()
		return &hash
	}
	for _, c := range []struct {
		end           *wire.Hash
		back          uint64
		want, wantAnc string
	}{
		{nil, 0, "a6", "a6"},
		{nil, 4, "a6", "a2"},
		{hashOf("a5"), 2, "a5", "a3"},
		{hashOf("s4"), 1, "s4", "s3"},
		{hashOf("s4"), 2, "s4", "a2"},
	} {
		var seen chain.BlockInfo
		end, anc, ok, err := h.c.BlockAndAncestor(c.end, func(e chain.BlockInfo) (uint64, error) {
			seen = e
			return c.back, nil
		})
		if !ok || err != nil || end.Hash != info(c.want).Hash || seen.Hash != end.Hash ||
			anc.Hash != info(c.wantAnc).Hash || anc.ChainTxCount != info(c.wantAnc).ChainTxCount || anc.MainChain != info(c.wantAnc).MainChain {
			t.Errorf("%s back %d: %s and %s (ok %v, %v), want %s and %s", c.want, c.back, end.Hash, anc.Hash, ok, err, c.want, c.wantAnc)
		}
	}
	tip := h.c.Tip()
	if _, anc, ok, err := h.c.BlockAndAncestor(nil, func(e chain.BlockInfo) (uint64, error) { return e.Height, nil }); !ok || err != nil || anc.Height != 0 || anc.Hash != h.g.Params().GenesisHash {
		t.Errorf("down to the genesis block: %+v, %v, %v", anc, ok, err)
	}
	if _, _, ok, err := h.c.BlockAndAncestor(nil, func(chain.BlockInfo) (uint64, error) { return tip.Height + 1, nil }); !ok || err == nil {
		t.Errorf("below the genesis block: ok %v, err %v", ok, err)
	}
	refused := errors.New("refused")
	if end, _, ok, err := h.c.BlockAndAncestor(nil, func(chain.BlockInfo) (uint64, error) { return 0, refused }); !ok || err != refused || end.Hash != tip.Hash {
		t.Errorf("below's error: %s, ok %v, %v", end.Hash, ok, err)
	}
	unknown := wire.Hash{1}
	if _, _, ok, err := h.c.BlockAndAncestor(&unknown, func(chain.BlockInfo) (uint64, error) { return 0, nil }); ok || err != nil {
		t.Errorf("unknown block: ok %v, %v", ok, err)
	}
}
