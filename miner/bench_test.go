package miner

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"testing"
	"time"

	"powchain/wire"
)

// Benchmarks of the proof-of-work loop against the machine's own limit:
// the SHA-256 compression function as crypto/sha256 runs it over a large
// buffer. A nonce costs two compressions (the header's tail block and the
// block holding the first hash), so the loop's ceiling is one nonce per two
// compressions; ceiling_ratio = (2 x ns per compression) / (ns per nonce)
// is the fraction of that ceiling the loop reaches. crypto/sha256 chains its
// compressions one after the other, while the SHA-NI kernel interleaves two
// nonces' independent ones, so the ratio can exceed 1.
//
//	go test -run '^$' -bench . -benchtime 2s ./miner/

// ceilingBuf is hashed by the compression-ceiling measurements: large
// enough that per-call overhead vanishes.
var ceilingBuf = make([]byte, 1<<20)

// compressions hashes ceilingBuf n times with d and returns how many
// 64-byte blocks that compressed.
func compressions(d hash.Hash, n int) int {
	var sum [32]byte
	for range n {
		d.Reset()
		d.Write(ceilingBuf)
		d.Sum(sum[:0])
	}
	return n * (len(ceilingBuf)/64 + 1) // + the padding block
}

// BenchmarkCompressionCeiling: crypto/sha256 over a 1 MiB buffer; ns/block
// is the cost of one compression.
func BenchmarkCompressionCeiling(b *testing.B) {
	d := sha256.New()
	b.SetBytes(int64(len(ceilingBuf)))
	blocks := 0
	for b.Loop() {
		blocks += compressions(d, 1)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(blocks), "ns/block")
}

// BenchmarkNaiveHeaderHash: SHA-256d of the whole 84-byte header per nonce
// (three compressions and the library's per-call work), for comparison.
func BenchmarkNaiveHeaderHash(b *testing.B) {
	var header [wire.HeaderSize]byte
	var n uint32
	var sink byte
	for b.Loop() {
		n++
		binary.LittleEndian.PutUint32(header[wire.HeaderNonceOffset:], n)
		first := sha256.Sum256(header[:])
		second := sha256.Sum256(first[:])
		sink ^= second[0]
	}
	_ = sink
}

// BenchmarkKernel: each kernel this CPU runs, lanes nonces per call, on one
// goroutine. CPUs without SHA-NI run stdlib (crypto/sha256's assembly):
// with GODEBUG=cpu.sha=off the library leaves SHA-NI aside too, as on
// such a CPU, and shani is the only one still using it.
func BenchmarkKernel(b *testing.B) {
	for name, k := range kernels(b) {
		b.Run(name, func(b *testing.B) {
			g := newGrinder(grindHeader(), &[32]byte{}, k)
			n := uint64(0)
			for b.Loop() {
				g.hashNonces(n, 1)
				n += lanes
			}
			perNonce := float64(b.Elapsed().Nanoseconds()) / float64(n)
			b.ReportMetric(perNonce, "ns/nonce")
			b.ReportMetric(1e3/perNonce, "MH/s")
		})
	}
}

// unreachable is a target no hash meets (1), so Solve grinds its whole
// nonce space.
const unreachable = 0x03000001

// grindNonces runs Solve over exactly n nonces on workers goroutines.
func grindNonces(n, workers int) {
	h := wire.BlockHeader{Version: 1, Timestamp: 1_800_000_000, Bits: unreachable}
	if (Solver{Workers: workers, maxNonce: uint64(max(n, 2) - 1)}).Solve(context.Background(), &h) {
		panic("solved an unreachable target")
	}
}

// BenchmarkMidstateLoop: the solver's loop per nonce on one goroutine
// (Solve over b.N nonces, checks and all).
func BenchmarkMidstateLoop(b *testing.B) {
	b.ReportAllocs()
	grindNonces(b.N, 1)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "MH/s")
}

// BenchmarkCeilingRatio measures the compression ceiling and the midstate
// loop in the same run, interleaved in rounds so that a noisy machine
// slows both alike, and reports ceiling_ratio = (2 x ns per compression) /
// (ns per nonce).
func BenchmarkCeilingRatio(b *testing.B) {
	d := sha256.New()
	var loopTime, compTime time.Duration
	var nonces, blocks int
	for b.Loop() {
		// One iteration: a round of 64Ki nonces and a round of about
		// twice as many compressions.
		start := time.Now()
		grindNonces(1<<16, 1)
		loopTime += time.Since(start)
		nonces += 1 << 16
		start = time.Now()
		blocks += compressions(d, 8)
		compTime += time.Since(start)
	}
	perNonce := float64(loopTime.Nanoseconds()) / float64(nonces)
	perBlock := float64(compTime.Nanoseconds()) / float64(blocks)
	b.ReportMetric(perNonce, "ns/nonce")
	b.ReportMetric(perBlock, "ns/compression")
	b.ReportMetric(2*perBlock/perNonce, "ceiling_ratio")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSolve: hashes per second of Solve on 1 and 2 workers, and per
// worker (per core when the machine has that many free).
func BenchmarkSolve(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			grindNonces(b.N, workers)
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate/1e6, "MH/s")
			b.ReportMetric(rate/1e6/float64(workers), "MH/s/core")
		})
	}
}

// BenchmarkTwoCoreScaling: the hash rate of Solve on 2 workers divided by
// its rate on 1, measured interleaved in the same run (2 is perfect
// scaling; it needs two idle cores).
func BenchmarkTwoCoreScaling(b *testing.B) {
	const chunk = 1 << 18
	var one, two time.Duration
	for b.Loop() {
		start := time.Now()
		grindNonces(chunk, 1)
		one += time.Since(start)
		start = time.Now()
		grindNonces(chunk, 2)
		two += time.Since(start)
	}
	b.ReportMetric(float64(one)/float64(two), "scaling")
	b.ReportMetric(float64(b.N)*chunk/one.Seconds()/1e6, "MH/s_1")
	b.ReportMetric(float64(b.N)*chunk/two.Seconds()/1e6, "MH/s_2")
	b.ReportMetric(0, "ns/op")
}
