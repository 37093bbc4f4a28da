// Proof-of-work arithmetic: the compact "nBits" target encoding, the
// conversion of a block hash to the number it is compared against, the work
// a target represents (the fork-choice metric) and the aserti3-2d difficulty
// adjustment.
//
// Everything here is pure integer arithmetic on math/big values. Consensus
// must never depend on floating point, on the width of a machine word or on
// the order in which a compiler evaluates an expression, so each function
// states the exact reference it reproduces.

package chain

import (
	"errors"
	"fmt"
	"math/big"
)

// Errors returned by TargetFromBits. They are plain sentinel values, wrapped
// with the offending bits, so that callers can test them with errors.Is and
// translate them into typed rule errors without parsing strings.
var (
	// ErrBitsNegative reports a compact target with the sign bit set and a
	// non-zero mantissa. Targets are unsigned; the sign bit exists only
	// because the encoding was inherited from OpenSSL's MPI format.
	ErrBitsNegative = errors.New("compact target is negative")

	// ErrBitsZero reports a compact target that decodes to zero, which no
	// hash can meet.
	ErrBitsZero = errors.New("compact target is zero")

	// ErrBitsOverflow reports a compact target whose value does not fit in
	// 256 bits (Bitcoin Core's fOverflow).
	ErrBitsOverflow = errors.New("compact target overflows 256 bits")

	// ErrBitsAboveLimit reports a compact target easier than the network's
	// proof-of-work limit.
	ErrBitsAboveLimit = errors.New("compact target is above the proof-of-work limit")
)

// Layout of a compact target: the high byte is the length in bytes of the
// encoded value (the "exponent"), the low 23 bits are its most significant
// bytes (the "mantissa") and bit 23 is a sign bit.
const (
	compactSignBit      = 0x00800000
	compactMantissaMask = 0x007fffff

	// maxCompactSize is the largest length the exponent byte can express.
	maxCompactSize = 0xff
)

var (
	// oneLsh256 is 2^256, the numerator of CalcWork. It is shared and must
	// never be modified.
	oneLsh256 = new(big.Int).Lsh(big.NewInt(1), 256)

	// maxCompactValue is the largest magnitude BigToCompact can encode,
	// 0x7fffff * 256^(255-3); larger magnitudes saturate to it.
	maxCompactValue = new(big.Int).Lsh(big.NewInt(compactMantissaMask), 8*(maxCompactSize-3))
)

// CompactToBig decodes a compact target ("nBits") into the number it
// represents, exactly as Bitcoin Core's arith_uint256::SetCompact does:
//
//   - the value is mantissa * 256^(exponent-3), where the mantissa is the low
//     23 bits; for exponents below 3 the mantissa is shifted right, so its
//     low bytes are discarded;
//   - if bit 23 is set and the (shifted) mantissa is non-zero, the result is
//     negative (Core reports that through its fNegative flag; a signed
//     big.Int carries it in the value itself).
//
// The one deliberate difference is overflow: Core's 256-bit integer silently
// drops bits shifted past bit 255 and raises fOverflow, whereas CompactToBig
// returns the full, untruncated value. An overflowing encoding is therefore
// recognisable as a result longer than 256 bits, and TargetFromBits rejects it
// before the value can matter to consensus.
func CompactToBig(bits uint32) *big.Int {
	size := bits >> 24
	mantissa := bits & compactMantissaMask

	var n *big.Int
	if size <= 3 {
		n = big.NewInt(int64(mantissa >> (8 * (3 - size))))
	} else {
		n = big.NewInt(int64(mantissa))
		n.Lsh(n, uint(8*(size-3)))
	}

	// A zero value is never negative (big.Int has no negative zero), which
	// matches Core's rule that the sign only counts with a non-zero mantissa.
	if bits&compactSignBit != 0 {
		n.Neg(n)
	}
	return n
}

// BigToCompact encodes n as a compact target, exactly as Bitcoin Core's
// arith_uint256::GetCompact(fNegative) does for every magnitude below 2^256:
// the exponent is the byte length of |n|, the mantissa its three most
// significant bytes (lower bytes are truncated, so the encoding rounds
// towards zero). When the top mantissa byte would have bit 7 set, that bit
// would read back as the sign, so the mantissa is shifted one byte down and
// the exponent increased instead. The sign bit is set for negative n, unless
// the mantissa is zero.
//
// Magnitudes too large for the one-byte exponent (beyond 0x7fffff*256^252,
// far outside any target) saturate to the largest encodable magnitude rather
// than wrapping around into a small, wrong encoding.
func BigToCompact(n *big.Int) uint32 {
	if n.Sign() == 0 {
		return 0
	}

	mag := new(big.Int).Abs(n)
	if mag.Cmp(maxCompactValue) > 0 {
		mag.Set(maxCompactValue)
	}

	size := uint32((mag.BitLen() + 7) / 8)
	var mantissa uint32
	if size <= 3 {
		mantissa = uint32(mag.Uint64()) << (8 * (3 - size))
	} else {
		mantissa = uint32(mag.Rsh(mag, uint(8*(size-3))).Uint64())
	}

	if mantissa&compactSignBit != 0 {
		mantissa >>= 8
		size++
	}

	compact := size<<24 | mantissa
	if n.Sign() < 0 && mantissa&compactMantissaMask != 0 {
		compact |= compactSignBit
	}
	return compact
}

