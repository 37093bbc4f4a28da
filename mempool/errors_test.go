package mempool

import (
	"strings"
	"testing"

	"powchain/chain"
)

// TestRejectCodeTable checks the one table of reject codes: every code has a
// reason of its own, and every chain error code that a loose transaction can
// earn maps to a reject code that carries it back.
func TestRejectCodeTable(t *testing.T) {
	seen := make(map[string]RejectCode)
	for code := RejectCode(1); code < numRejectCodes; code++ {
		reason := code.String()
		if code.info().reason == "" || strings.HasPrefix(reason, "RejectCode(") {
			t.Errorf("code %d has no reason", int(code))
		}
		if other, dup := seen[reason]; dup {
			t.Errorf("codes %d and %d share the reason %q", int(other), int(code), reason)
		}
		seen[reason] = code
	}
	if info := numRejectCodes.info(); info != (rejectInfo{}) {
		t.Errorf("numRejectCodes is a code: %+v", info)
	}
	txRules := []chain.ErrorCode{
		chain.ErrNoTxInputs, chain.ErrNoTxOutputs, chain.ErrBadTxOutValue, chain.ErrDuplicateTxInputs,
		chain.ErrBadTxInput, chain.ErrMissingTxOut, chain.ErrImmatureSpend, chain.ErrKeyHashMismatch,
		chain.ErrSpendTooHigh, chain.ErrBadSignature,
	}
	for _, c := range txRules {
		code, ok := rejectCodeOf(c)
		if !ok || code.info().fromChain != c {
			t.Errorf("chain code %v maps to no reject code", c)
		}
		// The pool and submitblock name a broken rule alike.
		if code.String() != c.Reason() {
			t.Errorf("%v: the pool's reason %q differs from the chain's BIP 22 reason %q", c, code, c.Reason())
		}
	}
	if _, ok := rejectCodeOf(chain.ErrHighHash); ok {
		t.Error("a block-level chain code maps to a reject code")
	}
}
