// Package chaintest helps tests build chains: parameters with a trivial
// proof of work and a genesis block at a chosen time, a manual clock,
// deterministic keys, a block generator in the spirit of btcd's
// fullblocktests (named blocks, mungers, real signatures), the chain of
// full one-input, two-output blocks the sync benchmarks use (LaneChain), and an
// independent reference model of the UTXO set to check a Chain against.
//
// It is imported only by tests. Nothing in it is safe for concurrent use
// except Clock.
package chaintest
