package wire

import (
	"bytes"
	"fmt"

	"powchain/proto/pb"
)

// Conversion between the domain types and their protobuf messages. FromProto
// functions are strict: every fixed-length field must have exactly its
// length, every list is bounded by the consensus-derived limits, and a
// required message that is missing is an error. Protobuf decoding itself
// (proto.Unmarshal) is the caller's business, except for a block, which
// UnmarshalBlock decodes from its bytes; these functions validate the
// decoded message. The ToProto functions copy every byte field, so the
// message never aliases the value it came from.

func fixedBytes(dst []byte, src []byte, what string) error {
	if len(src) != len(dst) {
		return fmt.Errorf("%s must be %d bytes, got %d", what, len(dst), len(src))
	}
	copy(dst, src)
	return nil
}

// OutPointToProto converts o.
func OutPointToProto(o OutPoint) *pb.OutPoint {
	return &pb.OutPoint{Txid: bytes.Clone(o.TxID[:]), Index: o.Index}
}

// OutPointFromProto converts and checks m.
func OutPointFromProto(m *pb.OutPoint) (OutPoint, error) {
	var o OutPoint
	if m == nil {
		return o, fmt.Errorf("outpoint missing")
	}
	if err := fixedBytes(o.TxID[:], m.GetTxid(), "outpoint txid"); err != nil {
		return o, err
	}
	o.Index = m.GetIndex()
	return o, nil
}

// TxToProto converts tx.
func TxToProto(tx *Tx) *pb.Tx {
	m := &pb.Tx{
		Version: tx.Version,
		Inputs:  make([]*pb.TxIn, len(tx.Inputs)),
		Outputs: make([]*pb.TxOut, len(tx.Outputs)),
	}
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		m.Inputs[i] = &pb.TxIn{
			PrevOut:   OutPointToProto(in.PrevOut),
			Signature: bytes.Clone(in.Signature[:]),
			PubKey:    bytes.Clone(in.PubKey[:]),
		}
	}
	for i := range tx.Outputs {
		out := &tx.Outputs[i]
		m.Outputs[i] = &pb.TxOut{Amount: out.Amount, KeyHash: bytes.Clone(out.KeyHash[:])}
	}
	return m
}

// TxFromProto converts and checks m.
func TxFromProto(m *pb.Tx) (*Tx, error) {
	if m == nil {
		return nil, fmt.Errorf("transaction missing")
	}
	if len(m.GetInputs()) > MaxTxInputs {
		return nil, fmt.Errorf("tx has %d inputs, limit %d", len(m.GetInputs()), MaxTxInputs)
	}
	if len(m.GetOutputs()) > MaxTxOutputs {
		return nil, fmt.Errorf("tx has %d outputs, limit %d", len(m.GetOutputs()), MaxTxOutputs)
	}
	tx := &Tx{Version: m.GetVersion()}
	if len(m.GetInputs()) > 0 {
		tx.Inputs = make([]TxIn, len(m.GetInputs()))
	}
	for i, mi := range m.GetInputs() {
		if err := txInFromProto(&tx.Inputs[i], mi); err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
	}
	if len(m.GetOutputs()) > 0 {
		tx.Outputs = make([]TxOut, len(m.GetOutputs()))
	}
	for i, mo := range m.GetOutputs() {
		tx.Outputs[i].Amount = mo.GetAmount()
		if err := fixedBytes(tx.Outputs[i].KeyHash[:], mo.GetKeyHash(), "output key hash"); err != nil {
			return nil, fmt.Errorf("output %d: %w", i, err)
		}
	}
	return tx, nil
}

func txInFromProto(in *TxIn, m *pb.TxIn) error {
	if m == nil {
		return fmt.Errorf("input missing")
	}
	var err error
	if in.PrevOut, err = OutPointFromProto(m.GetPrevOut()); err != nil {
		return err
	}
	if err := fixedBytes(in.Signature[:], m.GetSignature(), "signature"); err != nil {
		return err
	}
	return fixedBytes(in.PubKey[:], m.GetPubKey(), "public key")
}

// HeaderToProto converts h.
func HeaderToProto(h *BlockHeader) *pb.BlockHeader {
	return &pb.BlockHeader{
		Version:    h.Version,
		PrevBlock:  bytes.Clone(h.PrevBlock[:]),
		MerkleRoot: bytes.Clone(h.MerkleRoot[:]),
		Timestamp:  h.Timestamp,
		Bits:       h.Bits,
		Nonce:      h.Nonce,
	}
}

// HeaderFromProto converts and checks m.
func HeaderFromProto(m *pb.BlockHeader) (BlockHeader, error) {
	var h BlockHeader
	if m == nil {
		return h, fmt.Errorf("block header missing")
	}
	if err := fixedBytes(h.PrevBlock[:], m.GetPrevBlock(), "prev block hash"); err != nil {
		return h, err
	}
	if err := fixedBytes(h.MerkleRoot[:], m.GetMerkleRoot(), "merkle root"); err != nil {
		return h, err
	}
	h.Version = m.GetVersion()
	h.Timestamp = m.GetTimestamp()
	h.Bits = m.GetBits()
	h.Nonce = m.GetNonce()
	return h, nil
}

// BlockToProto converts b.
func BlockToProto(b *Block) *pb.Block {
	m := &pb.Block{Header: HeaderToProto(&b.Header), Transactions: make([]*pb.Tx, len(b.Transactions))}
	for i, tx := range b.Transactions {
		m.Transactions[i] = TxToProto(tx)
	}
	return m
}

// BlockFromProto converts and checks m. Besides the per-field checks it
// refuses a block whose canonical encoding would exceed MaxBlockSize, so a
// decoded block always re-encodes within the consensus limit.
func BlockFromProto(m *pb.Block) (*Block, error) {
	if m == nil {
		return nil, fmt.Errorf("block missing")
	}
	if len(m.GetTransactions()) > MaxTxPerBlock {
		return nil, fmt.Errorf("block has %d transactions, limit %d", len(m.GetTransactions()), MaxTxPerBlock)
	}
	h, err := HeaderFromProto(m.GetHeader())
	if err != nil {
		return nil, err
	}
	b := &Block{Header: h, Transactions: make([]*Tx, len(m.GetTransactions()))}
	size := blockOverhead
	for i, mt := range m.GetTransactions() {
		tx, err := TxFromProto(mt)
		if err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
		if size += tx.SerializeSize(); size > MaxBlockSize {
			return nil, fmt.Errorf("block encoding exceeds %d bytes", MaxBlockSize)
		}
		b.Transactions[i] = tx
	}
	return b, nil
}
