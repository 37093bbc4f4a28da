package miner

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	"powchain/wire"
)

// kernels are the kernels this build runs on this CPU: the portable one
// always, the one through crypto/sha256 unless built with purego (and
// TestStdlibKernelLoads fails if it does not load), SHA-NI where the CPU
// has it.
func kernels(t testing.TB) map[string]kernel {
	ks := map[string]kernel{"portable": hashPortable}
	if k := stdlibKernel(); k != nil {
		ks["stdlib"] = k
	}
	if k := shaniKernel(); k != nil {
		ks["shani"] = k
	} else {
		t.Log("no SHA-NI kernel on this CPU or build")
	}
	return ks
}

// TestFastestKernel: the solver uses SHA-NI where the CPU has it, else the
// kernel through crypto/sha256, else the portable one.
func TestFastestKernel(t *testing.T) {
	var want kernel = hashPortable
	if k := stdlibKernel(); k != nil {
		want = k
	}
	if k := shaniKernel(); k != nil {
		want = k
	}
	got, wantPC := reflect.ValueOf(fastestKernel()).Pointer(), reflect.ValueOf(want).Pointer()
	if got != wantPC {
		t.Errorf("fastestKernel is %v, want %v", runtime.FuncForPC(got).Name(), runtime.FuncForPC(wantPC).Name())
	}
}

// sha256d is the reference: SHA-256d by crypto/sha256.
func sha256d(msg []byte) [32]byte {
	first := sha256.Sum256(msg)
	return sha256.Sum256(first[:])
}

// digestBytes is a kernel digest as the 32 bytes of the hash.
func digestBytes(d *[8]uint32) [32]byte {
	var out [32]byte
	for i, w := range d {
		binary.BigEndian.PutUint32(out[4*i:], w)
	}
	return out
}

// lastBlock is the padded last block of a message of 64+len(rest) bytes
// (rest is at most 55 bytes, so that the padding fits).
func lastBlock(rest []byte) *[16]uint32 {
	var block [64]byte
	copy(block[:], rest)
	block[len(rest)] = 0x80
	binary.BigEndian.PutUint64(block[56:], uint64(64+len(rest))*8)
	return blockWords(block[:])
}

// checkKernels runs every kernel on messages that share their first 64
// bytes and end in one rest per lane, and compares with crypto/sha256.
func checkKernels(t *testing.T, prefix *[64]byte, rests *[lanes][]byte) {
	t.Helper()
	var b batch
	b.mid = sha256IV
	compress(&b.mid, blockWords(prefix[:]))
	for l, rest := range rests {
		b.block[l] = *lastBlock(rest)
	}
	for name, k := range kernels(t) {
		b.digest = [lanes][8]uint32{}
		k(&b)
		for l, rest := range rests {
			if got, want := digestBytes(&b.digest[l]), sha256d(append(prefix[:], rest...)); got != want {
				t.Fatalf("%s kernel, lane %d, message %x%x: %x, crypto/sha256 says %x", name, l, prefix[:], rest, got, want)
			}
		}
	}
}

// TestKernelsMatchSHA256: on random messages of 64 to 119 bytes (every
// length whose last block holds its padding), each kernel gives SHA-256d as
// crypto/sha256 computes it, in every lane.
func TestKernelsMatchSHA256(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for range 2000 {
		var prefix [64]byte
		copy(prefix[:], random(64))
		var rests [lanes][]byte
		for l := range rests {
			rests[l] = random(rng.IntN(56))
		}
		checkKernels(t, &prefix, &rests)
	}
}

// grindHeader is the header of the every-nonce tests.
func grindHeader() *[wire.HeaderSize]byte {
	h := wire.BlockHeader{Version: 7, Timestamp: 1_800_000_123, Bits: 0x1d00ffff, PrevBlock: wire.Hash{1, 2, 3}, MerkleRoot: wire.Hash{4, 5, 6}}
	var header [wire.HeaderSize]byte
	h.Encode(header[:0])
	return &header
}

