package miner

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"

	"powchain/chain"
	"powchain/wire"
)

// checkEvery is how many nonces a worker tries between looks at its context,
// at the other workers and at the clock: under a millisecond of hashing, so
// stale work stops well within 100 ms of a new tip.
const checkEvery = 1 << 12

// Solver grinds a header's nonce space on several goroutines.
type Solver struct {
	// Workers is how many goroutines hash (at least one); worker w tries
	// nonces w, w+Workers, ...
	Workers int
	// Hashes, if set, counts the hashes tried as the work goes (every 4096
	// nonces per worker), for hash-rate reports.
	Hashes *atomic.Uint64
	// Now, if set, keeps the header's timestamp current: each worker moves
	// its header's timestamp forward to Now() whenever that is later
	// (looked at every 4096 nonces) and carries on with its nonces,
	// since the timestamp lies in the part hashed per nonce. It never goes
	// below the header's own timestamp.
	Now func() int64
	// maxNonce is the largest nonce tried; zero means 2^32-1 (tests lower
	// it to exercise extra-nonce rolling).
	maxNonce uint64
}

// Solve searches the nonce space of h for a hash that meets h.Bits with
// workers goroutines; see Solver.
func Solve(ctx context.Context, h *wire.BlockHeader, workers int, hashes *atomic.Uint64) bool {
	return Solver{Workers: workers, Hashes: hashes}.Solve(ctx, h)
}

// Solve returns true with h.Nonce (and, with Now, h.Timestamp) set when a
// hash meets h.Bits, false when the nonce space is exhausted (roll the extra
// nonce and call again) or the context is cancelled (ctx.Err() tells
// which). It returns after every worker stopped.
func (s Solver) Solve(ctx context.Context, h *wire.BlockHeader) bool {
	target := chain.CompactToBig(h.Bits)
	if target.Sign() <= 0 || target.BitLen() > 256 {
		return false // no hash can meet it; the chain would refuse it anyway
	}
	var targetBytes [32]byte
	target.FillBytes(targetBytes[:])
	workers := max(s.Workers, 1)
	maxNonce := s.maxNonce
	if maxNonce == 0 {
		maxNonce = 0xffffffff
	}
	var header [wire.HeaderSize]byte
	h.Encode(header[:0])
	var found atomic.Bool
	var win struct {
		nonce     uint32
		timestamp int64
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGrinder(&header, &targetBytes, fastestKernel())
			if nonce, ts, ok := g.grind(ctx, uint64(w), uint64(workers), maxNonce, &found, s.Hashes, s.Now); ok {
				// Only the worker that flipped found writes; wg.Wait orders
				// the write before the read below.
				win.nonce, win.timestamp = nonce, ts
			}
		}()
	}
	wg.Wait()
	if !found.Load() {
		return false
	}
	h.Nonce, h.Timestamp = win.nonce, win.timestamp
	return true
}

// Offsets inside the header's last 64-byte block (its last 20 bytes).
const (
	tailTimestamp = wire.HeaderTimestampOffset - 64
	tailNonce     = wire.HeaderNonceOffset - 64
)

// The nonce is a whole message word of the last block, so a kernel lane
// sets it with one store.
const nonceWord = tailNonce / 4

// checkEvery must be whole kernel calls for grind's bookkeeping.
var _ [0]struct{} = [checkEvery % lanes]struct{}{}

// grinder is one worker's SHA-256d of a header whose first 64 bytes are
// fixed: it computes their midstate once and hands kernel calls of lanes
// nonces each, whose last block (the header's last 20 bytes and the
// padding of an 84-byte message) it also pads once. Per nonce that is two
// compressions and no allocation.
type grinder struct {
	hash   kernel
	target [8]uint32 // the target as big-endian words
	tail   [64]byte  // header bytes 64..83, then the padding
	b      batch
}

func newGrinder(header *[wire.HeaderSize]byte, target *[32]byte, k kernel) *grinder {
	g := &grinder{hash: k, b: batch{mid: sha256IV}}
	compress(&g.b.mid, blockWords(header[:64]))
	copy(g.tail[:], header[64:])
	g.tail[wire.HeaderSize-64] = 0x80
	binary.BigEndian.PutUint64(g.tail[56:], wire.HeaderSize*8)
	g.loadTail()
	for i := range g.target {
		g.target[i] = binary.BigEndian.Uint32(target[4*i:])
	}
	return g
}

// loadTail copies the tail block into every lane.
func (g *grinder) loadTail() {
	w := blockWords(g.tail[:])
	for l := range g.b.block {
		g.b.block[l] = *w
	}
}

func (g *grinder) setTimestamp(ts int64) {
	binary.LittleEndian.PutUint64(g.tail[tailTimestamp:], uint64(ts))
	g.loadTail()
}

// hashNonces hashes the nonces first, first+step, ... one per lane (their
// low 32 bits): lane l's SHA-256d is then in g.b.digest[l].
func (g *grinder) hashNonces(first, step uint64) {
	for l := range g.b.block {
		// The header stores the nonce little-endian; the message word
		// reads those bytes big-endian.
		g.b.block[l][nonceWord] = bits.ReverseBytes32(uint32(first + uint64(l)*step))
	}
	g.hash(&g.b)
}

// grind tries nonces start, start+step, ... until one meets the target,
// another worker wins, the context ends or the space runs out. Every
// checkEvery nonces it reports its hashes and, with a clock, refreshes the
// timestamp.
func (g *grinder) grind(ctx context.Context, start, step, maxNonce uint64, found *atomic.Bool, hashes *atomic.Uint64, now func() int64) (uint32, int64, bool) {
	ts := int64(binary.LittleEndian.Uint64(g.tail[tailTimestamp:]))
	var tried, reported uint64
	defer func() {
		if hashes != nil {
			hashes.Add(tried - reported)
		}
	}()
	for n := start; n <= maxNonce; n += step * lanes {
		if tried%checkEvery == 0 {
			if found.Load() || ctx.Err() != nil {
				return 0, 0, false
			}
			if hashes != nil {
				hashes.Add(tried - reported)
				reported = tried
			}
			if now != nil {
				if t := now(); t > ts {
					ts = t
					g.setTimestamp(ts)
				}
			}
		}
		g.hashNonces(n, step)
		for l := range g.b.digest {
			nonce := n + uint64(l)*step
			if nonce > maxNonce {
				break
			}
			tried++
			if meets(&g.b.digest[l], &g.target) && found.CompareAndSwap(false, true) {
				return uint32(nonce), ts, true
			}
		}
	}
	return 0, 0, false
}

// meets reports whether a hash is at most target, both as big-endian
// words.
func meets(hash, target *[8]uint32) bool {
	for i := range target {
		if hash[i] != target[i] {
			return hash[i] < target[i]
		}
	}
	return true
}

// SolveBlock builds the block of template t paying payTo and solves it,
// rolling the extra nonce whenever a nonce space is exhausted. It returns
// the context's error if cancelled first.
func SolveBlock(ctx context.Context, t *Template, payTo wire.KeyHash, workers int, hashes *atomic.Uint64) (*wire.Block, error) {
	if target := chain.CompactToBig(t.Bits); target.Sign() <= 0 || target.BitLen() > 256 {
		return nil, fmt.Errorf("template bits %08x are not a usable target", t.Bits)
	}
	for extraNonce := uint64(0); ; extraNonce++ {
		blk := NewBlock(t, payTo, extraNonce, t.CurTime)
		if Solve(ctx, &blk.Header, workers, hashes) {
			return blk, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}
