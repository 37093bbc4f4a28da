package mempooltest

import (
	"testing"

	"powchain/chain"
	"powchain/mempool"
)

// Open opens a chain on params in a temporary directory, reading clock and
// sharing cache (nil: no signature cache), and a pool on it with the default
// policy, subscribed to the chain before anything the caller subscribes.
// The chain is closed when the test ends.
func Open(t testing.TB, params *chain.Params, clock chain.Clock, cache *chain.SigCache) (*chain.Chain, *mempool.Pool) {
	t.Helper()
	return OpenConfig(t, chain.Config{Params: params, Clock: clock, SigCache: cache})
}

// OpenConfig is Open with the whole chain configuration (an empty Path
// means a temporary directory).
func OpenConfig(t testing.TB, cfg chain.Config) (*chain.Chain, *mempool.Pool) {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = t.TempDir()
	}
	c, err := chain.Open(cfg)
	if err != nil {
		t.Fatalf("open chain: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	pool, err := mempool.New(mempool.Config{Chain: c, Clock: cfg.Clock, SigCache: cfg.SigCache, Policy: mempool.DefaultPolicy()})
	if err != nil {
		t.Fatalf("new mempool: %v", err)
	}
	c.Subscribe(pool.HandleChainNotification)
	return c, pool
}
