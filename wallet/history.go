package wallet

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"powchain/rpc"
	"powchain/wire"
)

// Kinds of history entries.
const (
	KindReceive = "receive" // an output paid to one of the wallet's receive addresses
	KindSend    = "send"    // a transaction spending the wallet's outputs
)

// HistoryEntry is one line of History. Amounts are base units.
type HistoryEntry struct {
	Kind string `json:"kind"`
	TxID string `json:"txid"`
	// Vout is the output index (receive only).
	Vout *uint32 `json:"vout,omitempty"`
	// Address is the wallet's address that received (receive), or the
	// first address the send paid that is not one of the wallet's change
	// addresses (send).
	Address string `json:"address"`
	// Amount: the output (receive); for a send, what it paid to addresses
	// other than the wallet's change addresses. The change is folded in:
	// it appears neither here nor as an entry of its own.
	Amount uint64 `json:"amount"`
	// Fee of a send: its inputs minus its outputs. 0 when some input is
	// not the wallet's (the wallet cannot know the fee then).
	Fee uint64 `json:"fee,omitempty"`
	// Confirmations and Height (block height) of the transaction; 0 while
	// it is in the mempool (Mempool) or missing (Missing).
	Confirmations uint64 `json:"confirmations"`
	Height        uint64 `json:"height,omitempty"`
	Mempool       bool   `json:"mempool,omitempty"`
	// Coinbase: received from a coinbase; Immature: it cannot be spent
	// yet (coinbase maturity).
	Coinbase bool `json:"coinbase,omitempty"`
	Immature bool `json:"immature,omitempty"`
	// Time: the block's timestamp (unix seconds) once confirmed; before,
	// when the wallet sent it (0 for what others sent or another copy of
	// the wallet made).
	Time int64 `json:"time,omitempty"`
	// Missing: a send this wallet recorded that the node has neither in
	// the best chain nor in the mempool: the node never got it (Send
	// returned ErrMaybeSent), it left the mempool (expiry, eviction), a
	// reorganisation dropped it, or a conflicting transaction replaced
	// it. Its coins are spendable again, unless that conflicting
	// transaction spent them, and the next send spends one of them first
	// (it may still be alive elsewhere: the two then conflict).
	Missing bool `json:"missing,omitempty"`
	// ReplacedBy: of a missing send, a transaction the node has (in the
	// chain or the mempool) that spends one of its coins, so the two
	// conflict; once that one confirms, the missing send never can.
	// `powchain wallet abandon` forgets such a send.
	ReplacedBy string `json:"replaced_by,omitempty"`

	order uint64 // newest first: block height; MaxUint64 for the mempool and missing sends
}

// History lists, newest first, everything that happened to the wallet's
// addresses, from the node's address history (getaddresshistory with
// mempool): every output ever paid to a receive address (a receive), and
// every transaction that spent the wallet's outputs (a send, with its
// change folded in and its fee). It does not change when outputs are
// spent, and two wallets restored from the same mnemonic list the same
// entries (only the time of unconfirmed sends comes from the wallet file).
// Sends this wallet recorded that the node no longer knows are listed as
// Missing. Order: by height, mempool and missing first; then txid; a send
// before the receives of the same transaction; then output index. Like
// Balance, History persists indexes the scan advanced.
func (w *Wallet) History(ctx context.Context, node Node) ([]HistoryEntry, error) {
	found, next, err := w.scan(ctx, node)
	if err != nil {
		return nil, err
	}
	if err := w.advance(next); err != nil {
		return nil, err
	}
	out := w.receives(found.outputs)
	sends, err := w.sends(ctx, node, found)
	if err != nil {
		return nil, err
	}
	out = append(out, sends...)
	slices.SortFunc(out, func(a, b HistoryEntry) int {
		if c := cmp.Compare(b.order, a.order); c != 0 {
			return c
		}
		if c := cmp.Compare(a.TxID, b.TxID); c != 0 {
			return c
		}
		if c := cmp.Compare(kindRank(a), kindRank(b)); c != 0 {
			return c
		}
		return cmp.Compare(voutOf(a), voutOf(b))
	})
	return out, nil
}

