package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestSizesAndLimits pins every size, offset and limit to its numeric value,
// so that a change to the encoding or to a formula in limits.go is a
// deliberate, visible change (docs/PROTOCOL.md quotes the same numbers).
func TestSizesAndLimits(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"HashSize", HashSize, 32},
		{"SignatureSize", SignatureSize, 64},
		{"PubKeySize", PubKeySize, 32},
		{"KeyHashSize", KeyHashSize, 20},
		{"HeaderSize", HeaderSize, 84},
		{"OutPointSize", OutPointSize, 36},
		{"TxInSize", TxInSize, 132},
		{"TxOutSize", TxOutSize, 28},
		{"txOverhead", txOverhead, 12},
		{"blockOverhead", blockOverhead, 88},
		{"MinTxSize", MinTxSize, 172},
		{"MaxBlockSize", MaxBlockSize, 1_000_000},
		{"MaxTxSize", MaxTxSize, 999_740},
		{"MaxTxPerBlock", MaxTxPerBlock, 5_813},
		{"MaxTxInputs", MaxTxInputs, 7_573},
		{"MaxTxOutputs", MaxTxOutputs, 35_706},
		{"HeaderTimestampOffset", HeaderTimestampOffset, 68},
		{"HeaderBitsOffset", HeaderBitsOffset, 76},
		{"HeaderNonceOffset", HeaderNonceOffset, 80},
		{"CoinbaseTagSize", CoinbaseTagSize, 48},
		{"coinbaseHeightOffset", coinbaseHeightOffset, 0},
		{"coinbaseExtraNonceOffset", coinbaseExtraNonceOffset, 8},
		{"coinbaseTagOffset", coinbaseTagOffset, 16},
		{"AddressVersion", AddressVersion, 0},
		{"CoinValue", CoinValue, 100_000_000},
		{"MaxMoney", MaxMoney, 2_100_000_000_000_000},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	// The header fits in two SHA-256 blocks (84 bytes + 9 bytes of padding
	// <= 128) and the nonce lies in the second one, so a miner's midstate of
	// the first 64 bytes does not depend on it.
	if HeaderSize+9 > 128 || HeaderTimestampOffset < 64 {
		t.Errorf("header layout breaks the midstate: size %d, timestamp at %d", HeaderSize, HeaderTimestampOffset)
	}
	// The limits are never stricter than consensus: a block of the largest
	// count of smallest transactions fits, so does the largest tx beside
	// the smallest coinbase with the most inputs, and a coinbase alone in
	// its block with the most outputs.
	if blockOverhead+MaxTxPerBlock*MinTxSize > MaxBlockSize {
		t.Error("MaxTxPerBlock smallest transactions do not fit in a block")
	}
	if blockOverhead+(MaxTxPerBlock+1)*MinTxSize <= MaxBlockSize {
		t.Error("MaxTxPerBlock is not the largest count that fits")
	}
	if txOverhead+MaxTxInputs*TxInSize+TxOutSize > MaxTxSize ||
		txOverhead+(MaxTxInputs+1)*TxInSize+TxOutSize <= MaxTxSize {
		t.Error("MaxTxInputs is not the largest input count of a tx with one output within MaxTxSize")
	}
	if blockOverhead+txOverhead+TxInSize+MaxTxOutputs*TxOutSize > MaxBlockSize ||
		blockOverhead+txOverhead+TxInSize+(MaxTxOutputs+1)*TxOutSize <= MaxBlockSize {
		t.Error("MaxTxOutputs is not the largest output count of a one-input coinbase alone in a block")
	}
}

