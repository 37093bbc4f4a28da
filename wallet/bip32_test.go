package wallet

import (
	"encoding/hex"
	"testing"
)

// TestBIP32Vector1 checks private derivation against BIP32's published test
// vector 1 (seed 000102...0f): the private key and chain code of each path.
func TestBIP32Vector1(t *testing.T) {
	seed, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	k, err := newMasterKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		index            uint32
		path, priv, code string
	}{
		{0, "m", "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35", "873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508"},
		{hardenedKeyStart, "m/0H", "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea", "47fdacbd0f1097043b78c63c20c34ef4ed9a111d980047ad16282c7ae6236141"},
		{1, "m/0H/1", "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368", "2a7857631386ba23dacac34180dd1983734e444fdbf774041578e9b6adb37c19"},
	} {
		if step.path != "m" {
			if k, err = k.child(step.index); err != nil {
				t.Fatalf("%s: %v", step.path, err)
			}
		}
		priv := k.key.Bytes()
		if got := hex.EncodeToString(priv[:]); got != step.priv {
			t.Errorf("%s private key = %s, want %s", step.path, got, step.priv)
		}
		if got := hex.EncodeToString(k.chainCode[:]); got != step.code {
			t.Errorf("%s chain code = %s, want %s", step.path, got, step.code)
		}
	}
}
