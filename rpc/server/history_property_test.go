package server_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"pgregory.net/rapid"

	"powchain/chain/chaintest"
	"powchain/rpc"
	"powchain/rpc/server"
	"powchain/wire"
)

// TestPropertyAddressHistoryReadByNext: a client reading a history by
// next, as docs/RPC.md (getaddresshistory) tells it to, while random
// things happen between its pages: blocks mined (0 to 3, paying the
// watched addresses or not), a transaction spending a watched output sent
// to the mempool (mined with the next block), a reorganisation (the tip or
// the block below it invalidated, 0 to 3 blocks mined in their place),
// and, at most once a check, 99 to 102 blocks at once (around
// MaxHistoryCarryBlocks).
// The history is of 2 or 3 key hashes (the miner's and test keys the test
// signs for) given in a random order, sometimes one twice, read at a
// random page size of 1 to 5, with or without mempool. The property checks
// the documented contract, not how the node keeps it:
//
//   - an answer by next is the answer by that page's number at the same
//     tip (changed aside), an error included (a reorganisation may leave
//     the page past the last);
//   - changed is absent at the cursor's own tip; at another it is present
//     exactly when the doc says the node carries the read over (the
//     previous answer's tip still on the best chain, at most 100 blocks
//     below, and no unconfirmed entry read yet), which the test decides
//     from the chain's blocks by height and the entries it read, not from
//     the answer;
//   - with changed applied (each entry it names replaces the one read, the
//     other confirmed ones gain the blocks since as confirmations) the
//     pages read so far are, after every page, the history's first pages
//     at the new tip (one read by number with a page as large), and at
//     the end the whole history read page by page by number; each
//     entry changed names was read on an earlier page and differs from it
//     (the blocks since spent it or brought it to maturity);
//   - an answer that does not carry the read over sends the client back to
//     page 0 (the test reads again from there).
//
// The mempool is not followed between pages (the doc says so): with
// mempool, an earlier page's entry whose unconfirmed spender came or went
// since it was read is not in changed, and transactions sent while the
// read is among the unconfirmed entries (ordered by txid) move those
// entries between pages. The test does not avoid either case (spends of
// entries already read are the common one); it accepts what the doc
// allows and no more (see same): a difference between no spender and an
// unconfirmed one (or two unconfirmed ones) and, when transactions came
// while the read was among the unconfirmed entries, unconfirmed entries
// read twice or missed. A spender mined since must be in changed, as a
// block's.
//
// Each check runs a node (about 0.2 s under -race, a second with the
// long run of blocks), so the test makes historyChecks of them unless
// -rapid.checks is given (to hunt: -rapid.checks=4000, 8 minutes
// without -race).
func TestPropertyAddressHistoryReadByNext(t *testing.T) {
	fewerChecks(t, historyChecks)
	rapid.Check(t, func(rt *rapid.T) {
		tb := &checkTB{TB: t}
		defer tb.done()
		newHistoryReader(tb, rt).run()
	})
}

// checkTB is t for what one rapid check sets up: the node's cleanups
// (server, chain) and temporary directories are the check's, undone when
// it ends (done), not when t does: thousands of checks would otherwise
// hold thousands of open databases.
type checkTB struct {
	testing.TB
	cleanups []func()
}

func (c *checkTB) Cleanup(f func()) { c.cleanups = append(c.cleanups, f) }

func (c *checkTB) TempDir() string {
	c.Helper()
	dir, err := os.MkdirTemp("", "historyreader")
	if err != nil {
		c.Fatalf("%v", err)
	}
	c.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// done runs the cleanups, the last registered first (as testing does).
func (c *checkTB) done() {
	for _, f := range slices.Backward(c.cleanups) {
		f()
	}
}

// historyChecks is how many checks TestPropertyAddressHistoryReadByNext
// makes by default: 5 to 6 s under -race on two cores busy with other
// work (load 9), under 2 s without.
const historyChecks = 25

// fewerChecks makes rapid.Check run n checks in t (rapid v1.2.0 takes
// their number from -rapid.checks alone, 100 by default) unless the flag
// was given, and restores it after t. No test of this package runs
// beside t then: rapid.Check is not called from a parallel test here.
func fewerChecks(t *testing.T, n int) {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "rapid.checks" })
	f := flag.Lookup("rapid.checks")
	if given || f == nil {
		return
	}
	old := f.Value.String()
	if err := f.Value.Set(strconv.Itoa(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Value.Set(old) })
}

