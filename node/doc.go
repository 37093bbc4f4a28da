// Package node is the composition root: it owns the data dir (one folder per
// network, guarded by a lock file; once it holds the lock it removes the
// temporary files an interrupted write of its own files there left, never
// the wallets folder's, which wallet processes write), opens the chain, the mempool, the p2p
// server, the JSON-RPC server (with its Mining: templates, long-polls,
// generatetoaddress) and the HTTP interface (package explorer: REST,
// events, /metrics and the block explorer; on by default on local networks,
// its address published in the data dir), feeds the Prometheus metrics
// (package metrics) through the chain's, p2p's and RPC's hooks, wires the chain's notifications to their subscribers
// in one fixed order (FollowChain: mempool first), publishes the RPC
// endpoint and cookie for clients, logs
// the chain's progress (tipLog: a progress line every 10 s during initial
// sync, with a progress bar on a terminal, a line per new tip once caught
// up, one line per reorganisation),
// warns at start when the chain database lost blocks it had recorded as
// durable (naming the heights), refuses to start on a saved mempool
// (mempool.dat) it cannot read (corrupt, truncated), leaving the file as
// it is, calls chain.Sync every
// chain.DefaultSyncInterval so a stalled initial sync leaves nothing
// unsynced, and shuts everything down in order: HTTP, RPC, network,
// mempool (saved), chain (synced and closed).
//
// It is the only layer below cmd that reads the wall clock (SystemClock,
// injected into everything else); configuration arrives as a Config, never
// from flags or the environment directly.
//
// Concurrency: Run owns every goroutine the node starts and returns after
// all of them stopped. Stop may be called from any goroutine (the stop RPC
// does) and returns at once.
package node
