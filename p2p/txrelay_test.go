package p2p

import (
	"slices"
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// harnessWithCoins is a harness whose chain holds blocks b1 and b2 of g,
// b1's coinbase spendable.
func harnessWithCoins(t *testing.T) (*coreHarness, *chaintest.Generator) {
	t.Helper()
	h := newCoreHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	for _, blk := range buildChain(g, "b", 2) {
		if _, err := h.chain.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
	}
	return h, g
}

// invsOf counts the inv messages acts send peer id that list txid.
func invsOf(acts []Action, id PeerID, txid wire.Hash) int {
	n := 0
	for _, m := range sent(acts, id) {
		if inv, ok := m.(*MsgInv); ok && slices.Contains(inv.Items, InvVect{Type: InvTx, Hash: txid}) {
			n++
		}
	}
	return n
}

// A transaction submitted (AnnounceTxs) while the node has no peers is
// announced to the peers that come later, at the next rebroadcast (10 to
// 15 minutes on, as Bitcoin Core reattempts its unbroadcast transactions),
// once; after a peer asked for it, no more. Before, it was announced only
// to the peers connected when it was submitted, and so never left a node
// that had none.
func TestRebroadcastReachesLaterPeers(t *testing.T) {
	h, g := harnessWithCoins(t)
	h.core.Start(h.now)
	tx := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 2)
	addToPool(t, h, tx)
	txid := tx.TxID()
	h.core.AnnounceTxs(h.now, []wire.Hash{txid})
	start := h.now
	h.connect(1, 2)

	// wait ticks every 30 s for d, the peers keeping their connections
	// alive, and returns when peer id was first sent an inv of txid
	// (zero if never) and how many it was sent.
	wait := func(id PeerID, d time.Duration) (first time.Time, invs int) {
		for end := h.now.Add(d); h.now.Before(end); {
			h.now = h.now.Add(30 * time.Second)
			for _, p := range h.core.Peers() {
				h.core.Receive(h.now, p.ID, &MsgPong{})
			}
			n := invsOf(h.core.Tick(h.now), id, txid)
			if n > 0 && invs == 0 {
				first = h.now
			}
			invs += n
		}
		return first, invs
	}
	first, invs := wait(1, 30*time.Minute)
	if after := first.Sub(start); invs != 1 || after < 10*time.Minute || after > 15*time.Minute {
		t.Fatalf("a peer that came after the transaction was submitted got %d invs of it in 30 minutes (the first at %v); want one 10 to 15 minutes after",
			invs, first.Format(time.TimeOnly))
	}

	h.core.Receive(h.now, 1, &MsgGetData{Items: []InvVect{{Type: InvTx, Hash: txid}}})
	h.connect(2, 2)
	if _, invs := wait(2, 30*time.Minute); invs != 0 {
		t.Fatalf("after a peer asked for the transaction, a later peer got %d invs of it; want none", invs)
	}
}

// An orphan transaction whose missing parent a block mines enters the pool
// when the chain changes and is announced to the peers, with the orphan
// it unlocks in turn. Before, it waited in the orphan pool until it
// expired (20 minutes), though its inputs existed: peers that had it
// relayed it, and this node did not.
func TestMinedParentReleasesOrphans(t *testing.T) {
	h, g := harnessWithCoins(t)
	h.connect(1, 2)
	h.connect(2, 2)
	parent := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 2)
	child := g.SpendTx([]chaintest.SpendableOut{g.TxOut(parent, 0)}, 1000, 2)
	grandchild := g.SpendTx([]chaintest.SpendableOut{g.TxOut(child, 0)}, 1000, 2)
	for _, tx := range []*wire.Tx{grandchild, child} {
		h.core.Receive(h.now, 1, &MsgInv{Items: []InvVect{{Type: InvTx, Hash: tx.TxID()}}})
		h.core.Receive(h.now, 1, &MsgTx{Tx: tx})
		if !h.pool.IsOrphan(tx.TxID()) {
			t.Fatalf("%s is no orphan before its parent is mined", tx.TxID())
		}
	}
	if _, err := h.chain.ProcessBlock(g.NextBlock("b3", []*wire.Tx{parent})); err != nil {
		t.Fatal(err)
	}
	acts := h.core.ChainChanged(h.now, nil)
	for _, tx := range []*wire.Tx{child, grandchild} {
		if !h.pool.Has(tx.TxID()) || invsOf(acts, 2, tx.TxID()) != 1 {
			t.Fatalf("after its parent was mined, %s in the pool %v, announced to the other peer %d times; want in it, announced once",
				tx.TxID(), h.pool.Has(tx.TxID()), invsOf(acts, 2, tx.TxID()))
		}
	}
}