// historyReader is one run of TestPropertyAddressHistoryReadByNext: a node,
// the keys of the watched addresses, and what the test did.
type historyReader struct {
	rt      *rapid.T
	e       *env
	keys    map[string]*btcec.PrivateKey // watched address -> its key
	watched []string
	payees  []wire.KeyHash // the watched key hashes and one not watched
	req     rpc.AddressHistoryRequest
	// fresh numbers the key hashes KeyHash{0xf0, fresh} that the first
	// block mined after an invalidation pays, none before: so it is never
	// the block invalidated (mined again from the same tip and mempool).
	fresh       byte
	invalidated bool // no block mined since an invalidation
	longs       int  // runs of 99 or more blocks so far
}

func newHistoryReader(t testing.TB, rt *rapid.T) *historyReader {
	e := newEnvChain(t, true, func(*server.Server) {}, func(*env, *server.Backend) {})
	r := &historyReader{rt: rt, e: e, keys: map[string]*btcec.PrivateKey{}}
	n := rapid.IntRange(2, 3).Draw(rt, "keys")
	for i := range n {
		k := chaintest.Key(i) // Key(0) is the env miner's
		kh := wire.HashPubKey(wire.XOnlyPubKey(k))
		addr := r.e.address(kh)
		r.keys[addr] = k
		r.watched = append(r.watched, addr)
		r.payees = append(r.payees, kh)
	}
	r.payees = append(r.payees, wire.KeyHash{7})
	return r
}

// call is e.call, failing the check (not the test: rapid shrinks it) on an
// error.
func (r *historyReader) call(method string, result any, params ...any) {
	r.rt.Helper()
	if err := r.e.call(method, result, params...); err != nil {
		r.rt.Fatalf("%s %v: %v", method, params, err)
	}
}

func (r *historyReader) mine(n int, payTo wire.KeyHash) {
	r.rt.Helper()
	if n > 0 && r.invalidated {
		r.invalidated = false
		r.fresh++
		r.call("generatetoaddress", nil, 1, r.e.address(wire.KeyHash{0xf0, r.fresh}))
		n--
	}
	if n > 0 {
		r.call("generatetoaddress", nil, n, r.e.address(payTo))
	}
}

func (r *historyReader) payee(label string) wire.KeyHash {
	return rapid.SampledFrom(r.payees).Draw(r.rt, label)
}

func (r *historyReader) tip() (hash string, height uint64) {
	r.rt.Helper()
	r.call("getbestblockhash", &hash)
	r.call("getblockcount", &height)
	return hash, height
}

// onBestChain: the block hash is the best chain's at height.
func (r *historyReader) onBestChain(hash string, height uint64) bool {
	r.rt.Helper()
	_, tip := r.tip()
	if height > tip {
		return false
	}
	var at string
	r.call("getblockhash", &at, height)
	return at == hash
}

