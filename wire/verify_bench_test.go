package wire

import (
	"testing"
)

// benchTriples are 64 valid signatures by 64 keys over 64 messages; the
// verification benchmarks cycle through them.
func benchTriples(b *testing.B) (pubs [][PubKeySize]byte, msgs []Hash, sigs [][SignatureSize]byte) {
	for i := range 64 {
		k := testKey(uint64(1000 + i))
		msg := DoubleSHA256([]byte{byte(i)})
		sig, err := SignSchnorr(k, msg)
		if err != nil {
			b.Fatal(err)
		}
		pubs, msgs, sigs = append(pubs, XOnlyPubKey(k)), append(msgs, msg), append(sigs, sig)
	}
	return pubs, msgs, sigs
}

// BenchmarkVerify is one BIP340 verification on one core, per backend
// compiled into the test binary (btcec only by default, both with
// -tags libsecp256k1).
func BenchmarkVerify(b *testing.B) {
	pubs, msgs, sigs := benchTriples(b)
	for _, v := range testBackends() {
		b.Run(v.Name(), func(b *testing.B) {
			i := 0
			for b.Loop() {
				if !v.Verify(pubs[i], msgs[i][:], sigs[i]) {
					b.Fatal("signature does not verify")
				}
				i = (i + 1) % len(pubs)
			}
		})
	}
}
