package wire

import (
	"bytes"
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

// canonicalBlocks are the blocks MarshalBlock is checked against
// proto.Marshal with, and whose encodings UnmarshalBlock's fast path must
// take: 0 to 5 transactions, the largest values, a negative timestamp,
// zero scalars and empty input and output lists.
func canonicalBlocks() []*Block {
	var blocks []*Block
	for n := range 6 {
		blocks = append(blocks, sampleBlock(n))
	}
	maxed := sampleBlock(3)
	maxed.Header.Version, maxed.Header.Bits, maxed.Header.Nonce = math.MaxUint32, math.MaxUint32, math.MaxUint32
	maxed.Header.Timestamp = math.MaxInt64
	maxed.Transactions[1].Version = math.MaxUint32
	maxed.Transactions[1].Inputs[0].PrevOut.Index = math.MaxUint32
	maxed.Transactions[1].Outputs[0].Amount = math.MaxUint64
	negative := sampleBlock(2)
	negative.Header.Timestamp = -1
	zero := &Block{Transactions: []*Tx{{}, {Inputs: []TxIn{{}}, Outputs: []TxOut{{}}}, {Outputs: []TxOut{{}}}}}
	return append(blocks, maxed, negative, zero, &Block{Transactions: []*Tx{}})
}

// TestMarshalBlockMatchesProto: MarshalBlock writes exactly what
// proto.Marshal writes for BlockToProto, for blocks of 0 to 5 transactions
// and for the values proto3 encodes specially: zero scalars (left out),
// the largest values (the longest varints), a negative timestamp (ten
// bytes), empty input and output lists.
func TestMarshalBlockMatchesProto(t *testing.T) {
	for i, blk := range canonicalBlocks() {
		want, err := proto.Marshal(BlockToProto(blk))
		if err != nil {
			t.Fatal(err)
		}
		got := MarshalBlock(blk)
		if !bytes.Equal(got, want) {
			t.Errorf("block %d: MarshalBlock gives %d bytes, proto.Marshal %d: they differ", i, len(got), len(want))
		}
		if cap(got) != len(got) {
			t.Errorf("block %d: %d bytes in a buffer of %d: the size was not computed exactly", i, len(got), cap(got))
		}
	}
}

// BenchmarkMarshalBlock: a full block (2,000 one-input, two-output
// transactions) marshalled by MarshalBlock against proto.Marshal of
// BlockToProto, the way it was marshalled before, in the same run:
// speedup = the latter's time / MarshalBlock's.
func BenchmarkMarshalBlock(b *testing.B) {
	blk := &Block{Header: sampleHeader(1)}
	for i := range 2000 {
		blk.Transactions = append(blk.Transactions, sampleTx(byte(i), 1, 2))
	}
	timeIt := func(marshal func()) time.Duration {
		start := time.Now()
		for range b.N {
			marshal()
		}
		return time.Since(start)
	}
	direct := timeIt(func() { _ = MarshalBlock(blk) })
	viaProto := timeIt(func() { _, _ = proto.Marshal(BlockToProto(blk)) })
	b.ReportMetric(float64(direct.Microseconds())/float64(b.N), "direct_us/block")
	b.ReportMetric(float64(viaProto.Microseconds())/float64(b.N), "proto_us/block")
	b.ReportMetric(float64(viaProto)/float64(direct), "speedup")
}
