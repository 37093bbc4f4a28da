package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Helpers shared by the tests of package wire. Everything here computes what
// it needs independently of the code under test (crypto/sha256,
// encoding/binary), so that a test comparing the two catches a bug in either.

// mustHex decodes a hex constant of a test.
func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex constant %q: %v", s, err)
	}
	return b
}

// mustHash parses a hash constant of a test.
func mustHash(t testing.TB, s string) Hash {
	t.Helper()
	h, err := ParseHash(s)
	if err != nil {
		t.Fatalf("bad hash constant %q: %v", s, err)
	}
	return h
}

// testKey returns the private key with scalar n (n >= 1).
func testKey(n uint64) *btcec.PrivateKey {
	var b [32]byte
	binary.BigEndian.PutUint64(b[24:], n)
	k, _ := btcec.PrivKeyFromBytes(b[:])
	return k
}

// sha256d is an independent SHA-256d.
func sha256d(b []byte) [32]byte {
	first := sha256.Sum256(b)
	return sha256.Sum256(first[:])
}

// taggedHash is an independent BIP340 tagged hash.
func taggedHash(tag string, msg []byte) [32]byte {
	th := sha256.Sum256([]byte(tag))
	buf := make([]byte, 0, 64+len(msg))
	buf = append(buf, th[:]...)
	buf = append(buf, th[:]...)
	buf = append(buf, msg...)
	return sha256.Sum256(buf)
}

// filler hands out distinct, non-zero bytes so that every field of a sample
// value is different from every other and a swapped or misplaced field shows.
type filler struct{ next byte }

func (f *filler) fill(b []byte) {
	for i := range b {
		f.next++
		if f.next == 0 {
			f.next = 1
		}
		b[i] = f.next
	}
}

func (f *filler) u32() uint32 {
	var b [4]byte
	f.fill(b[:])
	return binary.LittleEndian.Uint32(b[:])
}

func (f *filler) u64() uint64 {
	var b [8]byte
	f.fill(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// sampleTx returns a transaction with nIn inputs and nOut outputs whose
// every byte is set; seed varies the contents.
func sampleTx(seed byte, nIn, nOut int) *Tx {
	f := &filler{next: seed}
	tx := &Tx{Version: f.u32()}
	if nIn > 0 {
		tx.Inputs = make([]TxIn, nIn)
	}
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		f.fill(in.PrevOut.TxID[:])
		in.PrevOut.Index = f.u32()
		f.fill(in.Signature[:])
		f.fill(in.PubKey[:])
	}
	if nOut > 0 {
		tx.Outputs = make([]TxOut, nOut)
	}
	for i := range tx.Outputs {
		tx.Outputs[i].Amount = f.u64()
		f.fill(tx.Outputs[i].KeyHash[:])
	}
	return tx
}

// sampleHeader returns a header whose every byte is set.
func sampleHeader(seed byte) BlockHeader {
	f := &filler{next: seed}
	h := BlockHeader{Version: f.u32()}
	f.fill(h.PrevBlock[:])
	f.fill(h.MerkleRoot[:])
	h.Timestamp = int64(f.u64())
	h.Bits = f.u32()
	h.Nonce = f.u32()
	return h
}

// sampleBlock returns a block of a coinbase and n-1 other transactions.
func sampleBlock(n int) *Block {
	b := &Block{Header: sampleHeader(7)}
	for i := range n {
		if i == 0 {
			b.Transactions = append(b.Transactions, NewCoinbaseTx(CoinbaseData{Height: 9, ExtraNonce: 3}, []TxOut{{Amount: 5, KeyHash: KeyHash{1}}}))
			continue
		}
		b.Transactions = append(b.Transactions, sampleTx(byte(i*31), 1+i%3, 1+i%2))
	}
	b.Header.MerkleRoot, _ = MerkleRoot(b.TxIDs())
	return b
}

// encodeTxByHand is an independent canonical encoder: the layout of
// docs/PROTOCOL.md written out with encoding/binary. withSigs false gives the
// body of the signature message.
func encodeTxByHand(tx *Tx, withSigs bool) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, tx.Version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(tx.Inputs)))
	for _, in := range tx.Inputs {
		b = append(b, in.PrevOut.TxID[:]...)
		b = binary.LittleEndian.AppendUint32(b, in.PrevOut.Index)
		if withSigs {
			b = append(b, in.Signature[:]...)
		}
		b = append(b, in.PubKey[:]...)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(tx.Outputs)))
	for _, out := range tx.Outputs {
		b = binary.LittleEndian.AppendUint64(b, out.Amount)
		b = append(b, out.KeyHash[:]...)
	}
	return b
}

// encodeHeaderByHand is an independent header encoder.
func encodeHeaderByHand(h *BlockHeader) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, h.Version)
	b = append(b, h.PrevBlock[:]...)
	b = append(b, h.MerkleRoot[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(h.Timestamp))
	b = binary.LittleEndian.AppendUint32(b, h.Bits)
	return binary.LittleEndian.AppendUint32(b, h.Nonce)
}

// txEqual compares two transactions by value, treating nil and empty lists
// alike (the two decoders differ only there).
func txEqual(a, b *Tx) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Version != b.Version || len(a.Inputs) != len(b.Inputs) || len(a.Outputs) != len(b.Outputs) {
		return false
	}
	for i := range a.Inputs {
		if a.Inputs[i] != b.Inputs[i] {
			return false
		}
	}
	for i := range a.Outputs {
		if a.Outputs[i] != b.Outputs[i] {
			return false
		}
	}
	return true
}

// blockEqual compares two blocks by value (see txEqual).
func blockEqual(a, b *Block) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Header != b.Header || len(a.Transactions) != len(b.Transactions) {
		return false
	}
	for i := range a.Transactions {
		if !txEqual(a.Transactions[i], b.Transactions[i]) {
			return false
		}
	}
	return true
}

// cloneBytes returns a copy of b with its own backing array, so that a test
// can modify it.
func cloneBytes(b []byte) []byte { return bytes.Clone(b) }
