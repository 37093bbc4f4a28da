// Package mempooltest opens a chain and a mempool on it, wired as a node
// wires them (the pool hears of every chain change first), for the tests of
// the packages above the mempool: p2p, rpc/server, explorer. It is for tests
// only and has no state of its own.
package mempooltest
