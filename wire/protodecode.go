package wire

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
)

// UnmarshalBlock decodes the protobuf encoding of a pb.Block and converts
// it: the same block, or an error exactly when proto.Unmarshal followed by
// BlockFromProto gives one. Blocks come from peers and from the store in
// the canonical encoding MarshalBlock writes, and that encoding is read
// straight into the block, one pass counting and one filling, in five
// allocations for any size: the block, its transaction pointers, the
// transactions, and one array each for all inputs and all outputs, which
// the transactions' slices share with capacities cut to their lengths (an
// append never reaches a neighbour; a transaction kept after its block
// keeps those arrays alive). Anything else protobuf allows (unknown
// fields, fields out of order or repeated, non-minimal varints, zero
// scalars written out) and anything BlockFromProto refuses (missing or
// wrong-sized fields, counts over a limit) goes through proto.Unmarshal
// and BlockFromProto, so their rules and their errors hold unchanged.
func UnmarshalBlock(b []byte) (*Block, error) {
	if blk := UnmarshalCanonicalBlock(b); blk != nil {
		return blk, nil
	}
	var m pb.Block
	if err := proto.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return BlockFromProto(&m)
}

// protoReader reads the canonical encoding of one message: known fields in
// number order, minimal varints. Its methods return false on anything
// else, and the caller then leaves the fast path.
type protoReader struct {
	buf []byte
}

func (r *protoReader) done() bool { return len(r.buf) == 0 }

// peek returns the number and type of the next field's tag without
// consuming it; ok is false at the end or on a tag that is not minimal.
func (r *protoReader) peek() (num protowire.Number, typ protowire.Type, n int, ok bool) {
	if len(r.buf) > 0 && r.buf[0] < 0x80 { // every tag of pb.Block's messages is one byte
		return protowire.Number(r.buf[0] >> 3), protowire.Type(r.buf[0] & 7), 1, true
	}
	num, typ, n = protowire.ConsumeTag(r.buf)
	return num, typ, n, n > 0 && n == protowire.SizeTag(num)
}

// at reports whether the next field is num with wire type typ, consuming
// its tag if so.
func (r *protoReader) at(num protowire.Number, typ protowire.Type) bool {
	gotNum, gotTyp, n, ok := r.peek()
	if !ok || gotNum != num || gotTyp != typ {
		return false
	}
	r.buf = r.buf[n:]
	return true
}

func (r *protoReader) varint() (uint64, bool) {
	if len(r.buf) > 0 && r.buf[0] < 0x80 { // lengths of fixed fields and small values
		v := uint64(r.buf[0])
		r.buf = r.buf[1:]
		return v, true
	}
	v, n := protowire.ConsumeVarint(r.buf)
	if n <= 0 || n != protowire.SizeVarint(v) {
		return 0, false
	}
	r.buf = r.buf[n:]
	return v, true
}

// bytes reads a length-delimited value.
func (r *protoReader) bytes() ([]byte, bool) {
	size, ok := r.varint()
	if !ok || size > uint64(len(r.buf)) {
		return nil, false
	}
	v := r.buf[:size]
	r.buf = r.buf[size:]
	return v, true
}

// optionalVarint reads field num if it comes next: proto3 leaves out a
// zero scalar, so absence is zero. A canonical writer never writes a zero
// nor a value wider than max.
func (r *protoReader) optionalVarint(num protowire.Number, max uint64) (uint64, bool) {
	if !r.at(num, protowire.VarintType) {
		return 0, true
	}
	v, ok := r.varint()
	return v, ok && v != 0 && v <= max
}

// fixed reads field num, a bytes field that must come next and be exactly
// len(dst) bytes, into dst.
func (r *protoReader) fixed(num protowire.Number, dst []byte) bool {
	if !r.at(num, protowire.BytesType) {
		return false
	}
	v, ok := r.bytes()
	if !ok || len(v) != len(dst) {
		return false
	}
	copy(dst, v)
	return true
}

// message reads field num, a message that must come next, and returns a
// reader over its body.
func (r *protoReader) message(num protowire.Number) (protoReader, bool) {
	if !r.at(num, protowire.BytesType) {
		return protoReader{}, false
	}
	body, ok := r.bytes()
	return protoReader{buf: body}, ok
}

// blockShape is what the first pass over a canonical block counts, so the
// second allocates everything at once.
type blockShape struct {
	txs, inputs, outputs int
}

// UnmarshalCanonicalBlock decodes b if it is a canonical pb.Block encoding
// of a block BlockFromProto accepts; otherwise it returns nil. It never
// builds protobuf messages, and allocates only for counts whose canonical
// size fits MaxBlockSize, so it is safe on any input; UnmarshalBlock takes
// anything else through proto.Unmarshal, which builds every element of
// every list first.
func UnmarshalCanonicalBlock(b []byte) *Block {
	shape, ok := canonicalBlockShape(b)
	if !ok {
		return nil
	}
	blk := &Block{Transactions: make([]*Tx, shape.txs)}
	txs := make([]Tx, shape.txs)
	inputs := make([]TxIn, shape.inputs)
	outputs := make([]TxOut, shape.outputs)
	r := protoReader{buf: b}
	hdr, _ := r.message(1)
	if !readHeader(&hdr, &blk.Header) {
		return nil
	}
	size := blockOverhead
	for i := range txs {
		body, _ := r.message(2)
		tx := &txs[i]
		var ok bool
		if inputs, outputs, ok = readTx(&body, tx, inputs, outputs); !ok {
			return nil
		}
		if size += tx.SerializeSize(); size > MaxBlockSize {
			return nil
		}
		blk.Transactions[i] = tx
	}
	return blk
}

