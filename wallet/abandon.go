package wallet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

var (
	// ErrNoSuchSend: Abandon was given a txid the wallet recorded no send
	// of.
	ErrNoSuchSend = errors.New("no such send in this wallet")
	// ErrNotAbandonable: Abandon was given a send the node has in its
	// chain or mempool; only a missing send can be abandoned.
	ErrNotAbandonable = errors.New("only a missing send can be abandoned")
)

// Abandon forgets the recorded send txid, which the node must have neither
// in its best chain nor in its mempool (History's Missing), and the
// recorded sends that spend its outputs (they are missing too), as Bitcoin
// Core's abandontransaction: History no longer lists them and Send no
// longer spends their coins first. It returns the txids forgotten, txid
// first. Should an abandoned send confirm after all (it may be alive on
// another node), History shows it from the node like any other send.
func (w *Wallet) Abandon(ctx context.Context, node Node, txid string) ([]string, error) {
	txid = strings.ToLower(txid)
	if !slices.ContainsFunc(w.st.Sends, func(r SendRecord) bool { return r.TxID == txid }) {
		return nil, fmt.Errorf("%w: %s (`powchain wallet list` shows the sends it made)", ErrNoSuchSend, txid)
	}
	found, _, err := w.scan(ctx, node)
	if err != nil {
		return nil, err
	}
	for _, o := range found.outputs {
		if s := o.Spent; s != nil && s.TxID == txid {
			where := "in the node's mempool"
			if !s.Mempool {
				where = fmt.Sprintf("in the block at height %d", s.Height)
			}
			return nil, fmt.Errorf("%w: %s is %s", ErrNotAbandonable, txid, where)
		}
	}
	gone := w.descendants(txid)
	st := w.st
	st.Sends = slices.DeleteFunc(slices.Clone(st.Sends), func(r SendRecord) bool { return slices.Contains(gone, r.TxID) })
	if err := w.save(st); err != nil {
		return nil, err
	}
	return gone, nil
}

// descendants is txid and, recursively, every recorded send that spends
// an output of one of them, txid first.
func (w *Wallet) descendants(txid string) []string {
	out := []string{txid}
	for i := 0; i < len(out); i++ {
		prefix := out[i] + ":"
		for _, r := range w.st.Sends {
			spendsIt := slices.ContainsFunc(r.Inputs, func(in string) bool { return strings.HasPrefix(in, prefix) })
			if spendsIt && !slices.Contains(out, r.TxID) {
				out = append(out, r.TxID)
			}
		}
	}
	return out
}