// TestHeaderLayout checks the exact bytes of a header built by hand.
func TestHeaderLayout(t *testing.T) {
	var h BlockHeader
	h.Version = 0x04030201
	for i := range h.PrevBlock {
		h.PrevBlock[i] = byte(0x10 + i)
		h.MerkleRoot[i] = byte(0x30 + i)
	}
	h.Timestamp = 0x0102030405060708
	h.Bits = 0x1d00ffff
	h.Nonce = 0xdeadbeef

	want := mustHex(t, ""+
		"01020304"+ // version, LE
		"101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"+ // prev block, as stored
		"303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f"+ // merkle root, as stored
		"0807060504030201"+ // timestamp, int64 LE
		"ffff001d"+ // bits, LE
		"efbeadde") // nonce, LE
	got := h.Bytes()
	if !bytes.Equal(got, want) {
		t.Fatalf("header encoding\n got %x\nwant %x", got, want)
	}
	if len(got) != HeaderSize {
		t.Fatalf("len = %d, want %d", len(got), HeaderSize)
	}
	if !bytes.Equal(h.Encode([]byte{0xaa}), append([]byte{0xaa}, want...)) {
		t.Error("Encode does not append to its argument")
	}
	if got := binary.LittleEndian.Uint64(want[HeaderTimestampOffset:]); got != uint64(h.Timestamp) {
		t.Errorf("timestamp offset: read %#x", got)
	}
	if got := binary.LittleEndian.Uint32(want[HeaderBitsOffset:]); got != h.Bits {
		t.Errorf("bits offset: read %#x", got)
	}
	if got := binary.LittleEndian.Uint32(want[HeaderNonceOffset:]); got != h.Nonce {
		t.Errorf("nonce offset: read %#x", got)
	}
	if bh, want := h.BlockHash(), Hash(sha256d(want)); bh != want {
		t.Errorf("BlockHash = %s, want SHA-256d of the encoding %s", bh, want)
	}

	dec, err := DecodeBlockHeader(want)
	if err != nil {
		t.Fatal(err)
	}
	if *dec != h {
		t.Errorf("decoded %+v, want %+v", *dec, h)
	}
}

// TestHeaderNegativeTimestamp: the timestamp is a two's complement int64.
func TestHeaderNegativeTimestamp(t *testing.T) {
	h := BlockHeader{Timestamp: -2}
	b := h.Bytes()
	if !bytes.Equal(b[HeaderTimestampOffset:HeaderTimestampOffset+8], mustHex(t, "feffffffffffffff")) {
		t.Errorf("timestamp -2 encodes as %x", b[HeaderTimestampOffset:HeaderTimestampOffset+8])
	}
	dec, err := DecodeBlockHeader(b)
	if err != nil || dec.Timestamp != -2 {
		t.Fatalf("decode: %v, %+v", err, dec)
	}
}

// TestPutNonceAndMidstate: PutNonce writes exactly the nonce field, and the
// first 64 bytes of a header do not depend on the timestamp, bits or nonce.
func TestPutNonceAndMidstate(t *testing.T) {
	h := sampleHeader(1)
	enc := h.Bytes()
	before := cloneBytes(enc)
	PutNonce(enc, 0x01020304)
	h.Nonce = 0x01020304
	if !bytes.Equal(enc, h.Bytes()) {
		t.Fatalf("PutNonce result differs from re-encoding:\n got %x\nwant %x", enc, h.Bytes())
	}
	if !bytes.Equal(enc[:HeaderNonceOffset], before[:HeaderNonceOffset]) {
		t.Error("PutNonce changed bytes before the nonce")
	}
	if DoubleSHA256(enc) != h.BlockHash() {
		t.Error("hash of the patched encoding differs from BlockHash")
	}

	h2 := h
	h2.Timestamp++
	h2.Bits++
	h2.Nonce++
	if !bytes.Equal(h.Bytes()[:64], h2.Bytes()[:64]) {
		t.Error("timestamp, bits or nonce reach into the first 64 bytes")
	}
}

