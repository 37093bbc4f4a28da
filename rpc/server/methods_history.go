package server

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"slices"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

// Bounds of getaddresshistory (docs/RPC.md); getaddressutxos takes as many
// addresses.
const (
	MaxHistoryAddresses = 100
	DefaultHistoryPage  = 100
	MaxHistoryPageSize  = 1000
)

func (s *Server) registerHistoryMethods(b *Backend) {
	s.register("getaddresshistory", b.getAddressHistory)
}

// historyAddresses decodes an address list of 1..MaxHistoryAddresses
// addresses of this network (getaddresshistory's and getaddressutxos').
func historyAddresses(prefix string, addrs []string) ([]wire.KeyHash, error) {
	if len(addrs) == 0 {
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "no addresses given")
	}
	if len(addrs) > MaxHistoryAddresses {
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "%d addresses given; at most %d per call", len(addrs), MaxHistoryAddresses)
	}
	khs := make([]wire.KeyHash, len(addrs))
	for i, a := range addrs {
		kh, err := wire.DecodeAddress(prefix, a)
		if err != nil {
			return nil, rpc.NewError(rpc.CodeInvalidAddress, "%v", err)
		}
		khs[i] = kh
	}
	return khs, nil
}

func (b *Backend) getAddressHistory(_ context.Context, params []json.RawMessage) (any, error) {
	var req rpc.AddressHistoryRequest
	if err := requiredObject(params, 0, "request", &req); err != nil {
		return nil, err
	}
	if req.PageSize == 0 {
		req.PageSize = DefaultHistoryPage
	}
	if req.PageSize > MaxHistoryPageSize {
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "pagesize %d is too large; at most %d", req.PageSize, MaxHistoryPageSize)
	}
	khs, err := historyAddresses(b.Chain.Params().AddressPrefix, req.Addresses)
	if err != nil {
		return nil, err
	}
	// Of the confirmed entries, only the page's are read (the others are
	// counted), so a long history (a miner's address gains one a block)
	// costs no more memory per page than a short one. The mempool's
	// follow them.
	skip := math.MaxInt // a page past any history: only counted
	if req.Page < math.MaxInt/req.PageSize {
		skip = int(req.Page * req.PageSize)
	}
	confirmed, n, blocks, tip, err := b.Chain.AddressHistoryPage(khs, skip, int(req.PageSize))
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDatabaseError, "%v", err)
	}
	entries := make([]rpc.AddressHistoryEntry, 0, len(confirmed))
	for _, r := range confirmed {
		e := historyEntry(b.Chain.Params(), req.Addresses[r.Key], r.AddressHistoryEntry, blocks, tip.Height)
		if req.Mempool && e.Spent == nil {
			e.Spent = b.mempoolSpend(r.OutPoint)
		}
		entries = append(entries, e)
	}
	var pool []rpc.AddressHistoryEntry
	if req.Mempool {
		pool = b.mempoolHistory(req.Addresses, khs)
	}
	total := uint64(n) + uint64(len(pool))
	pages := max((total+req.PageSize-1)/req.PageSize, 1)
	if req.Page >= pages {
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "page %d is out of range: %d entries fill pages 0 to %d at pagesize %d", req.Page, total, pages-1, req.PageSize)
	}
	from := req.Page * req.PageSize
	to := min(from+req.PageSize, total)
	c := uint64(n)
	entries = append(entries, pool[max(from, c)-c:max(to, c)-c]...)
	return &rpc.AddressHistory{BestBlock: tip.Hash.String(), Height: tip.Height, Page: req.Page, PageSize: req.PageSize,
		Pages: pages, Total: total, Entries: entries}, nil
}

// historyEntry is the answer's entry for h, paid to addr, at tip.
func historyEntry(p *chain.Params, addr string, h chain.AddressHistoryEntry, blocks map[uint64]chain.AddressBlock, tip uint64) rpc.AddressHistoryEntry {
	created := blocks[h.Height]
	e := rpc.AddressHistoryEntry{
		Address: addr, TxID: h.OutPoint.TxID.String(), OutputIndex: h.OutPoint.Index,
		Amount: rpc.Amount(h.Amount), Height: h.Height, BlockHash: created.Hash.String(), Time: created.Time,
		Confirmations: Confirmations(tip, h.Height), Coinbase: h.Coinbase,
		Mature: mature(p, tip, h.Height, h.Coinbase),
	}
	if h.Spent {
		spender := blocks[h.SpentHeight]
		e.Spent = &rpc.AddressSpend{TxID: h.SpentBy.String(), Input: h.SpentInput, Height: h.SpentHeight,
			BlockHash: spender.Hash.String(), Time: spender.Time}
	}
	return e
}

// mature: spendable in the next block (coinbase maturity), never for a
// coinbase above the tip (see Confirmations).
func mature(p *chain.Params, tip, height uint64, coinbase bool) bool {
	return !coinbase || Confirmations(tip, height) >= p.CoinbaseMaturity
}

// mempoolSpend is the mempool transaction that spends op, if any.
func (b *Backend) mempoolSpend(op wire.OutPoint) *rpc.AddressSpend {
	spender, ok := b.Mempool.Spender(op)
	if !ok {
		return nil
	}
	s := &rpc.AddressSpend{TxID: spender.String(), Mempool: true}
	if desc, ok := b.Mempool.Get(spender); ok {
		for j, in := range desc.Tx.Inputs {
			if in.PrevOut == op {
				s.Input = uint32(j)
			}
		}
	}
	return s
}

// mempoolHistory is the mempool's outputs to the addresses (by txid and
// index), each marked spent when another mempool transaction spends it:
// the entries that follow the confirmed ones.
func (b *Backend) mempoolHistory(addrs []string, khs []wire.KeyHash) []rpc.AddressHistoryEntry {
	addrOf := make(map[wire.KeyHash]string, len(khs))
	for i, kh := range khs {
		if _, ok := addrOf[kh]; !ok {
			addrOf[kh] = addrs[i]
		}
	}
	var pool []rpc.AddressHistoryEntry
	for _, desc := range b.Mempool.Entries() {
		for i, o := range desc.Tx.Outputs {
			addr, ok := addrOf[o.KeyHash]
			if !ok {
				continue
			}
			op := wire.OutPoint{TxID: desc.TxID, Index: uint32(i)}
			pool = append(pool, rpc.AddressHistoryEntry{Address: addr, TxID: desc.TxID.String(), OutputIndex: uint32(i),
				Amount: rpc.Amount(o.Amount), Mature: true, Mempool: true, Spent: b.mempoolSpend(op)})
		}
	}
	slices.SortFunc(pool, func(x, y rpc.AddressHistoryEntry) int {
		if c := cmp.Compare(x.TxID, y.TxID); c != 0 {
			return c
		}
		return cmp.Compare(x.OutputIndex, y.OutputIndex)
	})
	return pool
}
