package explorer

import (
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/mempool/mempooltest"
)

// TestConfirmationsAboveTip: a confirmed transaction read while a
// reorganisation shortens the chain (its block above the tip read after
// it) shows 0 confirmations, a count that cannot be read as "unconfirmed"
// (-1). The address view's lines are rpc/server's AddressUtxo, tested
// there.
func TestConfirmationsAboveTip(t *testing.T) {
	genesis := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	params := chaintest.Params(genesis)
	c, _ := mempooltest.Open(t, params, chaintest.NewClock(genesis.Add(time.Hour)), nil)
	g := chaintest.NewGenerator(t, params)
	for _, name := range []string{"b1", "b2", "b3"} {
		if _, err := c.ProcessBlock(g.NextBlock(name, nil)); err != nil {
			t.Fatal(err)
		}
	}
	blk := g.Block("b3")
	info, ok := c.BlockInfoByHash(blk.BlockHash())
	if !ok || !info.MainChain || info.Height != 3 {
		t.Fatalf("block b3: %+v", info)
	}
	s := &Source{Chain: c}
	tx := s.confirmedTx(blk.Transactions[0], info, 1, nil) // the tip read after the block: height 1
	if tx.Confirmations == nil || *tx.Confirmations != 0 || tx.Height == nil || *tx.Height != 3 {
		t.Fatalf("transaction of block 3 with the tip at 1: %v confirmations, want 0 (its block is above the tip)", tx.Confirmations)
	}
	if tx = s.confirmedTx(blk.Transactions[0], info, 3, nil); tx.Confirmations == nil || *tx.Confirmations != 1 {
		t.Fatalf("transaction of the tip block: %v confirmations, want 1", tx.Confirmations)
	}
}
