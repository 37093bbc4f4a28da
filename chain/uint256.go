package chain

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// uint256 is an unsigned 256-bit integer held in place, four 64-bit words,
// least significant first: the cumulative work of a chain in the block
// index (blockNode.workSum), 32 bytes in the node instead of a *big.Int
// and the big.Int and word slice it points to. The zero value is 0.
//
// A header's work, 2^256/(target+1) (CalcWork), is at most 2^255 (target
// 1), so it always fits. A sum of work saturates: add returns
// maxUint256, 2^256-1, where the exact sum would be 2^256 or more, so
// chains of that much work compare equal to one another (fork choice then
// goes by arrival and hash, betterThan) instead of wrapping around to a
// small value. Reaching it takes a chain whose headers carry 2^256 work,
// about 2^256 hashes evaluated: no real chain gets there, so up to that
// bound the order is math/big's exactly.
type uint256 [4]uint64

// maxUint256 returns 2^256-1, where sums of work saturate.
func maxUint256() uint256 { return uint256{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)} }

// add returns w+o, or maxUint256 if that does not fit in 256 bits.
func (w uint256) add(o uint256) uint256 {
	var s uint256
	var carry uint64
	for i := range w {
		s[i], carry = bits.Add64(w[i], o[i], carry)
	}
	if carry != 0 {
		return maxUint256()
	}
	return s
}

// cmp returns -1, 0 or +1 as w is less than, equal to or greater than o.
func (w uint256) cmp(o uint256) int {
	for i := len(w) - 1; i >= 0; i-- {
		switch {
		case w[i] < o[i]:
			return -1
		case w[i] > o[i]:
			return 1
		}
	}
	return 0
}

// toBig returns w as a new big.Int (BlockInfo.ChainWork).
func (w uint256) toBig() *big.Int {
	var b [32]byte
	for i, word := range w {
		binary.BigEndian.PutUint64(b[32-8*(i+1):], word)
	}
	return new(big.Int).SetBytes(b[:])
}

// uint256FromBig returns x, which must be in [0, 2^256), as a uint256; it
// panics otherwise (a caller's bug: CalcWork never leaves that range).
func uint256FromBig(x *big.Int) uint256 {
	if x.Sign() < 0 {
		panic("chain: uint256 of a negative number")
	}
	var b [32]byte
	x.FillBytes(b[:]) // panics if x needs more than 256 bits
	var w uint256
	for i := range w {
		w[i] = binary.BigEndian.Uint64(b[32-8*(i+1):])
	}
	return w
}

// headerWork is CalcWork of the target that bits encode, as a uint256.
func headerWork(bits uint32) uint256 {
	return uint256FromBig(CalcWork(CompactToBig(bits)))
}
