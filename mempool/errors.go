package mempool

import (
	"fmt"

	"powchain/chain"
)

// RejectCode says why the pool refused a transaction. Each code has a
// reason string after Bitcoin Core's (String), which the RPC reports
// verbatim and tests match.
type RejectCode int

// Reject codes, grouped by the stage that finds them.
const (
	// Consensus, context-free (chain.CheckTransactionSanity) and shape.
	RejectNoInputs        RejectCode = iota + 1 // bad-txns-vin-empty
	RejectNoOutputs                             // bad-txns-vout-empty
	RejectBadAmount                             // bad-txns-vout-toolarge: an amount or the sum above MaxMoney
	RejectDuplicateInputs                       // bad-txns-inputs-duplicate
	RejectNullOutPoint                          // bad-txns-nulloutpoint
	RejectCoinbase                              // coinbase: only valid as a block's first transaction
	// Policy that needs no state.
	RejectTxSize // tx-size
	RejectDust   // dust
	// Against the pool.
	RejectAlreadyInPool // txn-already-in-mempool
	RejectConflict      // txn-mempool-conflict: spends what a pool tx spends (no replacement)
	// Against the UTXO set (chain plus pool).
	RejectAlreadyKnown    // txn-already-known: already confirmed
	RejectMissingInputs   // bad-txns-inputs-missingorspent
	RejectPrematureSpend  // bad-txns-premature-spend-of-coinbase
	RejectKeyHashMismatch // bad-txns-keyhash-mismatch
	RejectInBelowOut      // bad-txns-in-belowout
	// Policy that needs the fee or the pool.
	RejectTooLongChain  // too-long-mempool-chain: MaxAncestors or MaxDescendants
	RejectMinRelayFee   // min relay fee not met
	RejectMempoolMinFee // mempool min fee not met: below the raised floor after evictions
	RejectMempoolFull   // mempool full
	// Signatures, checked last.
	RejectBadSignature // bad-signature
)

// String returns the code's reason string.
func (c RejectCode) String() string {
	switch c {
	case RejectNoInputs:
		return "bad-txns-vin-empty"
	case RejectNoOutputs:
		return "bad-txns-vout-empty"
	case RejectBadAmount:
		return "bad-txns-vout-toolarge"
	case RejectDuplicateInputs:
		return "bad-txns-inputs-duplicate"
	case RejectNullOutPoint:
		return "bad-txns-nulloutpoint"
	case RejectCoinbase:
		return "coinbase"
	case RejectTxSize:
		return "tx-size"
	case RejectDust:
		return "dust"
	case RejectAlreadyInPool:
		return "txn-already-in-mempool"
	case RejectConflict:
		return "txn-mempool-conflict"
	case RejectAlreadyKnown:
		return "txn-already-known"
	case RejectMissingInputs:
		return "bad-txns-inputs-missingorspent"
	case RejectPrematureSpend:
		return "bad-txns-premature-spend-of-coinbase"
	case RejectKeyHashMismatch:
		return "bad-txns-keyhash-mismatch"
	case RejectInBelowOut:
		return "bad-txns-in-belowout"
	case RejectTooLongChain:
		return "too-long-mempool-chain"
	case RejectMinRelayFee:
		return "min relay fee not met"
	case RejectMempoolMinFee:
		return "mempool min fee not met"
	case RejectMempoolFull:
		return "mempool full"
	case RejectBadSignature:
		return "bad-signature"
	}
	return fmt.Sprintf("RejectCode(%d)", int(c))
}

// Consensus reports whether the code means the transaction breaks a
// consensus rule, so that no valid block can ever contain it: the p2p layer
// may punish the peer that sent it. Everything else is policy or depends on
// what this node has seen: missing inputs, conflicts and known transactions
// say nothing about the sender, and a premature coinbase spend becomes
// valid a few blocks later (like a block timestamp that is merely early).
func (c RejectCode) Consensus() bool {
	switch c {
	case RejectNoInputs, RejectNoOutputs, RejectBadAmount, RejectDuplicateInputs, RejectNullOutPoint,
		RejectCoinbase, RejectKeyHashMismatch, RejectInBelowOut, RejectBadSignature:
		return true
	}
	return false
}

// RejectError reports that the pool refused a transaction. Any other error
// from this package is a local failure (the chain's storage) and says
// nothing about the transaction.
type RejectError struct {
	Code   RejectCode
	Reason string // Code.String(), for RPC errors
	// Err is the chain.RuleError when a consensus check said no.
	Err error
	// Detail says what exactly was wrong, for policy rejections (consensus
	// rejections carry it in Err).
	Detail string
}

func (e *RejectError) Error() string {
	switch {
	case e.Err != nil:
		return e.Reason + ": " + e.Err.Error()
	case e.Detail != "":
		return e.Reason + ": " + e.Detail
	}
	return e.Reason
}

// Unwrap returns the consensus error, if any.
func (e *RejectError) Unwrap() error { return e.Err }

// Consensus reports whether the transaction breaks a consensus rule; see
// RejectCode.Consensus.
func (e *RejectError) Consensus() bool { return e.Code.Consensus() }

func reject(code RejectCode, format string, args ...any) *RejectError {
	return &RejectError{Code: code, Reason: code.String(), Detail: fmt.Sprintf(format, args...)}
}

// fromChain turns a chain.RuleError about a transaction into a RejectError;
// any other error is a local failure and is returned as it is.
func fromChain(err error) error {
	chainCode, ok := chain.ErrorCodeOf(err)
	if !ok {
		return err
	}
	code, ok := rejectCodeOf(chainCode)
	if !ok {
		return fmt.Errorf("unexpected consensus error for a loose transaction: %w", err)
	}
	return &RejectError{Code: code, Reason: code.String(), Err: err}
}

// rejectCodeOf maps the transaction-level consensus codes.
func rejectCodeOf(c chain.ErrorCode) (RejectCode, bool) {
	switch c {
	case chain.ErrNoTxInputs:
		return RejectNoInputs, true
	case chain.ErrNoTxOutputs:
		return RejectNoOutputs, true
	case chain.ErrBadTxOutValue:
		return RejectBadAmount, true
	case chain.ErrDuplicateTxInputs:
		return RejectDuplicateInputs, true
	case chain.ErrBadTxInput:
		return RejectNullOutPoint, true
	case chain.ErrMissingTxOut:
		return RejectMissingInputs, true
	case chain.ErrImmatureSpend:
		return RejectPrematureSpend, true
	case chain.ErrKeyHashMismatch:
		return RejectKeyHashMismatch, true
	case chain.ErrSpendTooHigh:
		return RejectInBelowOut, true
	case chain.ErrBadSignature:
		return RejectBadSignature, true
	}
	return 0, false
}
