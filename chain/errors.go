package chain

import (
	"errors"
	"fmt"
)

// ErrorCode identifies the consensus rule a block or transaction broke.
// Codes are stable: the p2p layer bans on them and the RPC reports them.
type ErrorCode int

// The consensus rules, one code each. docs/ARCHITECTURE.md lists them with
// the tests that hit them.
const (
	// ErrDuplicateBlock: the block's data is already stored (or queued as an
	// orphan).
	ErrDuplicateBlock ErrorCode = iota + 1
	// ErrKnownInvalid: the block was already found invalid.
	ErrKnownInvalid
	// ErrInvalidAncestor: the block builds on a block known to be invalid.
	ErrInvalidAncestor
	// ErrBadBits: the compact target is negative, zero, overflows or is
	// easier than the network's proof-of-work limit.
	ErrBadBits
	// ErrHighHash: the block id is above the target (no proof of work).
	ErrHighHash
	// ErrUnexpectedBits: the target differs from what aserti3-2d requires
	// after the parent.
	ErrUnexpectedBits
	// ErrTimeTooOld: the timestamp is not above the median of the previous
	// eleven blocks.
	ErrTimeTooOld
	// ErrTimeTooNew: the timestamp is more than two hours in the future. Not
	// a permanent failure: the block may become valid later.
	ErrTimeTooNew
	// ErrBlockTooBig: the encoded block exceeds wire.MaxBlockSize.
	ErrBlockTooBig
	// ErrNoTransactions: the block has no transactions (not even a coinbase).
	ErrNoTransactions
	// ErrFirstTxNotCoinbase: the first transaction is not a coinbase.
	ErrFirstTxNotCoinbase
	// ErrMultipleCoinbases: a transaction after the first is a coinbase.
	ErrMultipleCoinbases
	// ErrBadCoinbaseHeight: the coinbase does not carry the block's height.
	ErrBadCoinbaseHeight
	// ErrBadMerkleRoot: the header's merkle root does not match the
	// transactions. The data is corrupt, not the block: never marked invalid.
	ErrBadMerkleRoot
	// ErrDuplicateTx: two transactions have the same txid (this includes
	// the CVE-2012-2459 merkle mutation; never marked invalid either).
	ErrDuplicateTx
	// ErrNoTxInputs: a transaction has no inputs.
	ErrNoTxInputs
	// ErrNoTxOutputs: a transaction has no outputs.
	ErrNoTxOutputs
	// ErrBadTxOutValue: an output amount, or the sum of a transaction's
	// outputs, exceeds wire.MaxMoney.
	ErrBadTxOutValue
	// ErrDuplicateTxInputs: a transaction spends the same outpoint twice.
	ErrDuplicateTxInputs
	// ErrBadTxInput: a non-coinbase transaction spends the null outpoint.
	ErrBadTxInput
	// ErrMissingTxOut: an input spends an output that does not exist or is
	// already spent (double spends, in a block or across blocks).
	ErrMissingTxOut
	// ErrImmatureSpend: an input spends a coinbase output before it matured.
	ErrImmatureSpend
	// ErrSpendTooHigh: a transaction's outputs exceed its inputs.
	ErrSpendTooHigh
	// ErrBadCoinbaseValue: the coinbase pays more than subsidy plus fees.
	ErrBadCoinbaseValue
	// ErrKeyHashMismatch: an input's public key does not hash to the key
	// hash of the output it spends.
	ErrKeyHashMismatch
	// ErrBadSignature: an input's signature does not verify.
	ErrBadSignature

	numErrorCodes // one more than the last code; for the table's test
)

