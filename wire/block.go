package wire

import (
	"encoding/binary"
	"time"
)

// Offsets of the header fields in the canonical encoding. The first 64 bytes
// (version, prev block, most of the merkle root) are one SHA-256 block that a
// miner compresses once per template; only the tail changes per nonce.
const (
	HeaderTimestampOffset = 4 + HashSize + HashSize
	HeaderBitsOffset      = HeaderTimestampOffset + 8
	HeaderNonceOffset     = HeaderBitsOffset + 4
)

// BlockHeader commits to a block: its parent, its transactions (merkle root),
// its time and its proof of work.
type BlockHeader struct {
	Version    uint32
	PrevBlock  Hash
	MerkleRoot Hash
	Timestamp  int64 // seconds since the Unix epoch
	Bits       uint32
	Nonce      uint32
}

// Encode appends the 84-byte canonical encoding of h.
func (h *BlockHeader) Encode(b []byte) []byte {
	b = appendUint32(b, h.Version)
	b = append(b, h.PrevBlock[:]...)
	b = append(b, h.MerkleRoot[:]...)
	b = appendUint64(b, uint64(h.Timestamp))
	b = appendUint32(b, h.Bits)
	return appendUint32(b, h.Nonce)
}

// Bytes returns the canonical encoding of h.
func (h *BlockHeader) Bytes() []byte { return h.Encode(make([]byte, 0, HeaderSize)) }

// BlockHash is the block id: SHA-256d of the encoded header.
func (h *BlockHeader) BlockHash() Hash {
	var buf [HeaderSize]byte
	return DoubleSHA256(h.Encode(buf[:0]))
}

// Time returns the header timestamp as a time.Time.
func (h *BlockHeader) Time() time.Time { return time.Unix(h.Timestamp, 0) }

// DecodeBlockHeader decodes exactly one encoded header.
func DecodeBlockHeader(b []byte) (*BlockHeader, error) {
	d := decoder{buf: b}
	h := d.header()
	if err := d.finish(); err != nil {
		return nil, err
	}
	return &h, nil
}

func (d *decoder) header() BlockHeader {
	return BlockHeader{
		Version:    d.uint32("header version"),
		PrevBlock:  d.hash("header prev block"),
		MerkleRoot: d.hash("header merkle root"),
		Timestamp:  int64(d.uint64("header timestamp")),
		Bits:       d.uint32("header bits"),
		Nonce:      d.uint32("header nonce"),
	}
}

// PutNonce writes nonce into an encoded header in place.
func PutNonce(encodedHeader []byte, nonce uint32) {
	binary.LittleEndian.PutUint32(encodedHeader[HeaderNonceOffset:], nonce)
}

// Block is a header and its transactions, the coinbase first.
type Block struct {
	Header       BlockHeader
	Transactions []*Tx
}

// BlockHash is the id of the block's header.
func (b *Block) BlockHash() Hash { return b.Header.BlockHash() }

// SerializeSize is the length of the block's canonical encoding; consensus
// caps it at MaxBlockSize.
func (b *Block) SerializeSize() int {
	n := blockOverhead
	for _, tx := range b.Transactions {
		n += tx.SerializeSize()
	}
	return n
}

// Encode appends the canonical encoding of the block: header, transaction
// count, transactions.
func (b *Block) Encode(buf []byte) []byte {
	buf = b.Header.Encode(buf)
	buf = appendUint32(buf, uint32(len(b.Transactions)))
	for _, tx := range b.Transactions {
		buf = tx.Encode(buf)
	}
	return buf
}

// Bytes returns the canonical encoding of the block.
func (b *Block) Bytes() []byte { return b.Encode(make([]byte, 0, b.SerializeSize())) }

// TxIDs returns the id of every transaction, in block order. Each is
// TxID, computed over one buffer that every transaction's encoding reuses:
// a full block's ids cost one allocation, not one per transaction.
func (b *Block) TxIDs() []Hash {
	ids := make([]Hash, len(b.Transactions))
	var buf []byte
	for i, tx := range b.Transactions {
		buf = tx.Encode(buf[:0])
		ids[i] = DoubleSHA256(buf)
	}
	return ids
}

// DecodeBlock decodes exactly one canonically encoded block. Input longer
// than MaxBlockSize is refused before anything is decoded.
func DecodeBlock(b []byte) (*Block, error) {
	if len(b) > MaxBlockSize {
		d := decoder{}
		d.fail("block encoding is %d bytes, more than the %d-byte limit", len(b), MaxBlockSize)
		return nil, d.err
	}
	d := decoder{buf: b}
	blk := &Block{Header: d.header()}
	if n := d.count("block transaction", MaxTxPerBlock, txOverhead); n > 0 {
		blk.Transactions = make([]*Tx, 0, n)
		for range n {
			tx := d.tx()
			if tx == nil {
				break
			}
			blk.Transactions = append(blk.Transactions, tx)
		}
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return blk, nil
}
