package explorer_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"powchain/chain"
	"powchain/explorer"
	"powchain/rpc"
	"powchain/wire"
)

// TestRESTChain: chain info, headers, block hashes by height and block
// summaries describe the chain the test built.
func TestRESTChain(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	var info rpc.BlockchainInfo
	e.getJSON("/rest/chaininfo.json", &info)
	if info.Blocks != 15 || info.BestBlockHash != e.hash("b2") || info.Network != "chaintest" {
		t.Fatalf("chaininfo %+v, want height 15 at b2", info)
	}
	var byHeight map[string]string
	e.getJSON("/rest/blockhashbyheight/13.json", &byHeight)
	if byHeight["blockhash"] != e.hash("spend") {
		t.Fatalf("blockhashbyheight/13: %v, want %s", byHeight, e.hash("spend"))
	}
	for _, path := range []string{"/rest/headers/" + e.hash("a11") + ".json?count=3", "/rest/headers/3/" + e.hash("a11") + ".json"} {
		var headers []rpc.BlockHeaderResult
		e.getJSON(path, &headers)
		if len(headers) != 3 || headers[0].Height != 11 || headers[2].Hash != e.hash("spend") || headers[2].PreviousBlockHash != e.hash("a12") {
			t.Fatalf("%s: %+v", path, headers)
		}
	}
	var headers []rpc.BlockHeaderResult
	e.getJSON("/rest/headers/"+e.hash("b1")+".json?count=2000", &headers)
	if len(headers) != 2 {
		t.Fatalf("headers from b1: %d, want 2 (the chain ends)", len(headers))
	}
	var blocks []explorer.BlockSummary
	e.getJSON("/rest/blocks.json?count=3", &blocks)
	if len(blocks) != 3 || blocks[0].Height != 15 || blocks[2].Hash != e.hash("spend") || blocks[2].NTx != 2 || blocks[0].Interval != 1 {
		t.Fatalf("blocks: %+v", blocks)
	}
	e.getJSON("/rest/blocks.json?start=1&count=100", &blocks)
	if len(blocks) != 2 || blocks[1].Height != 0 {
		t.Fatalf("blocks from 1: %+v, want heights 1 and 0", blocks)
	}
}

// TestRESTBlockAndTx: a block's transactions carry their previous
// outputs and fees; a transaction is found confirmed (with or without its
// block) and in the mempool.
func TestRESTBlockAndTx(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	var blk explorer.Block
	e.getJSON("/rest/block/"+e.hash("spend")+".json", &blk)
	if blk.Height != 13 || blk.NTx != 2 || len(blk.Tx) != 2 || blk.Confirmations != 3 || blk.NextBlockHash != e.hash("b1") {
		t.Fatalf("block: height %d, %d txs, %d confirmations", blk.Height, blk.NTx, blk.Confirmations)
	}
	spend := blk.Tx[1]
	if spend.TxID != e.spend.TxID().String() || spend.Fee == nil || *spend.Fee != 5000 || *blk.Fees != 5000 {
		t.Fatalf("spend in block: %+v", spend)
	}
	a1 := e.g.Block("a1").Transactions[0].Outputs[0]
	if in := spend.Vin[0]; in.Prevout == nil || in.Prevout.Value != rpc.Amount(a1.Amount) || in.Prevout.Address != e.addr || in.Prevout.Height != 1 || !in.Prevout.Coinbase {
		t.Fatalf("input 0: %+v, want a1's coinbase output", in)
	}
	if blk.Reward != rpc.Amount(e.g.Block("spend").Transactions[0].Outputs[0].Amount) {
		t.Fatalf("reward %v", blk.Reward)
	}
	for _, path := range []string{
		"/rest/tx/" + e.spend.TxID().String() + ".json",                          // through its unspent outputs
		"/rest/tx/" + e.spend.TxID().String() + ".json?block=" + e.hash("spend"), // with its block
		"/rest/tx/" + e.spend.TxID().String() + ".json?block=13",                 // with its block's height
	} {
		var tx explorer.Tx
		e.getJSON(path, &tx)
		if tx.InMempool || tx.Height == nil || *tx.Height != 13 || tx.BlockHash != e.hash("spend") || *tx.Fee != 5000 || tx.Confirmations == nil || *tx.Confirmations != 3 {
			t.Fatalf("%s: %+v", path, tx)
		}
	}
	// a5's coinbase is unspent, so found through its outputs; the genesis
	// coinbase is found by scanning.
	var cb explorer.Tx
	e.getJSON("/rest/tx/"+e.g.Block("genesis").Transactions[0].TxID().String()+".json", &cb)
	if cb.Height == nil || *cb.Height != 0 || cb.Fee != nil || cb.Vin[0].Coinbase == "" {
		t.Fatalf("genesis coinbase: %+v", cb)
	}
	var pending explorer.Tx
	e.getJSON("/rest/tx/"+e.pending.TxID().String()+".json", &pending)
	if !pending.InMempool || pending.Height != nil || *pending.Fee != 20000 || *pending.FeeRate != rpc.Amount(20000*1000/e.pending.SerializeSize()) ||
		pending.Vin[0].Prevout == nil || pending.Vin[0].Prevout.Height != 3 {
		t.Fatalf("pending: %+v", pending)
	}
}

