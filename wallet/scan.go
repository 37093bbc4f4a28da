package wallet

import (
	"context"
	"errors"
	"fmt"

	"powchain/rpc"
	"powchain/wire"
)

// Node is what the wallet needs from a node; *rpc.Client satisfies it.
// Errors are passed through wrapped, so errors.Is(err, rpc.ErrUnreachable)
// and errors.As(err, **rpc.Error) keep working.
type Node interface {
	GetAddressHistory(ctx context.Context, req rpc.AddressHistoryRequest) (*rpc.AddressHistory, error)
	GetRawTransaction(ctx context.Context, txid, blockHash string) (*rpc.TxResult, error)
	SendRawTransaction(ctx context.Context, txHex string) (string, error)
	GetBlockCount(ctx context.Context) (uint64, error)
}

var _ Node = (*rpc.Client)(nil)

const (
	// GapLimit is how many unused addresses past the last used one of each
	// branch the wallet asks the node about, so that a restored wallet
	// finds its funds (BIP44's gap limit). An address is used once anything
	// was ever paid to it, even if it was spent since. Options.GapLimit
	// widens it, for a wallet that handed out more unused addresses in a
	// row than that.
	GapLimit = 20
	// MaxGapLimit bounds Options.GapLimit: a scan asks about up to
	// 2*MaxGapLimit addresses more than the wallet used, 100 per request.
	MaxGapLimit = 10_000
	// maxAddressesPerRequest bounds one getaddresshistory request (the
	// node's limit).
	maxAddressesPerRequest = 100
	// historyPageSize is the page size the wallet reads history with.
	historyPageSize = 1000
	// maxHistoryRestarts bounds how often reading the pages of one request
	// starts again because the node could not carry it over to a new tip
	// (a reorganisation in between).
	maxHistoryRestarts = 5
)

// owned is one output ever paid to one of the wallet's addresses, as the
// node's address history reports it.
type owned struct {
	rpc.AddressHistoryEntry
	outPoint wire.OutPoint
	key      *derivedKey
}

// utxo is an unspent output of one of the wallet's keys.
type utxo struct {
	rpc.AddressUtxo
	outPoint wire.OutPoint
	key      *derivedKey
	// fromWallet: made by a transaction that spends the wallet's outputs,
	// so one the wallet signed (its own send's change, or a payment to
	// itself), not a payment from someone else.
	fromWallet bool
	// missingSend is the txid of a recorded send that spends this output
	// although the node knows no spend of it: that send is missing (not in
	// the chain or the mempool), but may still be alive elsewhere.
	missingSend string
}

// outPointKey is how SendRecord.Inputs names an output.
func outPointKey(txid string, index uint32) string { return fmt.Sprintf("%s:%d", txid, index) }

// spendable: confirmed and mature, or in the mempool (mempool outputs are
// never coinbases).
func (u *utxo) spendable() bool { return u.Mempool || !u.Coinbase || u.Mature }

// scanned is what a scan learned: every output ever paid to the wallet's
// addresses (with the mempool), and the node's height.
type scanned struct {
	outputs []*owned
	tip     uint64
}

// spenders maps each spent output ("txid:index", as SendRecord.Inputs
// names it) to the txid of the transaction the node knows spends it.
func (s *scanned) spenders() map[string]string {
	out := make(map[string]string)
	for _, o := range s.outputs {
		if o.Spent != nil {
			out[outPointKey(o.TxID, o.OutputIndex)] = o.Spent.TxID
		}
	}
	return out
}

// utxos are the outputs no transaction spends, confirmed or in the
// mempool: what the wallet can spend.
func (s *scanned) utxos() []*utxo {
	spenders := make(map[string]bool)
	for _, o := range s.outputs {
		if o.Spent != nil {
			spenders[o.Spent.TxID] = true
		}
	}
	var out []*utxo
	for _, o := range s.outputs {
		if o.Spent != nil {
			continue
		}
		out = append(out, &utxo{outPoint: o.outPoint, key: o.key, fromWallet: spenders[o.TxID], AddressUtxo: rpc.AddressUtxo{
			Address: o.Address, TxID: o.TxID, OutputIndex: o.OutputIndex, Amount: o.Amount,
			Height: o.Height, Confirmations: o.Confirmations, Coinbase: o.Coinbase, Mature: o.Mature, Mempool: o.Mempool,
		}})
	}
	return out
}

