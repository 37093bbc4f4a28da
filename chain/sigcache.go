package chain

import (
	"sync"

	"powchain/wire"
)

// SigCache remembers transactions whose signatures all verified, so that a
// transaction checked on entry to the mempool is not checked again when its
// block connects. Keying by txid is sound: the txid commits to every byte of
// the transaction, and whether its signatures verify depends on nothing
// else (the key-hash match with the spent outputs is checked separately,
// every time).
//
// The cache is bounded; when full, an arbitrary entry makes room. Safe for
// concurrent use: mu guards entries and is never held across anything but
// map operations.
//
// Several chains and pools may share one cache (NewSharedSigCache), as the
// honest nodes of a simulation do: an entry says that a transaction's
// signatures verify against the messages and keys the transaction itself
// commits to, which is true or false alike for every node, so a node that
// finds an entry another node made skips only work whose outcome it knows.
// What a shared cache must not do is forget a transaction because one
// chain connected it (the others have yet to); its bound alone evicts.
type SigCache struct {
	max     int
	shared  bool // Remove does nothing: other chains still need the entries
	mu      sync.RWMutex
	entries map[wire.Hash]struct{}
}

// NewSigCache returns a cache holding at most max transactions, for one
// chain and its pool.
func NewSigCache(max int) *SigCache {
	return &SigCache{max: max, entries: make(map[wire.Hash]struct{}, max)}
}

// NewSharedSigCache returns a cache holding at most max transactions that
// several chains and pools share. It grows as it fills.
func NewSharedSigCache(max int) *SigCache {
	return &SigCache{max: max, shared: true, entries: make(map[wire.Hash]struct{})}
}

// Contains reports whether txid's signatures are known to verify.
func (s *SigCache) Contains(txid wire.Hash) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.entries[txid]
	return ok
}

// Add records that txid's signatures verified.
func (s *SigCache) Add(txid wire.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[txid]; ok || s.max <= 0 {
		return
	}
	if len(s.entries) >= s.max {
		for k := range s.entries { // map order is unpredictable to peers
			delete(s.entries, k)
			break
		}
	}
	s.entries[txid] = struct{}{}
}

// Remove forgets txids, e.g. once their block is connected and they will
// not be checked again. A shared cache keeps them: another chain may not
// have connected them yet.
func (s *SigCache) Remove(txids []wire.Hash) {
	if s.shared {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range txids {
		delete(s.entries, id)
	}
}

// Len returns the number of cached transactions.
func (s *SigCache) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.entries)
}