// canonicalBlockShape counts the transactions of b and their inputs and
// outputs, checking the block and transaction levels of the canonical
// layout, the count limits and that the canonical size the counts imply
// fits MaxBlockSize (before anything is allocated for them: an empty input
// takes 2 bytes of b but TxInSize in the block); the fields inside
// headers, inputs and outputs are checked as they are read.
func canonicalBlockShape(b []byte) (blockShape, bool) {
	var shape blockShape
	size := blockOverhead
	r := protoReader{buf: b}
	if _, ok := r.message(1); !ok {
		return shape, false
	}
	for !r.done() {
		tx, ok := r.message(2)
		if !ok {
			return shape, false
		}
		if _, ok := tx.optionalVarint(1, math.MaxUint32); !ok {
			return shape, false
		}
		ins, ok := countRepeated(&tx, 2)
		if !ok || ins > MaxTxInputs {
			return shape, false
		}
		outs, ok := countRepeated(&tx, 3)
		if !ok || outs > MaxTxOutputs || !tx.done() {
			return shape, false
		}
		shape.txs++
		shape.inputs += ins
		shape.outputs += outs
		size += txOverhead + ins*TxInSize + outs*TxOutSize
		if size > MaxBlockSize {
			return shape, false
		}
	}
	return shape, shape.txs <= MaxTxPerBlock
}

// countRepeated skips and counts the consecutive occurrences of message
// field num.
func countRepeated(r *protoReader, num protowire.Number) (int, bool) {
	n := 0
	for {
		if gotNum, _, _, ok := r.peek(); !ok || gotNum != num {
			return n, true
		}
		if _, ok := r.message(num); !ok {
			return n, false
		}
		n++
	}
}

func readHeader(r *protoReader, h *BlockHeader) bool {
	version, ok1 := r.optionalVarint(1, math.MaxUint32)
	ok2 := ok1 && r.fixed(2, h.PrevBlock[:]) && r.fixed(3, h.MerkleRoot[:])
	timestamp, ok3 := r.optionalVarint(4, math.MaxUint64)
	bits, ok4 := r.optionalVarint(5, math.MaxUint32)
	nonce, ok5 := r.optionalVarint(6, math.MaxUint32)
	h.Version, h.Timestamp, h.Bits, h.Nonce = uint32(version), int64(timestamp), uint32(bits), uint32(nonce)
	return ok2 && ok3 && ok4 && ok5 && r.done()
}

// readTx reads one transaction whose layout canonicalBlockShape checked,
// taking its inputs and outputs from the front of the shared arrays and
// returning what is left of them.
func readTx(r *protoReader, tx *Tx, inputs []TxIn, outputs []TxOut) ([]TxIn, []TxOut, bool) {
	version, _ := r.optionalVarint(1, math.MaxUint32)
	tx.Version = uint32(version)
	var ok bool
	if tx.Inputs, inputs, ok = readRepeated(r, 2, inputs, readTxIn); !ok {
		return nil, nil, false
	}
	tx.Outputs, outputs, ok = readRepeated(r, 3, outputs, readTxOut)
	return inputs, outputs, ok
}

// readRepeated reads the consecutive occurrences of message field num into
// the front of free with read, and returns them (nil if there are none, as
// BlockFromProto leaves an empty list) and the rest of free.
func readRepeated[T any](r *protoReader, num protowire.Number, free []T, read func(protoReader, *T) bool) (taken, rest []T, ok bool) {
	n := 0
	for ; r.at(num, protowire.BytesType); n++ {
		body, ok := r.bytes()
		if !ok || !read(protoReader{buf: body}, &free[n]) {
			return nil, nil, false
		}
	}
	if n == 0 {
		return nil, free, true
	}
	return free[:n:n], free[n:], true
}

func readTxIn(r protoReader, in *TxIn) bool {
	prevOut, ok := r.message(1)
	if !ok || !prevOut.fixed(1, in.PrevOut.TxID[:]) {
		return false
	}
	index, ok := prevOut.optionalVarint(2, math.MaxUint32)
	in.PrevOut.Index = uint32(index)
	return ok && prevOut.done() && r.fixed(2, in.Signature[:]) && r.fixed(3, in.PubKey[:]) && r.done()
}

func readTxOut(r protoReader, out *TxOut) bool {
	amount, ok := r.optionalVarint(1, math.MaxUint64)
	out.Amount = amount
	return ok && r.fixed(2, out.KeyHash[:]) && r.done()
}
