package chaintest

import (
	"fmt"

	"powchain/wire"
)

// LaneChain builds b1, a fan-out of lanes outputs, then n blocks of lanes
// one-input, two-output transactions each: transaction i spends output 0
// of transaction i of the block before (of the fan-out first). It returns
// the blocks and the transactions of the last n: the full blocks the sync
// benchmarks connect.
func LaneChain(g *Generator, lanes, n int) ([]*wire.Block, []*wire.Tx) {
	blocks := []*wire.Block{g.NextBlock("b1", nil)}
	fan := g.SpendTx([]SpendableOut{g.CoinbaseOut("b1")}, 0, lanes)
	blocks = append(blocks, g.NextBlock("fan", []*wire.Tx{fan}))
	outs := make([]SpendableOut, lanes)
	for i := range outs {
		outs[i] = g.TxOut(fan, uint32(i))
	}
	var all []*wire.Tx
	for k := range n {
		txs := make([]*wire.Tx, lanes)
		for i := range txs {
			txs[i] = g.SpendTx([]SpendableOut{outs[i]}, 10, 2)
			outs[i] = g.TxOut(txs[i], 0)
		}
		blocks = append(blocks, g.NextBlock(fmt.Sprintf("full%d", k), txs))
		all = append(all, txs...)
	}
	return blocks, all
}
