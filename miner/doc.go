// Package miner builds blocks, finds their proof of work, and mines for a
// node over RPC.
//
// A Template says what the next block must be (parent, height, bits, time
// bounds, coinbase value, transactions); Template.RPC and TemplateFromRPC
// convert it to and from getblocktemplate's JSON (rpc.BlockTemplate).
// NewBlock turns a template into a block paying a key hash, with the height
// and an extra nonce in the coinbase; Solve grinds the header nonce on
// several goroutines. The node's generatetoaddress and the standalone
// `powchain miner start` (Miner, which gets templates over RPC) use the
// same code.
//
// The proof-of-work loop hashes the header's first 64 bytes once per
// template and extra nonce (the SHA-256 midstate) and, per nonce, only the
// tail block (the last 20 header bytes with their padding, written once)
// and the block holding the first hash: two compressions, no allocation.
// A kernel does both for two nonces per call: on amd64 CPUs with the SHA
// extensions (detected at run time) an assembly kernel using SHA-NI with
// the two nonces' instructions interleaved; elsewhere each nonce through
// crypto/sha256's own assembly (AVX2, arm64's SHA-2 instructions), loading
// the midstate through the library's marshalled state, which is checked
// once against the same kernel in Go (sha256d.go), kept for when that
// check fails. The timestamp lies in the tail, so a Solver with a clock
// refreshes it mid-search without recomputing the midstate.
//
// Miner keeps a long-poll for templates open on one goroutine and grinds
// the newest template on the others; a new template cancels the solve of
// the old one (workers look at their context every 4096 nonces, under a
// millisecond), so stale work stops within milliseconds of a new tip. It
// rolls the extra nonce when a nonce space is exhausted, submits what it
// finds (a block found as the miner is stopped too: it says so and submits
// it before Run returns, each attempt bounded by Config.SubmitTimeout),
// prints a hash-rate line every few seconds and a line per block, and
// while the node is unreachable, or has not answered a template request
// within Config.PollTimeout (90 s; a node answers a long-poll within a
// minute), it stops hashing, says so and retries with exponential backoff.
//
// Concurrency: Solve starts one goroutine per worker and returns only after
// all of them stopped; it stops early when its context is cancelled.
// Miner.Run owns its poller, reporter and solver goroutines and returns
// after all of them stopped. Nothing else here has state or goroutines.
// Time comes from an injected clock (Config.Clock); only the hash-rate
// period, retry delays and the request timeouts are timers.
package miner
