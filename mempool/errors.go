package mempool

import (
	"fmt"

	"powchain/chain"
)

// RejectCode says why the pool refused a transaction. Each code has a
// reason string after Bitcoin Core's (String), which the RPC reports
// verbatim and tests match.
type RejectCode int

// Reject codes, grouped by the stage that finds them. Each code's reason,
// consensus flag and chain error code are in one place: RejectCode.info.
const (
	// Consensus, context-free (chain.CheckTransactionSanity) and shape.
	RejectNoInputs RejectCode = iota + 1
	RejectNoOutputs
	RejectBadAmount // an amount or the sum above MaxMoney
	RejectDuplicateInputs
	RejectNullOutPoint
	RejectCoinbase // only valid as a block's first transaction
	// Policy that needs no state.
	RejectTxSize
	RejectDust
	// Against the pool.
	RejectAlreadyInPool
	RejectConflict // spends what a pool tx spends (no replacement)
	// Against the UTXO set (chain plus pool).
	RejectAlreadyKnown // already confirmed
	RejectMissingInputs
	RejectPrematureSpend
	RejectKeyHashMismatch
	RejectInBelowOut
	// Policy that needs the fee or the pool.
	RejectTooLongChain  // MaxAncestors or MaxDescendants
	RejectMinRelayFee   // below the minimum relay fee rate
	RejectMempoolMinFee // below the raised floor after evictions
	RejectMempoolFull
	// Signatures, checked last.
	RejectBadSignature

	numRejectCodes RejectCode = iota + 1 // one more than the last code
)

// rejectInfo is what the package knows of a reject code.
type rejectInfo struct {
	// reason is the code's reason string, after Bitcoin Core's.
	reason string
	// consensus: see RejectCode.Consensus.
	consensus bool
	// fromChain is the transaction-level chain error code that maps to this
	// code, or 0 (the chain's codes start at 1).
	fromChain chain.ErrorCode
}

// info is the table of reject codes; TestRejectCodeTable checks that every
// code has a distinct reason and every transaction-level chain code maps.
func (c RejectCode) info() rejectInfo {
	switch c {
	case RejectNoInputs:
		return rejectInfo{"bad-txns-vin-empty", true, chain.ErrNoTxInputs}
	case RejectNoOutputs:
		return rejectInfo{"bad-txns-vout-empty", true, chain.ErrNoTxOutputs}
	case RejectBadAmount:
		return rejectInfo{"bad-txns-vout-toolarge", true, chain.ErrBadTxOutValue}
	case RejectDuplicateInputs:
		return rejectInfo{"bad-txns-inputs-duplicate", true, chain.ErrDuplicateTxInputs}
	case RejectNullOutPoint:
		return rejectInfo{"bad-txns-nulloutpoint", true, chain.ErrBadTxInput}
	case RejectCoinbase:
		return rejectInfo{"coinbase", true, 0}
	case RejectTxSize:
		return rejectInfo{"tx-size", false, 0}
	case RejectDust:
		return rejectInfo{"dust", false, 0}
	case RejectAlreadyInPool:
		return rejectInfo{"txn-already-in-mempool", false, 0}
	case RejectConflict:
		return rejectInfo{"txn-mempool-conflict", false, 0}
	case RejectAlreadyKnown:
		return rejectInfo{"txn-already-known", false, 0}
	case RejectMissingInputs:
		return rejectInfo{"bad-txns-inputs-missingorspent", false, chain.ErrMissingTxOut}
	case RejectPrematureSpend:
		return rejectInfo{"bad-txns-premature-spend-of-coinbase", false, chain.ErrImmatureSpend}
	case RejectKeyHashMismatch:
		return rejectInfo{"bad-txns-keyhash-mismatch", true, chain.ErrKeyHashMismatch}
	case RejectInBelowOut:
		return rejectInfo{"bad-txns-in-belowout", true, chain.ErrSpendTooHigh}
	case RejectTooLongChain:
		return rejectInfo{"too-long-mempool-chain", false, 0}
	case RejectMinRelayFee:
		return rejectInfo{"min relay fee not met", false, 0}
	case RejectMempoolMinFee:
		return rejectInfo{"mempool min fee not met", false, 0}
	case RejectMempoolFull:
		return rejectInfo{"mempool full", false, 0}
	case RejectBadSignature:
		return rejectInfo{"bad-signature", true, chain.ErrBadSignature}
	}
	return rejectInfo{}
}

// String returns the code's reason string, which the RPC reports verbatim.
func (c RejectCode) String() string {
	if r := c.info().reason; r != "" {
		return r
	}
	return fmt.Sprintf("RejectCode(%d)", int(c))
}

// Consensus reports whether the code means the transaction breaks a
// consensus rule, so that no valid block can ever contain it: the p2p layer
// may punish the peer that sent it. Everything else is policy or depends on
// what this node has seen: missing inputs, conflicts and known transactions
// say nothing about the sender, and a premature coinbase spend becomes
// valid a few blocks later (like a block timestamp that is merely early).
func (c RejectCode) Consensus() bool { return c.info().consensus }

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
	for code := RejectCode(1); code < numRejectCodes; code++ {
		if code.info().fromChain == c {
			return code, true
		}
	}
	return 0, false
}