// errorCodeText holds each code's name and its BIP 22 reason string, the
// one submitblock and getblocktemplate proposals answer with. Reasons are
// Bitcoin Core's where Core has the rule, and the mempool's reject reason
// for the transaction rules (mempool.RejectCode maps onto these codes).
var errorCodeText = map[ErrorCode]struct{ name, reason string }{
	ErrDuplicateBlock:     {"ErrDuplicateBlock", "duplicate"},
	ErrKnownInvalid:       {"ErrKnownInvalid", "duplicate-invalid"},
	ErrInvalidAncestor:    {"ErrInvalidAncestor", "bad-prevblk"},
	ErrBadBits:            {"ErrBadBits", "bad-diffbits-range"},
	ErrHighHash:           {"ErrHighHash", "high-hash"},
	ErrUnexpectedBits:     {"ErrUnexpectedBits", "bad-diffbits"},
	ErrTimeTooOld:         {"ErrTimeTooOld", "time-too-old"},
	ErrTimeTooNew:         {"ErrTimeTooNew", "time-too-new"},
	ErrBlockTooBig:        {"ErrBlockTooBig", "bad-blk-length"},
	ErrNoTransactions:     {"ErrNoTransactions", "bad-blk-notx"},
	ErrFirstTxNotCoinbase: {"ErrFirstTxNotCoinbase", "bad-cb-missing"},
	ErrMultipleCoinbases:  {"ErrMultipleCoinbases", "bad-cb-multiple"},
	ErrBadCoinbaseHeight:  {"ErrBadCoinbaseHeight", "bad-cb-height"},
	ErrBadMerkleRoot:      {"ErrBadMerkleRoot", "bad-txnmrklroot"},
	ErrDuplicateTx:        {"ErrDuplicateTx", "bad-txns-duplicate"},
	ErrNoTxInputs:         {"ErrNoTxInputs", "bad-txns-vin-empty"},
	ErrNoTxOutputs:        {"ErrNoTxOutputs", "bad-txns-vout-empty"},
	ErrBadTxOutValue:      {"ErrBadTxOutValue", "bad-txns-vout-toolarge"},
	ErrDuplicateTxInputs:  {"ErrDuplicateTxInputs", "bad-txns-inputs-duplicate"},
	ErrBadTxInput:         {"ErrBadTxInput", "bad-txns-nulloutpoint"},
	ErrMissingTxOut:       {"ErrMissingTxOut", "bad-txns-inputs-missingorspent"},
	ErrImmatureSpend:      {"ErrImmatureSpend", "bad-txns-premature-spend-of-coinbase"},
	ErrSpendTooHigh:       {"ErrSpendTooHigh", "bad-txns-in-belowout"},
	ErrBadCoinbaseValue:   {"ErrBadCoinbaseValue", "bad-cb-amount"},
	ErrKeyHashMismatch:    {"ErrKeyHashMismatch", "bad-txns-keyhash-mismatch"},
	ErrBadSignature:       {"ErrBadSignature", "bad-signature"},
}

// String returns the code's name, e.g. "ErrHighHash".
func (c ErrorCode) String() string {
	if t, ok := errorCodeText[c]; ok {
		return t.name
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// Reason returns the code's BIP 22 reason string, e.g. "high-hash".
func (c ErrorCode) Reason() string {
	if t, ok := errorCodeText[c]; ok {
		return t.reason
	}
	return "rejected"
}

// RuleError reports a consensus rule violation: the block or transaction is
// invalid (or, for ErrTimeTooNew, not yet valid). Any other error from this
// package is a local failure (storage, corruption) and says nothing about the
// validity of what was submitted.
type RuleError struct {
	Code        ErrorCode
	Description string
}

func (e RuleError) Error() string { return e.Description }

func ruleError(code ErrorCode, format string, args ...any) RuleError {
	return RuleError{Code: code, Description: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the RuleError in err's chain, if any.
func ErrorCodeOf(err error) (ErrorCode, bool) {
	var re RuleError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}

// marksInvalid reports whether failing with code proves that the block whose
// header has this id can never be valid. Corrupt or mutated data, and
// timestamps that are merely early, say nothing about the header.
func (c ErrorCode) marksInvalid() bool {
	switch c {
	case ErrBadMerkleRoot, ErrDuplicateTx, ErrTimeTooNew, ErrDuplicateBlock, ErrKnownInvalid:
		return false
	}
	return true
}
