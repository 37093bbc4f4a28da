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

// Node is what the wallet needs from a node; *rpc.Client satisfies it.
// Errors are passed through wrapped, so errors.Is(err, rpc.ErrUnreachable)
// and errors.As(err, **rpc.Error) keep working.
type Node interface {
	GetAddressUtxos(ctx context.Context, req rpc.AddressUtxosRequest) ([]rpc.AddressUtxo, error)
	SendRawTransaction(ctx context.Context, txHex string) (string, error)
	GetBlockCount(ctx context.Context) (uint64, error)
}

var _ Node = (*rpc.Client)(nil)

const (
	// GapLimit is how many addresses past the last used one of each branch
	// the wallet asks the node about, so that a restored wallet finds its
	// funds (BIP44's gap limit).
	GapLimit = 20
	// maxAddressesPerRequest bounds one getaddressutxos request.
	maxAddressesPerRequest = 100
)

// utxo is an unspent output the node reported for one of the wallet's keys.
type utxo struct {
	rpc.AddressUtxo
	outPoint wire.OutPoint
	key      *derivedKey
}

// spendable: confirmed and mature, or in the mempool (mempool outputs are
// never coinbases).
func (u *utxo) spendable() bool { return u.Mempool || !u.Coinbase || u.Mature }

// scan asks the node for the unspent outputs (Mempool: true) of receive
// and change addresses 0..next+GapLimit-1 of each branch. Outputs found at
// or past next move next past them, and the new gap is scanned in turn,
// until a round finds nothing new. It returns the outputs and the advanced
// indexes; it changes nothing in w.st.
func (w *Wallet) scan(ctx context.Context, node Node) (utxos []*utxo, next [2]uint32, err error) {
	next = [2]uint32{w.st.NextReceive, w.st.NextChange}
	var scanned [2]uint32 // [0, scanned[b]) already asked for
	seen := make(map[wire.OutPoint]bool)
	for {
		var addrs []string
		for b := range next {
			end := uint64(next[b]) + GapLimit
			for i := uint64(scanned[b]); i < end; i++ {
				k, err := w.keys.key(keyPath{uint32(b), uint32(i)})
				if err != nil {
					return nil, next, err
				}
				addrs = append(addrs, k.address)
			}
			scanned[b] = uint32(end)
		}
		if len(addrs) == 0 {
			return utxos, next, nil
		}
		for len(addrs) > 0 {
			n := min(len(addrs), maxAddressesPerRequest)
			res, err := node.GetAddressUtxos(ctx, rpc.AddressUtxosRequest{Addresses: addrs[:n], Mempool: true})
			if err != nil {
				return nil, next, fmt.Errorf("getaddressutxos: %w", err)
			}
			addrs = addrs[n:]
			for _, r := range res {
				u, err := w.toUtxo(r)
				if err != nil {
					return nil, next, err
				}
				if u == nil || seen[u.outPoint] {
					continue
				}
				seen[u.outPoint] = true
				utxos = append(utxos, u)
				p := u.key.path
				if p.index >= next[p.branch] {
					next[p.branch] = p.index + 1
				}
			}
		}
	}
}

// toUtxo checks one getaddressutxos entry. It returns nil for an address
// that is not the wallet's (the node answered more than was asked).
func (w *Wallet) toUtxo(r rpc.AddressUtxo) (*utxo, error) {
	kh, err := wire.DecodeAddress(w.opt.AddressPrefix, r.Address)
	if err != nil {
		return nil, nil
	}
	k, ok := w.keys.lookup(kh)
	if !ok {
		return nil, nil
	}
	txid, err := wire.ParseHash(r.TxID)
	if err != nil {
		return nil, fmt.Errorf("getaddressutxos: bad txid from node: %w", err)
	}
	if uint64(r.Amount) > wire.MaxMoney {
		return nil, fmt.Errorf("getaddressutxos: node reported an amount of %d base units", uint64(r.Amount))
	}
	return &utxo{AddressUtxo: r, outPoint: wire.OutPoint{TxID: txid, Index: r.OutputIndex}, key: k}, nil
}

// advance persists indexes that a scan moved forward.
func (w *Wallet) advance(next [2]uint32) error {
	if next[0] == w.st.NextReceive && next[1] == w.st.NextChange {
		return nil
	}
	st := w.st
	st.NextReceive, st.NextChange = next[0], next[1]
	return w.save(st)
}

// Balance is the wallet's money in base units (1 coin = 10^8).
type Balance struct {
	// Confirmed: outputs in blocks that can be spent now (non-coinbase, or
	// coinbase past maturity).
	Confirmed uint64 `json:"confirmed"`
	// Unconfirmed: outputs of mempool transactions (including the change
	// of the wallet's own unconfirmed sends). They can be spent too.
	Unconfirmed uint64 `json:"unconfirmed"`
	// Immature: coinbase outputs that cannot be spent before maturity.
	Immature uint64 `json:"immature"`
}

// Spendable is what Send can use: Confirmed + Unconfirmed.
func (b Balance) Spendable() uint64 { return b.Confirmed + b.Unconfirmed }

