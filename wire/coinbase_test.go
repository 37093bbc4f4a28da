package wire

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestNullOutPoint(t *testing.T) {
	if NullOutPoint.TxID != ZeroHash || NullOutPoint.Index != 0xffffffff || !NullOutPoint.IsNull() {
		t.Errorf("NullOutPoint = %+v", NullOutPoint)
	}
	want := append(make([]byte, 32), 0xff, 0xff, 0xff, 0xff)
	if got := NullOutPoint.Encode(nil); !bytes.Equal(got, want) {
		t.Errorf("null outpoint encodes as %x", got)
	}
	for _, o := range []OutPoint{{}, {Index: 0xfffffffe}, {TxID: Hash{31: 1}, Index: 0xffffffff}} {
		if o.IsNull() {
			t.Errorf("%+v reported null", o)
		}
	}
}

func TestCoinbaseRoundTrip(t *testing.T) {
	var tag [CoinbaseTagSize]byte
	copy(tag[:], "mined by a test")
	tag[CoinbaseTagSize-1] = 0xee
	for _, data := range []CoinbaseData{
		{},
		{Height: 1},
		{Height: 0x0102030405060708, ExtraNonce: 0x1112131415161718, Tag: tag},
		{Height: ^uint64(0), ExtraNonce: ^uint64(0)},
	} {
		outs := []TxOut{{Amount: 50 * CoinValue, KeyHash: KeyHash{1}}, {Amount: 1, KeyHash: KeyHash{2}}}
		tx := NewCoinbaseTx(data, outs)
		if !tx.IsCoinbase() || tx.Version != 1 || len(tx.Inputs) != 1 {
			t.Fatalf("shape: %+v", tx)
		}
		in := tx.Inputs[0]
		if in.PrevOut != NullOutPoint || in.PubKey != [PubKeySize]byte{} {
			t.Errorf("input: %+v", in)
		}
		// Layout of the data in the signature field.
		if binary.LittleEndian.Uint64(in.Signature[0:8]) != data.Height ||
			binary.LittleEndian.Uint64(in.Signature[8:16]) != data.ExtraNonce ||
			!bytes.Equal(in.Signature[16:64], data.Tag[:]) {
			t.Errorf("coinbase data layout: %x", in.Signature)
		}
		if len(tx.Outputs) != 2 || tx.Outputs[0] != outs[0] || tx.Outputs[1] != outs[1] {
			t.Errorf("outputs: %+v", tx.Outputs)
		}
		got, ok := tx.Coinbase()
		if !ok || got != data {
			t.Errorf("Coinbase() = %+v, %v, want %+v", got, ok, data)
		}
		// Through the encoding.
		dec, err := DecodeTx(tx.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := dec.Coinbase(); !ok || got != data {
			t.Errorf("after decoding: %+v, %v", got, ok)
		}
	}
}

// TestCoinbaseTxIDsUnique: the height (and extra nonce) make coinbase txids
// differ even when they pay the same outputs.
func TestCoinbaseTxIDsUnique(t *testing.T) {
	outs := []TxOut{{Amount: 50 * CoinValue}}
	seen := map[Hash]bool{}
	for h := range uint64(20) {
		for x := range uint64(3) {
			id := NewCoinbaseTx(CoinbaseData{Height: h, ExtraNonce: x}, outs).TxID()
			if seen[id] {
				t.Fatalf("height %d, extra nonce %d: duplicate txid", h, x)
			}
			seen[id] = true
		}
	}
}

func TestIsCoinbaseShape(t *testing.T) {
	nullIn := TxIn{PrevOut: NullOutPoint}
	otherIn := TxIn{PrevOut: OutPoint{TxID: Hash{1}}}
	for _, c := range []struct {
		name string
		tx   *Tx
		want bool
	}{
		{"one null input", &Tx{Inputs: []TxIn{nullIn}}, true},
		{"one null input, outputs", &Tx{Inputs: []TxIn{nullIn}, Outputs: []TxOut{{Amount: 1}}}, true},
		{"no inputs", &Tx{}, false},
		{"two null inputs", &Tx{Inputs: []TxIn{nullIn, nullIn}}, false},
		{"null then other", &Tx{Inputs: []TxIn{nullIn, otherIn}}, false},
		{"other input", &Tx{Inputs: []TxIn{otherIn}}, false},
		{"zero txid index 0", &Tx{Inputs: []TxIn{{}}}, false},
		{"zero txid index 2^32-2", &Tx{Inputs: []TxIn{{PrevOut: OutPoint{Index: 0xfffffffe}}}}, false},
	} {
		if got := c.tx.IsCoinbase(); got != c.want {
			t.Errorf("%s: IsCoinbase = %v", c.name, got)
		}
		if _, ok := c.tx.Coinbase(); ok != c.want {
			t.Errorf("%s: Coinbase ok = %v", c.name, ok)
		}
	}
}
