package explorer

import (
	"math"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/mempool/mempooltest"
)

// TestConfirmations: a block at the tip has one confirmation, and a block
// above the tip (a reorganisation took the tip below it between reading
// the tip and reading the block or an index) has none, never a wrapped
// count.
func TestConfirmations(t *testing.T) {
	cases := []struct{ tip, height, want uint64 }{
		{10, 10, 1},
		{10, 1, 10},
		{0, 0, 1},
		{10, 11, 0},
		{10, 12, 0},
		{0, math.MaxUint64, 0},
	}
	for _, c := range cases {
		if got := confirmations(c.tip, c.height); got != c.want {
			t.Errorf("confirmations(tip %d, height %d) = %d, want %d", c.tip, c.height, got, c.want)
		}
	}
}

// TestConfirmationsAboveTip: the address view's unspent outputs and a
// confirmed transaction read while a reorganisation shortens the chain
// (their block above the tip read after them) show 0 confirmations, an
// immature coinbase and a count that cannot be read as "unconfirmed" (-1)
// or as billions of blocks.
func TestConfirmationsAboveTip(t *testing.T) {
	const maturity = 10
	cases := []struct {
		tip, height uint64
		conf        uint64
		mature      bool
	}{
		{20, 11, 10, true},
		{20, 12, 9, false},
		{10, 12, 0, false},
	}
	for _, c := range cases {
		u := addressUtxo("addr", chain.AddressUtxo{Entry: chain.UtxoEntry{Height: c.height, Coinbase: true}}, c.tip, maturity)
		if u.Confirmations != c.conf || u.Mature != c.mature {
			t.Errorf("coinbase output at height %d, tip %d: %d confirmations, mature %v; want %d, %v",
				c.height, c.tip, u.Confirmations, u.Mature, c.conf, c.mature)
		}
	}

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
	if tx.Confirmations != 0 || tx.Height == nil || *tx.Height != 3 {
		t.Fatalf("transaction of block 3 with the tip at 1: %d confirmations, want 0 (its block is above the tip)", tx.Confirmations)
	}
	if tx = s.confirmedTx(blk.Transactions[0], info, 3, nil); tx.Confirmations != 1 {
		t.Fatalf("transaction of the tip block: %d confirmations, want 1", tx.Confirmations)
	}
}
