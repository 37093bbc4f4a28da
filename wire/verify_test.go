package wire

import (
	"bytes"
	"encoding/csv"
	"math/big"
	"os"
	"strconv"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
)

// bip340Vector is one row of BIP340's test-vectors.csv.
type bip340Vector struct {
	index   int
	secret  []byte // empty for verification-only rows
	pub     [PubKeySize]byte
	auxRand []byte
	msg     []byte // any length, possibly empty
	sig     [SignatureSize]byte
	valid   bool
	comment string
}

// loadBIP340Vectors reads testdata/bip340-test-vectors.csv (see
// testdata/README.md for its source).
func loadBIP340Vectors(t testing.TB) []bip340Vector {
	t.Helper()
	f, err := os.Open("testdata/bip340-test-vectors.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []bip340Vector
	for _, row := range rows[1:] { // rows[0] is the header
		if len(row) != 8 {
			t.Fatalf("BIP340 vector row %q: want 8 columns", row)
		}
		idx, err := strconv.Atoi(row[0])
		if err != nil {
			t.Fatalf("BIP340 vector index %q: %v", row[0], err)
		}
		v := bip340Vector{index: idx, secret: mustHex(t, row[1]), auxRand: mustHex(t, row[3]),
			msg: mustHex(t, row[4]), valid: row[6] == "TRUE", comment: row[7]}
		copy(v.pub[:], mustHex(t, row[2]))
		copy(v.sig[:], mustHex(t, row[5]))
		if row[6] != "TRUE" && row[6] != "FALSE" {
			t.Fatalf("BIP340 vector %d: result %q", idx, row[6])
		}
		out = append(out, v)
	}
	return out
}

// TestBIP340Vectors runs every official BIP340 vector, valid and invalid,
// through every backend compiled into this test binary (both with
// -tags libsecp256k1), and through btcec's signing where the vector has a
// secret key and a 32-byte message (the wallet signs with btcec).
func TestBIP340Vectors(t *testing.T) {
	vectors := loadBIP340Vectors(t)
	var valid, invalid int
	for _, v := range vectors {
		if v.valid {
			valid++
		} else {
			invalid++
		}
	}
	// The 2022 revision of the file has 19 rows: 9 valid (4 of them with
	// messages of 0, 1, 17 and 100 bytes) and 10 invalid.
	if len(vectors) != 19 || valid != 9 || invalid != 10 {
		t.Fatalf("read %d vectors (%d valid, %d invalid), want 19 (9, 10)", len(vectors), valid, invalid)
	}
	for _, backend := range testBackends() {
		t.Run(backend.Name(), func(t *testing.T) {
			for _, v := range vectors {
				if got := backend.Verify(v.pub, v.msg, v.sig); got != v.valid {
					t.Errorf("vector %d (%s): verify = %v, want %v", v.index, v.comment, got, v.valid)
				}
			}
		})
	}
	t.Run("btcec signing", func(t *testing.T) {
		signed := 0
		for _, v := range vectors {
			if len(v.secret) == 0 || len(v.msg) != 32 {
				continue // verification-only row, or a message btcec cannot sign
			}
			signed++
			priv, _ := btcec.PrivKeyFromBytes(v.secret)
			if XOnlyPubKey(priv) != v.pub {
				t.Errorf("vector %d: public key %x, want %x", v.index, XOnlyPubKey(priv), v.pub)
			}
			sig, err := schnorr.Sign(priv, v.msg, schnorr.CustomNonce([32]byte(v.auxRand)))
			if err != nil {
				t.Fatalf("vector %d: %v", v.index, err)
			}
			if !bytes.Equal(sig.Serialize(), v.sig[:]) {
				t.Errorf("vector %d: signature %x, want %x", v.index, sig.Serialize(), v.sig)
			}
		}
		if signed != 4 {
			t.Errorf("signed %d vectors, want 4 (indices 0-3)", signed)
		}
	})
}

// TestParseSchnorrSignatureRanges: the btcec backend rejects r >= p and
// s >= n instead of reducing them (btcec's own schnorr.ParseSignature
// reduces s modulo n), which is what BIP340 and libsecp256k1 do.
func TestParseSchnorrSignatureRanges(t *testing.T) {
	plus := func(x *big.Int, d int64) [32]byte { return bigTo32(new(big.Int).Add(x, big.NewInt(d))) }
	twoTo256 := new(big.Int).Lsh(big.NewInt(1), 256)
	for _, c := range []struct {
		name string
		r, s [32]byte
		ok   bool
	}{
		{"r = p-1, s = n-1", plus(fieldP, -1), plus(groupN, -1), true},
		{"r = 0, s = 0", [32]byte{}, [32]byte{}, true},
		{"r = p", plus(fieldP, 0), [32]byte{}, false},
		{"r = 2^256-1", plus(twoTo256, -1), [32]byte{}, false},
		{"s = n", [32]byte{}, plus(groupN, 0), false},
		{"s = n+1", [32]byte{}, plus(groupN, 1), false},
		{"s = 2^256-1", [32]byte{}, plus(twoTo256, -1), false},
	} {
		var sig [SignatureSize]byte
		copy(sig[:32], c.r[:])
		copy(sig[32:], c.s[:])
		if _, _, ok := parseSchnorrSignature(sig); ok != c.ok {
			t.Errorf("%s: parsed = %v, want %v", c.name, ok, c.ok)
		}
	}
}
