package wire

// Consensus size limits. They are the same on every network, so they live
// with the encoding; every other count limit is derived from MaxBlockSize so
// that decoding is never stricter than consensus.
const (
	// MaxBlockSize is the largest canonical encoding of a valid block, in bytes.
	MaxBlockSize = 1_000_000

	// HeaderSize is the size of an encoded BlockHeader.
	HeaderSize = 4 + HashSize + HashSize + 8 + 4 + 4

	// OutPointSize, TxInSize and TxOutSize are the encoded sizes of one
	// outpoint, input and output.
	OutPointSize = HashSize + 4
	TxInSize     = OutPointSize + SignatureSize + PubKeySize
	TxOutSize    = 8 + KeyHashSize

	// txOverhead is the fixed part of an encoded transaction: version and
	// the two counts.
	txOverhead = 4 + 4 + 4

	// MinTxSize is the smallest encoded transaction that can be valid: one
	// input and one output.
	MinTxSize = txOverhead + TxInSize + TxOutSize

	// blockOverhead is the fixed part of an encoded block: header and count.
	blockOverhead = HeaderSize + 4

	// MaxTxSize is the largest transaction that fits in a block beside the
	// smallest coinbase.
	MaxTxSize = MaxBlockSize - blockOverhead - MinTxSize

	// MaxTxPerBlock bounds the transaction count of a block.
	MaxTxPerBlock = (MaxBlockSize - blockOverhead) / MinTxSize

	// MaxTxInputs and MaxTxOutputs bound the lists of one transaction.
	// Inputs: a transaction with more than one sits beside a coinbase,
	// so within MaxTxSize. Outputs: a coinbase alone in its block, with
	// its one input, may take every byte but the block's overhead.
	MaxTxInputs  = (MaxTxSize - txOverhead - TxOutSize) / TxInSize
	MaxTxOutputs = (MaxBlockSize - blockOverhead - txOverhead - TxInSize) / TxOutSize

	// CoinValue is the number of base units in one coin.
	CoinValue = 100_000_000

	// MaxMoney is the largest amount any output, any sum of outputs and any
	// sum of inputs may carry: 21 million coins.
	MaxMoney = 21_000_000 * CoinValue
)
