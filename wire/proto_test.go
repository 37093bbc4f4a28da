package wire

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
)

// marshalRoundTrip sends m through the protobuf wire format.
func marshalRoundTrip[M proto.Message](t *testing.T, m M, into M) M {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
	return into
}

func TestTxProtoRoundTrip(t *testing.T) {
	for name, tx := range roundTripTxs() {
		t.Run(name, func(t *testing.T) {
			m := marshalRoundTrip(t, TxToProto(tx), &pb.Tx{})
			got, err := TxFromProto(m)
			if err != nil {
				t.Fatal(err)
			}
			if !txEqual(got, tx) || !bytes.Equal(got.Bytes(), tx.Bytes()) {
				t.Fatal("round trip differs")
			}
			// Without the marshalling too.
			got, err = TxFromProto(TxToProto(tx))
			if err != nil || !txEqual(got, tx) {
				t.Fatalf("direct round trip: %v", err)
			}
		})
	}
}

func TestHeaderProtoRoundTrip(t *testing.T) {
	for _, h := range []BlockHeader{{}, sampleHeader(1), {Timestamp: -5, Version: ^uint32(0), Bits: 1, Nonce: ^uint32(0)}} {
		m := marshalRoundTrip(t, HeaderToProto(&h), &pb.BlockHeader{})
		got, err := HeaderFromProto(m)
		if err != nil {
			t.Fatal(err)
		}
		if got != h {
			t.Errorf("round trip of %+v gave %+v", h, got)
		}
	}
}

func TestBlockProtoRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 4} {
		blk := sampleBlock(n)
		m := marshalRoundTrip(t, BlockToProto(blk), &pb.Block{})
		got, err := BlockFromProto(m)
		if err != nil {
			t.Fatal(err)
		}
		if !blockEqual(got, blk) || !bytes.Equal(got.Bytes(), blk.Bytes()) || got.BlockHash() != blk.BlockHash() {
			t.Fatalf("%d txs: round trip differs", n)
		}
	}
}

