package chain

import (
	"bytes"
	"time"

	"powchain/wire"
)

// Bounds of the orphan pool (policy, not consensus: Config.MaxOrphans,
// Config.MaxOrphanBytes and Config.OrphanTTL override them).
const (
	// DefaultMaxOrphans is how many orphan blocks the pool keeps.
	DefaultMaxOrphans = 100
	// DefaultMaxOrphanBytes is how many bytes of canonical encoding the
	// orphans kept may add up to: eight blocks of the largest size. An
	// honest peer sends no orphan (p2p fetches a block only once its
	// header, and so its parent's, is known; a block sent unasked is
	// misbehaviour), so orphans come from RPC's submitblock or a peer
	// pushing blocks, a few near the tip at most; without this bound one
	// peer could pin DefaultMaxOrphans blocks of nearly MaxBlockSize,
	// about 144 MB decoded (1.44 heap bytes per encoded byte for a block
	// of the smallest transactions: docs/BENCHMARKS.md), for an hour.
	// With it the pool holds about 11.4 MB at most.
	DefaultMaxOrphanBytes = 8 * wire.MaxBlockSize
	// DefaultOrphanTTL is how long an orphan waits for its parent.
	DefaultOrphanTTL = time.Hour
)

// orphanPool holds blocks whose parent is unknown until the parent arrives.
// It is bounded by count (max) and by the orphans' total canonical
// encoding (maxBytes, at least wire.MaxBlockSize so that any valid block
// fits): expired orphans go first, then the oldest (earliest expiry, then
// lowest hash) until the new one fits both bounds. Guarded by the chain's
// lock.
type orphanPool struct {
	max      int
	maxBytes int
	ttl      time.Duration
	bytes    int // sum of the orphans' size
	byHash   map[wire.Hash]*orphan
	byPrev   map[wire.Hash][]*orphan
}

type orphan struct {
	block   *wire.Block
	hash    wire.Hash
	size    int // block.SerializeSize()
	expires time.Time
}

func newOrphanPool(maxCount, maxBytes int, ttl time.Duration) *orphanPool {
	return &orphanPool{max: maxCount, maxBytes: max(maxBytes, wire.MaxBlockSize), ttl: ttl,
		byHash: make(map[wire.Hash]*orphan), byPrev: make(map[wire.Hash][]*orphan)}
}

func (p *orphanPool) has(hash wire.Hash) bool {
	_, ok := p.byHash[hash]
	return ok
}

// add keeps blk, whose id is hash, evicting as the pool's bounds require.
// blk passed CheckBlockSanity, so it is at most wire.MaxBlockSize bytes
// and fits once the pool is empty.
func (p *orphanPool) add(blk *wire.Block, hash wire.Hash, now time.Time) {
	size := blk.SerializeSize()
	for _, o := range p.byHash {
		if now.After(o.expires) {
			p.remove(o)
		}
	}
	for len(p.byHash) > 0 && (len(p.byHash) >= p.max || p.bytes+size > p.maxBytes) {
		var oldest *orphan
		for _, o := range p.byHash {
			if oldest == nil || o.expires.Before(oldest.expires) ||
				(o.expires.Equal(oldest.expires) && bytes.Compare(o.hash[:], oldest.hash[:]) < 0) {
				oldest = o
			}
		}
		p.remove(oldest)
	}
	o := &orphan{block: blk, hash: hash, size: size, expires: now.Add(p.ttl)}
	p.byHash[hash] = o
	p.bytes += size
	prev := blk.Header.PrevBlock
	p.byPrev[prev] = append(p.byPrev[prev], o)
}

func (p *orphanPool) remove(o *orphan) {
	delete(p.byHash, o.hash)
	p.bytes -= o.size
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
