package chain_test

import (
	"testing"

	"powchain/wire"
)

// TestConnectBatchSizeBoundsTheBatch: the batch that connects a block is
// sized once, from the block, for everything it will hold (UTXO changes,
// undo record, address history, transaction index, index record and tip),
// so it never grows by doubling; and the estimate stays close (at most
// half again the real size), so it wastes little. The block mixes the
// shapes a batch holds: one-input two-output spends, an output spent in
// the block that created it, and a many-input transaction.
func TestConnectBatchSizeBoundsTheBatch(t *testing.T) {
	for _, indexed := range []bool{false, true} {
		h := newHarness(t)
		if indexed {
			h = newIndexedHarness(t)
		}
		h.extend("a", 12)
		fan := h.g.SpendTx(outs{h.g.CoinbaseOut("a1")}, 0, 300)
		h.g.NextBlock("fan", []*wire.Tx{fan})
		h.accept("fan")
		var txs []*wire.Tx
		for i := range uint32(299) {
			txs = append(txs, h.g.SpendTx(outs{h.g.TxOut(fan, i)}, 10, 2))
		}
		many := outs{h.g.CoinbaseOut("a2"), h.g.TxOut(fan, 299)}
		for _, tx := range txs[:50] {
			many = append(many, h.g.TxOut(tx, 1)) // spent in the block that creates it
		}
		txs = append(txs, h.g.SpendTx(many, 10, 1))
		blk := h.g.NextBlock("full", txs)
		hint, size, err := h.c.ConnectBatchSizes(blk)
		if err != nil {
			t.Fatal(err)
		}
		if size > hint || float64(hint) > 1.5*float64(size) {
			t.Errorf("txindex %v: batch of %d bytes sized for %d: want size <= hint <= 1.5 size", indexed, size, hint)
		}
		h.accept("full") // ConnectBatchSizes wrote nothing
	}
}
