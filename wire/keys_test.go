package wire

import (
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// secp256k1's field prime p and group order n.
var (
	fieldP, _ = new(big.Int).SetString("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", 16)
	groupN, _ = new(big.Int).SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)
)

func bigTo32(n *big.Int) (b [32]byte) {
	n.FillBytes(b[:])
	return b
}

// notOnCurveX returns an x < p for which x^3 + 7 is not a square mod p, so
// that no point has that x coordinate.
func notOnCurveX(t *testing.T) [32]byte {
	for x := int64(1); x < 100; x++ {
		bx := big.NewInt(x)
		y2 := new(big.Int).Exp(bx, big.NewInt(3), fieldP)
		y2.Add(y2, big.NewInt(7)).Mod(y2, fieldP)
		if new(big.Int).ModSqrt(y2, fieldP) == nil {
			return bigTo32(bx)
		}
	}
	t.Fatal("no small x off the curve")
	return [32]byte{}
}

func TestXOnlyPubKey(t *testing.T) {
	// The x coordinates of G and 2G.
	for n, want := range map[uint64]string{
		1: "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
		2: "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5",
		3: "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9",
	} {
		pub := XOnlyPubKey(testKey(n))
		if got := Hash(pub).String(); got != want {
			t.Errorf("x-only key of %d = %s, want %s", n, got, want)
		}
	}
}

// TestHashPubKey recomputes the key hash from the spec: the first 20 bytes
// of SHA-256(SHA-256(tag) || SHA-256(tag) || pubkey) with tag
// "powchain/keyhash".
func TestHashPubKey(t *testing.T) {
	for n := uint64(1); n <= 4; n++ {
		pub := XOnlyPubKey(testKey(n))
		full := taggedHash("powchain/keyhash", pub[:])
		var want KeyHash
		copy(want[:], full[:20])
		if got := HashPubKey(pub); got != want {
			t.Errorf("key %d: HashPubKey = %x, want %x", n, got, want)
		}
	}
	// Fixed vector (also in docs/PROTOCOL.md): the key hash of G.x.
	if got := HashPubKey(XOnlyPubKey(testKey(1))); hex.EncodeToString(got[:]) != vecKeyHash1 {
		t.Errorf("HashPubKey(G.x) = %x, want %s", got, vecKeyHash1)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	// Keys 1..8 include points with odd and even y; BIP340 signs with the
	// even-y key, which XOnlyPubKey and SignSchnorr must agree on.
	for n := uint64(1); n <= 8; n++ {
		k := testKey(n)
		pub := XOnlyPubKey(k)
		msg := DoubleSHA256([]byte{byte(n)})
		sig, err := SignSchnorr(k, msg)
		if err != nil {
			t.Fatal(err)
		}
		if !VerifySchnorr(pub, msg, sig) {
			t.Fatalf("key %d: own signature does not verify", n)
		}
		sig2, err := SignSchnorr(k, msg)
		if err != nil || sig2 != sig {
			t.Errorf("key %d: signing is not deterministic", n)
		}

		wrongMsg := msg
		wrongMsg[0] ^= 1
		if VerifySchnorr(pub, wrongMsg, sig) {
			t.Errorf("key %d: verifies for another message", n)
		}
		if VerifySchnorr(XOnlyPubKey(testKey(n+100)), msg, sig) {
			t.Errorf("key %d: verifies for another key", n)
		}
		for _, pos := range []int{0, 31, 32, 63} {
			bad := sig
			bad[pos] ^= 1
			if VerifySchnorr(pub, msg, bad) {
				t.Errorf("key %d: verifies with signature byte %d flipped", n, pos)
			}
		}
	}
}

func TestSignInputs(t *testing.T) {
	tx := sampleTx(1, 3, 2)
	keys := []*btcec.PrivateKey{testKey(11), testKey(12), testKey(11)}
	if err := SignInputs(tx, keys); err != nil {
		t.Fatal(err)
	}
	msg := tx.SigHash()
	for i, in := range tx.Inputs {
		if in.PubKey != XOnlyPubKey(keys[i]) {
			t.Errorf("input %d: public key not set", i)
		}
		if !VerifySchnorr(in.PubKey, msg, in.Signature) {
			t.Errorf("input %d: signature does not verify against the sighash", i)
		}
	}
	// The signatures are over the final sighash: changing any signed field
	// invalidates every one of them.
	tx.Outputs[1].Amount++
	for i, in := range tx.Inputs {
		if VerifySchnorr(in.PubKey, tx.SigHash(), in.Signature) {
			t.Errorf("input %d: signature still valid after the tx changed", i)
		}
	}

	if err := SignInputs(sampleTx(1, 2, 1), keys); err == nil {
		t.Error("SignInputs accepted 3 keys for 2 inputs")
	}
}

// TestVerifyInvalidEncodings: keys and signatures that do not parse are
// invalid, never a panic, with every backend.
func TestVerifyInvalidEncodings(t *testing.T) {
	for _, v := range testBackends() {
		t.Run(v.Name(), func(t *testing.T) { testVerifyInvalidEncodings(t, v) })
	}
}

func testVerifyInvalidEncodings(t *testing.T, v SchnorrVerifier) {
	k := testKey(5)
	msg := DoubleSHA256([]byte("m"))
	sig, err := SignSchnorr(k, msg)
	if err != nil {
		t.Fatal(err)
	}
	pub := XOnlyPubKey(k)
	if !v.Verify(pub, msg[:], sig) {
		t.Fatal("the unchanged signature does not verify")
	}

	pPlus1 := new(big.Int).Add(fieldP, big.NewInt(1))
	var allFF [32]byte
	for i := range allFF {
		allFF[i] = 0xff
	}
	for name, badPub := range map[string][32]byte{
		"x = p":        bigTo32(fieldP),
		"x = p+1":      bigTo32(pPlus1),
		"x = 2^256-1":  allFF,
		"x = 0":        {},
		"x off curve":  notOnCurveX(t),
		"BIP340 vec 5": [32]byte(mustHex(t, "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34")),
	} {
		if v.Verify(badPub, msg[:], sig) {
			t.Errorf("%s: verified", name)
		}
	}

	for name, mutate := range map[string]func(*[SignatureSize]byte){
		"r = p": func(s *[SignatureSize]byte) { p := bigTo32(fieldP); copy(s[:32], p[:]) },
		"s = n": func(s *[SignatureSize]byte) { n := bigTo32(groupN); copy(s[32:], n[:]) },
		"s = 2^256-1": func(s *[SignatureSize]byte) {
			copy(s[32:], allFF[:])
		},
		"zero": func(s *[SignatureSize]byte) { *s = [SignatureSize]byte{} },
	} {
		bad := sig
		mutate(&bad)
		if v.Verify(pub, msg[:], bad) {
			t.Errorf("signature %s: verified", name)
		}
	}
}

func TestSignatureOfCoinbaseDataIsNotASignature(t *testing.T) {
	// A coinbase input's signature field carries data; it never verifies
	// against a real key (sanity check that the zero public key is invalid).
	cb := NewCoinbaseTx(CoinbaseData{Height: 1}, nil)
	in := cb.Inputs[0]
	if VerifySchnorr(in.PubKey, cb.SigHash(), in.Signature) {
		t.Error("coinbase data verified as a signature")
	}
	if in.PubKey != [PubKeySize]byte{} {
		t.Error("coinbase public key is not zero")
	}
}
