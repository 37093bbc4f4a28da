package p2p

import (
	"testing"

	"powchain/chain"
	"powchain/wire"
)

func TestChainEventsTakeAndCap(t *testing.T) {
	e := NewChainEvents()
	if changed, txs := e.Take(); changed || txs != nil {
		t.Fatalf("fresh Take = %v, %v", changed, txs)
	}
	// A disconnected block with more transactions than the cap.
	txs := make([]*wire.Tx, maxDisconnectedTxs+2)
	txs[0] = &wire.Tx{} // the coinbase, never re-announced
	for i := 1; i < len(txs); i++ {
		txs[i] = &wire.Tx{Version: uint32(i)}
	}
	e.HandleChainNotification(chain.Notification{Type: chain.BlockDisconnected, Block: &wire.Block{Transactions: txs}})
	if changed, _ := e.Take(); changed {
		t.Fatal("Take reports a tip change before TipChanged")
	}
	select {
	case <-e.Changed():
		t.Fatal("signalled before TipChanged")
	default:
	}
	e.HandleChainNotification(chain.Notification{Type: chain.TipChanged})
	e.HandleChainNotification(chain.Notification{Type: chain.TipChanged}) // coalesced, never blocks
	<-e.Changed()
	changed, got := e.Take()
	if !changed || len(got) != maxDisconnectedTxs || got[0] != txs[1].TxID() {
		t.Fatalf("Take = %v, %d txs; want true, %d starting with the first non-coinbase", changed, len(got), maxDisconnectedTxs)
	}
	if changed, txs := e.Take(); changed || txs != nil {
		t.Fatalf("second Take = %v, %d txs; want nothing", changed, len(txs))
	}
}
