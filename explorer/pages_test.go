package explorer_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"powchain/explorer"
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
		"/network":                         {"127.0.0.1:51000", "inbound", "10.0.0.9", "misbehaving", "<svg"},
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