// TestTxLayout checks the exact bytes of a transaction built by hand.
func TestTxLayout(t *testing.T) {
	tx := &Tx{Version: 2}
	var in TxIn
	for i := range in.PrevOut.TxID {
		in.PrevOut.TxID[i] = 0xa0 + byte(i%16)
	}
	in.PrevOut.Index = 0x00000105
	for i := range in.Signature {
		in.Signature[i] = 0x51
	}
	for i := range in.PubKey {
		in.PubKey[i] = 0x9b
	}
	tx.Inputs = []TxIn{in}
	var kh KeyHash
	for i := range kh {
		kh[i] = 0xcc
	}
	tx.Outputs = []TxOut{{Amount: 5_000_000_000, KeyHash: kh}, {Amount: 1, KeyHash: KeyHash{0xee}}}

	want := mustHex(t, ""+
		"02000000"+ // version
		"01000000"+ // input count
		strings.Repeat("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", 2)+ // prev txid
		"05010000"+ // prev index
		strings.Repeat("51", 64)+ // signature
		strings.Repeat("9b", 32)+ // public key
		"02000000"+ // output count
		"00f2052a01000000"+ // 50 coins, LE
		strings.Repeat("cc", 20)+ // key hash
		"0100000000000000"+ // 1 base unit
		"ee"+strings.Repeat("00", 19))
	got := tx.Bytes()
	if !bytes.Equal(got, want) {
		t.Fatalf("tx encoding\n got %x\nwant %x", got, want)
	}
	if n := txOverhead + TxInSize + 2*TxOutSize; len(got) != n || tx.SerializeSize() != n {
		t.Fatalf("len = %d, SerializeSize = %d, want %d", len(got), tx.SerializeSize(), n)
	}
	if !bytes.Equal(got, encodeTxByHand(tx, true)) {
		t.Fatal("Bytes differs from the independent encoder")
	}
	dec, err := DecodeTx(want)
	if err != nil {
		t.Fatal(err)
	}
	if !txEqual(dec, tx) {
		t.Errorf("decoded %+v, want %+v", dec, tx)
	}
}

// TestEmptyTxLayout: the smallest decodable tx is 12 bytes (consensus
// rejects it later, the encoding does not).
func TestEmptyTxLayout(t *testing.T) {
	tx := &Tx{Version: 1}
	want := mustHex(t, "01000000"+"00000000"+"00000000")
	if !bytes.Equal(tx.Bytes(), want) {
		t.Fatalf("got %x, want %x", tx.Bytes(), want)
	}
	dec, err := DecodeTx(want)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Inputs != nil || dec.Outputs != nil || dec.Version != 1 {
		t.Errorf("decoded %+v", dec)
	}
}

// TestBlockLayout: header, uint32 count, transactions back to back.
func TestBlockLayout(t *testing.T) {
	blk := sampleBlock(3)
	var want []byte
	want = append(want, encodeHeaderByHand(&blk.Header)...)
	want = binary.LittleEndian.AppendUint32(want, 3)
	for _, tx := range blk.Transactions {
		want = append(want, encodeTxByHand(tx, true)...)
	}
	got := blk.Bytes()
	if !bytes.Equal(got, want) {
		t.Fatalf("block encoding\n got %x\nwant %x", got, want)
	}
	if blk.SerializeSize() != len(want) {
		t.Errorf("SerializeSize = %d, want %d", blk.SerializeSize(), len(want))
	}
	if blk.BlockHash() != Hash(sha256d(want[:HeaderSize])) {
		t.Error("block id is not SHA-256d of the first 84 bytes")
	}
	ids := blk.TxIDs()
	for i, tx := range blk.Transactions {
		if ids[i] != tx.TxID() {
			t.Errorf("TxIDs()[%d] = %s, want %s", i, ids[i], tx.TxID())
		}
	}

	empty := &Block{Header: blk.Header}
	if got, want := empty.Bytes(), append(encodeHeaderByHand(&blk.Header), 0, 0, 0, 0); !bytes.Equal(got, want) {
		t.Errorf("empty block\n got %x\nwant %x", got, want)
	}
}

// roundTripTxs are the transaction shapes every round-trip test covers.
func roundTripTxs() map[string]*Tx {
	return map[string]*Tx{
		"empty":       {Version: 0},
		"1in1out":     sampleTx(1, 1, 1),
		"3in2out":     sampleTx(2, 3, 2),
		"0in2out":     sampleTx(3, 0, 2),
		"2in0out":     sampleTx(4, 2, 0),
		"coinbase":    NewCoinbaseTx(CoinbaseData{Height: 1 << 40, ExtraNonce: 7}, []TxOut{{Amount: MaxMoney}}),
		"maxversion":  {Version: ^uint32(0), Outputs: []TxOut{{Amount: ^uint64(0)}}},
		"manyoutputs": sampleTx(5, 1, 300),
	}
}

