package mempool

import (
	"maps"
	"slices"

	"powchain/chain"
	"powchain/wire"
)

// HandleChainNotification keeps the pool in step with the best chain; the
// node registers it with chain.Subscribe. It runs on the chain's
// notification goroutine and never calls the chain (see the package
// documentation for why):
//
//   - BlockConnected removes the block's transactions (their descendants
//     stay: the outputs they spend are now confirmed) and every pool
//     transaction that conflicts with the block, with its descendants.
//   - BlockDisconnected keeps the block's non-coinbase transactions aside
//     and marks the pool for revalidation, which the next call into the
//     pool performs (settle): the stashed transactions are re-admitted
//     (under the pool's policy, but for its fee-rate and size limits),
//     oldest block first and in block order, then every pool entry is
//     checked again against the new tip; what no longer fits (spent or
//     vanished inputs, a coinbase spend that is immature again, ...) is
//     dropped with its descendants.
//   - TipChanged expires old entries and orphans.
func (p *Pool) HandleChainNotification(n chain.Notification) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen.Add(1)
	switch n.Type {
	case chain.BlockConnected:
		p.blockConnected(n.Block.Transactions[1:])
	case chain.BlockDisconnected:
		p.disconnected = append(p.disconnected, n.Block.Transactions[1:])
		p.reorgPending.Store(true)
	case chain.TipChanged:
		now := p.clock.Now()
		p.expire(now)
		p.orphans.expire(now)
	}
}

// blockConnected removes what a newly connected block (txs: all but its
// coinbase) mined or made invalid; caller holds mu for writing.
func (p *Pool) blockConnected(txs []*wire.Tx) {
	if len(p.entries) > 0 {
		for _, tx := range txs {
			if e, ok := p.entries[tx.TxID()]; ok {
				p.removeEntry(e)
			}
			for i := range tx.Inputs {
				if e, ok := p.spent[tx.Inputs[i].PrevOut]; ok {
					p.removeWithDescendants(e)
				}
			}
		}
	}
	p.orphans.removeForBlock(txs)
	for _, tx := range txs {
		txid := tx.TxID()
		if len(p.orphans.byParent[txid]) > 0 && len(p.minedParents) < p.policy.MaxOrphans && !slices.Contains(p.minedParents, txid) {
			p.minedParents = append(p.minedParents, txid)
		}
	}
}

// readmit is a transaction to check again after a reorg.
type readmit struct {
	tx    *wire.Tx
	txid  wire.Hash
	entry *TxDesc // nil for a transaction of a disconnected block
}

// settle revalidates the pool if blocks were disconnected since it last
// did. Like admission, it reads the chain without holding mu and applies
// the result under mu only if no chain notification arrived meanwhile;
// admissions insert nothing while a revalidation is pending (see stale),
// so the pool it rebuilds is the one it read.
func (p *Pool) settle() error {
	for p.reorgPending.Load() {
		p.mu.RLock()
		gen := p.gen.Load()
		set := p.revalidationSet()
		p.mu.RUnlock()
		txs := make([]*wire.Tx, len(set))
		for i := range set {
			txs[i] = set[i].tx
		}
		cv, err := p.readChain(inputsOf(txs...))
		if err != nil {
			return err
		}
		p.mu.Lock()
		if cv.gen == gen && p.gen.Load() == gen && p.reorgPending.Load() {
			p.rebuild(set, cv)
		}
		p.mu.Unlock()
	}
	return nil
}

// revalidationSet lists the transactions of disconnected blocks, oldest
// block first and in block order, then the pool's entries in admission
// order, so every parent comes before its children. Caller holds mu.
func (p *Pool) revalidationSet() []readmit {
	var set []readmit
	for _, txs := range slices.Backward(p.disconnected) {
		for _, tx := range txs {
			set = append(set, readmit{tx: tx, txid: tx.TxID()})
		}
	}
	for _, e := range p.sortedEntries() {
		set = append(set, readmit{tx: e.desc.Tx, txid: e.desc.TxID, entry: e.desc})
	}
	return set
}

// rebuild empties the pool and re-admits set against cv without fee-rate
// limits (then trims to size), as Bitcoin Core re-admits disconnected
// transactions; those of disconnected blocks must meet the stateless
// policy (size, dust) first, as any newcomer does: a block may hold what
// the pool refuses. Signatures are not checked again: every one of these
// transactions was verified when it entered a block or the pool, and
// verification depends on nothing but the transaction. The unbroadcast
// set keeps the transactions readmitted. Caller holds mu for writing and
// cv is current.
func (p *Pool) rebuild(set []readmit, cv *chainView) {
	now := p.clock.Now()
	p.resetEntries()
	for _, r := range set {
		if r.entry == nil && p.checkStatic(r.tx) != nil {
			continue
		}
		c, _, err := p.check(r.tx, r.txid, cv, now, admitOpts{bypassLimits: true})
		if err != nil {
			continue // no longer fits; its descendants fail after it
		}
		added, height := now, cv.height-1
		if r.entry != nil {
			added, height = r.entry.Added, r.entry.Height
		}
		p.insert(c, added, height)
	}
	p.disconnected = nil
	p.reorgPending.Store(false)
	p.trim(now)
	p.expire(now)
	p.recache(set)
	p.unbroadcastMu.Lock()
	maps.DeleteFunc(p.unbroadcast, func(txid wire.Hash, _ struct{}) bool { return p.entries[txid] == nil })
	p.unbroadcastMu.Unlock()
}

// recache brings the SigCache in line with the pool for the transactions
// of set once a revalidation has trimmed the pool: first the former
// entries not put back are forgotten (resetEntries emptied the pool
// without forgetting its txids, so that those readmitted stay cached),
// then those in the pool are cached (the disconnected blocks' left the
// cache when the blocks connected). Forgetting first keeps the pool's
// entries in the cache within its capacity throughout: caching the
// returning transactions while the dropped ones still held their room
// made a cache with no more room evict arbitrary entries, often the
// pool's. Caller holds mu for writing.
func (p *Pool) recache(set []readmit) {
	for _, r := range set {
		if _, ok := p.entries[r.txid]; !ok && r.entry != nil {
			p.uncacheSigs(r.txid)
		}
	}
	for _, r := range set {
		if e, ok := p.entries[r.txid]; ok {
			p.cacheSigs(e)
		}
	}
}