// spend sends a transaction spending 1 or 2 spendable outputs of the
// watched addresses (confirmed and mature, or in the mempool and not yet
// spent there) to 1 to 3 outputs paying random payees. It returns false
// when there is none to spend.
func (r *historyReader) spend() bool {
	r.rt.Helper()
	var utxos []rpc.AddressUtxo
	r.call("getaddressutxos", &utxos, rpc.AddressUtxosRequest{Addresses: r.watched, Mempool: true})
	utxos = slices.DeleteFunc(utxos, func(u rpc.AddressUtxo) bool { return !u.Mature })
	if len(utxos) == 0 {
		return false
	}
	tx := &wire.Tx{Version: 1}
	var keys []*btcec.PrivateKey
	var total uint64
	for range rapid.IntRange(1, min(2, len(utxos))).Draw(r.rt, "inputs") {
		i := rapid.IntRange(0, len(utxos)-1).Draw(r.rt, "input")
		u := utxos[i]
		utxos = slices.Delete(utxos, i, i+1)
		txid, err := wire.ParseHash(u.TxID)
		if err != nil {
			r.rt.Fatalf("utxo %+v: %v", u, err)
		}
		tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: wire.OutPoint{TxID: txid, Index: u.OutputIndex}})
		keys = append(keys, r.keys[u.Address])
		total += uint64(u.Amount)
	}
	const fee = 5000
	outs := rapid.IntRange(1, 3).Draw(r.rt, "outputs")
	for i := range outs {
		amount := (total - fee) / uint64(outs)
		if i == 0 {
			amount += (total - fee) % uint64(outs)
		}
		tx.Outputs = append(tx.Outputs, wire.TxOut{Amount: amount, KeyHash: r.payee("pay")})
	}
	if err := wire.SignInputs(tx, keys); err != nil {
		r.rt.Fatalf("sign: %v", err)
	}
	r.call("sendrawtransaction", nil, hex.EncodeToString(tx.Bytes()))
	return true
}

// reorg invalidates the tip or the block below it and mines 0 to 3
// blocks in their place.
func (r *historyReader) reorg() {
	r.rt.Helper()
	_, height := r.tip()
	depth := rapid.IntRange(1, 2).Draw(r.rt, "depth")
	if height <= uint64(depth) {
		return
	}
	var hash string
	r.call("getblockhash", &hash, height+1-uint64(depth))
	r.call("invalidateblock", nil, hash)
	r.invalidated = true
	r.mine(rapid.IntRange(0, 3).Draw(r.rt, "replacements"), r.payee("replacement payee"))
}

// act does 0 to 2 random things between two pages, while budget lasts.
// It reports whether it sent a transaction.
func (r *historyReader) act(budget *int) (sent bool) {
	r.rt.Helper()
	for range rapid.IntRange(0, min(2, *budget)).Draw(r.rt, "actions") {
		*budget--
		switch kind := rapid.IntRange(0, 24).Draw(r.rt, "action"); {
		case kind < 10:
			r.mine(rapid.IntRange(0, 3).Draw(r.rt, "blocks"), r.payee("block payee"))
		case kind < 17:
			sent = r.spend() || sent
		case kind < 23:
			r.reorg()
		case r.longs == 0:
			// Around the carry limit, paying no watched address (a long
			// history read at page size 1 would make the run slow).
			r.longs++
			r.mine(rapid.IntRange(server.MaxHistoryCarryBlocks-1, server.MaxHistoryCarryBlocks+2).Draw(r.rt, "long"), wire.KeyHash{7})
		}
	}
	return sent
}

// page reads the history's page by number (after by cursor when given).
func (r *historyReader) page(page uint64, after string) (rpc.AddressHistory, error) {
	req := r.req
	req.Page, req.After = page, after
	var h rpc.AddressHistory
	err := r.e.call("getaddresshistory", &h, req)
	return h, err
}

// firstPages is the history's first n entries at the tip, read as one
// page of size n (at least 1); and that tip.
func (r *historyReader) firstPages(n uint64) ([]rpc.AddressHistoryEntry, string) {
	r.rt.Helper()
	req := r.req
	req.PageSize = max(n, 1)
	var h rpc.AddressHistory
	r.call("getaddresshistory", &h, req)
	return h.Entries, h.BestBlock
}

// allPages is the whole history read page by page by number, at one tip.
func (r *historyReader) allPages() []rpc.AddressHistoryEntry {
	r.rt.Helper()
	var all []rpc.AddressHistoryEntry
	var tip string
	for page := uint64(0); ; page++ {
		h, err := r.page(page, "")
		if err != nil {
			r.rt.Fatalf("page %d by number: %v", page, err)
		}
		if page > 0 && h.BestBlock != tip {
			r.rt.Fatalf("page %d by number at %s, page 0 at %s: nothing mined between", page, h.BestBlock, tip)
		}
		tip = h.BestBlock
		all = append(all, h.Entries...)
		if page+1 >= h.Pages {
			return all
		}
	}
}

