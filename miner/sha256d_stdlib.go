//go:build !purego

package miner

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"hash"
)

// crypto/sha256's state as its MarshalBinary writes it: a format tag, the
// eight state words (big-endian), the unhashed bytes padded to a block,
// then the count of bytes hashed (big-endian). It is not a documented
// format: stdlibKernel checks that it reads and writes it as the library
// does before using it.
const (
	stateTag    = "sha\x03"
	stateWords  = len(stateTag)
	stateCount  = stateWords + 32 + 64
	stateLength = stateCount + 8
)

// stdlibSHA256d is the kernel through crypto/sha256, for CPUs without a
// kernel of our own: the library's assembly (AVX2 on amd64, the SHA-2
// instructions on arm64) compresses faster than hashPortable, though the
// midstate has to go in and the hash come out through its marshalled
// state. Each has its own hash: one per goroutine.
type stdlibSHA256d struct {
	d       hash.Hash
	load    encoding.BinaryUnmarshaler
	save    encoding.BinaryAppender
	state   [stateLength]byte // the midstate, marshalled
	block   [64]byte          // a lane's last block
	second  [64]byte          // the first hash, then its padding
	scratch [stateLength]byte
}

// stdlibKernel returns a new kernel through crypto/sha256, or nil when the
// library does not hash exactly as hashPortable through it (its state
// format changed).
func stdlibKernel() kernel {
	d := sha256.New()
	load, okLoad := d.(encoding.BinaryUnmarshaler)
	save, okSave := d.(encoding.BinaryAppender)
	if !okLoad || !okSave {
		return nil
	}
	s := &stdlibSHA256d{d: d, load: load, save: save}
	copy(s.state[:], stateTag)
	binary.BigEndian.PutUint64(s.state[stateCount:], 64) // the first block, hashed
	s.second[32] = 0x80
	binary.BigEndian.PutUint64(s.second[56:], 32*8)
	if !s.agreesWithPortable() {
		return nil
	}
	return s.hash
}

// agreesWithPortable hashes a fixed batch with s and with hashPortable and
// reports whether the digests match (false, too, if s panics).
func (s *stdlibSHA256d) agreesWithPortable() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var msg [128]byte // 84 bytes, then the padding of the last block
	for i := range 84 {
		msg[i] = byte(i*7 + 1)
	}
	msg[84] = 0x80
	binary.BigEndian.PutUint64(msg[120:], 84*8)
	var want, got batch
	want.mid = sha256IV
	compress(&want.mid, blockWords(msg[:64]))
	want.block[0] = *blockWords(msg[64:])
	want.block[1] = want.block[0]
	want.block[1][0] ^= 1
	got = want
	hashPortable(&want)
	s.hash(&got)
	return got.digest == want.digest
}

// hash is the kernel: per lane, load the midstate, compress the last block
// (the state after it is the first hash), then compress the padded block
// holding the first hash from the start. Both hashes are read from the
// state: no finishing copy of the hash as Sum makes.
func (s *stdlibSHA256d) hash(b *batch) {
	putWords(s.state[stateWords:], b.mid[:])
	for l := range lanes {
		s.load.UnmarshalBinary(s.state[:])
		putWords(s.block[:], b.block[l][:])
		s.d.Write(s.block[:])
		first, _ := s.save.AppendBinary(s.scratch[:0])
		copy(s.second[:32], first[stateWords:])
		s.d.Reset()
		s.d.Write(s.second[:])
		second, _ := s.save.AppendBinary(s.scratch[:0])
		for i := range b.digest[l] {
			b.digest[l][i] = binary.BigEndian.Uint32(second[stateWords+4*i:])
		}
	}
}

// putWords writes words big-endian into dst.
func putWords(dst []byte, words []uint32) {
	for i, w := range words {
		binary.BigEndian.PutUint32(dst[4*i:], w)
	}
}
