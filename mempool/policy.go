package mempool

import (
	"math"
	"math/bits"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// Policy is the node's own admission policy: rules a transaction must meet
// to be relayed and mined by this node, on top of consensus. Policy can be
// changed per node; consensus cannot.
type Policy struct {
	// MinRelayFeeRate is the lowest fee rate admitted, in base units per
	// 1000 bytes of canonical encoding. It also sets the dust threshold and
	// the step by which the pool's minimum rises after an eviction. Zero
	// relays for free and disables the dust rule.
	MinRelayFeeRate uint64
	// MaxTxSize is the largest transaction admitted, in bytes (at most
	// wire.MaxTxSize, which consensus allows in a block).
	MaxTxSize int
	// MaxPoolBytes bounds the total size of the pool's transactions. Beyond
	// it the pool evicts the packages (a transaction and its in-pool
	// descendants) with the lowest fee rate.
	MaxPoolBytes int
	// Expiry is how long a transaction may stay in the pool unmined.
	Expiry time.Duration
	// MaxOrphans bounds the orphan pool (transactions waiting for a parent);
	// MaxOrphansPerSource bounds what one submitter can keep there.
	MaxOrphans, MaxOrphansPerSource int
	// OrphanExpiry is how long an orphan waits for its parents.
	OrphanExpiry time.Duration
	// MaxOrphanTxSize is the largest orphan kept, in bytes; it bounds the
	// orphan pool's memory at MaxOrphans * MaxOrphanTxSize.
	MaxOrphanTxSize int
	// MaxAncestors and MaxDescendants bound a transaction's in-pool family
	// (counting itself), as Bitcoin Core does: they keep every update of
	// package statistics, eviction and template selection cheap.
	MaxAncestors, MaxDescendants int
}

// DefaultPolicy returns the policy a node runs with unless configured
// otherwise.
func DefaultPolicy() Policy {
	return Policy{
		MinRelayFeeRate:     1000,
		MaxTxSize:           100_000,
		MaxPoolBytes:        64 << 20,
		Expiry:              336 * time.Hour,
		MaxOrphans:          100,
		MaxOrphansPerSource: 10,
		OrphanExpiry:        20 * time.Minute,
		MaxOrphanTxSize:     20_000,
		MaxAncestors:        25,
		MaxDescendants:      25,
	}
}

// MaxTxs returns the most transactions a pool under p can hold: its
// MaxPoolBytes (the default if unset) of the smallest valid transactions
// (wire.MinTxSize), the pool's share of a SigCache (chain.SigCacheSize).
func (p Policy) MaxTxs() int { return p.withDefaults().MaxPoolBytes / wire.MinTxSize }

// SigCacheSize returns the bound of the SigCache that a pool under p
// shares with a chain pre-verifying chain.DefaultPreverifyBlocks blocks
// (chain.Config.PreverifyBlocks left at zero), as the node's do: room for the
// pool at its fullest and for the blocks pre-verified beside it
// (chain.SigCacheSize).
func (p Policy) SigCacheSize() int {
	return chain.SigCacheSize(p.MaxTxs(), chain.DefaultPreverifyBlocks)
}

// withDefaults replaces every zero limit with its default, since no limit
// means anything useful at zero, and caps MaxTxSize at what consensus
// allows. MinRelayFeeRate is kept as given: zero is a meaningful choice.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt(&p.MaxTxSize, d.MaxTxSize)
	p.MaxTxSize = min(p.MaxTxSize, wire.MaxTxSize)
	setInt(&p.MaxPoolBytes, d.MaxPoolBytes)
	setDur(&p.Expiry, d.Expiry)
	setInt(&p.MaxOrphans, d.MaxOrphans)
	setInt(&p.MaxOrphansPerSource, d.MaxOrphansPerSource)
	setDur(&p.OrphanExpiry, d.OrphanExpiry)
	setInt(&p.MaxOrphanTxSize, d.MaxOrphanTxSize)
	setInt(&p.MaxAncestors, d.MaxAncestors)
	setInt(&p.MaxDescendants, d.MaxDescendants)
	return p
}

// spendCost is the size an output adds to the chain over its life: its own
// encoding when created and the input that spends it.
const spendCost = wire.TxInSize + wire.TxOutSize

// isDust reports whether an output of amount is dust: spending it would
// cost more than a third of its value at the minimum relay fee rate, i.e.
// amount * 1000 < 3 * MinRelayFeeRate * (wire.TxInSize + wire.TxOutSize).
// With the default rate of 1000 that is anything below 480 base units. Such
// outputs are uneconomic to spend and would bloat the UTXO set forever.
func (p *Policy) isDust(amount uint64) bool {
	return productLess(amount, 1000, 3*spendCost, p.MinRelayFeeRate)
}

// productLess reports whether a*b < c*d, exactly (128-bit products), so fee
// rate comparisons never overflow.
func productLess(a, b, c, d uint64) bool {
	hi1, lo1 := bits.Mul64(a, b)
	hi2, lo2 := bits.Mul64(c, d)
	return hi1 < hi2 || (hi1 == hi2 && lo1 < lo2)
}

// rateLess reports whether fee1/size1 < fee2/size2.
func rateLess(fee1 uint64, size1 int, fee2 uint64, size2 int) bool {
	return productLess(fee1, uint64(size2), fee2, uint64(size1))
}

// belowRate reports whether fee pays less than rate (per 1000 bytes) for
// size bytes.
func belowRate(fee uint64, size int, rate uint64) bool {
	return productLess(fee, 1000, rate, uint64(size))
}

// feeRate is fee per 1000 bytes of size, rounded down (saturating).
func feeRate(fee uint64, size int) uint64 {
	if size <= 0 {
		return math.MaxUint64
	}
	hi, lo := bits.Mul64(fee, 1000)
	if hi >= uint64(size) {
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi, lo, uint64(size))
	return q
}

// rollingFeeHalfLife is how fast the pool's raised minimum fee rate (after
// an eviction) decays back towards MinRelayFeeRate, as in Bitcoin Core.
const rollingFeeHalfLife = 12 * time.Hour

// decayRate returns rate decayed from time since to now; rates that fall
// below half the minimum relay rate drop to zero, so the floor is released
// eventually instead of lingering.
func decayRate(rate uint64, since, now time.Time, minRelay uint64) uint64 {
	if rate == 0 {
		return 0
	}
	if elapsed := now.Sub(since); elapsed > 0 {
		rate = uint64(float64(rate) * math.Exp2(-float64(elapsed)/float64(rollingFeeHalfLife)))
	}
	if rate < minRelay/2 || rate == 0 {
		return 0
	}
	return rate
}
