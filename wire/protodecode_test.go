package wire

import (
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
)

// unmarshalViaProto is the reference UnmarshalBlock must equal.
func unmarshalViaProto(b []byte) (*Block, error) {
	var m pb.Block
	if err := proto.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return BlockFromProto(&m)
}

// checkUnmarshalMatches fails unless UnmarshalBlock gives for b exactly
// what proto.Unmarshal and BlockFromProto give: an equal block (nil and
// empty lists told apart), or the same error.
func checkUnmarshalMatches(t *testing.T, b []byte) *Block {
	t.Helper()
	want, wantErr := unmarshalViaProto(b)
	got, err := UnmarshalBlock(b)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("UnmarshalBlock error %v, proto.Unmarshal+BlockFromProto error %v\ninput %x", err, wantErr, b)
	case err != nil && err.Error() != wantErr.Error():
		t.Fatalf("errors differ: %q against %q", err, wantErr)
	case err != nil && got != nil:
		t.Fatal("non-nil block with an error")
	case !reflect.DeepEqual(got, want):
		t.Fatalf("blocks differ\n got %+v\nwant %+v\ninput %x", got, want, b)
	}
	return got
}

// TestUnmarshalBlockCanonical: every canonical encoding is decoded by the
// fast path, to the block it came from and to what the proto path gives.
func TestUnmarshalBlockCanonical(t *testing.T) {
	for i, blk := range canonicalBlocks() {
		enc := MarshalBlock(blk)
		if UnmarshalCanonicalBlock(enc) == nil {
			t.Errorf("block %d: canonical encoding left the fast path", i)
		}
		got := checkUnmarshalMatches(t, enc)
		if !blockEqual(got, blk) {
			t.Errorf("block %d: decoded block differs from the marshalled one", i)
		}
	}
}

// TestUnmarshalBlockSharedArraysDoNotOverlap: appending to one decoded
// transaction's inputs or outputs never writes into the next one's.
func TestUnmarshalBlockSharedArraysDoNotOverlap(t *testing.T) {
	blk, err := UnmarshalBlock(MarshalBlock(sampleBlock(4)))
	if err != nil {
		t.Fatal(err)
	}
	next := *blk.Transactions[2]
	wantIn, wantOut := next.Inputs[0], next.Outputs[0]
	first := blk.Transactions[1]
	first.Inputs = append(first.Inputs, TxIn{Signature: [SignatureSize]byte{0xff}})
	first.Outputs = append(first.Outputs, TxOut{Amount: 0xff})
	if blk.Transactions[2].Inputs[0] != wantIn || blk.Transactions[2].Outputs[0] != wantOut {
		t.Fatal("an append to one transaction's list overwrote the next transaction's")
	}
}

// appendField appends field num with wire type typ and value v (a varint
// for VarintType, bytes otherwise).
func appendField(b []byte, num protowire.Number, typ protowire.Type, v any) []byte {
	b = protowire.AppendTag(b, num, typ)
	if typ == protowire.VarintType {
		return protowire.AppendVarint(b, v.(uint64))
	}
	return protowire.AppendBytes(b, v.([]byte))
}

