package chain

import (
	"sync"
	"sync/atomic"

	"powchain/wire"
)

// SigCache remembers transactions whose signatures all verified, so that a
// transaction checked on entry to the mempool is not checked again when its
// block connects. Keying by txid is sound: the txid commits to every byte of
// the transaction, and whether its signatures verify depends on nothing
// else (the key-hash match with the spent outputs is checked separately,
// every time).
//
// The cache is bounded; when full, an arbitrary entry of the new one's
// shard makes room (or, if that shard is empty, the new one is not kept).
// Safe for concurrent use. A cache of sigCacheShardMin entries or more is
// split in sigCacheShards shards by the txid's first byte, each with its
// own RWMutex, which guards its entries and is never held across anything
// but map operations: the goroutines that verify a block's transactions
// (pre-verification's workers, the connection joining them, concurrent
// admissions to the pool) look up and add entries for every transaction,
// and on one lock they waited for each other, or for one descheduled
// while holding it, with a core idle. The bound is the whole cache's
// (count, reserved before an entry is added), so the shards fill unevenly
// without evicting anything before the cache is full.
//
// Several chains and pools may share one cache (NewSharedSigCache), as the
// honest nodes of a simulation do: an entry says that a transaction's
// signatures verify against the messages and keys the transaction itself
// commits to, which is true or false alike for every node, so a node that
// finds an entry another node made skips only work whose outcome it knows.
// What a shared cache must not do is forget a transaction because one
// chain connected it (the others have yet to); its bound alone evicts.
type SigCache struct {
	max    int
	shared bool         // Remove does nothing: other chains still need the entries
	count  atomic.Int64 // entries in every shard; never above max
	shards []sigCacheShard
}

// sigCacheShard holds the cached txids whose first byte maps to it.
type sigCacheShard struct {
	mu      sync.RWMutex
	entries map[wire.Hash]struct{}
}

// Sharding: a cache of at least sigCacheShardMin entries has
// sigCacheShards shards, a smaller one a single shard (so its bound is
// exact for every txid, however few).
const (
	sigCacheShards   = 16
	sigCacheShardMin = 1024
)

// newSigCache returns a cache of max entries; presize says whether the
// shards' maps are allocated at once for their share of max.
func newSigCache(max int, shared, presize bool) *SigCache {
	n := 1
	if max >= sigCacheShardMin {
		n = sigCacheShards
	}
	s := &SigCache{max: max, shared: shared, shards: make([]sigCacheShard, n)}
	size := 0
	if presize && max > 0 {
		size = max / n
	}
	for i := range s.shards {
		s.shards[i].entries = make(map[wire.Hash]struct{}, size)
	}
	return s
}

// NewSigCache returns a cache holding at most max transactions, for one
// chain and its pool.
func NewSigCache(max int) *SigCache { return newSigCache(max, false, true) }

// NewSharedSigCache returns a cache holding at most max transactions that
// several chains and pools share. It grows as it fills.
func NewSharedSigCache(max int) *SigCache { return newSigCache(max, true, false) }

// shard returns the shard that holds txid.
func (s *SigCache) shard(txid wire.Hash) *sigCacheShard {
	return &s.shards[int(txid[0])%len(s.shards)]
}

// Contains reports whether txid's signatures are known to verify.
func (s *SigCache) Contains(txid wire.Hash) bool {
	sh := s.shard(txid)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	_, ok := sh.entries[txid]
	return ok
}

// Add records that txid's signatures verified.
func (s *SigCache) Add(txid wire.Hash) {
	sh := s.shard(txid)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s.add(sh, txid)
}

// AddAll records that the signatures of every one of txids verified,
// taking each shard's lock once: goroutines that verify many transactions
// add them a few at a time rather than one lock each.
func (s *SigCache) AddAll(txids []wire.Hash) {
	if len(txids) == 0 {
		return
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, id := range txids {
			if s.shard(id) == sh {
				s.add(sh, id)
			}
		}
		sh.mu.Unlock()
	}
}

// add adds txid to sh, its shard, if the cache has room or sh has an entry
// to give up for it; caller holds sh.mu for writing.
func (s *SigCache) add(sh *sigCacheShard, txid wire.Hash) {
	if _, ok := sh.entries[txid]; ok {
		return
	}
	if !s.reserve() {
		if len(sh.entries) == 0 {
			return
		}
		for k := range sh.entries { // map order is unpredictable to peers
			delete(sh.entries, k)
			break
		}
	}
	sh.entries[txid] = struct{}{}
}

// reserve counts one more entry if the cache is not full.
func (s *SigCache) reserve() bool {
	for {
		n := s.count.Load()
		if n >= int64(s.max) {
			return false
		}
		if s.count.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Remove forgets txids, e.g. once their block is connected and they will
// not be checked again. A shared cache keeps them: another chain may not
// have connected them yet.
func (s *SigCache) Remove(txids []wire.Hash) {
	if s.shared {
		return
	}
	for _, id := range txids {
		sh := s.shard(id)
		sh.mu.Lock()
		if _, ok := sh.entries[id]; ok {
			delete(sh.entries, id)
			s.count.Add(-1)
		}
		sh.mu.Unlock()
	}
}

// Len returns the number of cached transactions.
func (s *SigCache) Len() int { return int(s.count.Load()) }
