package server_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"powchain/chain/chaintest"
	"powchain/rpc"
	"powchain/rpc/server"
	"powchain/wire"
)

// TestAddressHistory: getaddresshistory lists every output ever paid to
// the addresses, spent ones with their spender (confirmed or in the
// mempool), in pages; getrawtransaction finds confirmed transactions
// through the transaction index.
func TestAddressHistory(t *testing.T) {
	e := newEnvTxIndex(t)
	g := e.miner
	addr := e.address(g.KeyHash())
	var hashes []string
	e.must("generatetoaddress", &hashes, 3, addr)
	cbHash, _ := wire.ParseHash(hashes[0])
	blk, _ := e.chain.BlockByHash(cbHash)
	cb := blk.Transactions[0]
	tx := g.SpendTx([]chaintest.SpendableOut{g.TxOut(cb, 0)}, 5000, 2)
	var txid string
	e.must("sendrawtransaction", &txid, hex.EncodeToString(tx.Bytes()))

	var h rpc.AddressHistory
	e.must("getaddresshistory", &h, rpc.AddressHistoryRequest{Addresses: []string{addr}})
	if h.Total != 3 || len(h.Entries) != 3 || h.Height != 3 || h.Entries[0].Spent != nil || h.Entries[0].TxID != cb.TxID().String() {
		t.Fatalf("confirmed history: %+v", h)
	}
	e.must("getaddresshistory", &h, rpc.AddressHistoryRequest{Addresses: []string{addr}, Mempool: true})
	if h.Total != 5 || h.Entries[0].Spent == nil || !h.Entries[0].Spent.Mempool || h.Entries[0].Spent.TxID != txid ||
		!h.Entries[3].Mempool || !h.Entries[4].Mempool || h.Entries[4].Spent != nil {
		t.Fatalf("history with mempool: %+v", h)
	}

	e.must("generatetoaddress", &hashes, 1, addr)
	e.must("getaddresshistory", &h, rpc.AddressHistoryRequest{Addresses: []string{addr, addr}, PageSize: 4})
	if h.Total != 6 || h.Pages != 2 || len(h.Entries) != 4 || h.BestBlock != hashes[0] {
		t.Fatalf("page 0 of 4: %+v", h)
	}
	first := h.Entries[0]
	if first.Spent == nil || first.Spent.TxID != txid || first.Spent.Height != 4 || first.Spent.BlockHash != hashes[0] ||
		first.Spent.Mempool || first.Confirmations != 4 || !first.Coinbase || !first.Mature || first.Height != 1 || first.Time == 0 {
		t.Fatalf("spent coinbase: %+v (%+v)", first, first.Spent)
	}
	e.must("getaddresshistory", &h, rpc.AddressHistoryRequest{Addresses: []string{addr}, PageSize: 4, Page: 1})
	if len(h.Entries) != 2 || h.Entries[1].Height != 4 {
		t.Fatalf("page 1 of 4: %+v", h)
	}

	var found rpc.TxResult
	e.must("getrawtransaction", &found, txid, true)
	if found.BlockHash != hashes[0] || found.Confirmations == nil || *found.Confirmations != 1 {
		t.Fatalf("getrawtransaction through the index: %+v", found)
	}
	e.expectCode("getrawtransaction", rpc.CodeInvalidAddress, strings.Repeat("ab", 32))
}

