package server_test

import (
	"testing"

	"powchain/chain/chaintest"
	"powchain/rpc"
	"powchain/wire"
)

// TestGetBlockFeesAndPrevouts: getblock verbosity 2 gives each spend of a
// best-chain block its fee and the coinbase none; verbosity 3 adds to each
// spend's input the output it spent; a block off the best chain has
// neither (no undo record, as Bitcoin Core without undo data); verbosity
// 4 is refused. The block chains two spends, the second spending an
// output of the first and a coinbase, so each transaction must get its
// own part of the block's undo record, in order.
func TestGetBlockFeesAndPrevouts(t *testing.T) {
	e := newEnv(t)
	f := e.chainedSpends()
	best, side, spent := f.best, f.side, f.spent
	for _, verbosity := range []int{2, 3} {
		txs := e.blockTxs(best, verbosity)
		if txs[0].Fee != nil || txs[0].Vin[0].Prevout != nil {
			t.Errorf("verbosity %d: the coinbase has fee %v, prevout %v", verbosity, txs[0].Fee, txs[0].Vin[0].Prevout)
		}
		for i, tx := range best.Transactions[1:] {
			got := txs[i+1]
			if want := feeOf(tx, spent[tx]); got.Fee == nil || *got.Fee != want {
				t.Errorf("verbosity %d: tx %d has fee %v, want %v", verbosity, i+1, got.Fee, want)
			}
			for j, in := range got.Vin {
				switch {
				case verbosity == 2 && in.Prevout != nil:
					t.Errorf("verbosity 2: tx %d input %d has a prevout %+v", i+1, j, *in.Prevout)
				case verbosity == 3 && (in.Prevout == nil || *in.Prevout != spent[tx][j]):
					t.Errorf("verbosity 3: tx %d input %d has prevout %+v, want %+v", i+1, j, in.Prevout, spent[tx][j])
				}
			}
		}
		for i, tx := range e.blockTxs(side, verbosity) {
			if tx.Fee != nil {
				t.Errorf("verbosity %d off the best chain: tx %d has fee %v", verbosity, i, *tx.Fee)
			}
			for j, in := range tx.Vin {
				if in.Prevout != nil {
					t.Errorf("verbosity %d off the best chain: tx %d input %d has prevout %+v", verbosity, i, j, *in.Prevout)
				}
			}
		}
	}
	err := e.expectCode("getblock", rpc.CodeInvalidParameter, best.BlockHash().String(), 4)
	if want := "verbosity out of range: must be a whole number from 0 to 3"; err.Message != want {
		t.Errorf("verbosity 4: %q, want %q", err.Message, want)
	}
}

// chainedSpends is the chain both fee tests read: blocks b1..b4, then
// "spend" (the tip) holding first, which spends b1's coinbase, and second,
// which spends first's output 0 and b2's coinbase; and "side", the same two
// spends on b4 as well, off the best chain (as much work, arrived later).
type chainedSpends struct {
	first, second *wire.Tx
	best, side    *wire.Block
	// spent holds what each input of first and second spent, in order.
	spent map[*wire.Tx][]rpc.PrevOut
}

func (e *env) chainedSpends() chainedSpends {
	e.t.Helper()
	g := e.miner
	for _, name := range []string{"b1", "b2", "b3", "b4"} {
		e.process(g.NextBlock(name, nil))
	}
	cb1, cb2 := g.CoinbaseOut("b1"), g.CoinbaseOut("b2")
	f := chainedSpends{first: g.SpendTx([]chaintest.SpendableOut{cb1}, 5_000, 2)}
	f.second = g.SpendTx([]chaintest.SpendableOut{g.TxOut(f.first, 0), cb2}, 7_000, 1)
	f.best = g.NextBlock("spend", []*wire.Tx{f.first, f.second})
	e.process(f.best)
	g.SetTip("b4")
	f.side = g.NextBlock("side", []*wire.Tx{f.first, f.second})
	e.process(f.side)
	if tip := e.chain.Tip().Hash; tip != f.best.BlockHash() {
		e.t.Fatalf("the tip is %s, not the block with the spends", tip)
	}
	addr := e.address(g.KeyHash())
	f.spent = map[*wire.Tx][]rpc.PrevOut{
		f.first: {{Value: rpc.Amount(cb1.Amount), Address: addr, Height: 1, Coinbase: true}},
		f.second: {{Value: rpc.Amount(f.first.Outputs[0].Amount), Address: addr, Height: g.Height("spend")},
			{Value: rpc.Amount(cb2.Amount), Address: addr, Height: 2, Coinbase: true}},
	}
	return f
}

// feeOf is what tx's inputs spent (prev, as the test built them) minus
// what its outputs pay.
func feeOf(tx *wire.Tx, prev []rpc.PrevOut) rpc.Amount {
	var fee rpc.Amount
	for _, p := range prev {
		fee += p.Value
	}
	for _, o := range tx.Outputs {
		fee -= rpc.Amount(o.Amount)
	}
	return fee
}

// process connects blk to the env's chain, or fails the test.
func (e *env) process(blk *wire.Block) {
	e.t.Helper()
	if _, err := e.chain.ProcessBlock(blk); err != nil {
		e.t.Fatalf("block %s: %v", blk.BlockHash(), err)
	}
}

// blockTxs is getblock's tx at verbosity 2 or 3.
func (e *env) blockTxs(blk *wire.Block, verbosity int) []rpc.TxResult {
	e.t.Helper()
	var res struct {
		Tx []rpc.TxResult `json:"tx"`
	}
	e.must("getblock", &res, blk.BlockHash().String(), verbosity)
	if len(res.Tx) != len(blk.Transactions) {
		e.t.Fatalf("getblock %d: %d transactions, the block has %d", verbosity, len(res.Tx), len(blk.Transactions))
	}
	return res.Tx
}
