package server_test

import (
	"testing"

	"powchain/chain/chaintest"
	"powchain/rpc"
	"powchain/wire"
)

// TestGetRawTransactionFeeAndPrevouts: getrawtransaction verbosity 2 gives
// a transaction its fee and each of its inputs its prevout where the node
// knows what the inputs spent: for a best-chain transaction found through
// the index or in its given block, from the block's undo record (the
// block chains two spends, the second spending an output of the first and
// a coinbase, so each must get its own part of the record); for a mempool
// transaction, from the UTXO set (a confirmed parent) or from a mempool
// parent. A transaction of a block off the best chain and a coinbase get
// neither; verbosity 1 neither either; verbosity 3 is refused. Fees are
// computed here, from the outputs the test knows each input spends.
func TestGetRawTransactionFeeAndPrevouts(t *testing.T) {
	e := newEnvTxIndex(t)
	g := e.miner
	f := e.chainedSpends()
	first, second, best, side, spent := f.first, f.second, f.best, f.side, f.spent
	cb3 := g.CoinbaseOut("b3")
	// parent spends a confirmed output of first; child spends parent's
	// output, in the mempool too, and a confirmed coinbase.
	parent := g.SpendTx([]chaintest.SpendableOut{g.TxOut(first, 1)}, 30_000, 1)
	child := g.SpendTx([]chaintest.SpendableOut{g.TxOut(parent, 0), cb3}, 40_000, 2)
	for _, tx := range []*wire.Tx{parent, child} {
		if _, _, err := e.pool.ProcessTransaction(tx, false, 0); err != nil {
			t.Fatalf("mempool refused %s: %v", tx.TxID(), err)
		}
	}

	addr := e.address(g.KeyHash())
	spent[parent] = []rpc.PrevOut{{Value: rpc.Amount(first.Outputs[1].Amount), Address: addr, Height: g.Height("spend")}}
	spent[child] = []rpc.PrevOut{{Value: rpc.Amount(parent.Outputs[0].Amount), Address: addr}, // a mempool parent's: height 0
		{Value: rpc.Amount(cb3.Amount), Address: addr, Height: 3, Coinbase: true}}
	rawTx := func(tx *wire.Tx, verbosity int, block *wire.Block) rpc.TxResult {
		t.Helper()
		params := []any{tx.TxID().String(), verbosity}
		if block != nil {
			params = append(params, block.BlockHash().String())
		}
		var res rpc.TxResult
		e.must("getrawtransaction", &res, params...)
		if res.TxID != tx.TxID().String() || len(res.Vin) != len(tx.Inputs) {
			t.Fatalf("getrawtransaction %v: %+v", params, res)
		}
		return res
	}
	for _, c := range []struct {
		what  string
		tx    *wire.Tx
		block *wire.Block
	}{
		{"through the index", first, nil},
		{"through the index", second, nil},
		{"in its given block", first, best},
		{"in its given block", second, best},
		{"in the mempool, with a confirmed parent", parent, nil},
		{"in the mempool, with a mempool parent", child, nil},
	} {
		got := rawTx(c.tx, 2, c.block)
		if want := feeOf(c.tx, spent[c.tx]); got.Fee == nil || *got.Fee != want {
			t.Errorf("%s, %s: fee %v, want %v", c.tx.TxID(), c.what, got.Fee, want)
		}
		for j, in := range got.Vin {
			if in.Prevout == nil || *in.Prevout != spent[c.tx][j] {
				t.Errorf("%s, %s: input %d has prevout %+v, want %+v", c.tx.TxID(), c.what, j, in.Prevout, spent[c.tx][j])
			}
		}
		if got := rawTx(c.tx, 1, c.block); got.Fee != nil || got.Vin[0].Prevout != nil {
			t.Errorf("%s, %s, verbosity 1: fee %v, prevout %v", c.tx.TxID(), c.what, got.Fee, got.Vin[0].Prevout)
		}
	}
	none := func(what string, got rpc.TxResult) {
		t.Helper()
		if got.Fee != nil {
			t.Errorf("%s: fee %v", what, *got.Fee)
		}
		for j, in := range got.Vin {
			if in.Prevout != nil {
				t.Errorf("%s: input %d has prevout %+v", what, j, *in.Prevout)
			}
		}
	}
	for _, tx := range []*wire.Tx{first, second} {
		got := rawTx(tx, 2, side)
		if got.BlockHash != side.BlockHash().String() || got.Confirmations == nil || *got.Confirmations != 0 {
			t.Errorf("%s in the side block: blockhash %s, confirmations %v", tx.TxID(), got.BlockHash, got.Confirmations)
		}
		none("off the best chain", got)
	}
	none("a coinbase through the index", rawTx(best.Transactions[0], 2, nil))
	none("a coinbase in its given block", rawTx(best.Transactions[0], 2, best))

	err := e.expectCode("getrawtransaction", rpc.CodeInvalidParameter, child.TxID().String(), 3)
	if want := "verbosity out of range: must be a whole number from 0 to 2"; err.Message != want {
		t.Errorf("verbosity 3: %q, want %q", err.Message, want)
	}
}
