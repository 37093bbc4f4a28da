//go:build libsecp256k1

package wire

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
)

// testBackends lists the signature backends compiled into this test
// binary: with the libsecp256k1 tag, both.
func testBackends() []SchnorrVerifier {
	return []SchnorrVerifier{BtcecVerifier{}, LibsecpVerifier{}}
}

// agree verifies one triple with both backends, fails the test if they
// disagree, and returns their common answer.
func agree(t *testing.T, pub [PubKeySize]byte, msg []byte, sig [SignatureSize]byte) bool {
	t.Helper()
	b := BtcecVerifier{}.Verify(pub, msg, sig)
	l := LibsecpVerifier{}.Verify(pub, msg, sig)
	if b != l {
		t.Fatalf("backends disagree: btcec %v, libsecp256k1 %v\npub %x\nmsg %x\nsig %x", b, l, pub, msg, sig)
	}
	return b
}

// A mutation changes a valid (key, message, signature) triple; at selects
// the bit, byte or offset. apply returns false when it cannot apply to this
// triple.
type mutation struct {
	name  string
	apply func(pub *[PubKeySize]byte, msg *[]byte, sig *[SignatureSize]byte, at uint32) bool
}

// mutations lists the changes that probe BIP340's edge cases: bit flips
// anywhere, r or the key moved to >= p (not reduced), s moved to >= n, s
// negated, another key, a longer or shorter message, r or s zero or one.
func mutations() []mutation {
	return []mutation{
		{"flip a signature bit", func(_ *[PubKeySize]byte, _ *[]byte, sig *[SignatureSize]byte, at uint32) bool {
			sig[at/8%SignatureSize] ^= 1 << (at % 8)
			return true
		}},
		{"flip a key bit", func(pub *[PubKeySize]byte, _ *[]byte, _ *[SignatureSize]byte, at uint32) bool {
			pub[at/8%PubKeySize] ^= 1 << (at % 8)
			return true
		}},
		{"flip a message bit", func(_ *[PubKeySize]byte, msg *[]byte, _ *[SignatureSize]byte, at uint32) bool {
			m := append([]byte(nil), *msg...)
			m[at/8%uint32(len(m))] ^= 1 << (at % 8)
			*msg = m
			return true
		}},
		{"r + p", func(_ *[PubKeySize]byte, _ *[]byte, sig *[SignatureSize]byte, _ uint32) bool {
			return addModulus(sig[:32], fieldP)
		}},
		{"r := p + at", func(_ *[PubKeySize]byte, _ *[]byte, sig *[SignatureSize]byte, at uint32) bool {
			v := bigTo32(new(big.Int).Add(fieldP, big.NewInt(int64(at%1000))))
			copy(sig[:32], v[:])
			return true
		}},
		{"s + n", func(_ *[PubKeySize]byte, _ *[]byte, sig *[SignatureSize]byte, _ uint32) bool {
			return addModulus(sig[32:], groupN)
		}},
		{"s := n + at", func(_ *[PubKeySize]byte, _ *[]byte, sig *[SignatureSize]byte, at uint32) bool {
			v := bigTo32(new(big.Int).Add(groupN, big.NewInt(int64(at%1000))))
			copy(sig[32:], v[:])
			return true
		}},
		{"s := n - s", func(_ *[PubKeySize]byte, _ *[]byte, sig *[SignatureSize]byte, _ uint32) bool {
			s := new(big.Int).SetBytes(sig[32:])
			v := bigTo32(s.Sub(groupN, s).Mod(s, groupN))
			copy(sig[32:], v[:])
			return true
		}},
		{"key + p", func(pub *[PubKeySize]byte, _ *[]byte, _ *[SignatureSize]byte, _ uint32) bool {
			return addModulus(pub[:], fieldP)
		}},
		{"key := p + at", func(pub *[PubKeySize]byte, _ *[]byte, _ *[SignatureSize]byte, at uint32) bool {
			*pub = bigTo32(new(big.Int).Add(fieldP, big.NewInt(int64(at%1000))))
			return true
		}},
		{"another key", func(pub *[PubKeySize]byte, _ *[]byte, _ *[SignatureSize]byte, at uint32) bool {
			*pub = XOnlyPubKey(testKey(uint64(at) + 1))
			return true
		}},
		{"message one byte longer", func(_ *[PubKeySize]byte, msg *[]byte, _ *[SignatureSize]byte, at uint32) bool {
			*msg = append(append([]byte(nil), *msg...), byte(at))
			return true
		}},
		{"message one byte shorter", func(_ *[PubKeySize]byte, msg *[]byte, _ *[SignatureSize]byte, _ uint32) bool {
			*msg = (*msg)[:len(*msg)-1]
			return true
		}},
		{"r := 0 or 1", func(_ *[PubKeySize]byte, _ *[]byte, sig *[SignatureSize]byte, at uint32) bool {
			clear(sig[:32])
			sig[31] = byte(at % 2)
			return true
		}},
		{"s := 0 or 1", func(_ *[PubKeySize]byte, _ *[]byte, sig *[SignatureSize]byte, at uint32) bool {
			clear(sig[32:])
			sig[63] = byte(at % 2)
			return true
		}},
	}
}