// nonCanonicalBlocks are encodings protobuf accepts or refuses that
// MarshalBlock never writes; each must leave the fast path.
func nonCanonicalBlocks() map[string][]byte {
	blk := sampleBlock(3)
	enc := MarshalBlock(blk)
	hdr := MarshalBlock(&Block{Header: blk.Header})
	tx := MarshalBlock(&Block{Transactions: blk.Transactions[1:2]})[len(hdr):]
	otherHdr := blk.Header
	otherHdr.Nonce, otherHdr.Timestamp = 0, 12345
	otherHdrMsg, _ := proto.Marshal(HeaderToProto(&otherHdr))
	txMsg, _ := proto.Marshal(TxToProto(blk.Transactions[1]))
	inMsg, _ := proto.Marshal(&pb.TxIn{PrevOut: &pb.OutPoint{Txid: make([]byte, 32)}})
	nonMinimalLen := append([]byte{0x0a, 0x80 | byte(len(hdr)-2), 0x00}, hdr[2:]...)
	zeroVersionTx := appendField(nil, 1, protowire.VarintType, uint64(0))
	zeroVersionTx = append(zeroVersionTx, txMsg[len(protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), uint64(blk.Transactions[1].Version))):]...)
	wideVersionTx := appendField(nil, 1, protowire.VarintType, uint64(1)<<32|7)
	return map[string][]byte{
		"unknown varint field":        appendField(clone(enc), 3, protowire.VarintType, uint64(5)),
		"unknown bytes field":         appendField(clone(enc), 100, protowire.BytesType, []byte("x")),
		"unknown field in a tx":       append(clone(hdr), appendField(nil, 2, protowire.BytesType, appendField(clone(txMsg), 9, protowire.VarintType, uint64(1)))...),
		"unknown field in an input":   append(clone(hdr), appendField(nil, 2, protowire.BytesType, appendField(nil, 2, protowire.BytesType, appendField(clone(inMsg), 4, protowire.Fixed32Type, []byte{1, 2, 3, 4})))...),
		"header repeated (merged)":    appendField(clone(enc), 1, protowire.BytesType, otherHdrMsg),
		"header after the txs":        append(clone(enc[len(hdr):]), hdr...),
		"header missing":              clone(enc[len(hdr):]),
		"tx version repeated":         append(clone(hdr), appendField(nil, 2, protowire.BytesType, append(appendField(nil, 1, protowire.VarintType, uint64(9)), txMsg...))...),
		"tx version zero":             append(clone(hdr), appendField(nil, 2, protowire.BytesType, zeroVersionTx)...),
		"tx version over 32 bits":     append(clone(hdr), appendField(nil, 2, protowire.BytesType, wideVersionTx)...),
		"input with only an outpoint": append(clone(hdr), appendField(nil, 2, protowire.BytesType, appendField(nil, 2, protowire.BytesType, inMsg))...),
		"non-minimal length":          append(nonMinimalLen, tx...),
		"non-minimal tag":             append([]byte{0x8a, 0x00}, enc[1:]...),
		"tx with wrong wire type":     append(clone(hdr), appendField(nil, 2, protowire.VarintType, uint64(1))...),
		"header with wrong wire type": appendField(nil, 1, protowire.VarintType, uint64(1)),
		"group wire type":             append(clone(enc), protowire.AppendTag(nil, 5, protowire.StartGroupType)...),
		"field number zero":           append(clone(enc), 0x00, 0x00),
		"empty input":                 {},
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// TestUnmarshalBlockNonCanonical: unknown fields, repeated singular fields
// (a repeated header merges), fields out of order or missing, zero or
// over-wide scalars, non-minimal varints and wrong wire types all take the
// proto path and give what it gives.
func TestUnmarshalBlockNonCanonical(t *testing.T) {
	for name, b := range nonCanonicalBlocks() {
		t.Run(name, func(t *testing.T) {
			if UnmarshalCanonicalBlock(b) != nil {
				t.Fatal("a non-canonical encoding took the fast path")
			}
			checkUnmarshalMatches(t, b)
		})
	}
}

// TestUnmarshalBlockTruncated: every prefix of a canonical block gives
// what the proto path gives (most are errors; a prefix that ends between
// transactions is a smaller valid block).
func TestUnmarshalBlockTruncated(t *testing.T) {
	enc := MarshalBlock(sampleBlock(3))
	valid := 0
	for n := range len(enc) {
		if blk := checkUnmarshalMatches(t, enc[:n]); blk != nil {
			valid++
		}
	}
	if valid != 3 { // header only, and with one or two of the three txs
		t.Fatalf("%d prefixes decode, want 3", valid)
	}
}

// TestUnmarshalBlockLimits: a block over a count or size limit is refused
// with BlockFromProto's error.
func TestUnmarshalBlockLimits(t *testing.T) {
	hdr := MarshalBlock(&Block{})
	emptyTx := appendField(nil, 2, protowire.BytesType, []byte{})
	tooMany := clone(hdr)
	for range MaxTxPerBlock + 1 {
		tooMany = append(tooMany, emptyTx...)
	}
	wide := &Tx{Outputs: make([]TxOut, MaxTxOutputs+1)}
	big := &Block{}
	for range 1 + MaxBlockSize/(TxOutSize*(MaxTxOutputs/2)) {
		big.Transactions = append(big.Transactions, &Tx{Outputs: make([]TxOut, MaxTxOutputs/2)})
	}
	for name, b := range map[string][]byte{
		"too many transactions": tooMany,
		"too many outputs":      MarshalBlock(&Block{Transactions: []*Tx{wide}}),
		"over MaxBlockSize":     MarshalBlock(big),
	} {
		if _, err := UnmarshalBlock(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
		checkUnmarshalMatches(t, b)
	}
}

// FuzzUnmarshalBlockMatchesProto: for any bytes, UnmarshalBlock gives
// exactly what proto.Unmarshal and BlockFromProto give. The seeds are
// canonical blocks, their prefixes, and the non-canonical encodings above;
// the fuzzer mutates them.
func FuzzUnmarshalBlockMatchesProto(f *testing.F) {
	for _, blk := range canonicalBlocks() {
		enc := MarshalBlock(blk)
		f.Add(enc)
		f.Add(enc[:len(enc)/2])
	}
	for _, b := range nonCanonicalBlocks() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkUnmarshalMatches(t, b)
	})
}

