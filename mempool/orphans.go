package mempool

import (
	"cmp"
	"slices"
	"time"

	"powchain/wire"
)

// orphan is a transaction waiting for parents the node has not seen.
type orphan struct {
	tx      *wire.Tx
	txid    wire.Hash
	source  uint64
	expires time.Time
	seq     uint64 // arrival order, to evict a source's oldest first
}

// orphanPool holds orphans, indexed by the txids their inputs spend so
// that an arriving parent finds its children. Bounded in count (total and
// per source) and in time; guarded by Pool.mu.
type orphanPool struct {
	byID      map[wire.Hash]*orphan
	byParent  map[wire.Hash]map[*orphan]struct{}
	perSource map[uint64]int
	nextSeq   uint64
}

func (o *orphanPool) init() {
	o.byID = make(map[wire.Hash]*orphan)
	o.byParent = make(map[wire.Hash]map[*orphan]struct{})
	o.perSource = make(map[uint64]int)
}

// add keeps or. A source at its cap loses its own oldest orphan, so one
// peer cannot push out the others; a full pool loses an arbitrary one (map
// order, which peers cannot predict).
func (o *orphanPool) add(or *orphan, maxTotal, maxPerSource int) {
	if o.perSource[or.source] >= maxPerSource {
		o.remove(o.oldestOf(or.source))
	}
	if len(o.byID) >= maxTotal {
		for _, victim := range o.byID {
			o.remove(victim)
			break
		}
	}
	or.seq = o.nextSeq
	o.nextSeq++
	o.byID[or.txid] = or
	for i := range or.tx.Inputs {
		parent := or.tx.Inputs[i].PrevOut.TxID
		if o.byParent[parent] == nil {
			o.byParent[parent] = make(map[*orphan]struct{})
		}
		o.byParent[parent][or] = struct{}{}
	}
	o.perSource[or.source]++
}

func (o *orphanPool) oldestOf(source uint64) *orphan {
	var oldest *orphan
	for _, or := range o.byID {
		if or.source == source && (oldest == nil || or.seq < oldest.seq) {
			oldest = or
		}
	}
	return oldest
}

func (o *orphanPool) remove(or *orphan) {
	delete(o.byID, or.txid)
	for i := range or.tx.Inputs {
		parent := or.tx.Inputs[i].PrevOut.TxID
		delete(o.byParent[parent], or)
		if len(o.byParent[parent]) == 0 {
			delete(o.byParent, parent)
		}
	}
	if o.perSource[or.source]--; o.perSource[or.source] == 0 {
		delete(o.perSource, or.source)
	}
}

// expire drops the orphans whose time is up.
func (o *orphanPool) expire(now time.Time) {
	for _, or := range o.byID {
		if now.After(or.expires) {
			o.remove(or)
		}
	}
}

// takeChildren removes and returns the orphans that spend outputs of
// parent, oldest first.
func (o *orphanPool) takeChildren(parent wire.Hash) []*orphan {
	var out []*orphan
	for or := range o.byParent[parent] {
		out = append(out, or)
	}
	slices.SortFunc(out, func(a, b *orphan) int { return cmp.Compare(a.seq, b.seq) })
	for _, or := range out {
		o.remove(or)
	}
	return out
}

// removeForBlock drops the orphans a block mined or made invalid by
// spending one of their inputs.
func (o *orphanPool) removeForBlock(txs []*wire.Tx) {
	if len(o.byID) == 0 {
		return
	}
	spent := make(map[wire.OutPoint]struct{})
	for _, tx := range txs {
		for i := range tx.Inputs {
			spent[tx.Inputs[i].PrevOut] = struct{}{}
		}
	}
	for _, or := range o.byID {
		for i := range or.tx.Inputs {
			if _, ok := spent[or.tx.Inputs[i].PrevOut]; ok {
				o.remove(or)
				break
			}
		}
	}
}

// admitOrOrphan admits tx or, when its inputs are missing and allowOrphan
// is set, keeps it as an orphan. If a missing parent entered the pool in
// the meantime it tries again, so that no orphan waits for a parent that
// has already come and gone through processOrphans.
func (p *Pool) admitOrOrphan(tx *wire.Tx, txid wire.Hash, allowOrphan bool, source uint64) (*TxDesc, []wire.Hash, error) {
	for {
		desc, missing, err := p.admit(tx, txid, admitOpts{})
		if err == nil || missing == nil || !allowOrphan {
			return desc, nil, err
		}
		kept, err := p.addOrphan(tx, txid, source, missing)
		if err != nil {
			return nil, nil, err
		}
		if kept {
			return nil, missing, nil
		}
	}
}

// addOrphan keeps tx, whose inputs are missing, until its parents arrive.
// It keeps nothing and returns false if one of the missing parents is in
// the pool by now; a transaction too large to keep is refused as missing
// its inputs.
func (p *Pool) addOrphan(tx *wire.Tx, txid wire.Hash, source uint64, missing []wire.Hash) (bool, error) {
	if size := tx.SerializeSize(); size > p.policy.MaxOrphanTxSize {
		return false, reject(RejectMissingInputs, "inputs missing, and at %d bytes too large to wait as an orphan (limit %d)",
			size, p.policy.MaxOrphanTxSize)
	}
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, parent := range missing {
		if _, ok := p.entries[parent]; ok {
			return false, nil
		}
	}
	p.orphans.expire(now)
	if _, dup := p.orphans.byID[txid]; !dup {
		p.orphans.add(&orphan{tx: tx, txid: txid, source: source, expires: now.Add(p.policy.OrphanExpiry)},
			p.policy.MaxOrphans, p.policy.MaxOrphansPerSource)
	}
	return true, nil
}

// processOrphans returns first, the accepted transaction, and the
// orphans it unlocked that entered the pool (admitChildren).
func (p *Pool) processOrphans(first *TxDesc) []*TxDesc {
	return append([]*TxDesc{first}, p.admitChildren([]wire.Hash{first.TxID})...)
}

// admitChildren admits the orphans that spend outputs of parents, and
// those they unlock in turn, breadth first, and returns those that
// entered the pool (a child only enters after its parents). An orphan
// still missing another parent goes back to wait (with its source and a
// new expiry); an invalid one is dropped.
func (p *Pool) admitChildren(parents []wire.Hash) []*TxDesc {
	var accepted []*TxDesc
	for queue := slices.Clone(parents); len(queue) > 0; queue = queue[1:] {
		p.mu.Lock()
		children := p.orphans.takeChildren(queue[0])
		p.mu.Unlock()
		for _, or := range children {
			if desc, _, err := p.admitOrOrphan(or.tx, or.txid, true, or.source); err == nil && desc != nil {
				accepted = append(accepted, desc)
				queue = append(queue, desc.TxID)
			}
		}
	}
	return accepted
}

// AdmitMinedOrphans admits the orphans whose missing parents blocks
// connected since the last call mined (HandleChainNotification notes
// them; its lock forbids reading the chain there), with the orphans they
// unlock, and returns the txids of those that entered the pool, parents
// first. Without it, such an orphan waited out OrphanExpiry though its
// inputs exist. The p2p layer calls it after each chain change and
// announces what it returns.
func (p *Pool) AdmitMinedOrphans() []wire.Hash {
	p.mu.Lock()
	parents := p.minedParents
	p.minedParents = nil
	p.mu.Unlock()
	var out []wire.Hash
	for _, d := range p.admitChildren(parents) {
		out = append(out, d.TxID)
	}
	return out
}
