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
// The cache is bounded; when full, an arbitrary entry makes room for a new
// one, taken in turn from the shards holding at least their share of the
// entries, so a full cache behaves like one bounded cache with arbitrary
// eviction whatever the txids' first bytes: anyone can steer those, and a
// flood of one shard's transactions must neither freeze the others' room
// nor take it (plain turns over every shard would take 15 of 16 evictions
// from the others, the flooded shard being the largest). Safe for
// concurrent use. A cache of sigCacheShardMin entries or more is split in
// sigCacheShards shards by the txid's first byte, each with its own RWMutex, which guards its
// entries and is never held across anything but map operations, nor
// while another shard's is taken: the goroutines that verify a block's
// transactions (pre-verification's workers, the connection joining them,
// concurrent admissions to the pool) look up and add entries for every
// transaction, and on one lock they waited for each other, or for one
// descheduled while holding it, with a core idle. The bound is the whole
// cache's (count, reserved before an entry is added and given back when
// one leaves), so the shards fill unevenly without evicting anything
// before the cache is full. SigCache locks are leaf locks: callers may
// hold their own (the pool's mu) around a call.
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
	// victim is the round-robin cursor over the shards that picks the one
	// giving up an entry when the cache is full (see evictOne).
	victim atomic.Uint32
}

// sigCacheShard holds the cached txids whose first byte maps to it.
type sigCacheShard struct {
	mu      sync.RWMutex
	entries map[wire.Hash]struct{}
	n       atomic.Int64 // len(entries), for picking a victim without the lock
}

// Sharding: a cache of at least sigCacheShardMin entries has
// sigCacheShards shards, a smaller one a single shard (so its bound is
// exact for every txid, however few).
const (
	sigCacheShards   = 16
	sigCacheShardMin = 1024
	// AddAll marks the shards it locks in a uint16: this does not compile
	// with more shards than bits.
	_ = uint16(1<<sigCacheShards - 1)
)

// sigCacheAddTries bounds how often an add into a full cache evicts an
// entry and tries again: concurrent adds may take the room each eviction
// makes, and an add that keeps losing gives up (the id is not cached,
// which costs a verification later, never a wrong answer).
const sigCacheAddTries = 4

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
// chain and its pool (SigCacheSize says how many they need). Its maps are
// allocated at once for max entries (about 50 bytes each), as btcd's and
// Bitcoin Core's signature caches are: the node's memory does not grow
// when its pool fills.
func NewSigCache(max int) *SigCache { return newSigCache(max, false, true) }

// SigCacheSize returns the bound of a SigCache shared by a pool of at most
// poolTxs transactions and a chain that pre-verifies up to preverifyBlocks
// blocks: the pool's transactions (each pool entry holds one) plus the
// results of preverifyBlocks blocks of the most transactions a block can
// hold (wire.MaxTxPerBlock), blocks whose checks run or are done and that
// wait to connect alike. preverifyBlocks is a count, zero or less
// meaning none, not Config.PreverifyBlocks's setting: a chain whose Config
// leaves that at zero pre-verifies DefaultPreverifyBlocks blocks, so pass
// DefaultPreverifyBlocks for it. Pre-verification queues a block only if
// the cache has room for its results, so a cache the pool alone could
// fill would turn it off whenever the pool is full.
func SigCacheSize(poolTxs, preverifyBlocks int) int {
	return poolTxs + max(preverifyBlocks, 0)*wire.MaxTxPerBlock
}

// NewSharedSigCache returns a cache holding at most max transactions that
// several chains and pools share. It grows as it fills.
func NewSharedSigCache(max int) *SigCache { return newSigCache(max, true, false) }

// shard returns the shard that holds txid.
func (s *SigCache) shard(txid wire.Hash) *sigCacheShard {
	return &s.shards[s.shardIndex(txid)]
}

// shardIndex returns the index of the shard that holds txid.
func (s *SigCache) shardIndex(txid wire.Hash) int { return int(txid[0]) % len(s.shards) }

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
	added := s.add(sh, txid)
	sh.mu.Unlock()
	if !added {
		s.addWhenFull(txid)
	}
}

// AddAll records that the signatures of every one of txids verified,
// taking once the lock of each shard they fall in: goroutines that verify
// many transactions add them a few at a time rather than one lock each.
func (s *SigCache) AddAll(txids []wire.Hash) {
	var used uint16 // bit i: some id falls in shard i (sigCacheShards <= 16)
	for _, id := range txids {
		used |= 1 << s.shardIndex(id)
	}
	var full []wire.Hash
	for i := range s.shards {
		if used&(1<<i) == 0 {
			continue
		}
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, id := range txids {
			if s.shardIndex(id) == i && !s.add(sh, id) {
				full = append(full, id)
			}
		}
		sh.mu.Unlock()
	}
	for _, id := range full {
		s.addWhenFull(id)
	}
}

// add adds txid to sh, its shard, unless it is there already, and reports
// false if the cache is full (nothing changed); caller holds sh.mu for
// writing.
func (s *SigCache) add(sh *sigCacheShard, txid wire.Hash) bool {
	if _, ok := sh.entries[txid]; ok {
		return true
	}
	if !s.reserve() {
		return false
	}
	sh.entries[txid] = struct{}{}
	sh.n.Add(1)
	return true
}

// addWhenFull adds txid to the full cache: it evicts an entry, then tries
// again, at most sigCacheAddTries times. It holds no lock when called and
// one shard's at a time.
func (s *SigCache) addWhenFull(txid wire.Hash) {
	sh := s.shard(txid)
	for range sigCacheAddTries {
		if !s.evictOne() {
			return // nothing to evict: a cache of max 0
		}
		sh.mu.Lock()
		added := s.add(sh, txid)
		sh.mu.Unlock()
		if added {
			return
		}
	}
}

// evictOne removes an arbitrary entry of the next shard in turn that
// holds at least its share of the entries (failing that, of the next
// non-empty one), and reports whether there was one. Each call takes one
// turn of the cursor and visits every shard from there, so concurrent
// evictions cannot make a call skip the shards at their share. It holds
// no lock when called and one shard's at a time.
func (s *SigCache) evictOne() bool {
	share := s.count.Load() / int64(len(s.shards))
	start := int(s.victim.Add(1) % uint32(len(s.shards)))
	for _, atShare := range []bool{true, false} {
		for i := range s.shards {
			sh := &s.shards[(start+i)%len(s.shards)]
			if (!atShare || sh.n.Load() >= share) && s.evictFrom(sh) {
				return true
			}
		}
	}
	return false
}

// evictFrom removes an arbitrary entry of sh, if it has one.
func (s *SigCache) evictFrom(sh *sigCacheShard) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for k := range sh.entries { // map order is unpredictable to peers
		s.forget(sh, k)
		return true
	}
	return false
}

// forget removes txid, which sh holds; caller holds sh.mu for writing.
func (s *SigCache) forget(sh *sigCacheShard, txid wire.Hash) {
	delete(sh.entries, txid)
	sh.n.Add(-1)
	s.count.Add(-1)
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
			s.forget(sh, id)
		}
		sh.mu.Unlock()
	}
}

// Len returns the number of cached transactions.
func (s *SigCache) Len() int { return int(s.count.Load()) }