func (r *historyReader) setup() {
	rt := r.rt
	for range rapid.IntRange(2, 8).Draw(rt, "setup blocks") {
		r.mine(1, r.payee("setup payee"))
		if rapid.IntRange(0, 2).Draw(rt, "setup spend") == 0 {
			r.spend()
		}
	}
	r.mine(1, r.payee("setup payee"))
	// Unconfirmed entries (and spends) for a read with mempool to reach.
	for range rapid.IntRange(0, 3).Draw(rt, "setup unconfirmed") {
		r.spend()
	}
	r.req = rpc.AddressHistoryRequest{
		Addresses: rapid.Permutation(r.watched).Draw(rt, "addresses"),
		Mempool:   rapid.Bool().Draw(rt, "mempool"),
		PageSize:  uint64(rapid.IntRange(1, 5).Draw(rt, "pagesize")),
	}
	if rapid.IntRange(0, 2).Draw(rt, "twice") == 0 {
		a := rapid.SampledFrom(r.watched).Draw(rt, "given twice")
		at := rapid.IntRange(0, len(r.req.Addresses)).Draw(rt, "at")
		r.req.Addresses = slices.Insert(r.req.Addresses, at, a)
	}
}

func (r *historyReader) run() {
	rt := r.rt
	r.setup()
	budget := rapid.IntRange(0, 10).Draw(rt, "budget")
	h, err := r.page(0, "")
	if err != nil {
		rt.Fatalf("page 0: %v", err)
	}
	read := h.Entries // the pages read since the last start from page 0
	// poolMoved: a transaction was sent while read held unconfirmed
	// entries, so the later pages' may have moved (below).
	poolMoved := false
	carried, restarts := 0, 0
	for h.Next != "" {
		if r.act(&budget) && slices.ContainsFunc(read, unconfirmed) {
			poolMoved = true
		}
		prev := h
		got, err := r.page(0, prev.Next)
		want, wantErr := r.page(prev.Page+1, "")
		if err != nil || wantErr != nil {
			// A reorganisation may shorten the history: the page is then
			// past the last, by cursor as by number, and the client
			// starts again.
			var re, we *rpc.Error
			if !errors.As(err, &re) || !errors.As(wantErr, &we) || *re != *we || !strings.Contains(re.Message, "out of range") {
				rt.Fatalf("page %d: by cursor %v, by number %v", prev.Page+1, err, wantErr)
			}
			h, restarts, read = r.restart(restarts)
			poolMoved = false
			continue
		}
		if got.Page != prev.Page+1 {
			rt.Fatalf("the cursor of page %d answered page %d", prev.Page, got.Page)
		}
		changed := got.Changed
		got.Changed = nil
		if g, w := jsonOf(rt, got), jsonOf(rt, want); g != w {
			rt.Fatalf("page %d by cursor:\n%s\nby number at the same tip:\n%s", got.Page, g, w)
		}
		if got.BestBlock == prev.BestBlock {
			if changed != nil {
				rt.Fatalf("page %d: changed %s at the cursor's own tip", got.Page, jsonOf(rt, changed))
			}
			read = append(read, got.Entries...)
			h = got
			continue
		}
		// The doc's conditions for carrying the read over.
		kept := r.onBestChain(prev.BestBlock, prev.Height)
		near := got.Height >= prev.Height && got.Height-prev.Height <= server.MaxHistoryCarryBlocks
		confirmed := !slices.ContainsFunc(read, unconfirmed)
		if carry := kept && near && confirmed; carry != (changed != nil) {
			rt.Fatalf("page %d at height %d (%s), previous at %d (%s): changed %v, but the previous tip on the best chain %v, %d blocks since, only confirmed entries read %v",
				got.Page, got.Height, got.BestBlock, prev.Height, prev.BestBlock, changed != nil, kept, int64(got.Height)-int64(prev.Height), confirmed)
		}
		if changed == nil {
			h, restarts, read = r.restart(restarts)
			poolMoved = false
			continue
		}
		carried++
		for i := range read {
			read[i].Confirmations += got.Height - prev.Height
		}
		for _, c := range *changed {
			i := slices.IndexFunc(read, func(x rpc.AddressHistoryEntry) bool { return x.TxID == c.TxID && x.OutputIndex == c.OutputIndex })
			if i < 0 {
				rt.Fatalf("page %d: changed names %s:%d, which no earlier page has", got.Page, c.TxID, c.OutputIndex)
			}
			if jsonOf(rt, read[i]) == jsonOf(rt, c) {
				rt.Fatalf("page %d: changed lists %s:%d unchanged", got.Page, c.TxID, c.OutputIndex)
			}
			read[i] = c
		}
		read = append(read, got.Entries...)
		h = got
		first, tip := r.firstPages(uint64(len(read)))
		if tip != got.BestBlock {
			rt.Fatalf("the tip moved from %s to %s with nothing mined", got.BestBlock, tip)
		}
		r.same(fmt.Sprintf("pages 0 to %d carried over to height %d", got.Page, got.Height), read, first, false)
	}
	r.same("the history read by next", read, r.allPages(), poolMoved)
	rt.Logf("%d pages of %d, %d carried over, %d restarts", h.Page+1, r.req.PageSize, carried, restarts)
}

