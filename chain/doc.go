// Package chain owns consensus: the network parameters, every validation
// rule (each with a typed ErrorCode in a RuleError), proof of work and the
// aserti3-2d difficulty, the block index with cumulative work and
// transaction counts, fork choice, reorganisation, the orphan-block pool,
// and the LevelDB database that holds block bodies and the state derived
// from them (block index, UTXO set, undo records, address history,
// optional transaction index, tip). The unspent outputs of an address are
// the entries of its history not marked spent (format 3, format.go): no
// separate address index is written, so a block connects with a third
// fewer keys; databases of formats 1 and 2 (which had one) are upgraded in
// place when the chain opens.
// The database lives in a directory, or in memory (Config.InMemory, for
// simulations and tests: nothing survives Close and nothing is synced).
//
// A block travels ProcessBlock → CheckBlockSanity (context-free rules) →
// orphan pool if the parent is unknown → acceptBlock (rules against the
// parent: target, timestamps, coinbase height; then the body is stored,
// and kept decoded until it connects, at most the four lowest such blocks
// above the tip: accepted.go) → activateBestChain, which connects the
// most-work chain of fully stored blocks, checking the UTXO rules and
// finally the signatures of each block as it connects (its batch is built
// before the signatures are checked, and dropped if one fails). Headers
// can be accepted ahead of their bodies (ProcessHeaders) for headers-first
// sync.
//
// Invariants:
//   - The UTXO set, undo records, address history, transaction index and
//     tip always describe one block: connecting or disconnecting a block is
//     one batch, and batches reach LevelDB whole and in order, so a crash
//     at any instant leaves a consistent database. Every batch goes
//     through LevelDB's journal (DisableLargeBatchTransaction: goleveldb's
//     path for batches larger than the write buffer can read a key written
//     twice in one batch back wrong).
//   - Durability (durable.go): once caught up, a new tip is synced to disk
//     before TipChanged announces it; during initial sync the chain syncs
//     every Config.SyncInterval of the injected clock. Each sync records the
//     synced tip in DURABLE-TIP; opening reports (LostOnOpen) the heights of
//     that record the database no longer has.
//   - The tip is the best valid chain: most cumulative work among chains
//     whose blocks are all stored and not known to be invalid, and the first
//     seen on equal work. A block that fails validation is marked invalid
//     with all its descendants and the chain falls back to the best valid
//     branch.
//   - Corrupt or mutated data (a wrong merkle root, CVE-2012-2459 duplicates)
//     and merely early timestamps are rejected without condemning the block
//     id, so the genuine block can still be accepted.
//   - Block bodies are primary data; all else can be rebuilt (Reindex).
//   - The orphan pool (orphans.go), policy and never persisted, holds at
//     most Config.MaxOrphans blocks whose canonical encodings add up to at
//     most Config.MaxOrphanBytes (never below wire.MaxBlockSize, so any
//     valid block fits), each for at most Config.OrphanTTL: a new orphan
//     first drops the expired ones, then the oldest until it fits both
//     bounds. Decoded, an orphan takes at most about 1.45 times its
//     encoding, so the pool's heap is bounded by the byte budget whatever
//     a peer sends (docs/BENCHMARKS.md).
//   - chain never imports the network layer and never reads the wall clock:
//     time comes from the injected Clock.
//
// Concurrency: a Chain is safe for concurrent use. Its state is guarded by
// one RWMutex (mu) that serialises changes (ProcessBlock, ProcessHeaders,
// InvalidateBlock, ReconsiderBlock) and admits concurrent queries; three
// small mutexes serve notifications: outboxMu guards the queue of
// notifications awaiting delivery, notifyMu is held while they are
// delivered, subsMu guards the subscriber list. A change queues its
// notifications under mu, moves them to the outbox before releasing mu, and
// only then takes notifyMu to deliver them, so delivery is in change order,
// no chain lock is held during a callback, and subscribers may query the
// chain (the lock contract is spelled out on Chain). A SigCache may serve
// one chain and its pool, or be shared by several (NewSharedSigCache; its
// doc says why that is sound); it has its own locks, an RWMutex per shard
// (a large cache is split by txid so that the goroutines verifying a
// block do not queue on one lock; one bound covers every shard, and a full
// cache evicts across them, taking no two shard locks at once). Signature
// checks of a block run on several goroutines that finish before
// connecting returns.
//
// Write-behind within one activation (connect.go): when a change connects
// several blocks in a row (a branch whose bodies arrived ahead of their
// parent), each block's batch is written on a goroutine of its own while
// the next block is checked against the UTXO set as that batch leaves it
// (the next view reads the previous block's changes first). The activation
// waits for the write before it writes anything else (batches stay strictly
// in order, one at a time, so a crash leaves what it left before), before
// a disconnect, a block marked invalid or the choice of the next branch,
// and before it returns: no write is in flight while mu is free, so
// queries, syncs and notifications only ever see written blocks. A block
// joins the chain in memory (valid, the tip, BlockConnected) only once its
// batch is written; if the write fails, the tip stays the last block
// written and the error is a local failure. A written (or dropped) batch
// is kept, under mu, for the next block to build its own in, until an
// activation ends caught up.
//
// Pre-verification (preverify.go) is the one other place that starts
// goroutines. Preverify, called by the network layer for a block it
// requested as soon as the block is decoded, queues the block's signature
// checks, lowest height (as its coinbase claims it) first, the order the
// blocks will connect in; up to SigWorkers workers, started on demand and
// owned by the Chain, run them into the SigCache and exit when the queue
// is empty; Close stops them (they finish the transaction in hand) and
// waits. A worker takes the queue's head when it starts a block, so a
// lower block queued meanwhile waits for that block's end or a free
// worker. When the block comes to connect, the connecting goroutines join
// its job
// (claiming what the workers have not started, waiting for what they
// have), so no transaction is checked twice, and then check the SigCache
// as usual: a transaction that failed was not cached and is checked again,
// so pre-verification never changes a decision or its error. Preverify
// never takes mu (a peer's reader calls it while a block connects); the
// queue's own mutex is taken under mu, never the other way round, and is
// never held while verifying. The queue holds at most PreverifyBlocks
// unfinished blocks, and queues one only if the SigCache has room for its
// results beside its entries, which include the results of finished
// blocks still waiting to connect. A cache sized by SigCacheSize has room
// for PreverifyBlocks blocks of the most transactions a block holds beside
// the pool at its fullest, so a full pool does not turn pre-verification
// off: it holds it to that many full blocks, running or finished, ahead of
// the connection (a pool below its fullest leaves it more).
package chain