// BenchmarkUnmarshalBlock: a full block (2,000 one-input, two-output
// transactions) decoded by UnmarshalBlock against proto.Unmarshal and
// BlockFromProto, the way it was decoded before, alternating block by
// block in the same run (so a change of load falls on both):
// speedup = the latter's time / UnmarshalBlock's; allocations per block
// of each.
func BenchmarkUnmarshalBlock(b *testing.B) {
	blk := &Block{Header: sampleHeader(1)}
	for i := range 2000 {
		blk.Transactions = append(blk.Transactions, sampleTx(byte(i), 1, 2))
	}
	enc := MarshalBlock(blk)
	decoders := []func() (*Block, error){
		func() (*Block, error) { return UnmarshalBlock(enc) },
		func() (*Block, error) { return unmarshalViaProto(enc) },
	}
	var elapsed [2]time.Duration
	var allocs [2]float64
	for i, decode := range decoders {
		allocs[i] = testing.AllocsPerRun(1, func() { _, _ = decode() })
	}
	b.ResetTimer()
	for range b.N {
		for i, decode := range decoders {
			start := time.Now()
			if _, err := decode(); err != nil {
				b.Fatal(err)
			}
			elapsed[i] += time.Since(start)
		}
	}
	b.ReportMetric(float64(elapsed[0].Microseconds())/float64(b.N), "direct_us/block")
	b.ReportMetric(float64(elapsed[1].Microseconds())/float64(b.N), "proto_us/block")
	b.ReportMetric(float64(elapsed[1])/float64(elapsed[0]), "speedup")
	b.ReportMetric(allocs[0], "direct_allocs/block")
	b.ReportMetric(allocs[1], "proto_allocs/block")
}

// TestUnmarshalBlockAllocations: the fast path allocates five times
// whatever the block's size (the block, the transaction pointers, the
// transactions, all inputs, all outputs).
func TestUnmarshalBlockAllocations(t *testing.T) {
	enc := MarshalBlock(sampleBlock(20))
	if n := testing.AllocsPerRun(10, func() { _, _ = UnmarshalBlock(enc) }); n != 5 {
		t.Fatalf("%v allocations a block, want 5", n)
	}
}
