// Package mempool owns the node's pool of unconfirmed transactions: their
// admission (every consensus rule, exactly as package chain applies it to a
// block at the next height, plus the node's Policy), the in-pool family of
// each transaction (parents, children, ancestor and descendant package
// statistics), eviction when the pool outgrows its byte limit, expiry, a
// bounded pool of orphans waiting for their parents (admitted when a parent
// enters the pool, or, through AdmitMinedOrphans after the chain changes,
// when a block mines it), block-template
// selection by ancestor fee rate (child pays for parent), following the
// best chain through chain notifications, the unbroadcast set (the pool
// transactions submitted to the node that no peer has asked for yet,
// which the p2p layer announces again), and saving and reloading the pool
// with that set across restarts (mempool.dat, docs/ARCHITECTURE.md; a
// file cut short is refused as truncated).
//
// Admission order, cheapest first: consensus sanity (no chain needed), not
// a coinbase, size and dust policy; then against the pool and the UTXO set:
// not already in the pool, no conflict with a pool transaction (no
// replacement), inputs present (else an orphan, or "txn-already-known" when
// an output of the txid is still unspent in the chain), the consensus input
// rules (chain.CheckTransactionInputs at tip height + 1: maturity, key
// hashes, amounts), family limits and fee rate; signatures last
// (chain.VerifyTxSignatures, skipped when the SigCache vouches for the
// txid; the txid is recorded in it once the transaction has entered the
// pool and outlived the trim that follows, so that connecting the block
// does not verify them again).
//
// Invariants, whenever mu is not held:
//   - No two pool transactions spend the same outpoint; spent maps each
//     outpoint a pool transaction spends to it.
//   - Every input of a pool transaction is an unspent output of the chain
//     (as of the notifications handled so far) or an output of a pool
//     transaction, and the pool meets every consensus rule at the next
//     height; revalidation after a disconnection restores this before
//     anyone can observe the pool (see HandleChainNotification).
//   - Parent and child links and every entry's ancestor and descendant
//     statistics match the spending graph; parents have lower admission
//     sequence numbers than their children.
//   - Every txid in the unbroadcast set is a pool transaction's: it
//     leaves the set when it leaves the pool (a reorg's revalidation
//     keeps those it readmits).
//   - bytes is the sum of entry sizes and stays at most Policy.MaxPoolBytes
//     (reorg re-admission included: the pool is trimmed afterwards).
//   - The pool adds a txid to the SigCache only once its transaction has
//     entered the pool and the pool has been trimmed to size, and removes
//     it when the transaction leaves, for whatever reason (evicted,
//     expired, in conflict with a block, dropped by a reorg's
//     revalidation, mined); a newcomer the trim evicted at once was
//     never added, and its leaving removes nothing (the txid may be there
//     for a block pre-verification checked). So a transaction the pool
//     refused or dropped does not stay in the cache for good and fill it
//     (which would turn the chain's pre-verification off), and the pool's
//     entries in the cache never outnumber its capacity (Policy.MaxTxs),
//     which is what a cache sized by chain.SigCacheSize holds for it; the
//     cache's own bound may evict entries sooner, and a shared cache
//     (chain.NewSharedSigCache) ignores removals, keeping them until its
//     bound evicts them.
//
// Concurrency. A Pool is safe for concurrent use. One RWMutex, mu, guards
// the pool and the orphans. Admission runs in three steps so that
// signature verification, the expensive part, runs on all cores at once:
//
//  1. Read the chain for the transaction's inputs (tip and UTXO entries)
//     with no pool lock held, then take mu for reading and run every check
//     but the signatures against those entries and the pool.
//  2. Release mu and verify the signatures (unless the SigCache has the
//     txid).
//  3. Take mu for writing and bring the verdict up to date with the pool
//     as it is now: if no entry left the pool since step 1 (a counter of
//     removals tells), only what a concurrent admission can change is
//     checked again (the txid or an input taken, an ancestor's descendant
//     count, the pool's size and fee floor); if one did (a parent may have
//     been evicted), every pool-side check runs again. Then insert, trim,
//     and, if the transaction stayed, record its txid in the SigCache.
//
// Lock order: the pool never calls into the chain while holding mu, so mu
// never sits above a chain lock and a notification handler (which takes mu
// while the chain delivers to it) can never be part of a wait cycle.
// Instead, chain reads happen before mu is taken and are tagged with a
// generation counter (gen) that every handled notification increments; if
// it changed by the time mu is held, the reads are repeated. A chain change
// whose notification is still on its way is handled by that notification
// when it arrives. HandleChainNotification itself takes mu for writing and
// never calls the chain; the revalidation a disconnection requires (which
// must read the chain) therefore runs at the next call into the pool, from
// the caller's goroutine, and no admission inserts anything before it
// completes. The SigCache's locks are leaf locks, taken with or without mu
// (entries are added and removed under mu, as the pool's entries are: map
// operations) and nothing is called under them.
//
// Changes reports a sequence number of changes to the pool's transactions
// and a channel closed at the next one (for long-polling block templates);
// its small lock is taken under mu or alone, and nothing is called under it.
// The unbroadcast set has a small lock of its own too (a peer's getdata
// clears an entry without taking mu), taken under mu or alone.
//
// Time comes only from the injected chain.Clock. The package starts
// goroutines only in Load (signature checks, joined before it returns).
package mempool
