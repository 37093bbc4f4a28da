package p2p

import (
	"math/rand/v2"
	"testing"
)

// fifoModel is what a boundedSet must answer: the last n distinct keys
// added, the oldest forgotten first.
type fifoModel struct {
	order []uint64
	in    map[uint64]bool
}

func (m *fifoModel) add(k uint64, n int) {
	if m.in[k] {
		return
	}
	if len(m.order) == n {
		delete(m.in, m.order[0])
		m.order = m.order[1:]
	}
	m.order = append(m.order, k)
	m.in[k] = true
}

// TestBoundedSetMatchesFIFO: random adds and lookups, with bounds from 1
// up and key spaces small enough that keys come back after being
// forgotten and many share home slots and hash bits, answer exactly as the
// FIFO model does.
func TestBoundedSetMatchesFIFO(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	for _, tc := range []struct{ n, keys, ops int }{
		{1, 4, 2_000}, {2, 5, 2_000}, {7, 20, 5_000}, {16, 40, 10_000},
		{100, 150, 20_000}, {100, 1_000, 20_000}, {1_000, 3_000, 50_000},
		{maxKnownAddrs, 1 << 40, 30_000}, // never full: growth only
	} {
		var s boundedSet
		m := &fifoModel{in: make(map[uint64]bool)}
		for op := range tc.ops {
			k := rng.Uint64N(uint64(tc.keys))
			if rng.IntN(2) == 0 {
				s.add(k, tc.n)
				m.add(k, tc.n)
			} else if got := s.has(k); got != m.in[k] {
				t.Fatalf("n=%d, op %d: has(%d) = %v, want %v", tc.n, op, k, got, m.in[k])
			}
		}
		for _, k := range m.order {
			if !s.has(k) {
				t.Fatalf("n=%d: key %d held by the model is missing", tc.n, k)
			}
		}
		if len(s.ring) != len(m.order) {
			t.Fatalf("n=%d: the set holds %d keys, want %d", tc.n, len(s.ring), len(m.order))
		}
	}
}

// TestBoundedSetClusteredKeys: keys that differ in a few low bits (as
// FNV-1a hashes of similar addresses can) and the zero key are held and
// forgotten like any other.
func TestBoundedSetClusteredKeys(t *testing.T) {
	const n = 300
	var s boundedSet
	m := &fifoModel{in: make(map[uint64]bool)}
	for i := range 5 * n {
		k := uint64(i%700) << 3 // 0 included
		s.add(k, n)
		m.add(k, n)
		for j := range 700 {
			probe := uint64(j) << 3
			if s.has(probe) != m.in[probe] {
				t.Fatalf("after %d adds: has(%d) = %v, want %v", i+1, probe, s.has(probe), m.in[probe])
			}
		}
	}
}

// TestBoundedSetMaxBound: the largest bound the slots can address works,
// and a larger one is refused as the programming error it is.
func TestBoundedSetMaxBound(t *testing.T) {
	var s boundedSet
	for k := range uint64(maxBoundedSet + 10) {
		s.add(k, maxBoundedSet)
	}
	for k := range uint64(maxBoundedSet + 10) {
		if want := k >= 10; s.has(k) != want {
			t.Fatalf("has(%d) = %v, want %v", k, s.has(k), want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a bound over 65535 was accepted")
		}
	}()
	s.add(1<<62, maxBoundedSet+1)
}
