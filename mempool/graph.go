package mempool

import (
	"container/heap"
	"maps"
	"slices"
	"time"

	"powchain/wire"
)

// family fills in c's distinct in-pool parents and all its in-pool
// ancestors; caller holds mu.
func (p *Pool) family(c *candidate) {
	for i := range c.tx.Inputs {
		if e, ok := p.entries[c.tx.Inputs[i].PrevOut.TxID]; ok && !slices.Contains(c.parents, e) {
			c.parents = append(c.parents, e)
		}
	}
	c.ancestors = walk(c.parents, parentLinks)
}

func parentLinks(e *entry) map[*entry]struct{} { return e.parents }
func childLinks(e *entry) map[*entry]struct{}  { return e.children }

// walk returns every entry reachable from seeds through links, seeds
// included, each once. Family limits keep it short.
func walk(seeds []*entry, links func(*entry) map[*entry]struct{}) []*entry {
	if len(seeds) == 0 {
		return nil
	}
	seen := make(map[*entry]struct{}, len(seeds))
	var out []*entry
	stack := slices.Clone(seeds)
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := seen[e]; ok {
			continue
		}
		seen[e] = struct{}{}
		out = append(out, e)
		for n := range links(e) {
			stack = append(stack, n)
		}
	}
	return out
}

func (e *entry) ancestors() []*entry {
	return walk(slices.Collect(maps.Keys(e.parents)), parentLinks)
}

func (e *entry) descendants() []*entry {
	return walk(slices.Collect(maps.Keys(e.children)), childLinks)
}

// insert adds a checked candidate, whose signatures verified, to the pool
// and updates its ancestors' descendant statistics; the caller caches its
// txid once the pool is trimmed (cacheSigs). Caller holds mu for writing.
func (p *Pool) insert(c *candidate, added time.Time, height uint64) *entry {
	e := &entry{
		desc:     &TxDesc{Tx: c.tx, TxID: c.txid, Fee: c.fee, Size: c.size, Added: added, Height: height},
		seq:      p.nextSeq,
		ancCount: 1, ancSize: c.size, ancFee: c.fee,
		descCount: 1, descSize: c.size, descFee: c.fee,
	}
	p.nextSeq++
	for _, a := range c.ancestors {
		e.ancCount++
		e.ancSize += a.desc.Size
		e.ancFee += a.desc.Fee
		a.descCount++
		a.descSize += c.size
		a.descFee += c.fee
		heap.Fix(&p.evict, a.evictIdx)
	}
	for _, parent := range c.parents {
		if parent.children == nil {
			parent.children = make(map[*entry]struct{})
		}
		if e.parents == nil {
			e.parents = make(map[*entry]struct{})
		}
		parent.children[e] = struct{}{}
		e.parents[parent] = struct{}{}
	}
	for i := range c.tx.Inputs {
		p.spent[c.tx.Inputs[i].PrevOut] = e
	}
	p.entries[c.txid] = e
	p.bytes += c.size
	heap.Push(&p.evict, e)
	p.noteExpiry(added)
	p.changed()
	return e
}

// removeEntry takes e out of the pool, the statistics of its family, the
// SigCache and the unbroadcast set. Its descendants stay: that is right when e was mined (its
// outputs are now in the chain); to drop e for good use
// removeWithDescendants. Caller holds mu for writing.
func (p *Pool) removeEntry(e *entry) {
	d := e.desc
	for _, a := range e.ancestors() {
		a.descCount--
		a.descSize -= d.Size
		a.descFee -= d.Fee
		heap.Fix(&p.evict, a.evictIdx)
	}
	for _, x := range e.descendants() {
		x.ancCount--
		x.ancSize -= d.Size
		x.ancFee -= d.Fee
	}
	for parent := range e.parents {
		delete(parent.children, e)
	}
	for child := range e.children {
		delete(child.parents, e)
	}
	for i := range d.Tx.Inputs {
		if op := d.Tx.Inputs[i].PrevOut; p.spent[op] == e {
			delete(p.spent, op)
		}
	}
	delete(p.entries, d.TxID)
	p.unbroadcastMu.Lock()
	delete(p.unbroadcast, d.TxID)
	p.unbroadcastMu.Unlock()
	if e.cached {
		p.uncacheSigs(d.TxID)
	}
	p.removed++
	p.bytes -= d.Size
	heap.Remove(&p.evict, e.evictIdx)
	p.changed()
}