// scan asks the node for the history (getaddresshistory with mempool) of
// receive and change addresses 0..next+gap-1 of each branch, gap being
// Options.GapLimit. An address that was ever paid is used: when it is at
// or past next, next moves past it and the new gap is scanned in turn,
// until a round finds nothing new. So the gap limit counts unused
// addresses, as BIP44 means, and spent-from addresses never end a restore
// early. It returns what it found and the advanced indexes; it changes
// nothing in w.st.
func (w *Wallet) scan(ctx context.Context, node Node) (res scanned, next [2]uint32, err error) {
	next = [2]uint32{w.st.NextReceive, w.st.NextChange}
	var done [2]uint32 // [0, done[b]) already asked for
	seen := make(map[wire.OutPoint]bool)
	known := make(map[string]*derivedKey) // toOwned's cache
	for {
		var addrs []string
		for b := range next {
			end := uint64(next[b]) + uint64(w.opt.GapLimit)
			for i := uint64(done[b]); i < end; i++ {
				k, err := w.keys.key(keyPath{uint32(b), uint32(i)})
				if err != nil {
					return res, next, err
				}
				addrs = append(addrs, k.address)
			}
			done[b] = uint32(end)
		}
		if len(addrs) == 0 {
			return res, next, nil
		}
		for len(addrs) > 0 {
			n := min(len(addrs), maxAddressesPerRequest)
			pages, tip, err := readHistory(ctx, node, addrs[:n])
			if err != nil {
				return res, next, err
			}
			addrs = addrs[n:]
			res.tip = max(res.tip, tip)
			for _, page := range pages {
				for _, e := range page {
					o, err := w.toOwned(e, known)
					if err != nil {
						return res, next, err
					}
					if o == nil || seen[o.outPoint] {
						continue
					}
					seen[o.outPoint] = true
					res.outputs = append(res.outputs, o)
					p := o.key.path
					if p.index >= next[p.branch] {
						next[p.branch] = p.index + 1
					}
				}
			}
		}
	}
}

// readHistory reads every page of the history of addrs, with the mempool,
// as of one tip. It asks for each page after the first by the previous
// answer's next, so that the node reads each entry once (by page number,
// the node counts every entry before the page again: a miner's history,
// an entry a block, would cost it the square of its length). When blocks
// arrive between pages, the node carries the read over and says what
// they changed on the pages already read (changed), which the wallet
// applies (carryOver); when it cannot (a reorganisation), the wallet
// starts again, and so it does when a page the previous answer named is
// past the end (the mempool lost a transaction in between, so the history
// shrank). It returns the pages as the node answered them (the entries in
// order, page after page), not copied into one slice: a day of a miner's
// history is 87 pages of 1,000.
func readHistory(ctx context.Context, node Node, addrs []string) ([][]rpc.AddressHistoryEntry, uint64, error) {
	for range maxHistoryRestarts {
		var pages [][]rpc.AddressHistoryEntry
		var prev *rpc.AddressHistory
		req := rpc.AddressHistoryRequest{Addresses: addrs, Mempool: true, PageSize: historyPageSize}
		for {
			h, err := node.GetAddressHistory(ctx, req)
			var rpcErr *rpc.Error
			if req.After != "" && errors.As(err, &rpcErr) && rpcErr.Code == rpc.CodeInvalidParameter {
				break // the page named is past the end now
			}
			if err != nil {
				return nil, 0, fmt.Errorf("getaddresshistory: %w", err)
			}
			if prev != nil && h.BestBlock != prev.BestBlock {
				if h.Changed == nil || h.Height < prev.Height {
					break
				}
				carryOver(pages, h.Height-prev.Height, *h.Changed)
			}
			pages = append(pages, h.Entries)
			if h.Next == "" {
				return pages, h.Height, nil
			}
			prev, req.After = h, h.Next
		}
	}
	return nil, 0, fmt.Errorf("getaddresshistory: the history changed %d times while the wallet read it (a reorganisation, or a transaction leaving the mempool); try again", maxHistoryRestarts)
}