// TestGrinderEveryNonce: the grinder's hash of every nonce in a fixed range
// (both ends of the nonce space, where lanes run past 2^32-1 and wrap) is
// SHA-256d of the header with that nonce, on every kernel and with the
// timestamp moved mid-way.
func TestGrinderEveryNonce(t *testing.T) {
	const span = 1 << 14
	ranges := []uint64{0, 1<<32 - span}
	for name, k := range kernels(t) {
		header := *grindHeader()
		g := newGrinder(&header, &[32]byte{}, k)
		for i, first := range ranges {
			if i == 1 {
				ts := uint64(1_900_000_000)
				binary.LittleEndian.PutUint64(header[wire.HeaderTimestampOffset:], ts)
				g.setTimestamp(int64(ts))
			}
			for n := first; n < first+span; n += lanes {
				g.hashNonces(n, 1)
				for l := range lanes {
					binary.LittleEndian.PutUint32(header[wire.HeaderNonceOffset:], uint32(n+uint64(l)))
					if got, want := digestBytes(&g.b.digest[l]), sha256d(header[:]); got != want {
						t.Fatalf("%s kernel, nonce %d: %x, crypto/sha256 says %x", name, uint32(n+uint64(l)), got, want)
					}
				}
			}
		}
	}
}

// TestGrinderStep: with a step, lane l hashes first + l*step.
func TestGrinderStep(t *testing.T) {
	header := *grindHeader()
	for name, k := range kernels(t) {
		g := newGrinder(&header, &[32]byte{}, k)
		g.hashNonces(1000, 7)
		for l := range lanes {
			binary.LittleEndian.PutUint32(header[wire.HeaderNonceOffset:], uint32(1000+7*l))
			if got, want := digestBytes(&g.b.digest[l]), sha256d(header[:]); got != want {
				t.Fatalf("%s kernel, lane %d: %x, crypto/sha256 says %x", name, l, got, want)
			}
		}
	}
}

// TestGrinderAllocatesNothing: hashing nonces and checking them against
// the target allocates nothing.
func TestGrinderAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for name, k := range kernels(t) {
		g := newGrinder(grindHeader(), &[32]byte{}, k)
		n := uint64(0)
		if allocs := testing.AllocsPerRun(1000, func() {
			n += lanes
			g.hashNonces(n, 1)
			if meets(&g.b.digest[0], &g.target) {
				n = 0
			}
		}); allocs != 0 {
			t.Fatalf("%s kernel: %v allocations per call", name, allocs)
		}
	}
}

// TestMeets: a hash meets a target when, read big-endian, it is at most
// the target.
func TestMeets(t *testing.T) {
	target := [8]uint32{0, 0x00ffff00}
	for _, c := range []struct {
		hash [8]uint32
		want bool
	}{
		{[8]uint32{0, 0x00ffff00}, true},
		{[8]uint32{0, 0x00fffeff, 0xffffffff}, true},
		{[8]uint32{0, 0x00ffff00, 1}, false},
		{[8]uint32{1}, false},
		{[8]uint32{}, true},
	} {
		if got := meets(&c.hash, &target); got != c.want {
			t.Errorf("meets(%08x) = %v, want %v", c.hash, got, c.want)
		}
	}
}

// FuzzKernels: any message of 64 to 119 bytes hashes in every kernel and
// lane as crypto/sha256 hashes it.
func FuzzKernels(f *testing.F) {
	f.Add(make([]byte, 64), []byte{}, []byte("nonce"))
	f.Add(grindHeader()[:], grindHeader()[64:], make([]byte, 55))
	f.Fuzz(func(t *testing.T, first, rest0, rest1 []byte) {
		var prefix [64]byte
		copy(prefix[:], first)
		rests := [lanes][]byte{rest0, rest1}
		for l := range rests {
			rests[l] = rests[l][:min(len(rests[l]), 55)]
		}
		checkKernels(t, &prefix, &rests)
	})
}
