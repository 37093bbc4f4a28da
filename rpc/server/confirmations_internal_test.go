package server

import (
	"math"
	"testing"

	"powchain/chain"
)

// TestConfirmations: a block at the tip has one confirmation, and a block
// above the tip (a block connected, or a reorganisation that took the tip
// below it, between reading the tip and reading the block or an index)
// has none, never a wrapped count.
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
		if got := Confirmations(c.tip, c.height); got != c.want {
			t.Errorf("Confirmations(tip %d, height %d) = %d, want %d", c.tip, c.height, got, c.want)
		}
	}
	for _, c := range []struct {
		tip, height uint64
		want        int64
	}{{10, 10, 1}, {10, 1, 10}, {10, 11, -1}, {10, 13, -1}} {
		if got := blockConfirmations(c.tip, c.height); got != c.want {
			t.Errorf("blockConfirmations(tip %d, height %d) = %d, want %d", c.tip, c.height, got, c.want)
		}
	}
}

// TestCoinbaseAboveTipImmature: getaddressutxos, getaddresshistory and the
// explorer's address view, read while the chain moves, show an output
// whose block is above the tip they read with 0 confirmations, and a
// coinbase one as immature. Before, mature wrapped (tip+1-height) and
// called a coinbase two blocks above the tip spendable, and
// getaddressutxos showed it with 18446744073709551615 confirmations.
func TestCoinbaseAboveTipImmature(t *testing.T) {
	p := &chain.Params{CoinbaseMaturity: 10}
	cases := []struct {
		tip, height uint64
		conf        uint64
		mature      bool
	}{
		{20, 11, 10, true},
		{20, 12, 9, false},
		{10, 11, 0, false},
		{10, 12, 0, false},
	}
	for _, c := range cases {
		if got := mature(p, c.tip, c.height, true); got != c.mature {
			t.Errorf("mature(tip %d, coinbase at %d) = %v, want %v", c.tip, c.height, got, c.mature)
		}
		u := AddressUtxo("addr", chain.AddressUtxo{Entry: chain.UtxoEntry{Height: c.height, Coinbase: true}}, c.tip, p)
		if u.Confirmations != c.conf || u.Mature != c.mature {
			t.Errorf("coinbase output at height %d, tip %d: %d confirmations, mature %v; want %d, %v",
				c.height, c.tip, u.Confirmations, u.Mature, c.conf, c.mature)
		}
	}
	if !mature(p, 10, 12, false) {
		t.Error("an output that is not a coinbase is always mature")
	}
}