// carryOver brings the pages read blocks ago to the present: confirmed
// entries gain the blocks as confirmations, and those the blocks changed
// (spent, matured) are replaced by the node's changed, as docs/RPC.md
// tells a client to (an output listed twice in either: the last entry of
// it by its last change).
func carryOver(pages [][]rpc.AddressHistoryEntry, blocks uint64, changed []rpc.AddressHistoryEntry) {
	type outPoint struct {
		txid  string
		index uint32
	}
	now := make(map[outPoint]rpc.AddressHistoryEntry, len(changed))
	for _, c := range changed {
		now[outPoint{c.TxID, c.OutputIndex}] = c
	}
	for p := len(pages) - 1; p >= 0; p-- {
		entries := pages[p]
		for i := len(entries) - 1; i >= 0; i-- {
			e := &entries[i]
			if !e.Mempool {
				e.Confirmations += blocks
			}
			if len(now) == 0 {
				continue
			}
			if c, ok := now[outPoint{e.TxID, e.OutputIndex}]; ok {
				*e = c
				delete(now, outPoint{e.TxID, e.OutputIndex})
			}
		}
	}
}

// toOwned checks one getaddresshistory entry. It returns nil for an
// address that is not the wallet's (the node answered more than was asked).
// known caches the wallet's keys by the addresses found so far (a miner's
// address has an entry a block: each decoded once, not once an entry);
// only keys found are cached, since a key derived later in the scan may
// own an address that was nobody's before.
func (w *Wallet) toOwned(e rpc.AddressHistoryEntry, known map[string]*derivedKey) (*owned, error) {
	k := known[e.Address]
	if k == nil {
		kh, err := wire.DecodeAddress(w.opt.AddressPrefix, e.Address)
		if err != nil {
			return nil, nil
		}
		var ok bool
		if k, ok = w.keys.lookup(kh); !ok {
			return nil, nil
		}
		known[e.Address] = k
	}
	txid, err := wire.ParseHash(e.TxID)
	if err != nil {
		return nil, fmt.Errorf("getaddresshistory: bad txid from node: %w", err)
	}
	if uint64(e.Amount) > wire.MaxMoney {
		return nil, fmt.Errorf("getaddresshistory: node reported an amount of %d base units", uint64(e.Amount))
	}
	return &owned{AddressHistoryEntry: e, outPoint: wire.OutPoint{TxID: txid, Index: e.OutputIndex}, key: k}, nil
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
	// Unconfirmed: outputs of mempool transactions: payments from others,
	// which Send spends only once they confirm, and the outputs of the
	// wallet's own unconfirmed sends (change), which Send can spend at once.
	Unconfirmed uint64 `json:"unconfirmed"`
	// Immature: coinbase outputs that cannot be spent before maturity.
	Immature uint64 `json:"immature"`
}

// Balance asks the node (getaddresshistory with mempool) about every
// address of the wallet: receive and change 0..next-1 plus Options.GapLimit
// unused ones past each. Outputs that any transaction spends, mempool ones
// included, are in no category. Indexes that the
// scan finds used are advanced and persisted.
func (w *Wallet) Balance(ctx context.Context, node Node) (Balance, error) {
	found, next, err := w.scan(ctx, node)
	if err != nil {
		return Balance{}, err
	}
	if err := w.advance(next); err != nil {
		return Balance{}, err
	}
	var b Balance
	for _, u := range found.utxos() {
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