// addModulus adds m to the 32-byte big-endian number b in place if the sum
// still fits in 32 bytes: the same residue, an out-of-range encoding.
func addModulus(b []byte, m *big.Int) bool {
	v := new(big.Int).Add(new(big.Int).SetBytes(b), m)
	if v.BitLen() > 256 {
		return false
	}
	v.FillBytes(b)
	return true
}

// signedTriple derives a key from seed, signs sha256(msg) with it and
// returns the valid triple.
func signedTriple(t *testing.T, seed, msg []byte) ([PubKeySize]byte, []byte, [SignatureSize]byte) {
	t.Helper()
	d := sha256.Sum256(seed)
	var scalar btcec.ModNScalar
	scalar.SetBytes(&d)
	if scalar.IsZero() {
		scalar.SetInt(1)
	}
	priv := btcec.PrivKeyFromScalar(&scalar)
	m := Hash(sha256.Sum256(msg))
	sig, err := SignSchnorr(priv, m)
	if err != nil {
		t.Fatal(err)
	}
	return XOnlyPubKey(priv), m[:], sig
}

// checkMutation signs, checks both backends accept the valid triple, then
// applies mutation k at position at and checks they agree. Every mutation
// here changes what was signed or moves a value out of range, so the
// backends must also both reject.
func checkMutation(t *testing.T, seed, msg []byte, k int, at uint32) {
	t.Helper()
	pub, m, sig := signedTriple(t, seed, msg)
	if !agree(t, pub, m, sig) {
		t.Fatalf("a fresh signature does not verify: pub %x msg %x sig %x", pub, m, sig)
	}
	all := mutations()
	mu := all[k%len(all)]
	if !mu.apply(&pub, &m, &sig, at) {
		return
	}
	if agree(t, pub, m, sig) {
		t.Fatalf("%s (at %d): both backends accept pub %x msg %x sig %x", mu.name, at, pub, m, sig)
	}
}

// TestBackendsAgreeOnMutations runs every mutation over signatures by 16
// keys (at a random position each), and 1,000 random triples (about half
// the random keys are on the curve), through both backends. The fuzz
// target explores much further; this is its fixed, always-run part.
func TestBackendsAgreeOnMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 340))
	for key := range 16 {
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(key))
		msg := []byte{byte(key)}
		for k := range mutations() {
			checkMutation(t, seed[:], msg, k, rng.Uint32())
		}
	}
	for range 1000 {
		var pub [PubKeySize]byte
		var sig [SignatureSize]byte
		msg := make([]byte, rng.IntN(3)*16) // 0, 16 or 32 bytes
		fillRandom(rng, pub[:], msg, sig[:])
		agree(t, pub, msg, sig)
	}
}

func fillRandom(rng *rand.Rand, bufs ...[]byte) {
	for _, b := range bufs {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
}

// FuzzSchnorrBackendsAgree feeds both backends the same triples and fails
// on any disagreement. Each input is used twice: as a raw (key, message,
// signature) triple (the key and signature padded or cut to size), and as
// the seed of a valid signature (key derived from pub, message sha256(msg))
// that the mutation selected by `mutation` then changes, so that the fuzzer
// also explores near-valid signatures, which random bytes almost never are.
// The corpus starts from every BIP340 vector.
func FuzzSchnorrBackendsAgree(f *testing.F) {
	for _, v := range loadBIP340Vectors(f) {
		f.Add(v.pub[:], v.msg, v.sig[:], uint32(v.index))
	}
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte, mutation uint32) {
		var pk [PubKeySize]byte
		var sg [SignatureSize]byte
		copy(pk[:], pub)
		copy(sg[:], sig)
		agree(t, pk, msg, sg)
		n := uint32(len(mutations()))
		checkMutation(t, pub, msg, int(mutation%n), mutation/n)
	})
}

// BenchmarkBackendSpeedup verifies the same signatures with both backends,
// alternating them within every iteration so that both see the same
// machine load, and reports backend_speedup = btcec time / libsecp256k1
// time per verification, both measured in this run. ns/op covers one
// verification by each backend.
func BenchmarkBackendSpeedup(b *testing.B) {
	pubs, msgs, sigs := benchTriples(b)
	var btcecTime, libsecpTime time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		okB := BtcecVerifier{}.Verify(pubs[i], msgs[i][:], sigs[i])
		mid := time.Now()
		okL := LibsecpVerifier{}.Verify(pubs[i], msgs[i][:], sigs[i])
		btcecTime += mid.Sub(start)
		libsecpTime += time.Since(mid)
		if !okB || !okL {
			b.Fatal("signature does not verify")
		}
		i = (i + 1) % len(pubs)
	}
	b.ReportMetric(float64(btcecTime.Nanoseconds())/float64(b.N), "btcec_ns/verify")
	b.ReportMetric(float64(libsecpTime.Nanoseconds())/float64(b.N), "libsecp_ns/verify")
	b.ReportMetric(float64(btcecTime)/float64(libsecpTime), "backend_speedup")
}
