package wire

import (
	"crypto/sha256"
	"strings"
	"sync"
	"testing"
)

func TestDoubleSHA256(t *testing.T) {
	// SHA-256d of the empty string, a well-known constant (Bitcoin's
	// checksum of an empty payload starts with 5df6e0e2).
	if got := DoubleSHA256(nil).String(); got != "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456" {
		t.Errorf("SHA-256d(\"\") = %s", got)
	}
	for _, s := range []string{"", "a", "powchain", strings.Repeat("x", 1000)} {
		if DoubleSHA256([]byte(s)) != Hash(sha256d([]byte(s))) {
			t.Errorf("SHA-256d(%q) differs from the independent computation", s)
		}
	}
}

func TestTaggedHash(t *testing.T) {
	for _, c := range []struct{ tag, msg string }{
		{"", ""},
		{SigHashTag, "abc"},
		{KeyHashTag, strings.Repeat("k", 32)},
		{"BIP0340/challenge", "x"},
	} {
		if TaggedHash(c.tag, []byte(c.msg)) != Hash(taggedHash(c.tag, []byte(c.msg))) {
			t.Errorf("TaggedHash(%q, %q) differs from the independent computation", c.tag, c.msg)
		}
	}
	// Distinct tags separate domains.
	if TaggedHash(SigHashTag, []byte("m")) == TaggedHash(KeyHashTag, []byte("m")) {
		t.Error("two tags give the same hash")
	}
	if SigHashTag != "powchain/sighash" || KeyHashTag != "powchain/keyhash" {
		t.Errorf("tags changed: %q, %q", SigHashTag, KeyHashTag)
	}
}

func TestHashStringAndParse(t *testing.T) {
	var h Hash
	for i := range h {
		h[i] = byte(i)
	}
	// Bytes in stored order: no reversal.
	const s = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	if h.String() != s {
		t.Errorf("String = %s, want %s", h.String(), s)
	}
	for _, in := range []string{s, strings.ToUpper(s), "000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f"} {
		got, err := ParseHash(in)
		if err != nil || got != h {
			t.Errorf("ParseHash(%q) = %s, %v", in, got, err)
		}
	}
	if ZeroHash.String() != strings.Repeat("0", 64) || !ZeroHash.IsZero() || h.IsZero() {
		t.Error("ZeroHash / IsZero")
	}
	for _, bad := range []string{
		"",
		s[:63],
		s + "0",
		s[:62],
		s + "00",
		"0x" + s[:62],
		s[:63] + "g",
		" " + s[1:],
		s[:32] + "-" + s[33:],
		strings.Repeat("é", 32),
	} {
		if _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) accepted", bad)
		}
	}
}

// TestTxIDIsSHA256dOfEncoding: the txid covers every byte, signatures
// included.
func TestTxIDIsSHA256dOfEncoding(t *testing.T) {
	for name, tx := range roundTripTxs() {
		if tx.TxID() != Hash(sha256d(encodeTxByHand(tx, true))) {
			t.Errorf("%s: TxID is not SHA-256d of the canonical encoding", name)
		}
	}
}

// TestSigHashIndependent recomputes the signature message from the spec:
// tagged hash "powchain/sighash" of the encoding without signature fields.
func TestSigHashIndependent(t *testing.T) {
	for name, tx := range roundTripTxs() {
		body := encodeTxByHand(tx, false)
		if len(body) != tx.SerializeSize()-len(tx.Inputs)*SignatureSize {
			t.Fatalf("%s: body length", name)
		}
		th := sha256.Sum256([]byte("powchain/sighash"))
		h := sha256.New()
		h.Write(th[:])
		h.Write(th[:])
		h.Write(body)
		var want Hash
		h.Sum(want[:0])
		if got := tx.SigHash(); got != want {
			t.Errorf("%s: SigHash = %s, want %s", name, got, want)
		}
	}
}

// TestSigHashCoverage: a signature changes the txid but not the sighash;
// every other field changes both.
func TestSigHashCoverage(t *testing.T) {
	base := sampleTx(1, 2, 2)
	baseID, baseSig := base.TxID(), base.SigHash()

	clone := func() *Tx {
		c := *base
		c.Inputs = append([]TxIn(nil), base.Inputs...)
		c.Outputs = append([]TxOut(nil), base.Outputs...)
		return &c
	}

	for i := range 2 {
		for _, pos := range []int{0, 31, 32, 63} {
			c := clone()
			c.Inputs[i].Signature[pos] ^= 1
			if c.TxID() == baseID {
				t.Errorf("input %d signature byte %d: txid unchanged", i, pos)
			}
			if c.SigHash() != baseSig {
				t.Errorf("input %d signature byte %d: sighash changed", i, pos)
			}
		}
	}

	mutations := map[string]func(*Tx){
		"version":           func(c *Tx) { c.Version++ },
		"in0 prev txid":     func(c *Tx) { c.Inputs[0].PrevOut.TxID[0] ^= 1 },
		"in1 prev txid end": func(c *Tx) { c.Inputs[1].PrevOut.TxID[31] ^= 1 },
		"in0 prev index":    func(c *Tx) { c.Inputs[0].PrevOut.Index++ },
		"in1 pubkey":        func(c *Tx) { c.Inputs[1].PubKey[5] ^= 1 },
		"out0 amount":       func(c *Tx) { c.Outputs[0].Amount++ },
		"out1 key hash":     func(c *Tx) { c.Outputs[1].KeyHash[19] ^= 1 },
		"swap inputs":       func(c *Tx) { c.Inputs[0], c.Inputs[1] = c.Inputs[1], c.Inputs[0] },
		"swap outputs":      func(c *Tx) { c.Outputs[0], c.Outputs[1] = c.Outputs[1], c.Outputs[0] },
		"drop input":        func(c *Tx) { c.Inputs = c.Inputs[:1] },
		"drop output":       func(c *Tx) { c.Outputs = c.Outputs[:1] },
		"add output":        func(c *Tx) { c.Outputs = append(c.Outputs, TxOut{}) },
		"add input":         func(c *Tx) { c.Inputs = append(c.Inputs, TxIn{}) },
	}
	for name, mutate := range mutations {
		c := clone()
		mutate(c)
		if c.SigHash() == baseSig {
			t.Errorf("%s: sighash unchanged", name)
		}
		if c.TxID() == baseID {
			t.Errorf("%s: txid unchanged", name)
		}
	}
}

// TestConcurrentReads: the hashing methods only read a shared value.
func TestConcurrentReads(t *testing.T) {
	blk := sampleBlock(6)
	wantRoot, _ := MerkleRoot(blk.TxIDs())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, tx := range blk.Transactions {
				_ = tx.TxID()
				_ = tx.SigHash()
				_ = tx.Bytes()
			}
			if r, _ := MerkleRoot(blk.TxIDs()); r != wantRoot {
				t.Error("merkle root differs")
			}
			_ = blk.BlockHash()
			_ = BlockToProto(blk)
		}()
	}
	wg.Wait()
}