// removeWithDescendants drops e and everything that spends its outputs,
// children before parents, so every removal is of a leaf.
func (p *Pool) removeWithDescendants(e *entry) {
	all := append(e.descendants(), e)
	slices.SortFunc(all, func(a, b *entry) int { return compareSeq(b, a) })
	for _, x := range all {
		p.removeEntry(x)
	}
}

// trim evicts the packages (an entry and its descendants) with the lowest
// descendant fee rate until the pool fits MaxPoolBytes, and raises the fee
// floor above what was evicted so that the pool does not readmit the same
// fee rates at once. Caller holds mu for writing.
func (p *Pool) trim(now time.Time) {
	for p.bytes > p.policy.MaxPoolBytes && len(p.evict) > 0 {
		e := p.evict[0]
		floor := feeRate(e.descFee, e.descSize) + p.policy.MinRelayFeeRate
		p.rollingFee, p.rollingAt = max(p.floorRate(now), floor), now
		p.removeWithDescendants(e)
	}
}

// expire drops the entries older than Policy.Expiry, with their
// descendants. It scans the pool only when the oldest entry may have
// expired. Caller holds mu for writing.
func (p *Pool) expire(now time.Time) {
	if p.nextExpiry.IsZero() || !now.After(p.nextExpiry) {
		return
	}
	var old []*entry
	for _, e := range p.entries {
		if p.expired(e.desc.Added, now) {
			old = append(old, e)
		}
	}
	for _, e := range old {
		if p.entries[e.desc.TxID] == e { // not gone with an expired ancestor
			p.removeWithDescendants(e)
		}
	}
	p.nextExpiry = time.Time{}
	for _, e := range p.entries {
		p.noteExpiry(e.desc.Added)
	}
}

// expired reports whether an entry added at added has expired at now.
func (p *Pool) expired(added, now time.Time) bool {
	return now.After(added.Add(p.policy.Expiry))
}

// noteExpiry keeps nextExpiry at or before the expiry of an entry added
// at added.
func (p *Pool) noteExpiry(added time.Time) {
	if t := added.Add(p.policy.Expiry); p.nextExpiry.IsZero() || t.Before(p.nextExpiry) {
		p.nextExpiry = t
	}
}

// evictHeap orders entries by descendant fee rate, lowest first (newest
// first among equals): the root is the package to evict next. Entries keep
// their index for heap.Fix and heap.Remove.
type evictHeap []*entry

func (h evictHeap) Len() int { return len(h) }

func (h evictHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	switch {
	case rateLess(a.descFee, a.descSize, b.descFee, b.descSize):
		return true
	case rateLess(b.descFee, b.descSize, a.descFee, a.descSize):
		return false
	}
	return a.seq > b.seq
}

func (h evictHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].evictIdx = i
	h[j].evictIdx = j
}

func (h *evictHeap) Push(x any) {
	e := x.(*entry)
	e.evictIdx = len(*h)
	*h = append(*h, e)
}

func (h *evictHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// cacheSigs records in the SigCache that e's txid, which entered the pool
// and stayed when the pool was trimmed, has valid signatures, so that
// connecting its block does not verify them again. Caching only after the
// trim keeps the pool's entries within its capacity (Policy.MaxTxs), the
// room the node's cache has for them (chain.SigCacheSize): a txid cached
// before it, in a cache with no more room, made the cache evict another
// entry, perhaps a pool transaction's, for one the trim then dropped.
// Caller holds mu for writing. cacheSigs and uncacheSigs are the only
// calls by which the pool changes the cache, and removeEntry forgets
// every cached entry that leaves the pool, whether evicted, expired, in
// conflict with a block, dropped by a reorg's revalidation or mined (the
// chain forgets a connected block's txids itself, but an admission racing
// the block's notification may have put one back). An entry that leaves
// before it was cached, a newcomer the trim evicted at once, leaves the
// cache alone: the txid may be there for a block that pre-verification
// checked and that still waits to connect. SigCache locks are leaf locks
// and these are map operations.
func (p *Pool) cacheSigs(e *entry) {
	e.cached = true
	if p.sigCache != nil {
		p.sigCache.Add(e.desc.TxID)
	}
}

// uncacheSigs forgets txid, leaving the pool, from the SigCache (a shared
// cache keeps it: other nodes' pools and chains may need it). Caller holds
// mu for writing.
func (p *Pool) uncacheSigs(txid wire.Hash) {
	if p.sigCache != nil {
		p.sigCache.Remove([]wire.Hash{txid})
	}
}
