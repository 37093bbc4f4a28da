package p2p

import (
	"sync"

	"powchain/chain"
	"powchain/wire"
)

// maxDisconnectedTxs bounds the transactions of disconnected blocks kept
// for re-announcement between two ChainChanged inputs.
const maxDisconnectedTxs = 100_000

// ChainEvents is what every driver of a Core needs between a chain
// subscription and the Core's ChainChanged input: it records, without ever
// blocking the chain, whether the tip changed and which transactions the
// disconnected blocks held (capped at maxDisconnectedTxs), until the driver
// takes them on its own goroutine. The TCP Server and the simulator both
// use it, so they cannot drift apart.
//
// Concurrency: HandleChainNotification may run on any goroutine (the chain
// delivers on whichever goroutine changed it, possibly the driver's own);
// Take and Changed are for the driver. mu guards tipChanged and txs and is
// never held while anything else is called.
type ChainEvents struct {
	mu         sync.Mutex
	tipChanged bool
	txs        []wire.Hash

	changed chan struct{} // one pending signal, coalesced
}

// NewChainEvents returns an empty ChainEvents.
func NewChainEvents() *ChainEvents {
	return &ChainEvents{changed: make(chan struct{}, 1)}
}

// HandleChainNotification records n; it never blocks. Subscribe it to the
// chain after the mempool, so that a driver woken by it sees a pool that
// has caught up with the chain.
func (e *ChainEvents) HandleChainNotification(n chain.Notification) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch n.Type {
	case chain.BlockDisconnected:
		for _, tx := range n.Block.Transactions[1:] {
			if len(e.txs) < maxDisconnectedTxs {
				e.txs = append(e.txs, tx.TxID())
			}
		}
	case chain.TipChanged:
		e.tipChanged = true
		select {
		case e.changed <- struct{}{}:
		default:
		}
	}
}

// Changed is signalled when the tip has changed since the last Take (a
// pending signal may be left over from changes an earlier Take collected).
func (e *ChainEvents) Changed() <-chan struct{} { return e.changed }

// Take reports whether the tip changed since the last Take and, if it did,
// returns the transactions of the blocks disconnected meanwhile (what
// Core.ChainChanged takes) and forgets them.
func (e *ChainEvents) Take() (tipChanged bool, disconnectedTxs []wire.Hash) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.tipChanged {
		return false, nil
	}
	tipChanged, disconnectedTxs = e.tipChanged, e.txs
	e.tipChanged, e.txs = false, nil
	return tipChanged, disconnectedTxs
}