func TestTxRoundTrip(t *testing.T) {
	for name, tx := range roundTripTxs() {
		t.Run(name, func(t *testing.T) {
			enc := tx.Bytes()
			if len(enc) != tx.SerializeSize() {
				t.Fatalf("len %d != SerializeSize %d", len(enc), tx.SerializeSize())
			}
			if !bytes.Equal(enc, encodeTxByHand(tx, true)) {
				t.Fatal("Bytes differs from the independent encoder")
			}
			dec, err := DecodeTx(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !txEqual(dec, tx) {
				t.Fatalf("round trip changed the tx")
			}
			if !bytes.Equal(dec.Bytes(), enc) {
				t.Fatal("re-encoding differs")
			}
			if dec.TxID() != tx.TxID() || dec.SigHash() != tx.SigHash() {
				t.Fatal("ids differ after a round trip")
			}
		})
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []BlockHeader{{}, sampleHeader(0), sampleHeader(100), {Version: ^uint32(0), Timestamp: -1 << 63, Bits: ^uint32(0), Nonce: ^uint32(0)}} {
		enc := h.Bytes()
		dec, err := DecodeBlockHeader(enc)
		if err != nil {
			t.Fatal(err)
		}
		if *dec != h || !bytes.Equal(dec.Bytes(), enc) {
			t.Errorf("round trip of %+v gave %+v", h, *dec)
		}
	}
}

func TestBlockRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 17} {
		blk := sampleBlock(n)
		enc := blk.Bytes()
		dec, err := DecodeBlock(enc)
		if err != nil {
			t.Fatalf("%d txs: %v", n, err)
		}
		if !blockEqual(dec, blk) || !bytes.Equal(dec.Bytes(), enc) {
			t.Fatalf("%d txs: round trip differs", n)
		}
		if dec.BlockHash() != blk.BlockHash() {
			t.Fatalf("%d txs: block id differs", n)
		}
	}
}

// decoders names every canonical decoder with a valid encoding for it.
func decoders() []struct {
	name   string
	decode func([]byte) error
	valid  []byte
} {
	h := sampleHeader(3)
	return []struct {
		name   string
		decode func([]byte) error
		valid  []byte
	}{
		{"tx", func(b []byte) error { _, err := DecodeTx(b); return err }, sampleTx(9, 2, 3).Bytes()},
		{"header", func(b []byte) error { _, err := DecodeBlockHeader(b); return err }, h.Bytes()},
		{"block", func(b []byte) error { _, err := DecodeBlock(b); return err }, sampleBlock(3).Bytes()},
	}
}

// TestDecodersRejectTruncation cuts every valid encoding at every length.
func TestDecodersRejectTruncation(t *testing.T) {
	for _, d := range decoders() {
		if err := d.decode(d.valid); err != nil {
			t.Fatalf("%s: valid encoding rejected: %v", d.name, err)
		}
		for n := range len(d.valid) {
			if err := d.decode(d.valid[:n]); err == nil {
				t.Errorf("%s: accepted a prefix of %d of %d bytes", d.name, n, len(d.valid))
			}
		}
		if err := d.decode(nil); err == nil {
			t.Errorf("%s: accepted nil", d.name)
		}
	}
}

// TestDecodersRejectTrailingBytes appends to every valid encoding.
func TestDecodersRejectTrailingBytes(t *testing.T) {
	for _, d := range decoders() {
		for _, extra := range [][]byte{{0}, {1, 2, 3}, make([]byte, 200)} {
			err := d.decode(append(cloneBytes(d.valid), extra...))
			if !errors.Is(err, ErrTrailingBytes) {
				t.Errorf("%s + %d bytes: err = %v, want ErrTrailingBytes", d.name, len(extra), err)
			}
		}
	}
}

// txWithCounts builds a tx encoding whose counts claim nIn inputs and nOut
// outputs, followed by body bytes.
func txWithCounts(nIn uint32, body []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 1)
	b = binary.LittleEndian.AppendUint32(b, nIn)
	return append(b, body...)
}