func TestOutPointProto(t *testing.T) {
	o := OutPoint{TxID: Hash{1, 2, 3}, Index: 77}
	got, err := OutPointFromProto(marshalRoundTrip(t, OutPointToProto(o), &pb.OutPoint{}))
	if err != nil || got != o {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if _, err := OutPointFromProto(nil); err == nil {
		t.Error("nil outpoint accepted")
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := OutPointFromProto(&pb.OutPoint{Txid: make([]byte, n)}); err == nil {
			t.Errorf("%d-byte txid accepted", n)
		}
	}
}

// goodTxProto returns a valid message with two inputs and two outputs.
func goodTxProto() *pb.Tx { return TxToProto(sampleTx(1, 2, 2)) }

func TestTxFromProtoRejects(t *testing.T) {
	if _, err := TxFromProto(goodTxProto()); err != nil {
		t.Fatalf("valid message rejected: %v", err)
	}
	if _, err := TxFromProto(nil); err == nil {
		t.Error("nil tx accepted")
	}
	cases := map[string]func(m *pb.Tx){
		"nil input":          func(m *pb.Tx) { m.Inputs[1] = nil },
		"nil prev out":       func(m *pb.Tx) { m.Inputs[0].PrevOut = nil },
		"nil output":         func(m *pb.Tx) { m.Outputs[1] = nil },
		"txid 31":            func(m *pb.Tx) { m.Inputs[0].PrevOut.Txid = m.Inputs[0].PrevOut.Txid[:31] },
		"txid 33":            func(m *pb.Tx) { m.Inputs[0].PrevOut.Txid = append(cloneBytes(m.Inputs[0].PrevOut.Txid), 0) },
		"txid empty":         func(m *pb.Tx) { m.Inputs[1].PrevOut.Txid = nil },
		"signature 63":       func(m *pb.Tx) { m.Inputs[0].Signature = m.Inputs[0].Signature[:63] },
		"signature 65":       func(m *pb.Tx) { m.Inputs[1].Signature = append(cloneBytes(m.Inputs[1].Signature), 0) },
		"signature empty":    func(m *pb.Tx) { m.Inputs[0].Signature = nil },
		"pubkey 31":          func(m *pb.Tx) { m.Inputs[0].PubKey = m.Inputs[0].PubKey[:31] },
		"pubkey 33":          func(m *pb.Tx) { m.Inputs[1].PubKey = append(cloneBytes(m.Inputs[1].PubKey), 2) },
		"pubkey empty":       func(m *pb.Tx) { m.Inputs[1].PubKey = nil },
		"key hash 19":        func(m *pb.Tx) { m.Outputs[0].KeyHash = m.Outputs[0].KeyHash[:19] },
		"key hash 21":        func(m *pb.Tx) { m.Outputs[1].KeyHash = append(cloneBytes(m.Outputs[1].KeyHash), 0) },
		"key hash 32":        func(m *pb.Tx) { m.Outputs[1].KeyHash = make([]byte, 32) },
		"key hash empty":     func(m *pb.Tx) { m.Outputs[0].KeyHash = nil },
		"too many inputs":    func(m *pb.Tx) { m.Inputs = repeatIn(m.Inputs[0], MaxTxInputs+1) },
		"too many outputs":   func(m *pb.Tx) { m.Outputs = repeatOut(m.Outputs[0], MaxTxOutputs+1) },
		"too many, nil ones": func(m *pb.Tx) { m.Inputs = make([]*pb.TxIn, MaxTxInputs+1) },
	}
	for name, mutate := range cases {
		m := goodTxProto()
		mutate(m)
		if _, err := TxFromProto(m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func repeatIn(in *pb.TxIn, n int) []*pb.TxIn {
	s := make([]*pb.TxIn, n)
	for i := range s {
		s[i] = in
	}
	return s
}

func repeatOut(out *pb.TxOut, n int) []*pb.TxOut {
	s := make([]*pb.TxOut, n)
	for i := range s {
		s[i] = out
	}
	return s
}

func TestTxFromProtoAtLimits(t *testing.T) {
	m := goodTxProto()
	m.Inputs = repeatIn(m.Inputs[0], MaxTxInputs)
	if tx, err := TxFromProto(m); err != nil || len(tx.Inputs) != MaxTxInputs {
		t.Errorf("MaxTxInputs inputs: %v", err)
	}
	m = goodTxProto()
	m.Outputs = repeatOut(m.Outputs[0], MaxTxOutputs)
	if tx, err := TxFromProto(m); err != nil || len(tx.Outputs) != MaxTxOutputs {
		t.Errorf("MaxTxOutputs outputs: %v", err)
	}
}

func TestHeaderFromProtoRejects(t *testing.T) {
	good := func() *pb.BlockHeader { h := sampleHeader(4); return HeaderToProto(&h) }
	if _, err := HeaderFromProto(good()); err != nil {
		t.Fatal(err)
	}
	if _, err := HeaderFromProto(nil); err == nil {
		t.Error("nil header accepted")
	}
	for name, mutate := range map[string]func(*pb.BlockHeader){
		"prev 31":      func(m *pb.BlockHeader) { m.PrevBlock = m.PrevBlock[:31] },
		"prev 33":      func(m *pb.BlockHeader) { m.PrevBlock = append(cloneBytes(m.PrevBlock), 0) },
		"prev empty":   func(m *pb.BlockHeader) { m.PrevBlock = nil },
		"merkle 31":    func(m *pb.BlockHeader) { m.MerkleRoot = m.MerkleRoot[:31] },
		"merkle 33":    func(m *pb.BlockHeader) { m.MerkleRoot = append(cloneBytes(m.MerkleRoot), 0) },
		"merkle empty": func(m *pb.BlockHeader) { m.MerkleRoot = nil },
	} {
		m := good()
		mutate(m)
		if _, err := HeaderFromProto(m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBlockFromProtoRejects(t *testing.T) {
	good := func() *pb.Block { return BlockToProto(sampleBlock(3)) }
	if _, err := BlockFromProto(good()); err != nil {
		t.Fatal(err)
	}
	if _, err := BlockFromProto(nil); err == nil {
		t.Error("nil block accepted")
	}
	for name, mutate := range map[string]func(*pb.Block){
		"nil header":      func(m *pb.Block) { m.Header = nil },
		"bad header":      func(m *pb.Block) { m.Header.MerkleRoot = nil },
		"nil tx":          func(m *pb.Block) { m.Transactions[1] = nil },
		"bad tx":          func(m *pb.Block) { m.Transactions[2].Outputs[0].KeyHash = nil },
		"too many txs":    func(m *pb.Block) { m.Transactions = make([]*pb.Tx, MaxTxPerBlock+1) },
		"too many, valid": func(m *pb.Block) { m.Transactions = repeatTx(m.Transactions[0], MaxTxPerBlock+1) },
	} {
		m := good()
		mutate(m)
		if _, err := BlockFromProto(m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func repeatTx(tx *pb.Tx, n int) []*pb.Tx {
	s := make([]*pb.Tx, n)
	for i := range s {
		s[i] = tx
	}
	return s
}

// TestBlockFromProtoSizeCap: the canonical size, not the protobuf size or
// the counts, is what BlockFromProto caps.
func TestBlockFromProtoSizeCap(t *testing.T) {
	// Exactly MaxBlockSize: accepted.
	blk := maxSizeBlock()
	got, err := BlockFromProto(BlockToProto(blk))
	if err != nil {
		t.Fatalf("block of exactly MaxBlockSize rejected: %v", err)
	}
	if got.SerializeSize() != MaxBlockSize {
		t.Fatalf("size %d", got.SerializeSize())
	}

	// One more output (still within MaxTxOutputs): 28 bytes too many.
	m := BlockToProto(blk)
	tx := m.Transactions[0]
	tx.Outputs = append(tx.Outputs, tx.Outputs[0])
	if len(tx.Outputs) > MaxTxOutputs {
		t.Fatal("test premise: output count over the limit")
	}
	if _, err := BlockFromProto(m); err == nil {
		t.Error("block of MaxBlockSize+28 bytes accepted")
	}

	// The excess spread over several transactions, each well within the
	// per-tx limits: 2 txs of 4000 inputs are 2*528040 bytes.
	big := TxToProto(sampleTx(1, 1, 1))
	big.Inputs = repeatIn(big.Inputs[0], 4000)
	m = &pb.Block{Header: HeaderToProto(&blk.Header), Transactions: []*pb.Tx{big, big}}
	if _, err := BlockFromProto(m); err == nil {
		t.Error("block of two large transactions over MaxBlockSize accepted")
	}
	m.Transactions = m.Transactions[:1]
	if _, err := BlockFromProto(m); err != nil {
		t.Errorf("one large transaction rejected: %v", err)
	}
}

// TestFromProtoCopies: values converted from protobuf do not alias the
// message's byte slices.
func TestFromProtoCopies(t *testing.T) {
	m := goodTxProto()
	tx, err := TxFromProto(m)
	if err != nil {
		t.Fatal(err)
	}
	want := tx.Bytes()
	m.Inputs[0].Signature[0] ^= 0xff
	m.Inputs[0].PrevOut.Txid[0] ^= 0xff
	m.Outputs[0].KeyHash[0] ^= 0xff
	if !bytes.Equal(tx.Bytes(), want) {
		t.Error("tx changed when the message it came from was modified")
	}
}
