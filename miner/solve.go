package miner

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"

	"powchain/chain"
	"powchain/wire"
)

// checkEvery is how many nonces a worker tries between looks at its context,
// at the other workers and at the clock: about a millisecond of hashing, so
// stale work stops well within 100 ms of a new tip.
const checkEvery = 1 << 12

// Solver grinds a header's nonce space on several goroutines.
type Solver struct {
	// Workers is how many goroutines hash (at least one); worker w tries
	// nonces w, w+Workers, ...
	Workers int
	// Hashes, if set, counts the hashes tried as the work goes (about every
	// millisecond per worker), for hash-rate reports.
	Hashes *atomic.Uint64
	// Now, if set, keeps the header's timestamp current: each worker moves
	// its header's timestamp forward to Now() whenever that is later
	// (looked at about every millisecond) and carries on with its nonces,
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
			g := newGrinder(&header, &targetBytes)
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

// Offsets inside the header's second 64-byte block (its last 20 bytes).
const (
	tailTimestamp = wire.HeaderTimestampOffset - 64
	tailNonce     = wire.HeaderNonceOffset - 64
)

// grinder is one worker's SHA-256d of a header whose first 64 bytes are
// fixed. Per nonce it restores the midstate (the state after those 64
// bytes), compresses the tail block, whose SHA-256 padding it wrote once in
// advance, and then the block holding the first hash and its padding: two
// compressions and no allocation. It reads the intermediate state out of
// the hash with AppendBinary (its first 4 bytes are a format tag, the next
// 32 the state words in big-endian order, which after a full final block is
// the digest); newGrinder checks that this gives exactly SHA-256d, and the
// grinder falls back to sha256.Sum256 twice if not.
type grinder struct {
	target  *[32]byte
	d       hash.Hash
	restore encoding.BinaryUnmarshaler
	save    encoding.BinaryAppender
	mid     []byte   // marshaled state after the header's first 64 bytes
	tail    [64]byte // header bytes 64..83, then padding for an 84-byte message
	second  [64]byte // the first hash, then padding for a 32-byte message
	scratch [128]byte
	header  [wire.HeaderSize]byte // for the fallback
	fast    bool
}

// stateDigest is where the state words sit in sha256's marshaled state.
const stateDigest = 4

func newGrinder(header *[wire.HeaderSize]byte, target *[32]byte) *grinder {
	g := newGrinderWith(header, target)
	g.fast = g.fastPathWorks()
	return g
}

// fastPathWorks reports whether the midstate path computes exactly SHA-256d
// of the grinder's header on this Go version: the marshalled-state layout
// it reads is not a documented format.
func (g *grinder) fastPathWorks() (ok bool) {
	defer func() {
		if recover() != nil { // a changed state format must not crash
			ok = false
		}
	}()
	g.fast = true
	want := sha256.Sum256(g.header[:])
	want = sha256.Sum256(want[:])
	return string(g.hash()) == string(want[:])
}

func newGrinderWith(header *[wire.HeaderSize]byte, target *[32]byte) *grinder {
	g := &grinder{target: target, header: *header}
	g.d = sha256.New()
	g.restore = g.d.(encoding.BinaryUnmarshaler)
	g.save = g.d.(encoding.BinaryAppender)
	g.d.Write(header[:64])
	g.mid, _ = g.d.(encoding.BinaryMarshaler).MarshalBinary()
	copy(g.tail[:], header[64:])
	g.tail[wire.HeaderSize-64] = 0x80
	binary.BigEndian.PutUint64(g.tail[56:], wire.HeaderSize*8)
	g.second[32] = 0x80
	binary.BigEndian.PutUint64(g.second[56:], 32*8)
	return g
}

func (g *grinder) setNonce(n uint32) {
	binary.LittleEndian.PutUint32(g.tail[tailNonce:], n)
	binary.LittleEndian.PutUint32(g.header[wire.HeaderNonceOffset:], n)
}

func (g *grinder) setTimestamp(ts int64) {
	binary.LittleEndian.PutUint64(g.tail[tailTimestamp:], uint64(ts))
	binary.LittleEndian.PutUint64(g.header[wire.HeaderTimestampOffset:], uint64(ts))
}

// hash returns SHA-256d of the current header. The result aliases the
// grinder's scratch space: valid until the next call.
func (g *grinder) hash() []byte {
	if !g.fast {
		first := sha256.Sum256(g.header[:])
		second := sha256.Sum256(first[:])
		return append(g.scratch[:0], second[:]...)
	}
	g.restore.UnmarshalBinary(g.mid)
	g.d.Write(g.tail[:])
	st, _ := g.save.AppendBinary(g.scratch[:0])
	copy(g.second[:32], st[stateDigest:stateDigest+32])
	g.d.Reset()
	g.d.Write(g.second[:])
	st, _ = g.save.AppendBinary(g.scratch[:0])
	return st[stateDigest : stateDigest+32]
}

// grind tries nonces start, start+step, ... until one meets the target,
// another worker wins, the context ends or the space runs out. Every
// checkEvery nonces it reports its hashes and, with a clock, refreshes the
// timestamp.
func (g *grinder) grind(ctx context.Context, start, step, maxNonce uint64, found *atomic.Bool, hashes *atomic.Uint64, now func() int64) (uint32, int64, bool) {
	ts := int64(binary.LittleEndian.Uint64(g.header[wire.HeaderTimestampOffset:]))
	var tried, reported uint64
	defer func() {
		if hashes != nil {
			hashes.Add(tried - reported)
		}
	}()
	for n := start; n <= maxNonce; n += step {
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
		tried++
		g.setNonce(uint32(n))
		if meets(g.hash(), g.target) && found.CompareAndSwap(false, true) {
			return uint32(n), ts, true
		}
	}
	return 0, 0, false
}

// meets reports whether hash, read big-endian, is at most target.
func meets(hash []byte, target *[32]byte) bool {
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