// TargetFromBits decodes the compact target carried by a block header and
// checks that it is a usable target: positive, at most 256 bits long and not
// easier than powLimit (which must be non-nil). It mirrors the checks at the
// top of Bitcoin Core's CheckProofOfWork, in the same order, but says which
// one failed.
//
// The returned errors wrap ErrBitsNegative, ErrBitsZero, ErrBitsOverflow and
// ErrBitsAboveLimit. Because CompactToBig does not truncate, an overflowing
// encoding can never masquerade as zero, so each invalid encoding maps to
// exactly one error.
func TargetFromBits(bits uint32, powLimit *big.Int) (*big.Int, error) {
	target := CompactToBig(bits)
	switch {
	case target.Sign() < 0:
		return nil, fmt.Errorf("%w: bits %#08x", ErrBitsNegative, bits)
	case target.Sign() == 0:
		return nil, fmt.Errorf("%w: bits %#08x", ErrBitsZero, bits)
	case target.BitLen() > 256:
		// Equivalent to Core's fOverflow test, mantissa != 0 &&
		// (size > 34 || (mantissa > 0xff && size > 33) ||
		// (mantissa > 0xffff && size > 32)): each clause says the value
		// reaches 2^256.
		return nil, fmt.Errorf("%w: bits %#08x", ErrBitsOverflow, bits)
	case target.Cmp(powLimit) > 0:
		return nil, fmt.Errorf("%w: bits %#08x, limit %#08x",
			ErrBitsAboveLimit, bits, BigToCompact(powLimit))
	}
	return target, nil
}

// HashToBig returns the number a block hash is compared against its target.
//
// Convention of this project: the 32 bytes of a hash are read as a
// BIG-endian unsigned integer, in the order in which they are stored and
// printed (wire.Hash prints as plain hex, without reversal). Bitcoin reads the
// same bytes little-endian and therefore displays hashes byte-reversed; here
// no reversal happens anywhere, so a hash that meets an easy target is one
// that visibly starts with zero bytes. A wire.Hash can be passed directly,
// since its underlying type is [32]byte.
func HashToBig(h [32]byte) *big.Int {
	return new(big.Int).SetBytes(h[:])
}

// CalcWork returns the expected number of hashes needed to find a block
// meeting target, 2^256 / (target + 1), rounded down. Summed along a chain it
// is the cumulative work that decides fork choice. The +1 keeps the
// denominator positive for target 0 and makes the maximum target,
// 2^256 - 1, worth exactly one hash.
//
// A target that is not positive cannot be met by any block; like Bitcoin
// Core's GetBlockProof, CalcWork credits it with zero work instead of
// dividing by zero or by a negative number.
func CalcWork(target *big.Int) *big.Int {
	if target.Sign() <= 0 {
		return new(big.Int)
	}
	denominator := new(big.Int).Add(target, big.NewInt(1))
	return denominator.Quo(oneLsh256, denominator)
}

