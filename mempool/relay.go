package mempool

import (
	"bytes"
	"maps"
	"slices"

	"powchain/wire"
)

// The pool as the peer-to-peer layer sees it: *Pool satisfies p2p.TxPool
// with these methods, so no glue stands between them and p2p never
// imports this package.

// AcceptFromPeer admits tx, relayed by peer source, with orphans allowed
// (the p2p layer asks that peer for the missing parents). It returns the
// transactions that entered the pool (tx, then the orphans it released) and,
// if tx waits as an orphan, the parents it misses; errors are as
// ProcessTransaction's.
func (p *Pool) AcceptFromPeer(tx *wire.Tx, source uint64) (accepted []*wire.Tx, missingParents []wire.Hash, err error) {
	descs, missing, err := p.ProcessTransaction(tx, true, source)
	accepted = make([]*wire.Tx, len(descs))
	for i, d := range descs {
		accepted[i] = d.Tx
	}
	return accepted, missing, err
}

// Tx returns the pool transaction txid.
func (p *Pool) Tx(txid wire.Hash) (*wire.Tx, bool) {
	d, ok := p.Get(txid)
	if !ok {
		return nil, false
	}
	return d.Tx, true
}

// Knows reports whether txid is in the pool or waits in its orphan pool.
func (p *Pool) Knows(txid wire.Hash) bool { return p.Has(txid) || p.IsOrphan(txid) }

// RangeTxs calls f for every pool transaction (orphans are not), in no
// particular order, holding the pool's read lock: f must not call the
// pool. The p2p layer rebuilds compact blocks from them.
func (p *Pool) RangeTxs(f func(txid wire.Hash, tx *wire.Tx)) {
	p.rlock()
	defer p.mu.RUnlock()
	for txid, e := range p.entries {
		f(txid, e.desc.Tx)
	}
}

// SetUnbroadcast marks the pool transactions among txids unbroadcast:
// submitted to the node (sendrawtransaction) and asked for by no peer yet.
// The p2p layer announces them again until a peer asks for one
// (ClearUnbroadcast); a transaction leaves the set when it leaves the
// pool. The set is saved with the pool and comes back with it (Save,
// Load), as Bitcoin Core's unbroadcast set in mempool.dat. A txid not in
// the pool is ignored.
func (p *Pool) SetUnbroadcast(txids []wire.Hash) {
	p.rlock()
	defer p.mu.RUnlock()
	p.unbroadcastMu.Lock()
	defer p.unbroadcastMu.Unlock()
	for _, txid := range txids {
		if p.entries[txid] != nil {
			p.unbroadcast[txid] = struct{}{}
		}
	}
}

// ClearUnbroadcast takes txid out of the unbroadcast set: a peer asked
// for it.
func (p *Pool) ClearUnbroadcast(txid wire.Hash) {
	p.unbroadcastMu.Lock()
	defer p.unbroadcastMu.Unlock()
	delete(p.unbroadcast, txid)
}

// Unbroadcast returns the unbroadcast set (see SetUnbroadcast), sorted.
func (p *Pool) Unbroadcast() []wire.Hash {
	p.rlock()
	defer p.mu.RUnlock()
	p.unbroadcastMu.Lock()
	defer p.unbroadcastMu.Unlock()
	return slices.SortedFunc(maps.Keys(p.unbroadcast), func(a, b wire.Hash) int { return bytes.Compare(a[:], b[:]) })
}