// TestAddressHistoryBadInput: Core-style errors for malformed and foreign
// addresses (-5), and for empty or over-long lists and pages out of range
// (-8).
func TestAddressHistoryBadInput(t *testing.T) {
	e := newEnv(t)
	addr := e.address(e.miner.KeyHash())
	foreign, _ := wire.EncodeAddress("pc", e.miner.KeyHash())
	many := make([]string, server.MaxHistoryAddresses+1)
	for i := range many {
		many[i] = addr
	}
	for _, c := range []struct {
		req  rpc.AddressHistoryRequest
		code int
		msg  string
	}{
		{rpc.AddressHistoryRequest{Addresses: []string{"nope"}}, rpc.CodeInvalidAddress, "invalid"},
		{rpc.AddressHistoryRequest{Addresses: []string{foreign}}, rpc.CodeInvalidAddress, "another network"},
		{rpc.AddressHistoryRequest{}, rpc.CodeInvalidParameter, "no addresses"},
		{rpc.AddressHistoryRequest{Addresses: many}, rpc.CodeInvalidParameter, "at most 100"},
		{rpc.AddressHistoryRequest{Addresses: []string{addr}, Page: 1}, rpc.CodeInvalidParameter, "page 1 is out of range: 0 entries fill pages 0 to 0 at pagesize 100"},
		{rpc.AddressHistoryRequest{Addresses: []string{addr}, PageSize: 1001}, rpc.CodeInvalidParameter, "at most 1000"},
	} {
		if re := e.expectCode("getaddresshistory", c.code, c.req); !strings.Contains(re.Message, c.msg) {
			t.Errorf("%+v: message %q lacks %q", c.req, re.Message, c.msg)
		}
	}
	// getaddressutxos takes as many addresses as getaddresshistory.
	e.must("getaddressutxos", nil, rpc.AddressUtxosRequest{Addresses: many[:server.MaxHistoryAddresses]})
	if re := e.expectCode("getaddressutxos", rpc.CodeInvalidParameter, rpc.AddressUtxosRequest{Addresses: many}); re.Message != "101 addresses given; at most 100 per call" {
		t.Errorf("getaddressutxos of 101 addresses: %q", re.Message)
	}
}

