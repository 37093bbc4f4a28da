package chain

import (
	"math/big"
	"testing"

	"pgregory.net/rapid"

	"powchain/wire"
)

// two256 is 2^256, where math/big's sums leave uint256's range.
func two256() *big.Int { return new(big.Int).Lsh(big.NewInt(1), 256) }

// uint256Gen draws uint256 values whose words are often at their edges (0,
// 1, the top bit, all ones and one below), so that sums carry across every
// word boundary, chains of carries run through several words, and values
// near 0 and 2^256-1 come up, beside words drawn at random.
func uint256Gen() *rapid.Generator[uint256] {
	word := rapid.OneOf(
		rapid.SampledFrom([]uint64{0, 1, 1 << 63, ^uint64(0), ^uint64(0) - 1}),
		rapid.Uint64(),
	)
	return rapid.Custom(func(t *rapid.T) uint256 {
		var w uint256
		for i := range w {
			w[i] = word.Draw(t, "word")
		}
		return w
	})
}

// checkAgainstBig checks add, cmp and the conversions of a and b against
// math/big: the sum is exact below 2^256 and 2^256-1 (saturated) from
// there on; the comparisons agree both ways.
func checkAgainstBig(t interface {
	Helper()
	Fatalf(format string, args ...any)
}, a, b uint256) {
	t.Helper()
	ba, bb := a.toBig(), b.toBig()
	if back := uint256FromBig(ba); back != a {
		t.Fatalf("uint256FromBig(%x) = %x, want %x", ba, back, a)
	}
	if ba.Sign() < 0 || ba.Cmp(two256()) >= 0 {
		t.Fatalf("toBig(%x) = %x, out of [0, 2^256)", a, ba)
	}
	want := new(big.Int).Add(ba, bb)
	if want.Cmp(two256()) >= 0 {
		want.Sub(two256(), big.NewInt(1))
	}
	if got := a.add(b).toBig(); got.Cmp(want) != 0 {
		t.Fatalf("%x + %x = %x, want %x", ba, bb, got, want)
	}
	if got, want := a.cmp(b), ba.Cmp(bb); got != want {
		t.Fatalf("cmp(%x, %x) = %d, want %d", ba, bb, got, want)
	}
	if got, want := b.cmp(a), bb.Cmp(ba); got != want {
		t.Fatalf("cmp(%x, %x) = %d, want %d", bb, ba, got, want)
	}
	if a.add(b) != b.add(a) {
		t.Fatalf("%x + %x is not %x + %x", ba, bb, bb, ba)
	}
}

// The block index's work sums add and compare as math/big does on random
// values, below 2^256, and saturate at 2^256-1 from there on.
func TestUint256AgainstBig(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		a := uint256Gen().Draw(rt, "a")
		// b is a with each word kept, moved by one or drawn afresh, so
		// that comparisons that are settled by a low word (the words above
		// it equal) come up as often as the others.
		b := a
		for i := range b {
			switch rapid.IntRange(0, 3).Draw(rt, "change") {
			case 1:
				b[i]++
			case 2:
				b[i]--
			case 3:
				b[i] = uint256Gen().Draw(rt, "fresh")[i]
			}
		}
		checkAgainstBig(rt, a, b)
	})
}

// Carries out of each word, through every word above it, and into the
// saturation; equal values; the maximum.
func TestUint256Edges(t *testing.T) {
	top256 := maxUint256()
	if got, want := top256.toBig(), new(big.Int).Sub(two256(), big.NewInt(1)); got.Cmp(want) != 0 {
		t.Fatalf("maxUint256 = %x, want %x", got, want)
	}
	one := uint256{1}
	for k := 1; k <= 4; k++ {
		// 2^(64k)-1: the low k words all ones.
		var low uint256
		for i := 0; i < k; i++ {
			low[i] = ^uint64(0)
		}
		sum := low.add(one)
		if k < 4 {
			var want uint256
			want[k] = 1
			if sum != want {
				t.Errorf("2^%d-1 + 1 = %x, want %x", 64*k, sum, want)
			}
		} else if sum != top256 {
			t.Errorf("2^256-1 + 1 = %x, want it saturated", sum)
		}
		checkAgainstBig(t, low, one)
		// A carry out of word k-1 alone: 2^(64k-1) + 2^(64k-1).
		var top uint256
		top[k-1] = 1 << 63
		checkAgainstBig(t, top, top)
		checkAgainstBig(t, low, low)
		checkAgainstBig(t, low, top)
	}
	for _, tc := range [][2]uint256{
		{top256, top256}, {top256, {}}, {top256, one}, {{}, {}}, {one, one},
		{{0, 0, 0, 1}, {^uint64(0), ^uint64(0), ^uint64(0)}},
		{{0, 0, 0, 1 << 63}, {0, 0, 0, 1 << 63}},
		{{5, 0, 0, 0}, {0, 0, 0, 5}},
		{{5, 7, 7, 7}, {4, 7, 7, 7}}, {{7, 5, 7, 7}, {7, 4, 7, 7}}, {{7, 7, 5, 7}, {7, 7, 4, 7}},
	} {
		checkAgainstBig(t, tc[0], tc[1])
	}
}

// headerWork is CalcWork, in place, for targets from the easiest to the
// hardest a header can carry, and for bits that encode no positive target
// (zero work, as CalcWork); uint256FromBig refuses what does not fit.
func TestHeaderWork(t *testing.T) {
	for _, bits := range []uint32{0x207fffff, 0x2000ffff, 0x1f00ffff, 0x1d00ffff, 0x1802aee8,
		0x03000001, 0x01010000, 0x04000000, 0, 0x01800000, 0x04923456, 0x2100ffff, 0xff7fffff} {
		want := CalcWork(CompactToBig(bits))
		if got := headerWork(bits).toBig(); got.Cmp(want) != 0 {
			t.Errorf("headerWork(%08x) = %x, want %x", bits, got, want)
		}
	}
	for _, x := range []*big.Int{two256(), big.NewInt(-1)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("uint256FromBig(%x) did not panic", x)
				}
			}()
			uint256FromBig(x)
		}()
	}
}

// A chain whose work would pass 2^256-1 stays there: a child of a node at
// the bound has the bound's work, as its sibling does, so the two compare
// equal in work and fork choice goes on to their data's arrival.
func TestWorkSumSaturates(t *testing.T) {
	parent := &blockNode{workSum: maxUint256(), height: 7}
	h := wire.BlockHeader{Version: 1, Bits: 0x207fffff, Timestamp: 1}
	a := newBlockNode(&h, parent)
	h.Nonce++
	b := newBlockNode(&h, parent)
	if a.workSum != maxUint256() || b.workSum != maxUint256() {
		t.Fatalf("children's work %x and %x, want 2^256-1", a.workSum.toBig(), b.workSum.toBig())
	}
	a.status, a.sequence = statusDataStored, 2
	b.status, b.sequence = statusDataStored, 1
	if !b.betterThan(a) || a.betterThan(b) {
		t.Fatal("on saturated, equal work the block whose data came first is not the better")
	}
}