// receives are the outputs paid to receive addresses. Outputs to change
// addresses belong to the send that made them.
func (w *Wallet) receives(outputs []*owned) []HistoryEntry {
	var out []HistoryEntry
	for _, o := range outputs {
		if o.key.path.branch != BranchReceive {
			continue
		}
		vout := o.OutputIndex
		e := HistoryEntry{
			Kind: KindReceive, TxID: o.TxID, Vout: &vout, Address: o.Address, Amount: uint64(o.Amount),
			Confirmations: o.Confirmations, Height: o.Height, Mempool: o.Mempool, Time: o.Time,
			Coinbase: o.Coinbase, Immature: o.Coinbase && !o.Mature && !o.Mempool, order: o.Height,
		}
		if o.Mempool {
			e.order = math.MaxUint64
		}
		out = append(out, e)
	}
	return out
}

// spending is what the wallet knows of a transaction that spends its
// outputs.
type spending struct {
	spend *rpc.AddressSpend // where it is (any of its inputs' reports)
	in    uint64            // the wallet's outputs it spends
	nIn   int
}

// sends describes every transaction that spends the wallet's outputs; the
// node supplies each transaction's outputs (getrawtransaction, in the
// block the history names). Recorded sends the node does not know are
// added as Missing, with ReplacedBy when the node knows another spend of
// one of their coins.
func (w *Wallet) sends(ctx context.Context, node Node, found scanned) ([]HistoryEntry, error) {
	spends := make(map[string]*spending)
	for _, o := range found.outputs {
		if o.Spent == nil {
			continue
		}
		s := spends[o.Spent.TxID]
		if s == nil {
			s = &spending{spend: o.Spent}
			spends[o.Spent.TxID] = s
		}
		s.in += uint64(o.Amount)
		s.nIn++
	}
	var out []HistoryEntry
	for txid, s := range spends {
		e, err := w.sendEntry(ctx, node, txid, s, found.tip)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	spender := found.spenders()
	for _, r := range w.st.Sends {
		s, known := spends[r.TxID]
		if !known {
			e := HistoryEntry{Kind: KindSend, TxID: r.TxID, Address: r.To, Amount: r.Amount, Fee: r.Fee,
				Time: r.Time, Missing: true, order: math.MaxUint64}
			for _, in := range r.Inputs {
				if by := spender[in]; by != "" {
					e.ReplacedBy = by
					break
				}
			}
			out = append(out, e)
			continue
		}
		if s.spend.Mempool {
			for i := range out {
				if out[i].TxID == r.TxID {
					out[i].Time = r.Time
				}
			}
		}
	}
	return out, nil
}

// sendEntry describes one spending transaction.
func (w *Wallet) sendEntry(ctx context.Context, node Node, txid string, s *spending, tip uint64) (HistoryEntry, error) {
	tx, err := node.GetRawTransaction(ctx, txid, s.spend.BlockHash)
	if err != nil {
		return HistoryEntry{}, fmt.Errorf("getrawtransaction %s: %w", txid, err)
	}
	e := HistoryEntry{Kind: KindSend, TxID: txid, Height: s.spend.Height, Mempool: s.spend.Mempool,
		Time: s.spend.Time, order: s.spend.Height}
	if s.spend.Mempool {
		e.order = math.MaxUint64
	} else if tip >= s.spend.Height {
		e.Confirmations = tip - s.spend.Height + 1
	}
	var outTotal uint64
	for _, o := range tx.Vout {
		outTotal += uint64(o.Value)
		if w.isChange(o.Address) {
			continue
		}
		if e.Address == "" {
			e.Address = o.Address
		}
		e.Amount += uint64(o.Value)
	}
	if len(tx.Vin) == s.nIn && s.in >= outTotal {
		e.Fee = s.in - outTotal
	}
	return e, nil
}

// isChange reports whether addr is one of the wallet's change addresses.
func (w *Wallet) isChange(addr string) bool {
	kh, err := wire.DecodeAddress(w.opt.AddressPrefix, addr)
	if err != nil {
		return false
	}
	k, ok := w.keys.lookup(kh)
	return ok && k.path.branch == BranchChange
}

func kindRank(e HistoryEntry) int {
	if e.Kind == KindSend {
		return 0
	}
	return 1
}

func voutOf(e HistoryEntry) uint32 {
	if e.Vout == nil {
		return 0
	}
	return *e.Vout
}