// Balance asks the node (getaddressutxos with mempool) about every address
// of the wallet: receive and change 0..next-1 plus GapLimit past each. The
// node already leaves out outputs that mempool transactions spend, so an
// output spent by an unconfirmed send is in no category. Indexes that the
// scan finds used are advanced and persisted.
func (w *Wallet) Balance(ctx context.Context, node Node) (Balance, error) {
	utxos, next, err := w.scan(ctx, node)
	if err != nil {
		return Balance{}, err
	}
	if err := w.advance(next); err != nil {
		return Balance{}, err
	}
	var b Balance
	for _, u := range utxos {
		a := uint64(u.Amount)
		switch {
		case u.Mempool:
			b.Unconfirmed += a
		case u.Coinbase && !u.Mature:
			b.Immature += a
		default:
			b.Confirmed += a
		}
	}
	return b, nil
}

// Kinds of history entries.
const (
	KindReceive = "receive" // unspent output to a receive address
	KindChange  = "change"  // unspent output to a change address
	KindSend    = "send"    // a transaction this wallet broadcast
)

// HistoryEntry is one line of History. Amounts are base units.
type HistoryEntry struct {
	Kind string `json:"kind"`
	TxID string `json:"txid"`
	// Vout is the output index (receive and change only).
	Vout *uint32 `json:"vout,omitempty"`
	// Address is the wallet's address that received (receive, change) or
	// the destination (send).
	Address string `json:"address"`
	Amount  uint64 `json:"amount"`
	Fee     uint64 `json:"fee,omitempty"` // send only
	// Confirmations, Height (block height; 0 in the mempool) and Mempool
	// of a received output. For a send they are known only while one of
	// its outputs to the wallet (its change) is unspent; otherwise they
	// are zero.
	Confirmations uint64 `json:"confirmations"`
	Height        uint64 `json:"height,omitempty"`
	Mempool       bool   `json:"mempool,omitempty"`
	Coinbase      bool   `json:"coinbase,omitempty"`
	Immature      bool   `json:"immature,omitempty"`
	// Time is when a send was made (unix seconds); received outputs carry
	// no time.
	Time int64 `json:"time,omitempty"`

	order uint64 // newest first: block height, MaxUint64 for the mempool
	seq   int    // position + 1 in the file of the send (or of the send that made this output); 0: none
}

// History lists, newest first, the wallet's unspent outputs (receive and
// change, from getaddressutxos with mempool) and the sends it recorded.
// The node indexes unspent outputs only, so an output that was spent is no
// longer listed; the unspent entries therefore add up to the balance.
// Received outputs carry no time, so "newest" is by block height: mempool
// outputs first, then confirmed ones by height. A send sorts at the height
// of its outputs to the wallet (its change) when one is known, listed just
// before them; otherwise at the node's height when it was sent plus one
// (the earliest block that could include it). Ties: later sends first,
// then by txid and output index. Like Balance, History persists indexes
// the scan advanced.
func (w *Wallet) History(ctx context.Context, node Node) ([]HistoryEntry, error) {
	utxos, next, err := w.scan(ctx, node)
	if err != nil {
		return nil, err
	}
	if err := w.advance(next); err != nil {
		return nil, err
	}
	// A send's outputs to the wallet (its change) tell whether and where
	// it confirmed; the send sorts with them, just before them.
	sendSeq := make(map[string]int, len(w.st.Sends))
	for i, s := range w.st.Sends {
		sendSeq[s.TxID] = i + 1
	}
	txOrder := make(map[string]uint64)
	txOut := make(map[string]*utxo)
	var out []HistoryEntry
	for _, u := range utxos {
		e := HistoryEntry{
			Kind: KindReceive, TxID: u.TxID, Address: u.Address, Amount: uint64(u.Amount),
			Confirmations: u.Confirmations, Height: u.Height, Mempool: u.Mempool,
			Coinbase: u.Coinbase, Immature: u.Coinbase && !u.Mature && !u.Mempool,
			order: u.Height, seq: sendSeq[u.TxID],
		}
		vout := u.OutputIndex
		e.Vout = &vout
		if u.key.path.branch == BranchChange {
			e.Kind = KindChange
		}
		if u.Mempool {
			e.order = math.MaxUint64
		}
		if e.order >= txOrder[u.TxID] {
			txOrder[u.TxID], txOut[u.TxID] = e.order, u
		}
		out = append(out, e)
	}
	for i, s := range w.st.Sends {
		e := HistoryEntry{
			Kind: KindSend, TxID: s.TxID, Address: s.To, Amount: s.Amount, Fee: s.Fee, Time: s.Time,
			order: s.TipHeight + 1, seq: i + 1,
		}
		if u, ok := txOut[s.TxID]; ok {
			e.order = txOrder[s.TxID]
			e.Confirmations, e.Height, e.Mempool = u.Confirmations, u.Height, u.Mempool
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b HistoryEntry) int {
		if c := cmp.Compare(b.order, a.order); c != 0 {
			return c
		}
		if c := cmp.Compare(b.seq, a.seq); c != 0 {
			return c // later sends first, each with its outputs
		}
		if c := cmp.Compare(kindRank(a), kindRank(b)); c != 0 {
			return c // the send before its outputs
		}
		if c := cmp.Compare(a.TxID, b.TxID); c != 0 {
			return c
		}
		return cmp.Compare(voutOf(a), voutOf(b))
	})
	return out, nil
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
