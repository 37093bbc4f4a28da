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
	page := req.Page
	var cur *historyCursor
	digest := requestDigest(&req)
	if req.After != "" {
		if req.Page != 0 {
			return nil, rpc.NewError(rpc.CodeInvalidParameter, "give page or after, not both")
		}
		if cur, err = decodeHistoryCursor(req.After, digest); err != nil {
			return nil, rpc.NewError(rpc.CodeInvalidParameter, "after: %v", err)
		}
		page = cur.page
	}
	c, err := b.confirmedHistory(khs, page, req.PageSize, cur)
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDatabaseError, "%v", err)
	}
	entry := func(r chain.AddressHistoryEntryOf) rpc.AddressHistoryEntry {
		e := historyEntry(b.Chain.Params(), req.Addresses[r.Key], r.AddressHistoryEntry, c.blocks, c.tip.Height)
		if req.Mempool && e.Spent == nil {
			e.Spent = b.mempoolSpend(r.OutPoint)
		}
		return e
	}
	entries := make([]rpc.AddressHistoryEntry, 0, len(c.entries))
	for _, r := range c.entries {
		entries = append(entries, entry(r))
	}
	var pool []rpc.AddressHistoryEntry
	if req.Mempool {
		pool = b.mempoolHistory(req.Addresses, khs)
	}
	n := c.n
	total := n + uint64(len(pool))
	pages := max((total+req.PageSize-1)/req.PageSize, 1)
	if page >= pages {
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "page %d is out of range: %d entries fill pages 0 to %d at pagesize %d", page, total, pages-1, req.PageSize)
	}
	from := page * req.PageSize
	to := min(from+req.PageSize, total)
	entries = append(entries, pool[max(from, n)-n:max(to, n)-n]...)
	h := &rpc.AddressHistory{BestBlock: c.tip.Hash.String(), Height: c.tip.Height, Page: page, PageSize: req.PageSize,
		Pages: pages, Total: total, Entries: entries}
	if c.carried {
		changed := make([]rpc.AddressHistoryEntry, 0, len(c.changed))
		for _, r := range c.changed {
			changed = append(changed, entry(r))
		}
		h.Changed = &changed
	}
	if page+1 < pages {
		next := historyCursor{request: digest, tip: c.tip.Hash, confirmed: n, page: page + 1}
		if to <= n { // the pages so far are confirmed entries: the next starts after this page's last
			last := c.entries[len(c.entries)-1]
			next.hasPlace, next.place = true, chain.HistoryPlace{Height: last.Height, OutPoint: last.OutPoint}
		}
		h.Next = next.encode()
	}
	// Written without reflection, as json.Marshal would
	// (rpc.AddressHistory.AppendJSON); an entry takes about 360 bytes.
	return jsonText(h.AppendJSON(make([]byte, 0, 512+400*(len(h.Entries)+len(changedOf(h)))))), nil
}

// changedOf is h.Changed, or nil.
func changedOf(h *rpc.AddressHistory) []rpc.AddressHistoryEntry {
	if h.Changed == nil {
		return nil
	}
	return *h.Changed
}

// MaxHistoryCarryBlocks bounds how far a read of getaddresshistory by
// next is carried over to a new tip: a cursor read at most this many
// blocks below the node's tip, on its best chain, gets the page after its
// place at the new tip and the changes to the pages before (each block
// since is read for them); an older one is counted again.
const MaxHistoryCarryBlocks = 100

// confirmedPage is the confirmed part of a getaddresshistory page.
type confirmedPage struct {
	entries []chain.AddressHistoryEntryOf
	n       uint64 // confirmed entries of every page
	blocks  map[uint64]chain.AddressBlock
	tip     chain.BlockInfo
	// carried: read after the place of a cursor of an earlier tip, whose
	// pages changed is what has changed in since.
	carried bool
	changed []chain.AddressHistoryEntryOf
}

// confirmedHistory reads the confirmed entries of page: after the
// cursor's place, reading only the page (and, when the tip moved since the
// cursor, the blocks since), while the cursor's tip is on the best chain
// at most MaxHistoryCarryBlocks below the tip; by counting every entry
// otherwise. A cursor is not signed: one whose place leaves other than
// the entries its count says (the node never gives one) is counted again
// too, since the handler takes next's place from the page's last
// confirmed entry.
func (b *Backend) confirmedHistory(khs []wire.KeyHash, page, size uint64, cur *historyCursor) (confirmedPage, error) {
	trusted := cur != nil && page <= math.MaxUint64/size
	switch {
	case trusted && cur.hasPlace:
		r, ok, err := b.Chain.AddressHistoryAfter(khs, cur.place, cur.tip, int(size), MaxHistoryCarryBlocks)
		if err != nil {
			return confirmedPage{}, err
		}
		n := cur.confirmed + uint64(r.Added)
		if ok && page*size <= n && uint64(len(r.Page)) == min(size, n-page*size) {
			return confirmedPage{entries: r.Page, n: n, blocks: r.Blocks, tip: r.Tip,
				carried: r.Tip.Hash != cur.tip, changed: r.Changed}, nil
		}
	case trusted && page*size >= cur.confirmed: // mempool entries only, while the tip stays
		if tip := b.Chain.Tip(); tip.Hash == cur.tip {
			return confirmedPage{n: cur.confirmed, blocks: map[uint64]chain.AddressBlock{}, tip: tip}, nil
		}
	}
	// Of the confirmed entries, only the page's are read (the others are
	// counted), so a long history (a miner's address gains one a block)
	// costs no more memory per page than a short one.
	skip := math.MaxInt // a page past any history: only counted
	if page < math.MaxInt/size {
		skip = int(page * size)
	}
	entries, count, blocks, tip, err := b.Chain.AddressHistoryPage(khs, skip, int(size))
	return confirmedPage{entries: entries, n: uint64(count), blocks: blocks, tip: tip}, err
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
