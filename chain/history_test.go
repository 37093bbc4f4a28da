package chain_test

import (
	"bytes"
	"cmp"
	"errors"
	"slices"
	"testing"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// expectIndexes checks the address history of every key hash the best
// chain ending at name pays, and the transaction index when on, against a
// from-scratch replay; gone lists blocks whose transactions must not be
// found.
func (h *harness) expectIndexes(name string, gone ...string) {
	h.t.Helper()
	blocks := h.g.BlocksTo(name)
	replay := chaintest.ReplayHistory(blocks)
	var khs []wire.KeyHash
	for kh, want := range replay {
		got, total, err := h.c.AddressHistory(kh, 0, 0)
		if err != nil {
			h.t.Fatalf("AddressHistory: %v", err)
		}
		if total != len(want) || !slices.Equal(got, want) {
			h.t.Fatalf("history of %x after %s:\n got %d (total %d) %+v\nwant %d %+v", kh, name, len(got), total, got, len(want), want)
		}
		khs = append(khs, kh)
	}
	merged, total, named, tip, err := h.c.AddressHistoryPage(append(khs, khs...), 0, 0)
	if err != nil || tip.Hash != blocks[len(blocks)-1].BlockHash() {
		h.t.Fatalf("AddressHistoryPage: tip %s, %v", tip.Hash, err)
	}
	var want []chain.AddressHistoryEntryOf
	for i, kh := range khs {
		for _, e := range replay[kh] {
			want = append(want, chain.AddressHistoryEntryOf{AddressHistoryEntry: e, Key: i})
		}
	}
	slices.SortFunc(want, func(x, y chain.AddressHistoryEntryOf) int {
		if c := cmp.Compare(x.Height, y.Height); c != 0 {
			return c
		}
		if c := bytes.Compare(x.OutPoint.TxID[:], y.OutPoint.TxID[:]); c != 0 {
			return c
		}
		return cmp.Compare(x.OutPoint.Index, y.OutPoint.Index)
	})
	if total != len(want) || !slices.Equal(merged, want) {
		h.t.Fatalf("AddressHistoryPage of every key hash (each given twice) after %s:\n got %d (total %d) %+v\nwant %d %+v", name, len(merged), total, merged, len(want), want)
	}
	for _, e := range merged {
		created, spender := named[e.Height], named[e.SpentHeight]
		if created.Hash != blocks[e.Height].BlockHash() || created.Time != blocks[e.Height].Header.Timestamp ||
			(e.Spent && spender.Hash != blocks[e.SpentHeight].BlockHash()) {
			h.t.Fatalf("AddressHistoryPage names the wrong blocks for %+v", e)
		}
	}
	for skip := 0; skip <= len(want); skip += 3 {
		page, total, named, _, err := h.c.AddressHistoryPage(khs, skip, 3)
		if err != nil || total != len(want) || !slices.Equal(page, want[skip:min(skip+3, len(want))]) {
			h.t.Fatalf("AddressHistoryPage(skip %d, limit 3): total %d, %v, %+v", skip, total, err, page)
		}
		for _, e := range page {
			if _, ok := named[e.Height]; !ok {
				h.t.Fatalf("AddressHistoryPage(skip %d, limit 3) does not name block %d", skip, e.Height)
			}
		}
	}
	if !h.cfg.TxIndex {
		return
	}
	for _, b := range blocks {
		for _, tx := range b.Transactions {
			got, blk, found, err := h.c.FindTransaction(tx.TxID())
			if err != nil || !found || got.TxID() != tx.TxID() || blk.Hash != b.BlockHash() {
				h.t.Fatalf("FindTransaction(%s) after %s: found %v in %s, %v", tx.TxID(), name, found, blk.Hash, err)
			}
		}
	}
	for _, g := range gone {
		for _, tx := range h.g.Block(g).Transactions {
			if _, _, found, err := h.c.FindTransaction(tx.TxID()); found || err != nil {
				h.t.Fatalf("FindTransaction(%s) of disconnected block %s: found %v, %v", tx.TxID(), g, found, err)
			}
		}
	}
}

func newIndexedHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.c.Close()
	h.cfg.TxIndex = true
	c, err := chain.Open(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	return h
}

// historyScenario builds a chain with spends (one of an output created in
// the same block) and a reorganisation that drops one of them; it returns
// the tip's name and the disconnected blocks.
func historyScenario(h *harness) (tip string, gone []string) {
	h.extend("a", 12)
	first := h.g.SpendTx(outs{h.g.CoinbaseOut("a1")}, 5, 3)
	second := h.g.SpendTx(outs{h.g.TxOut(first, 1)}, 7, 2) // spends an output of the same block
	h.g.NextBlock("spend", []*wire.Tx{first, second})
	h.accept("spend")
	h.expectIndexes("spend")
	h.g.NextBlock("spend2", []*wire.Tx{h.g.SpendTx(outs{h.g.CoinbaseOut("a2"), h.g.TxOut(second, 0)}, 9, 1)})
	h.accept("spend2")
	h.expectIndexes("spend2")

	// A longer branch from "spend" drops spend2 and spends a2 differently.
	h.g.SetTip("spend")
	h.g.NextBlock("b1", []*wire.Tx{h.g.SpendTx(outs{h.g.CoinbaseOut("a2")}, 1, 2)})
	h.acceptSide("b1")
	h.g.NextBlock("b2", nil)
	h.accept("b2")
	h.expectIndexes("b2", "spend2")
	return "b2", []string{"spend2"}
}

// TestAddressHistoryFollowsTheBestChain: the history and transaction
// indexes equal a replay of the best chain after connects, a same-block
// spend, a reorganisation, a reopen and a reindex.
func TestAddressHistoryFollowsTheBestChain(t *testing.T) {
	h := newIndexedHarness(t)
	tip, gone := historyScenario(h)
	h.reopen()
	h.expectIndexes(tip, gone...)
	h.c.Close()
	c, err := chain.Reindex(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	h.expectIndexes(tip, gone...)
}

// TestAddressHistoryPages: skip and limit cut the oldest-first list, and
// total counts all of it.
func TestAddressHistoryPages(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 5)
	all, total, err := h.c.AddressHistory(h.g.KeyHash(), 0, 0)
	if err != nil || total != 5 || len(all) != 5 {
		t.Fatalf("all: %d entries, total %d, %v; want 5", len(all), total, err)
	}
	page, total, err := h.c.AddressHistory(h.g.KeyHash(), 1, 2)
	if err != nil || total != 5 || !slices.Equal(page, all[1:3]) {
		t.Fatalf("page (1,2): %+v, total %d, %v; want %+v", page, total, err, all[1:3])
	}
	page, total, _ = h.c.AddressHistory(h.g.KeyHash(), 9, 2)
	if len(page) != 0 || total != 5 {
		t.Fatalf("past the end: %d entries, total %d", len(page), total)
	}
	if all[0].Height != 1 || all[4].Height != 5 || all[0].Spent {
		t.Fatalf("order: %+v", all)
	}
}

// TestTxIndexSwitch: without the index FindTransaction says so; turning it
// on for an existing database builds it, turning it off deletes it.
func TestTxIndexSwitch(t *testing.T) {
	h := newHarness(t)
	tip, gone := historyScenario(h)
	someTx := h.g.Block("spend").Transactions[1].TxID()
	if _, _, _, err := h.c.FindTransaction(someTx); !errors.Is(err, chain.ErrNoTxIndex) {
		t.Fatalf("without the index: %v, want ErrNoTxIndex", err)
	}
	h.cfg.TxIndex = true
	h.reopen()
	h.expectIndexes(tip, gone...)
	h.cfg.TxIndex = false
	h.reopen()
	if n := countPrefix(t, h, 'x'); n != 0 {
		t.Fatalf("%d transaction index records left after turning it off", n)
	}
	h.cfg.TxIndex = true
	h.reopen()
	h.expectIndexes(tip, gone...)
}

// countPrefix closes the chain, counts the keys starting with prefix and
// reopens it.
func countPrefix(t *testing.T, h *harness, prefix byte) int {
	t.Helper()
	n := countKeys(t, h.cfg.Path, h.c, prefix)
	h.c = mustOpen(t, h.cfg)
	return n
}
