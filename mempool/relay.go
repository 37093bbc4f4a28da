package mempool

import "powchain/wire"

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
