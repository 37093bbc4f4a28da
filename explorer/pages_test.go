package explorer_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"powchain/chain"
	"powchain/explorer"
	"powchain/rpc"
	"powchain/wire"
)

// TestPages: every page renders from the chain the test built, and shows
// its key facts.
func TestPages(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	cases := map[string][]string{
		"/":                                {`id="height">15<`, e.hash("b2"), `id="mempool-size">1<`, "<svg"},
		"/block/" + e.hash("spend"):        {"Block 13", e.spend.TxID().String(), "0.00005000", e.addr, e.hash("b1")},
		"/block/13":                        {"Block 13", e.hash("spend")},
		"/tx/" + e.spend.TxID().String():   {"confirmed", ">13<", "0.00005000"},
		"/tx/" + e.pending.TxID().String(): {"in the mempool", "0.00020000", e.addr},
		"/address/" + e.addr + "?limit=2":  {e.addr, "Unspent outputs", "next →", e.pending.TxID().String()},
		"/mempool":                         {e.pending.TxID().String()[:16], "0.00020000"},
		"/network":                         {"127.0.0.1:51000", "inbound", "9 (claimed)", "10.0.0.9", "misbehaving", "<svg"},
		"/static/style.css":                {"--accent"},
		"/static/app.js":                   {"EventSource"},
	}
	for path, wants := range cases {
		rec := e.get(path)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		for _, want := range wants {
			if !strings.Contains(rec.Body.String(), want) {
				t.Fatalf("GET %s: no %q in\n%s", path, want, rec.Body)
			}
		}
	}
}

// TestMempoolPageUnbroadcast: the mempool page shows how many of its
// transactions no peer has asked for yet (getmempoolinfo's
// unbroadcastcount).
func TestMempoolPageUnbroadcast(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	const card = `id="mempool-unbroadcast">%d<`
	if body := e.get("/mempool").Body.String(); !strings.Contains(body, fmt.Sprintf(card, 0)) {
		t.Fatalf("no unbroadcast count of 0 in\n%s", body)
	}
	e.pool.SetUnbroadcast([]wire.Hash{e.pending.TxID()})
	if body := e.get("/mempool").Body.String(); !strings.Contains(body, fmt.Sprintf(card, 1)) {
		t.Fatalf("no unbroadcast count of 1 in\n%s", body)
	}
}

// TestPageErrors: bad names are 400 and 404 pages in the user's terms,
// and whatever the user typed is escaped, never executed.
func TestPageErrors(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	cases := []struct {
		path   string
		status int
		phrase string
	}{
		{"/block/nothex", 400, "is not a block hash"},
		{"/block/99", 404, "no block at height 99"},
		{"/tx/" + strings.Repeat("0", 64), 404, "not in the mempool"},
		{"/address/%3Cscript%3Ealert(1)%3C%2Fscript%3E", 400, "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"/search?q=%3Cb%3Ebold%3C%2Fb%3E", 400, "&#34;&lt;b&gt;bold&lt;/b&gt;&#34; is not a block height"},
		{"/mempool?limit=9999", 400, "at most 500"},
		{"/no/such/page", 404, "there is no page /no/such/page"},
		{"/static/", 404, "there is no page /static/"},
		{"/static/nope.js", 404, "there is no file /static/nope.js"},
	}
	for _, c := range cases {
		rec := e.get(c.path)
		body := rec.Body.String()
		if rec.Code != c.status || !strings.Contains(body, c.phrase) || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d, want %d with %q:\n%s", c.path, rec.Code, c.status, c.phrase, body)
		}
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>bold") {
			t.Fatalf("GET %s: user input rendered unescaped", c.path)
		}
	}
}