// TestAddressHistoryPageCostsItsPage: a page of getaddresshistory costs the
// node the same memory however long the history is. A miner's address
// gains an entry a block, and a wallet reads its history page by page;
// each page built an answer (strings and all) for every entry of the
// history before keeping its own, so on a miner's node left running the
// cost of each page grew with the chain (a page of 10 allocated 74 kB in
// 369 allocations at 50 entries, 523 kB in 2,183 at 500; now 32 kB in
// 198 at both).
func TestAddressHistoryPageCostsItsPage(t *testing.T) {
	e, srv := newUnservedEnv(t, true, func(*env, *server.Backend) {})
	kh := e.miner.KeyHash()
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"getaddresshistory","params":[{"addresses":["%s"],"mempool":true,"pagesize":10}]}`, e.address(kh))
	cost := func(entries int) (allocs, bytes uint64) {
		if _, err := e.generate(context.Background(), entries-int(e.chain.Tip().Height), kh); err != nil {
			t.Fatal(err)
		}
		if reply := serve(srv, body); !strings.Contains(reply, fmt.Sprintf(`"total":%d`, entries)) {
			t.Fatalf("history of %d entries: %.300s", entries, reply)
		}
		const runs = 5
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			serve(srv, body)
		}
		runtime.ReadMemStats(&after)
		return (after.Mallocs - before.Mallocs) / runs, (after.TotalAlloc - before.TotalAlloc) / runs
	}
	shortAllocs, shortBytes := cost(50)
	longAllocs, longBytes := cost(500)
	t.Logf("a page of 10: %d allocations, %d bytes at 50 entries; %d allocations, %d bytes at 500", shortAllocs, shortBytes, longAllocs, longBytes)
	if longAllocs > shortAllocs*3/2 || longBytes > shortBytes*3/2 {
		t.Errorf("a page of 10 of a history of 500 entries costs %d allocations, %d bytes; of 50 entries, %d, %d", longAllocs, longBytes, shortAllocs, shortBytes)
	}
}

// TestAddressHistoryCursor: a page asked for by the previous answer's next
// is the page of that number (confirmed pages, the one where the mempool's
// entries begin, the mempool's only), also after the tip moved (the node
// then counts again); a cursor is refused beside a page, for another
// request, or garbled.
func TestAddressHistoryCursor(t *testing.T) {
	e := newEnvTxIndex(t)
	g := e.miner
	addr := e.address(g.KeyHash())
	var hashes []string
	e.must("generatetoaddress", &hashes, 9, addr)
	for _, hash := range hashes[:2] {
		id, _ := wire.ParseHash(hash)
		blk, _ := e.chain.BlockByHash(id)
		tx := g.SpendTx([]chaintest.SpendableOut{g.TxOut(blk.Transactions[0], 0)}, 5000, 2)
		e.must("sendrawtransaction", nil, hex.EncodeToString(tx.Bytes()))
	}
	req := rpc.AddressHistoryRequest{Addresses: []string{addr, e.address(wire.KeyHash{7})}, Mempool: true, PageSize: 4}
	byNumber := func(page uint64) rpc.AddressHistory {
		var h rpc.AddressHistory
		r := req
		r.Page = page
		e.must("getaddresshistory", &h, r)
		return h
	}
	byCursor := func(after string) rpc.AddressHistory {
		var h rpc.AddressHistory
		r := req
		r.After = after
		e.must("getaddresshistory", &h, r)
		return h
	}
	h := byNumber(0)
	if h.Total != 13 || h.Pages != 4 || h.Next == "" {
		t.Fatalf("page 0: %d entries in %d pages, next %q; want 9 confirmed and 4 in the mempool in 4 pages, and a next", h.Total, h.Pages, h.Next)
	}
	for page := uint64(1); h.Next != ""; page++ {
		h = byCursor(h.Next)
		if want := byNumber(page); fmt.Sprint(h) != fmt.Sprint(want) {
			t.Fatalf("page %d by cursor:\n%+v\nby number:\n%+v", page, h, want)
		}
		if page == 3 && (!h.Entries[0].Mempool || h.Next != "") {
			t.Fatalf("the last page: %+v", h)
		}
	}

	// While the tip stays, a cursor's page is read after its place, and the
	// count it carries is not taken again: one whose count was altered
	// (bytes 41 to 48, docs/RPC.md says cursors are opaque) shows it.
	next := byNumber(0).Next
	altered := next[:2*41] + fmt.Sprintf("%016x", 100) + next[2*49:]
	if got := byCursor(altered); got.Total != 104 || got.Pages != 26 || fmt.Sprint(got.Entries) != fmt.Sprint(byNumber(1).Entries) {
		t.Fatalf("a cursor counting 100 confirmed entries: total %d in %d pages, want 104 in 26 (the history was counted again)", got.Total, got.Pages)
	}
	e.must("generatetoaddress", &hashes, 1, addr) // mines the mempool's transactions: the entries move
	got, want := byCursor(next), byNumber(1)
	if got.Changed == nil || got.BestBlock != hashes[0] {
		t.Fatalf("page 1 by a cursor of the previous tip: best block %s, changed %v; want %s and a list", got.BestBlock, got.Changed, hashes[0])
	}
	if got.Changed = nil; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("page 1 by a cursor of the previous tip:\n%+v\nby number:\n%+v", got, want)
	}

	bad := []struct {
		req  rpc.AddressHistoryRequest
		want string
	}{
		{rpc.AddressHistoryRequest{Addresses: req.Addresses, Mempool: true, PageSize: 4, Page: 1, After: next}, "give page or after, not both"},
		{rpc.AddressHistoryRequest{Addresses: req.Addresses, Mempool: true, PageSize: 5, After: next}, "after: the cursor was given for another request"},
		{rpc.AddressHistoryRequest{Addresses: req.Addresses[:1], Mempool: true, PageSize: 4, After: next}, "after: the cursor was given for another request"},
		{rpc.AddressHistoryRequest{Addresses: req.Addresses, Mempool: true, PageSize: 4, After: next[:20]}, "after: not a cursor this node gave"},
		{rpc.AddressHistoryRequest{Addresses: req.Addresses, Mempool: true, PageSize: 4, After: strings.ToUpper(next)}, "after: not a cursor this node gave"},
	}
	for _, c := range bad {
		if re := e.expectCode("getaddresshistory", rpc.CodeInvalidParameter, c.req); !strings.HasPrefix(re.Message, c.want) {
			t.Errorf("%+v: %q, want %q", c.req, re.Message, c.want)
		}
	}
}

// TestAddressHistoryReadSpansBlocks: a client reading a history by next
// while blocks arrive keeps its earlier pages: each answer read at a newer
// tip lists the earlier pages' entries those blocks spent or brought to
// maturity (changed), and with them applied, and confirmations moved on by
// the blocks since, the pages are the whole history at the last tip, entry
// for entry. A read whose cursor's tip a reorganisation left, or that is
// more than MaxHistoryCarryBlocks old, gets its page at the new tip
// (counted again) and no changed: the client must start again.
func TestAddressHistoryReadSpansBlocks(t *testing.T) {
	e := newEnvTxIndex(t)
	g := e.miner
	addr := e.address(g.KeyHash())
	var hashes []string
	e.must("generatetoaddress", &hashes, 6, addr)
	coinbases := make([]*wire.Tx, 0, 6)
	for _, hash := range hashes {
		coinbases = append(coinbases, e.coinbaseOf(hash))
	}
	spend := func(height int) {
		tx := g.SpendTx([]chaintest.SpendableOut{g.TxOut(coinbases[height-1], 0)}, 5000, 2)
		e.must("sendrawtransaction", nil, hex.EncodeToString(tx.Bytes()))
	}
	// Entries name the address as given: the first of the miner's (given
	// twice) is the second of the list.
	req := rpc.AddressHistoryRequest{Addresses: []string{e.address(wire.KeyHash{7}), addr, addr}, Mempool: true, PageSize: 3}
	// Page 0 holds heights 1-3, page 1 4-6: 5 spent in the mempool, 6
	// immature (maturity is 2).
	spend(5)
	between := []func(){
		func() {},
		func() { spend(1); spend(2); e.must("generatetoaddress", nil, 1, addr) }, // spends 1, 2 and 5, matures 6
		func() { e.must("generatetoaddress", nil, 2, addr) },                     // changes nothing read
		func() { spend(6); e.must("generatetoaddress", nil, 1, addr) },
	}
	got, carried := readCarried(t, e, req, between)
	if carried < 3 {
		t.Fatalf("the read was carried over %d times, want 3", carried)
	}
	var want []rpc.AddressHistoryEntry
	for page := uint64(0); ; page++ {
		var h rpc.AddressHistory
		r := req
		r.Page = page
		e.must("getaddresshistory", &h, r)
		want = append(want, h.Entries...)
		if page+1 == h.Pages {
			break
		}
	}
	if g, w := asJSON(t, got), asJSON(t, want); g != w {
		t.Fatalf("read across blocks, with changed applied:\n%s\nread at the last tip:\n%s", g, w)
	}

	// A cursor whose tip was reorganised away, or is too old, is counted
	// again: its page at the new tip, without changed.
	var first rpc.AddressHistory
	e.must("getaddresshistory", &first, req)
	var tip string
	e.must("getbestblockhash", &tip)
	e.must("invalidateblock", nil, tip)
	e.must("generatetoaddress", nil, 2, e.address(wire.KeyHash{9}))
	pageOne := func(after string) (byCursor, byNumber rpc.AddressHistory) {
		r := req
		r.After = after
		e.must("getaddresshistory", &byCursor, r)
		r.After, r.Page = "", 1
		e.must("getaddresshistory", &byNumber, r)
		return byCursor, byNumber
	}
	if c, n := pageOne(first.Next); c.Changed != nil || asJSON(t, c) != asJSON(t, n) {
		t.Fatalf("after a reorganisation, page 1 by cursor:\n%s\nby number:\n%s", asJSON(t, c), asJSON(t, n))
	}
	e.must("getaddresshistory", &first, req)
	e.must("generatetoaddress", nil, server.MaxHistoryCarryBlocks+1, e.address(wire.KeyHash{9}))
	if c, n := pageOne(first.Next); c.Changed != nil || asJSON(t, c) != asJSON(t, n) {
		t.Fatalf("%d blocks later, page 1 by cursor:\n%s\nby number:\n%s", server.MaxHistoryCarryBlocks+1, asJSON(t, c), asJSON(t, n))
	}
}

// readCarried reads every page of req's history by next, calling
// between[i] (if any) after page i, as docs/RPC.md tells a client to: when
// an answer is of a newer tip and has changed, the earlier pages' entries
// gain the blocks since as confirmations and changed replaces theirs; an
// answer of another tip without changed fails the test. It returns the
// pages so read and how many answers were of a newer tip.
func readCarried(t *testing.T, e *env, req rpc.AddressHistoryRequest, between []func()) (entries []rpc.AddressHistoryEntry, carried int) {
	t.Helper()
	var h rpc.AddressHistory
	e.must("getaddresshistory", &h, req)
	entries = h.Entries
	for page := 0; h.Next != ""; page++ {
		if page < len(between) {
			between[page]()
		}
		prev := h
		r := req
		r.After, h = h.Next, rpc.AddressHistory{}
		e.must("getaddresshistory", &h, r)
		if h.BestBlock != prev.BestBlock {
			if h.Changed == nil {
				t.Fatalf("page %d: tip %d after %d, but no changed", h.Page, h.Height, prev.Height)
			}
			carried++
			for i := range entries {
				if !entries[i].Mempool {
					entries[i].Confirmations += h.Height - prev.Height
				}
			}
			for _, c := range *h.Changed {
				i := slices.IndexFunc(entries, func(x rpc.AddressHistoryEntry) bool { return x.TxID == c.TxID && x.OutputIndex == c.OutputIndex })
				if i < 0 {
					t.Fatalf("changed names %s:%d, which no earlier page has", c.TxID, c.OutputIndex)
				}
				entries[i] = c
			}
		} else if h.Changed != nil {
			t.Fatalf("page %d: changed at the cursor's own tip", h.Page)
		}
		entries = append(entries, h.Entries...)
	}
	return entries, carried
}

// A cursor is not signed: anyone can write one with the tip, a count and a
// place of their choosing. One whose place leaves fewer entries than its
// count says (altered, or given before the history index was rebuilt) is
// counted again, so its answer is still its page's. It used to be read as
// it said: past the last entry the page had no confirmed entry, and the
// handler's next, taken from the page's last one, indexed an empty slice
// (a panic, answered as an internal error); short of it, the answer had
// fewer entries than its page.
func TestAddressHistoryCursorShortOfItsCount(t *testing.T) {
	e := newEnvTxIndex(t)
	addr := e.address(e.miner.KeyHash())
	var hashes []string
	e.must("generatetoaddress", &hashes, 9, addr)
	req := rpc.AddressHistoryRequest{Addresses: []string{addr}, PageSize: 4}
	var first, want rpc.AddressHistory
	e.must("getaddresshistory", &first, req)
	r := req
	r.Page = 1
	e.must("getaddresshistory", &want, r)
	// Bytes 41 to 48 are the count, 58 to 65 the place's height.
	next := first.Next
	for _, height := range []uint64{8, 1<<64 - 1} {
		forged := next[:2*41] + fmt.Sprintf("%016x", 100) + next[2*49:2*58] + fmt.Sprintf("%016x", height) + next[2*66:]
		var got rpc.AddressHistory
		r := req
		r.After = forged
		e.must("getaddresshistory", &got, r)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("a cursor counting 100 entries, placed after height %d:\n%+v\nwant page 1:\n%+v", height, got, want)
		}
	}
}

// asJSON is v as JSON: answers compared by value, through their pointers.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