// restart reads page 0 again, as the doc tells a client to when a read
// could not be carried over.
func (r *historyReader) restart(restarts int) (rpc.AddressHistory, int, []rpc.AddressHistoryEntry) {
	r.rt.Helper()
	h, err := r.page(0, "")
	if err != nil {
		r.rt.Fatalf("page 0: %v", err)
	}
	return h, restarts + 1, h.Entries
}

// unconfirmed: an entry of the mempool's, after the confirmed ones.
func unconfirmed(x rpc.AddressHistoryEntry) bool { return x.Mempool }

// same fails unless read is want, but for what the doc lets the mempool
// leave stale ("the mempool is not followed between pages"): an entry's
// unconfirmed spender that came or went since it was read; and, when
// poolMoved (transactions came while the read was among the unconfirmed
// entries, ordered by txid), which unconfirmed entries the later pages
// held. Then read's unconfirmed entries (still in the mempool: only
// blocks take transactions out, and a block moves the tip, which sends
// such a read back to page 0) must each be one of want's, and only the
// confirmed ones are compared in order.
func (r *historyReader) same(what string, read, want []rpc.AddressHistoryEntry, poolMoved bool) {
	r.rt.Helper()
	read, want = append([]rpc.AddressHistoryEntry{}, read...), append([]rpc.AddressHistoryEntry{}, want...) // [] for none
	type outPoint struct {
		txid  string
		index uint32
	}
	wanted := make(map[outPoint]rpc.AddressHistoryEntry, len(want))
	for _, x := range want {
		wanted[outPoint{x.TxID, x.OutputIndex}] = x
	}
	// unconfirmedSpend: none, or a mempool transaction's.
	unconfirmedSpend := func(s *rpc.AddressSpend) bool { return s == nil || s.Mempool }
	for i, x := range read {
		if w, ok := wanted[outPoint{x.TxID, x.OutputIndex}]; ok && r.req.Mempool && unconfirmedSpend(x.Spent) && unconfirmedSpend(w.Spent) {
			read[i].Spent = w.Spent
		}
	}
	if poolMoved {
		for _, x := range read {
			if w, ok := wanted[outPoint{x.TxID, x.OutputIndex}]; x.Mempool && (!ok || jsonOf(r.rt, x) != jsonOf(r.rt, w)) {
				r.rt.Fatalf("%s: the unconfirmed entry %s was read, but the mempool's entries at the tip are\n%s", what, jsonOf(r.rt, x), jsonOf(r.rt, want))
			}
		}
		read = slices.DeleteFunc(read, unconfirmed)
		want = slices.DeleteFunc(want, unconfirmed)
	}
	if g, w := jsonOf(r.rt, read), jsonOf(r.rt, want); g != w {
		r.rt.Fatalf("%s, with changed applied:\n%s\nread by number at the tip:\n%s", what, g, w)
	}
}

// jsonOf is asJSON for a rapid check.
func jsonOf(rt *rapid.T, v any) string {
	rt.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		rt.Fatalf("%v", err)
	}
	return string(b)
}