// TestRESTMempoolAndAddress: the mempool list and an address's balance
// agree with the pool and the UTXO set.
func TestRESTMempoolAndAddress(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	var info rpc.MempoolInfo
	e.getJSON("/rest/mempool/info.json", &info)
	if info.Size != 1 || info.Bytes != e.pending.SerializeSize() || info.UnbroadcastCount != 0 {
		t.Fatalf("mempool info %+v", info)
	}
	// getmempoolinfo's object: the unbroadcast set counts too.
	e.pool.SetUnbroadcast([]wire.Hash{e.pending.TxID()})
	var raw map[string]any
	e.getJSON("/rest/mempool/info.json", &raw)
	if raw["unbroadcastcount"] != 1.0 {
		t.Fatalf("mempool info with one unbroadcast transaction: %v", raw)
	}
	var mp explorer.Mempool
	e.getJSON("/rest/mempool/txs.json", &mp)
	if mp.Total != 1 || len(mp.Txs) != 1 || mp.Txs[0].TxID != e.pending.TxID().String() || mp.Txs[0].Fee != 20000 || mp.Levels == nil || mp.Info.UnbroadcastCount != 1 {
		t.Fatalf("mempool txs %+v", mp)
	}
	e.getJSON("/rest/mempool/txs.json?offset=1", &mp)
	if mp.Total != 1 || len(mp.Txs) != 0 {
		t.Fatalf("mempool page 2: %+v", mp)
	}
	// Every output but the genesis coinbase pays the generator's address.
	set, err := e.chain.UTXOSetInfo()
	if err != nil {
		t.Fatal(err)
	}
	genesisCoins := e.g.Block("genesis").Transactions[0].Outputs[0].Amount
	var addr explorer.Address
	e.getJSON("/rest/address/"+e.addr+".json?limit=5", &addr)
	if addr.Balance != rpc.Amount(set.TotalAmount-genesisCoins) || addr.UtxoCount != int(set.TxOuts-1) || len(addr.Utxos) != 5 {
		t.Fatalf("address: balance %v, %d outputs (%d shown); UTXO set %d outputs, %d coins", addr.Balance, addr.UtxoCount, len(addr.Utxos), set.TxOuts, set.TotalAmount)
	}
	if addr.Utxos[0].Height != 15 || len(addr.MempoolTxs) != 1 || addr.MempoolTxs[0] != e.pending.TxID().String() {
		t.Fatalf("address: newest output at %d, mempool %v", addr.Utxos[0].Height, addr.MempoolTxs)
	}
	// The pending spend moves a3's coinbase back to the same address,
	// minus the fee.
	if addr.Unconfirmed != "-"+rpc.FormatCoins(20000) {
		t.Fatalf("unconfirmed %s, want the fee as a loss", addr.Unconfirmed)
	}
	var peers explorer.Peers
	e.getJSON("/rest/peers.json", &peers)
	if len(peers.Peers) != 2 || len(peers.Banned) != 1 || peers.Info.Connections != 2 {
		t.Fatalf("peers %+v", peers)
	}
}

