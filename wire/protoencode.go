package wire

import "google.golang.org/protobuf/encoding/protowire"

// MarshalBlock returns the protobuf encoding of b, byte for byte what
// proto.Marshal(BlockToProto(b)) returns, written straight from b: no
// message is built, so a full block costs one allocation instead of tens
// of thousands (blocks are marshalled to be stored and to be sent). Like
// proto.Marshal it writes fields in number order and leaves out scalar
// fields that are zero; byte fields are never empty here, and every
// message field BlockToProto sets is written, even when empty.
func MarshalBlock(b *Block) []byte {
	hdr := headerProtoSize(&b.Header)
	size := protowire.SizeTag(1) + protowire.SizeBytes(hdr)
	for _, tx := range b.Transactions {
		size += protowire.SizeTag(2) + protowire.SizeBytes(txProtoSize(tx))
	}
	buf := make([]byte, 0, size)
	buf = appendMessageHead(buf, 1, hdr)
	buf = appendHeaderProto(buf, &b.Header)
	for _, tx := range b.Transactions {
		buf = appendMessageHead(buf, 2, txProtoSize(tx))
		buf = appendTxProto(buf, tx)
	}
	return buf
}

// appendMessageHead appends the tag and length of field num, a message of
// size bytes.
func appendMessageHead(b []byte, num protowire.Number, size int) []byte {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.BytesType), uint64(size))
}

func sizeVarintField(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

func sizeBytesField(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
}

// headerProtoSize and appendHeaderProto: pb.BlockHeader.
func headerProtoSize(h *BlockHeader) int {
	return sizeVarintField(1, uint64(h.Version)) + 2*sizeBytesField(2, HashSize) +
		sizeVarintField(4, uint64(h.Timestamp)) + sizeVarintField(5, uint64(h.Bits)) + sizeVarintField(6, uint64(h.Nonce))
}

func appendHeaderProto(b []byte, h *BlockHeader) []byte {
	b = appendVarintField(b, 1, uint64(h.Version))
	b = appendBytesField(b, 2, h.PrevBlock[:])
	b = appendBytesField(b, 3, h.MerkleRoot[:])
	b = appendVarintField(b, 4, uint64(h.Timestamp))
	b = appendVarintField(b, 5, uint64(h.Bits))
	return appendVarintField(b, 6, uint64(h.Nonce))
}

// txProtoSize and appendTxProto: pb.Tx.
func txProtoSize(tx *Tx) int {
	size := sizeVarintField(1, uint64(tx.Version))
	for i := range tx.Inputs {
		size += sizeBytesField(2, txInProtoSize(&tx.Inputs[i]))
	}
	for i := range tx.Outputs {
		size += sizeBytesField(3, txOutProtoSize(&tx.Outputs[i]))
	}
	return size
}

func appendTxProto(b []byte, tx *Tx) []byte {
	b = appendVarintField(b, 1, uint64(tx.Version))
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		b = appendMessageHead(b, 2, txInProtoSize(in))
		b = appendMessageHead(b, 1, outPointProtoSize(in.PrevOut))
		b = appendBytesField(b, 1, in.PrevOut.TxID[:])
		b = appendVarintField(b, 2, uint64(in.PrevOut.Index))
		b = appendBytesField(b, 2, in.Signature[:])
		b = appendBytesField(b, 3, in.PubKey[:])
	}
	for i := range tx.Outputs {
		out := &tx.Outputs[i]
		b = appendMessageHead(b, 3, txOutProtoSize(out))
		b = appendVarintField(b, 1, out.Amount)
		b = appendBytesField(b, 2, out.KeyHash[:])
	}
	return b
}

func outPointProtoSize(o OutPoint) int {
	return sizeBytesField(1, HashSize) + sizeVarintField(2, uint64(o.Index))
}

func txInProtoSize(in *TxIn) int {
	return sizeBytesField(1, outPointProtoSize(in.PrevOut)) + sizeBytesField(2, len(in.Signature)) + sizeBytesField(3, len(in.PubKey))
}

func txOutProtoSize(out *TxOut) int {
	return sizeVarintField(1, out.Amount) + sizeBytesField(2, len(out.KeyHash))
}