// TestAddressPagerCoversHistory: the address page's "next →" links lead
// through its whole history, also where spent outputs outnumber the
// unspent ones by a page (a1's and a2's coinbases, the oldest outputs, are
// spent: 17 outputs ever paid, 15 unspent).
func TestAddressPagerCoversHistory(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	var addr explorer.Address
	e.getJSON("/rest/address/"+e.addr+".json?limit=500", &addr)
	a1 := e.g.Block("a1").Transactions[0].TxID().String()
	next := regexp.MustCompile(`<a href="([^"]+)">next →</a>`)
	pages, seen := 0, false
	for path := "/address/" + e.addr + "?limit=2"; path != ""; pages++ {
		rec := e.get(path)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		seen = seen || strings.Contains(rec.Body.String(), "/tx/"+a1)
		path = ""
		if m := next.FindStringSubmatch(rec.Body.String()); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if want := (addr.HistoryCount + 1) / 2; pages != want || !seen {
		t.Fatalf("%d pages of 2 (a1's coinbase shown: %v) for %d outputs ever paid, %d unspent; want %d pages reaching a1's coinbase",
			pages, seen, addr.HistoryCount, addr.UtxoCount, want)
	}
}

// TestBlockPagePaged: the page of a block of 2,501 transactions shows 50
// of them with links to the others, and the block's whole size, count and
// fees; the pages together show every transaction once, in block order,
// each with its own fee and previous output; REST still answers the whole
// block; bad paging values are 400 pages.
func TestBlockPagePaged(t *testing.T) {
	cache := chain.NewSigCache(4096)
	e := newEnv(t, explorer.Limits{}, withSigCache(cache))
	const n = 2500
	blk := e.bigBlock("big", n, cache)
	hash := blk.BlockHash().String()
	articles := regexp.MustCompile(`<article class="tx">\s*<h3><a class="hash txid" href="/tx/([0-9a-f]{64})\?block=`)

	rec := e.get("/block/" + hash)
	body := rec.Body.String()
	t.Logf("block of %d transactions (%d bytes): its page is %d bytes of HTML", n+1, blk.SerializeSize(), len(body))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /block/%s: %d %s", hash, rec.Code, body[:min(len(body), 2000)])
	}
	summary := []string{
		"<tr><th>Transactions</th><td>2501</td></tr>",
		fmt.Sprintf("<tr><th>Size</th><td>%d bytes</td></tr>", blk.SerializeSize()),
		"(fees 0.00025000)",
		"1–50 of 2501", "next →",
	}
	for _, want := range summary {
		if !strings.Contains(body, want) {
			t.Fatalf("block page lacks %q", want)
		}
	}
	if got := len(articles.FindAllString(body, -1)); got != 50 || strings.Contains(body, "← previous") {
		t.Fatalf("first page of the block shows %d transactions (previous link: %v), want 50 and no previous link",
			got, strings.Contains(body, "← previous"))
	}

	// Walk the pages, 500 a page: every transaction once, in block order.
	next := regexp.MustCompile(`<a href="([^"]+)">next →</a>`)
	var shown []string
	pages := 0
	for path := "/block/" + hash + "?limit=500"; path != ""; pages++ {
		rec := e.get(path)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "(fees 0.00025000)") {
			t.Fatalf("GET %s: %d, or not the whole block's fees", path, rec.Code)
		}
		for _, m := range articles.FindAllStringSubmatch(body, -1) {
			shown = append(shown, m[1])
		}
		path = ""
		if m := next.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if pages != 6 || len(shown) != n+1 {
		t.Fatalf("%d pages of 500 showed %d transactions, want 6 pages showing %d", pages, len(shown), n+1)
	}
	for i, tx := range blk.Transactions {
		if shown[i] != tx.TxID().String() {
			t.Fatalf("transaction %d shown is %s, want %s", i, shown[i], tx.TxID())
		}
	}

	// The last page's last transaction has its own fee and previous output.
	rec = e.get("/block/" + hash + "?offset=2500")
	last := blk.Transactions[n]
	prev := e.g.Block("big-fan").Transactions[1].Outputs[n-1].Amount
	for _, want := range []string{"2501–2501 of 2501", "← previous", last.TxID().String(), "fee 0.00000010", rpc.FormatCoins(prev)} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Fatalf("last page lacks %q:\n%s", want, rec.Body)
		}
	}

	// REST answers the whole block.
	var whole explorer.Block
	e.getJSON("/rest/block/"+hash+".json", &whole)
	if len(whole.Tx) != n+1 || whole.NTx != n+1 || whole.Fees == nil || *whole.Fees != 10*n || whole.Tx[n].TxID != last.TxID().String() {
		t.Fatalf("REST block: %d transactions of %d, fees %v", len(whole.Tx), whole.NTx, whole.Fees)
	}

	for _, c := range []struct{ query, phrase string }{
		{"?limit=501", "limit=501 is too large: at most 500"},
		{"?limit=0", "limit=0: want 1 to 500 transactions a page"},
		{"?offset=-1", "offset=&#34;-1&#34;: want a whole number from 0"},
		{"?offset=2501", "offset=2501 is past the block&#39;s last transaction"},
	} {
		rec := e.get("/block/" + hash + c.query)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), c.phrase) ||
			!strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET /block/…%s: %d, want 400 with %q:\n%s", c.query, rec.Code, c.phrase, rec.Body)
		}
	}
}
