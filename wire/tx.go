package wire

import "encoding/binary"

// Sizes of the fixed-length fields of an input and an output.
const (
	SignatureSize = 64 // BIP340 Schnorr signature
	PubKeySize    = 32 // BIP340 x-only public key
	KeyHashSize   = 20 // truncated tagged hash of a public key
)

// KeyHash identifies the owner of an output: see HashPubKey.
type KeyHash [KeyHashSize]byte

// OutPoint names output Index of transaction TxID.
type OutPoint struct {
	TxID  Hash
	Index uint32
}

// NullOutPoint is the outpoint of a coinbase input: zero txid, index 2^32-1.
var NullOutPoint = OutPoint{Index: ^uint32(0)}

// IsNull reports whether o is the coinbase's null outpoint.
func (o OutPoint) IsNull() bool { return o == NullOutPoint }

// Encode appends the 36-byte encoding of o (txid, index LE).
func (o OutPoint) Encode(b []byte) []byte {
	b = append(b, o.TxID[:]...)
	return appendUint32(b, o.Index)
}

// TxIn spends PrevOut. Signature is a BIP340 signature over the tx's sighash
// by PubKey, whose key hash must equal the spent output's. In a coinbase the
// signature field carries the coinbase data instead (see CoinbaseData).
type TxIn struct {
	PrevOut   OutPoint
	Signature [SignatureSize]byte
	PubKey    [PubKeySize]byte
}

// TxOut pays Amount base units to the owner of KeyHash.
type TxOut struct {
	Amount  uint64
	KeyHash KeyHash
}

// Tx is a transaction. Coinbase transactions have exactly one input, whose
// outpoint is null.
type Tx struct {
	Version uint32
	Inputs  []TxIn
	Outputs []TxOut
}

// IsCoinbase reports whether tx has the shape of a coinbase: a single input
// spending the null outpoint.
func (tx *Tx) IsCoinbase() bool {
	return len(tx.Inputs) == 1 && tx.Inputs[0].PrevOut.IsNull()
}

// SerializeSize is the length of tx's canonical encoding.
func (tx *Tx) SerializeSize() int {
	return txOverhead + len(tx.Inputs)*TxInSize + len(tx.Outputs)*TxOutSize
}

// Encode appends the canonical encoding of tx to b.
func (tx *Tx) Encode(b []byte) []byte {
	return tx.encode(b, true)
}

// Bytes returns the canonical encoding of tx.
func (tx *Tx) Bytes() []byte {
	return tx.Encode(make([]byte, 0, tx.SerializeSize()))
}

// encode writes the canonical encoding, with or without the signature fields.
// Without them it is the signature message's body: everything but signatures.
func (tx *Tx) encode(b []byte, withSignatures bool) []byte {
	b = appendUint32(b, tx.Version)
	b = appendUint32(b, uint32(len(tx.Inputs)))
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		b = in.PrevOut.Encode(b)
		if withSignatures {
			b = append(b, in.Signature[:]...)
		}
		b = append(b, in.PubKey[:]...)
	}
	b = appendUint32(b, uint32(len(tx.Outputs)))
	for i := range tx.Outputs {
		b = appendUint64(b, tx.Outputs[i].Amount)
		b = append(b, tx.Outputs[i].KeyHash[:]...)
	}
	return b
}

// TxID is SHA-256d of the canonical encoding, signatures included, so a
// block's merkle root commits to every byte of every transaction.
func (tx *Tx) TxID() Hash {
	return DoubleSHA256(tx.Bytes())
}

// SigHashTag separates the signature message from every other hash.
const SigHashTag = "powchain/sighash"

// SigHash is the message every input of tx signs: the tagged hash of the
// canonical encoding with the 64-byte signature fields left out. It commits
// to every other field, so a signature cannot be moved to another tx.
func (tx *Tx) SigHash() Hash {
	size := tx.SerializeSize() - len(tx.Inputs)*SignatureSize
	return TaggedHash(SigHashTag, tx.encode(make([]byte, 0, size), false))
}

// DecodeTx decodes exactly one canonically encoded transaction. Its size
// is bounded by its input; whether it fits in a block is for consensus.
func DecodeTx(b []byte) (*Tx, error) {
	d := decoder{buf: b}
	tx := d.tx()
	if err := d.finish(); err != nil {
		return nil, err
	}
	return tx, nil
}

func (d *decoder) tx() *Tx {
	tx := &Tx{Version: d.uint32("tx version")}
	if n := d.count("tx input", MaxTxInputs, TxInSize); n > 0 {
		tx.Inputs = make([]TxIn, n)
		for i := range tx.Inputs {
			in := &tx.Inputs[i]
			in.PrevOut.TxID = d.hash("input txid")
			in.PrevOut.Index = d.uint32("input index")
			copy(in.Signature[:], d.take(SignatureSize, "input signature"))
			copy(in.PubKey[:], d.take(PubKeySize, "input public key"))
		}
	}
	if n := d.count("tx output", MaxTxOutputs, TxOutSize); n > 0 {
		tx.Outputs = make([]TxOut, n)
		for i := range tx.Outputs {
			tx.Outputs[i].Amount = d.uint64("output amount")
			copy(tx.Outputs[i].KeyHash[:], d.take(KeyHashSize, "output key hash"))
		}
	}
	if d.err != nil {
		return nil
	}
	return tx
}

// Layout of the coinbase data carried in the signature field of a coinbase
// input: the block height (so coinbase txids are unique, as in BIP34), an
// extra nonce the miner rolls when the header nonce runs out, and a free tag.
const (
	coinbaseHeightOffset     = 0
	coinbaseExtraNonceOffset = 8
	coinbaseTagOffset        = 16
	// CoinbaseTagSize is how many bytes of free data a coinbase can carry.
	CoinbaseTagSize = SignatureSize - coinbaseTagOffset
)

// CoinbaseData is what a coinbase input carries in its signature field.
type CoinbaseData struct {
	Height     uint64
	ExtraNonce uint64
	Tag        [CoinbaseTagSize]byte
}

// NewCoinbaseTx builds a coinbase transaction: one input with the null
// outpoint and the given data, paying outputs.
func NewCoinbaseTx(data CoinbaseData, outputs []TxOut) *Tx {
	in := TxIn{PrevOut: NullOutPoint}
	binary.LittleEndian.PutUint64(in.Signature[coinbaseHeightOffset:], data.Height)
	binary.LittleEndian.PutUint64(in.Signature[coinbaseExtraNonceOffset:], data.ExtraNonce)
	copy(in.Signature[coinbaseTagOffset:], data.Tag[:])
	return &Tx{Version: 1, Inputs: []TxIn{in}, Outputs: outputs}
}

// Coinbase returns the data of a coinbase input; ok is false if tx is not a
// coinbase.
func (tx *Tx) Coinbase() (data CoinbaseData, ok bool) {
	if !tx.IsCoinbase() {
		return data, false
	}
	sig := tx.Inputs[0].Signature[:]
	data.Height = binary.LittleEndian.Uint64(sig[coinbaseHeightOffset:])
	data.ExtraNonce = binary.LittleEndian.Uint64(sig[coinbaseExtraNonceOffset:])
	copy(data.Tag[:], sig[coinbaseTagOffset:])
	return data, true
}
