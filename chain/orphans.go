package chain

import (
	"bytes"
	"time"

	"powchain/wire"
)

// orphanPool holds blocks whose parent is unknown until the parent arrives.
// It is bounded: expired orphans go first, then the oldest. Guarded by the
// chain's lock.
type orphanPool struct {
	max    int
	ttl    time.Duration
	byHash map[wire.Hash]*orphan
	byPrev map[wire.Hash][]*orphan
}

type orphan struct {
	block   *wire.Block
	hash    wire.Hash
	expires time.Time
}

func newOrphanPool(max int, ttl time.Duration) *orphanPool {
	return &orphanPool{max: max, ttl: ttl, byHash: make(map[wire.Hash]*orphan), byPrev: make(map[wire.Hash][]*orphan)}
}

func (p *orphanPool) has(hash wire.Hash) bool {
	_, ok := p.byHash[hash]
	return ok
}

func (p *orphanPool) add(blk *wire.Block, hash wire.Hash, now time.Time) {
	for _, o := range p.byHash {
		if now.After(o.expires) {
			p.remove(o)
		}
	}
	for len(p.byHash) >= p.max {
		var oldest *orphan
		for _, o := range p.byHash {
			if oldest == nil || o.expires.Before(oldest.expires) ||
				(o.expires.Equal(oldest.expires) && bytes.Compare(o.hash[:], oldest.hash[:]) < 0) {
				oldest = o
			}
		}
		p.remove(oldest)
	}
	o := &orphan{block: blk, hash: hash, expires: now.Add(p.ttl)}
	p.byHash[hash] = o
	prev := blk.Header.PrevBlock
	p.byPrev[prev] = append(p.byPrev[prev], o)
}

func (p *orphanPool) remove(o *orphan) {
	delete(p.byHash, o.hash)
	prev := o.block.Header.PrevBlock
	siblings := p.byPrev[prev]
	for i, s := range siblings {
		if s == o {
			siblings = append(siblings[:i], siblings[i+1:]...)
			break
		}
	}
	if len(siblings) == 0 {
		delete(p.byPrev, prev)
	} else {
		p.byPrev[prev] = siblings
	}
}

// takeChildren removes and returns the orphans whose parent is prev.
func (p *orphanPool) takeChildren(prev wire.Hash) []*orphan {
	children := append([]*orphan(nil), p.byPrev[prev]...)
	for _, o := range children {
		p.remove(o)
	}
	return children
}

// root returns the earliest known ancestor of an orphan: the block whose
// parent the node lacks. Peers are asked for the blocks leading to it.
func (p *orphanPool) root(hash wire.Hash) wire.Hash {
	for {
		o, ok := p.byHash[hash]
		if !ok {
			return hash
		}
		if !p.has(o.block.Header.PrevBlock) {
			return hash
		}
		hash = o.block.Header.PrevBlock
	}
}