// CalcASERT computes the target that the block after a tip must carry under
// aserti3-2d, the absolutely scheduled exponentially rising targets algorithm
// (Bitcoin Cash, November 2020):
//
//	next = anchorTarget * 2^((timeDiff - spacing*(heightDiff+1)) / halfLife)
//
// where timeDiff is the tip's timestamp minus the timestamp of the anchor
// block's parent, heightDiff is the tip's height minus the anchor's height,
// spacing is the ideal block interval and halfLife the time, in seconds, by
// which the chain must run ahead of (behind) schedule for the target to
// double (halve). The result is always in [1, powLimit].
//
// The computation reproduces the specification's reference code
// (CalculateASERT in Bitcoin Cash Node) bit for bit, in fixed point with 16
// fractional bits:
//
//   - exponent = ((timeDiff - spacing*(heightDiff+1)) * 65536) / halfLife,
//     with the division truncating toward zero as in C;
//   - shifts = exponent >> 16 (an arithmetic shift, so it floors) and
//     frac = uint16(exponent), so that exponent = shifts*65536 + frac with
//     0 <= frac < 65536;
//   - factor = 65536 + ((195766423245049*frac + 971821376*frac^2 +
//     5127*frac^3 + 2^47) >> 48), a cubic approximation of 65536 * 2^(frac/65536)
//     evaluated in uint64 as the reference does;
//   - next = (anchorTarget * factor) shifted left by shifts-16 (right when
//     that is not positive), then 0 becomes 1 and anything above powLimit
//     becomes powLimit.
//
// The reference works in 256-bit integers and replaces a left shift that
// would lose high bits with powLimit. Here nothing is ever lost, so that case
// shows up as a value of at least 2^256, which the final clamp turns into
// powLimit: the two agree for every powLimit below 2^256, i.e. for every
// real network. For the same reason the exponent is computed in arbitrary
// precision: wherever the reference's int64 arithmetic does not overflow the
// result is identical, and outside that range, where the reference asserts,
// CalcASERT continues with the exact mathematical value instead of wrapping.
//
// Preconditions, all satisfied by construction when the inputs come from
// validated chain state and network parameters: 1 <= anchorTarget <= powLimit,
// halfLife > 0 and heightDiff >= 0. The reference aborts when they do not
// hold. CalcASERT has no error result, because none of its inputs comes from
// an unvalidated peer message (the anchor's bits passed TargetFromBits when
// the anchor was accepted, heights are counted by the chain itself), but it
// also never panics on them, so that a bug elsewhere cannot crash a node
// while it is validating untrusted blocks:
//
//   - anchorTarget is clamped into [1, powLimit] first;
//   - a negative heightDiff is simply evaluated by the formula (the
//     exponent grows by spacing/halfLife per missing block, as it would
//     shrink per extra block);
//   - a halfLife <= 0 leaves the target unadjusted (the clamped anchor
//     target), since the schedule is undefined.
//
// A nil or non-positive powLimit makes the range empty; the result is then 1.
// Neither argument is modified.
func CalcASERT(anchorTarget *big.Int, spacing, halfLife, timeDiff, heightDiff int64, powLimit *big.Int) *big.Int {
	one := big.NewInt(1)
	if powLimit == nil || powLimit.Sign() <= 0 {
		return one
	}

	target := new(big.Int)
	switch {
	case anchorTarget == nil || anchorTarget.Sign() <= 0:
		target.Set(one)
	case anchorTarget.Cmp(powLimit) > 0:
		target.Set(powLimit)
	default:
		target.Set(anchorTarget)
	}
	if halfLife <= 0 {
		return target
	}

	// exponent = ((timeDiff - spacing*(heightDiff+1)) * 65536) / halfLife.
	// big.Int's Quo truncates toward zero, as C's division does; with a
	// flooring division (big.Int's Div) seven of the twelve conformance runs
	// fail, wherever the chain is ahead of schedule.
	exponent := big.NewInt(heightDiff)
	exponent.Add(exponent, one)
	exponent.Mul(exponent, big.NewInt(spacing))
	exponent.Sub(big.NewInt(timeDiff), exponent)
	exponent.Lsh(exponent, 16)
	exponent.Quo(exponent, big.NewInt(halfLife))

	// Split the exponent into its integer and fractional parts. Rsh of a
	// negative big.Int rounds toward negative infinity, exactly like the
	// arithmetic shift of the reference, and the fractional part is then the
	// non-negative remainder, i.e. the low 16 bits of the two's complement
	// value that uint16(exponent) takes in C.
	shifts := new(big.Int).Rsh(exponent, 16)
	frac := uint64(new(big.Int).Sub(exponent, new(big.Int).Lsh(shifts, 16)).Int64())

	// All products are in uint64 as in the reference (they stay below 2^64
	// for every frac < 65536); the result is below 2^16, so factor fits the
	// reference's uint32.
	factor := 65536 + ((195766423245049*frac +
		971821376*frac*frac +
		5127*frac*frac*frac +
		1<<47) >> 48)
	target.Mul(target, new(big.Int).SetUint64(factor))

	// Apply 2^(shifts-16). The shift amount is bounded before it is used, so
	// an absurd exponent cannot ask math/big for an enormous allocation: a
	// left shift by at least powLimit's bit length already exceeds powLimit
	// (target >= 65536 here), and a right shift by at least target's bit
	// length yields zero.
	shifts.Sub(shifts, big.NewInt(16))
	if shifts.Sign() > 0 {
		if shifts.Cmp(big.NewInt(int64(powLimit.BitLen()))) >= 0 {
			return new(big.Int).Set(powLimit)
		}
		target.Lsh(target, uint(shifts.Int64()))
	} else {
		shifts.Neg(shifts)
		if shifts.Cmp(big.NewInt(int64(target.BitLen()))) >= 0 {
			return one
		}
		target.Rsh(target, uint(shifts.Int64()))
	}

	switch {
	case target.Sign() == 0:
		// 0 is not a valid target, but 1 is.
		return one
	case target.Cmp(powLimit) > 0:
		return target.Set(powLimit)
	}
	return target
}
