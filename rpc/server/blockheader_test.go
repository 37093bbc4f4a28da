package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"powchain/chain/chaintest"
	"powchain/rpc"
	"powchain/wire"
)

// TestBlockHeaderNTx: getblockheader's nTx is the block's number of
// transactions, on the best chain and off it, equal to getblock's; for a
// header whose block the node does not have it is 0 (present, not
// omitted), as Bitcoin Core answers, while getblock says the block is not
// available.
func TestBlockHeaderNTx(t *testing.T) {
	e := newEnv(t)
	g := e.miner
	for _, name := range []string{"b1", "b2"} {
		e.process(g.NextBlock(name, nil))
	}
	first := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 5_000, 2)
	second := g.SpendTx([]chaintest.SpendableOut{g.TxOut(first, 0)}, 5_000, 1)
	e.process(g.NextBlock("spend", []*wire.Tx{first, second}))
	g.SetTip("b2")
	e.process(g.NextBlock("side", []*wire.Tx{first})) // as much work: "spend", first seen, stays the tip
	g.SetTip("spend")
	headerOnly := g.NextBlock("header-only", nil)
	if err := e.chain.ProcessHeaders([]wire.BlockHeader{headerOnly.Header}); err != nil {
		t.Fatal(err)
	}

	want := map[string]int{"b1": 1, "b2": 1, "spend": 3, "side": 2}
	for name, n := range want {
		hash := g.Block(name).BlockHash().String()
		var header rpc.BlockHeaderResult
		e.must("getblockheader", &header, hash)
		var block rpc.BlockResult
		e.must("getblock", &block, hash, 1)
		if header.NTx != n || block.NTx != n {
			t.Errorf("%s: getblockheader nTx %d, getblock nTx %d; want %d", name, header.NTx, block.NTx, n)
		}
		if (name == "side") != (header.Confirmations == -1) {
			t.Errorf("%s: confirmations %d", name, header.Confirmations)
		}
	}
	genesis, _ := e.chain.HashByHeight(0)
	var header rpc.BlockHeaderResult
	if e.must("getblockheader", &header, genesis.String()); header.NTx != 1 {
		t.Errorf("genesis: nTx %d", header.NTx)
	}

	hash := headerOnly.BlockHash().String()
	var raw map[string]json.RawMessage
	e.must("getblockheader", &raw, hash)
	if got := string(raw["nTx"]); got != "0" {
		t.Errorf("header-only block: nTx %q, want 0", got)
	}
	err := e.expectCode("getblock", rpc.CodeMiscError, hash, 1)
	if !strings.Contains(err.Message, "header only") {
		t.Errorf("getblock of a header-only block: %q", err.Message)
	}
	// Once the block arrives its header counts its transactions.
	e.process(headerOnly)
	if e.must("getblockheader", &header, hash); header.NTx != 1 || header.Confirmations != 1 {
		t.Errorf("block arrived: nTx %d, confirmations %d", header.NTx, header.Confirmations)
	}
}