// TestRESTBadInput: malformed and unknown names and out-of-bounds paging
// are 400 and 404 JSON errors in the user's terms.
func TestRESTBadInput(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	unknown := strings.Repeat("ab", 32)
	cases := []struct {
		path   string
		status int
		phrase string
	}{
		{"/rest/block/xyz.json", 400, `"xyz" is not a block hash`},
		{"/rest/block/" + unknown + ".json", 404, "no block " + unknown},
		{"/rest/block/" + e.hash("a1") + ".bin", 404, "only the .json format"},
		{"/rest/block/" + e.hash("a1"), 404, "only the .json format"},
		{"/rest/tx/" + unknown + ".json", 404, "not in the mempool"},
		{"/rest/tx/12.json", 400, "is not a transaction id"},
		{"/rest/tx/" + e.spend.TxID().String() + ".json?block=" + e.hash("a1"), 404, "has no transaction"},
		{"/rest/tx/" + e.spend.TxID().String() + ".json?block=99", 404, "no block at height 99"},
		{"/rest/blockhashbyheight/16.json", 404, "best chain ends at height 15"},
		{"/rest/blockhashbyheight/-1.json", 400, "not a block height"},
		{"/rest/blockhashbyheight/99999999999999999999.json", 400, "not a block height"},
		{"/rest/headers/" + e.hash("a1") + ".json?count=0", 400, "want 1 to 2000"},
		{"/rest/headers/2001/" + e.hash("a1") + ".json", 400, "want 1 to 2000"},
		{"/rest/headers/x/" + e.hash("a1") + ".json", 400, "count="},
		{"/rest/blocks.json?count=101", 400, "at most 100"},
		{"/rest/blocks.json?start=16", 404, "no block at height 16"},
		{"/rest/mempool/txs.json?limit=501", 400, "at most 500"},
		{"/rest/mempool/txs.json?offset=-1", 400, "offset"},
		{"/rest/address/pc1qqqq.json", 400, "not an address of the chaintest network"},
		{"/rest/address/" + e.addr + ".json?limit=1000", 400, "at most 500"},
		{"/rest/search.json?q=", 400, "type a block height"},
		{"/rest/search.json?q=" + unknown, 404, "no block or transaction"},
		{"/rest/search.json?q=hello", 400, "not a block height, block hash, transaction id or address"},
		{"/rest/nothing.json", 404, "no REST endpoint /rest/nothing.json"},
		{"/rest/block/a/b.json", 404, "no REST endpoint"},
	}
	for _, c := range cases {
		e.expectError(c.path, c.status, c.phrase)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/rest/chaininfo.json", strings.NewReader("{}")))
	if rec.Code != http.StatusMethodNotAllowed || !strings.Contains(rec.Body.String(), "read-only") {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	e.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/rest/chaininfo.json", strings.NewReader(strings.Repeat("x", explorer.MaxBodyBytes+1))))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("GET with a large body: %d %s", rec.Code, rec.Body)
	}
}

// TestSearch: a height, block hash, txid and address each lead to their
// page.
func TestSearch(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	for q, want := range map[string]string{
		"13":                          "/block/" + e.hash("spend"),
		" " + e.hash("a2") + " ":      "/block/" + e.hash("a2"),
		strings.ToUpper(e.hash("a2")): "/block/" + e.hash("a2"),
		e.spend.TxID().String():       "/tx/" + e.spend.TxID().String(),
		e.pending.TxID().String():     "/tx/" + e.pending.TxID().String(),
		e.addr:                        "/address/" + e.addr,
	} {
		var res map[string]string
		e.getJSON("/rest/search.json?q="+url.QueryEscape(q), &res)
		if res["path"] != want {
			t.Fatalf("search %q: %v, want %s", q, res, want)
		}
		rec := e.get("/search?q=" + url.QueryEscape(q))
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
			t.Fatalf("page search %q: %d to %q", q, rec.Code, rec.Header().Get("Location"))
		}
	}
}

// TestAddressHistoryAndTxIndex: the address view lists every output ever
// paid to the address, newest first, with what spent it; with the
// transaction index, a confirmed transaction is found by its txid alone,
// and an unknown one is reported as unknown to the whole chain.
func TestAddressHistoryAndTxIndex(t *testing.T) {
	e := newEnv(t, explorer.Limits{}, func(c *chain.Config) { c.TxIndex = true })
	var addr explorer.Address
	e.getJSON("/rest/address/"+e.addr+".json?limit=500", &addr)
	// a1's and a2's coinbases were spent by "spend"; nothing else was.
	if addr.HistoryCount != addr.UtxoCount+2 || len(addr.History) != addr.HistoryCount {
		t.Fatalf("history %d entries (%d listed), %d unspent outputs", addr.HistoryCount, len(addr.History), addr.UtxoCount)
	}
	var spent []explorer.HistoryEntry
	for i, h := range addr.History {
		if i > 0 && h.Height > addr.History[i-1].Height {
			t.Fatalf("history not newest first at %d: %d after %d", i, h.Height, addr.History[i-1].Height)
		}
		if h.SpentBy != "" {
			spent = append(spent, h)
		}
	}
	if len(spent) != 2 || spent[0].SpentBy != e.spend.TxID().String() || spent[0].SpentHeight != 13 || !spent[1].Coinbase {
		t.Fatalf("spent outputs %+v, want a1's and a2's coinbases spent by %s at 13", spent, e.spend.TxID())
	}
	var page explorer.Address
	e.getJSON("/rest/address/"+e.addr+".json?offset=1&limit=2", &page)
	if len(page.History) != 2 || page.History[0] != addr.History[1] || page.History[1] != addr.History[2] {
		t.Fatalf("history window %+v, want entries 1 and 2 of %+v", page.History, addr.History[:3])
	}
	// a1's coinbase has no unspent output left: only the index finds it.
	a1 := e.g.Block("a1").Transactions[0].TxID().String()
	var tx explorer.Tx
	e.getJSON("/rest/tx/"+a1+".json", &tx)
	if tx.TxID != a1 || tx.Height == nil || *tx.Height != 1 {
		t.Fatalf("a1's coinbase through the index: %+v", tx)
	}
	e.expectError("/rest/tx/"+strings.Repeat("0", 64)+".json", 404, "neither in the mempool nor in a block of the best chain")
}