func TestDecodeTxCountLimits(t *testing.T) {
	in := sampleTx(1, 1, 0).Inputs[0]
	oneIn := in.PrevOut.Encode(nil)
	oneIn = append(oneIn, in.Signature[:]...)
	oneIn = append(oneIn, in.PubKey[:]...)
	zeroOut := []byte{0, 0, 0, 0}

	cases := []struct {
		name string
		enc  []byte
		ok   bool
	}{
		{"one input", txWithCounts(1, append(cloneBytes(oneIn), zeroOut...)), true},
		{"input count over limit", txWithCounts(MaxTxInputs+1, nil), false},
		{"input count 2^32-1, 12 bytes", txWithCounts(^uint32(0), []byte{0, 0, 0, 0}), false},
		{"input count at limit, no data", txWithCounts(MaxTxInputs, zeroOut), false},
		{"input count 2, one input present", txWithCounts(2, append(cloneBytes(oneIn), zeroOut...)), false},
		{"output count over limit", txWithCounts(0, binary.LittleEndian.AppendUint32(nil, MaxTxOutputs+1)), false},
		{"output count 2^32-1", txWithCounts(0, binary.LittleEndian.AppendUint32(nil, ^uint32(0))), false},
		{"output count at limit, no data", txWithCounts(0, binary.LittleEndian.AppendUint32(nil, MaxTxOutputs)), false},
		{"output count 1, 27 bytes", txWithCounts(0, append(binary.LittleEndian.AppendUint32(nil, 1), make([]byte, TxOutSize-1)...)), false},
		{"output count 1, 28 bytes", txWithCounts(0, append(binary.LittleEndian.AppendUint32(nil, 1), make([]byte, TxOutSize)...)), true},
	}
	for _, c := range cases {
		_, err := DecodeTx(c.enc)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// TestDecodeTxCountLimitsWithData: one input or output over the limit is
// refused even when all its bytes are present.
func TestDecodeTxCountLimitsWithData(t *testing.T) {
	for _, tx := range []*Tx{sampleTx(1, MaxTxInputs+1, 0), sampleTx(2, 0, MaxTxOutputs+1)} {
		if _, err := DecodeTx(tx.Bytes()); err == nil {
			t.Errorf("%d inputs, %d outputs: accepted", len(tx.Inputs), len(tx.Outputs))
		}
	}
}

func TestDecodeTxAtLimits(t *testing.T) {
	// The largest input and output counts decode (limits are never
	// stricter than consensus).
	for _, tx := range []*Tx{sampleTx(1, MaxTxInputs, 1), sampleTx(2, 1, MaxTxOutputs)} {
		dec, err := DecodeTx(tx.Bytes())
		if err != nil {
			t.Fatalf("%d inputs, %d outputs: %v", len(tx.Inputs), len(tx.Outputs), err)
		}
		if !txEqual(dec, tx) {
			t.Fatal("round trip differs")
		}
	}
}

// TestLoneCoinbaseWithMostOutputsDecodes: a block whose only transaction
// is its coinbase may spend all of MaxBlockSize but the header and counts
// on that coinbase, so with its one input the coinbase can carry 35,706
// outputs, and every consensus rule holds (no rule bounds a transaction's
// size or output count; zero amounts are valid). Such a block must decode
// from both encodings, and the coinbase alone too (a compact block
// prefills it).
func TestLoneCoinbaseWithMostOutputsDecodes(t *testing.T) {
	const outputs = (1_000_000 - 88 - 12 - 132) / 28 // 35,706: the block is exactly 1,000,000 bytes
	cb := NewCoinbaseTx(CoinbaseData{Height: 7}, make([]TxOut, outputs))
	blk := &Block{Header: sampleHeader(1), Transactions: []*Tx{cb}}
	if size := blk.SerializeSize(); size != MaxBlockSize {
		t.Fatalf("block is %d bytes, want %d", size, MaxBlockSize)
	}
	dec, err := DecodeBlock(blk.Bytes())
	if err != nil || !blockEqual(dec, blk) {
		t.Fatalf("DecodeBlock: %v", err)
	}
	if dec, err = UnmarshalBlock(MarshalBlock(blk)); err != nil || !blockEqual(dec, blk) {
		t.Fatalf("UnmarshalBlock: %v", err)
	}
	if dec, err = BlockFromProto(BlockToProto(blk)); err != nil || !blockEqual(dec, blk) {
		t.Fatalf("BlockFromProto: %v", err)
	}
	if tx, err := DecodeTx(cb.Bytes()); err != nil || !txEqual(tx, cb) {
		t.Fatalf("DecodeTx: %v", err)
	}
	if tx, err := TxFromProto(TxToProto(cb)); err != nil || !txEqual(tx, cb) {
		t.Fatalf("TxFromProto: %v", err)
	}
}

func TestDecodeBlockCountLimits(t *testing.T) {
	hdr := sampleHeader(1)
	withCount := func(n uint32, rest []byte) []byte {
		b := binary.LittleEndian.AppendUint32(hdr.Bytes(), n)
		return append(b, rest...)
	}
	for _, c := range []struct {
		name string
		enc  []byte
	}{
		{"count over limit", withCount(MaxTxPerBlock+1, nil)},
		{"count 2^32-1", withCount(^uint32(0), make([]byte, 12))},
		{"count at limit, no data", withCount(MaxTxPerBlock, nil)},
		{"count 2, one tx", withCount(2, sampleTx(1, 1, 1).Bytes())},
		{"count 1, bad tx", withCount(1, txWithCounts(MaxTxInputs+1, make([]byte, MinTxSize)))},
	} {
		if _, err := DecodeBlock(c.enc); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// TestDecodeFailsFastWithoutAllocating: a count that the remaining input
// cannot back must fail before any list is allocated.
func TestDecodeFailsFastWithoutAllocating(t *testing.T) {
	inputs := []struct {
		name   string
		decode func()
	}{
		{"tx 2^32-1 inputs", func() { _, _ = DecodeTx(txWithCounts(^uint32(0), []byte{0, 0, 0, 0})) }},
		{"tx max inputs", func() { _, _ = DecodeTx(txWithCounts(MaxTxInputs, []byte{0, 0, 0, 0})) }},
		{"tx max outputs", func() {
			_, _ = DecodeTx(txWithCounts(0, binary.LittleEndian.AppendUint32(nil, MaxTxOutputs)))
		}},
		{"block max txs", func() {
			h := BlockHeader{}
			_, _ = DecodeBlock(binary.LittleEndian.AppendUint32(h.Bytes(), MaxTxPerBlock))
		}},
	}
	for _, in := range inputs {
		const runs = 50
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range runs {
			in.decode()
		}
		runtime.ReadMemStats(&after)
		perRun := (after.TotalAlloc - before.TotalAlloc) / runs
		// The inputs themselves are tiny; an allocated list would be
		// hundreds of kilobytes.
		if perRun > 16<<10 {
			t.Errorf("%s: %d bytes allocated per decode", in.name, perRun)
		}
	}
}

// TestDecodeBlockSizeCap: a block of exactly MaxBlockSize bytes decodes, one
// byte more is refused before decoding.
func TestDecodeBlockSizeCap(t *testing.T) {
	blk := maxSizeBlock()
	enc := blk.Bytes()
	if len(enc) != MaxBlockSize {
		t.Fatalf("test block is %d bytes", len(enc))
	}
	dec, err := DecodeBlock(enc)
	if err != nil {
		t.Fatalf("block of exactly MaxBlockSize rejected: %v", err)
	}
	if !bytes.Equal(dec.Bytes(), enc) {
		t.Fatal("round trip differs")
	}
	if _, err := DecodeBlock(append(enc, 0)); err == nil || errors.Is(err, ErrTrailingBytes) {
		t.Errorf("oversized block: err = %v, want the size error", err)
	}
}

// maxSizeBlock returns a block whose encoding is exactly MaxBlockSize bytes:
// 88 + 12 + 8*132 + 35673*28 = 1,000,000.
func maxSizeBlock() *Block {
	tx := sampleTx(1, 8, 35673)
	return &Block{Header: sampleHeader(2), Transactions: []*Tx{tx}}
}

// TestDecodeIsolation: decoded values do not alias the input buffer.
func TestDecodeIsolation(t *testing.T) {
	tx := sampleTx(1, 2, 2)
	enc := tx.Bytes()
	dec, err := DecodeTx(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc {
		enc[i] ^= 0xff
	}
	if !txEqual(dec, tx) {
		t.Error("decoded tx changed when the input buffer was modified")
	}
}
