package server

import (
	"cmp"
	"context"
	"encoding/json"
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
	entries, tip, err := b.confirmedHistory(req.Addresses, khs)
	if err != nil {
		return nil, err
	}
	if req.Mempool {
		entries = b.addMempoolHistory(entries, req.Addresses, khs)
	}
	total := uint64(len(entries))
	pages := max((total+req.PageSize-1)/req.PageSize, 1)
	if req.Page >= pages {
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "page %d is out of range: %d entries fill pages 0 to %d at pagesize %d", req.Page, total, pages-1, req.PageSize)
	}
	from := req.Page * req.PageSize
	to := min(from+req.PageSize, total)
	return &rpc.AddressHistory{BestBlock: tip.Hash.String(), Height: tip.Height, Page: req.Page, PageSize: req.PageSize,
		Pages: pages, Total: total, Entries: entries[from:to]}, nil
}

// confirmedHistory reads the history of every key hash in one snapshot of
// the chain, oldest first over all of them.
func (b *Backend) confirmedHistory(addrs []string, khs []wire.KeyHash) ([]rpc.AddressHistoryEntry, chain.BlockInfo, error) {
	p := b.Chain.Params()
	hists, blocks, tip, err := b.Chain.AddressHistories(khs)
	if err != nil {
		return nil, tip, rpc.NewError(rpc.CodeDatabaseError, "%v", err)
	}
	var out []rpc.AddressHistoryEntry
	seen := make(map[wire.KeyHash]bool, len(khs))
	for i, kh := range khs {
		if seen[kh] {
			continue // an address given twice is listed once
		}
		seen[kh] = true
		for _, h := range hists[i] {
			created := blocks[h.Height]
			e := rpc.AddressHistoryEntry{
				Address: addrs[i], TxID: h.OutPoint.TxID.String(), OutputIndex: h.OutPoint.Index,
				Amount: rpc.Amount(h.Amount), Height: h.Height, BlockHash: created.Hash.String(), Time: created.Time,
				Confirmations: Confirmations(tip.Height, h.Height), Coinbase: h.Coinbase,
				Mature: mature(p, tip.Height, h.Height, h.Coinbase),
			}
			if h.Spent {
				spender := blocks[h.SpentHeight]
				e.Spent = &rpc.AddressSpend{TxID: h.SpentBy.String(), Input: h.SpentInput, Height: h.SpentHeight,
					BlockHash: spender.Hash.String(), Time: spender.Time}
			}
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(x, y rpc.AddressHistoryEntry) int {
		if c := cmp.Compare(x.Height, y.Height); c != 0 {
			return c
		}
		if c := cmp.Compare(x.TxID, y.TxID); c != 0 {
			return c
		}
		return cmp.Compare(x.OutputIndex, y.OutputIndex)
	})
	return out, tip, nil
}

// mature: spendable in the next block (coinbase maturity), never for a
// coinbase above the tip (see Confirmations).
func mature(p *chain.Params, tip, height uint64, coinbase bool) bool {
	return !coinbase || Confirmations(tip, height) >= p.CoinbaseMaturity
}

// addMempoolHistory marks confirmed entries that mempool transactions spend
// and appends, after them, the mempool's outputs to the addresses (by txid
// and index), marked spent when another mempool transaction spends them.
func (b *Backend) addMempoolHistory(entries []rpc.AddressHistoryEntry, addrs []string, khs []wire.KeyHash) []rpc.AddressHistoryEntry {
	spend := func(txid string, index uint32) *rpc.AddressSpend {
		id, err := wire.ParseHash(txid)
		if err != nil {
			return nil
		}
		spender, ok := b.Mempool.Spender(wire.OutPoint{TxID: id, Index: index})
		if !ok {
			return nil
		}
		s := &rpc.AddressSpend{TxID: spender.String(), Mempool: true}
		if desc, ok := b.Mempool.Get(spender); ok {
			for j, in := range desc.Tx.Inputs {
				if in.PrevOut.TxID == id && in.PrevOut.Index == index {
					s.Input = uint32(j)
				}
			}
		}
		return s
	}
	for i := range entries {
		if entries[i].Spent == nil {
			entries[i].Spent = spend(entries[i].TxID, entries[i].OutputIndex)
		}
	}
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
			e := rpc.AddressHistoryEntry{Address: addr, TxID: desc.TxID.String(), OutputIndex: uint32(i),
				Amount: rpc.Amount(o.Amount), Mature: true, Mempool: true}
			e.Spent = spend(e.TxID, e.OutputIndex)
			pool = append(pool, e)
		}
	}
	slices.SortFunc(pool, func(x, y rpc.AddressHistoryEntry) int {
		if c := cmp.Compare(x.TxID, y.TxID); c != 0 {
			return c
		}
		return cmp.Compare(x.OutputIndex, y.OutputIndex)
	})
	return append(entries, pool...)
}
