// Package miner builds blocks and finds their proof of work.
//
// A Template says what the next block must be (parent, height, bits, time
// bounds, coinbase value, transactions). NewBlock turns a template into a
// block paying a key hash, with an extra nonce in the coinbase; Solve grinds
// the header nonce on several goroutines. The node's generatetoaddress and
// the standalone `powchain miner start` (which gets templates over RPC) use
// the same code.
//
// The proof-of-work loop hashes the header's first 64 bytes once per
// template and extra nonce (the SHA-256 midstate) and, per nonce, only the
// 20-byte tail and the second SHA-256.
//
// Concurrency: Solve starts one goroutine per worker and returns only after
// all of them stopped; it stops early when its context is cancelled. Nothing
// else here has state or goroutines.
package miner
