package explorer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/explorer"
)

// Browser tests drive a headless Chromium (Debian's chromium package) with
// chromedp. Without a browser they are skipped, unless
// POWCHAIN_REQUIRE_BROWSER is set (CI sets it: there a missing browser is a
// failure). Screenshots go to POWCHAIN_SCREENSHOTS, or to a folder under
// the temporary directory; the test logs where.

func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("POWCHAIN_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium on PATH (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH: browser tests skipped")
	return ""
}

func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("POWCHAIN_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "powchain-explorer-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browser is a headless Chromium tab.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browserPath(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	return &browser{t: t, ctx: ctx, dir: screenshotDir(t)}
}

func (b *browser) run(actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// text returns the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run(chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

// shot saves a full-page screenshot as name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	var png []byte
	b.run(chromedp.FullScreenshot(&png, 100)) // quality 100: PNG
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// waitText waits until the element sel's text contains want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want)
	if err := chromedp.Run(b.ctx, chromedp.Poll(js, nil, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		var state string
		chromedp.Run(b.ctx, chromedp.Evaluate(`location.href + " refreshes=" + (document.body.dataset.refreshes || 0) + " live=" + document.getElementById("live").textContent + " text=" + (document.querySelector(`+fmt.Sprintf("%q", sel)+`) || {}).textContent`, &state))
		b.t.Fatalf("waiting for %q in %s: %v; page: %s", want, sel, err, state)
	}
}

// TestBrowser loads every page in a real browser against a chain that has
// mined and moved coins, checks what the DOM shows, follows links and the
// search box, watches a new block and a confirmation arrive live, and
// saves screenshots (desktop and phone width).
func TestBrowser(t *testing.T) {
	e := newEnv(t, explorer.Limits{})
	base := e.serve()
	b := newBrowser(t)

	// Home: the tip, the mempool, the chart and the recent blocks.
	b.run(chromedp.Navigate(base+"/"), chromedp.WaitVisible("#blocks", chromedp.ByQuery))
	if got := b.text("#height"); got != "15" {
		t.Fatalf("home height %q, want 15", got)
	}
	if got := b.text("#tip-hash"); got != e.hash("b2") {
		t.Fatalf("home tip %q, want %s", got, e.hash("b2"))
	}
	if got := b.text("#mempool-size"); got != "1" {
		t.Fatalf("home mempool %q", got)
	}
	var bars int
	b.run(chromedp.Evaluate(`document.querySelectorAll("svg.chart rect.bar").length`, &bars))
	if bars != 15 {
		t.Fatalf("chart has %d bars, want one per block after genesis (15)", bars)
	}
	b.waitText("#live", "live")
	b.shot("home")

	// A new block appears without reloading: the page swaps its content.
	e.block("c1", e.pending)
	b.waitText("#height", "16")
	b.waitText("#mempool-size", "0")
	var refreshes string
	b.run(chromedp.Evaluate(`document.body.dataset.refreshes || ""`, &refreshes))
	if refreshes == "" {
		t.Fatal("the page did not refresh itself")
	}
	b.shot("home-live")

	// Follow the link of block 13 from the recent blocks.
	b.run(chromedp.Click(`#blocks a[href="/block/`+e.hash("spend")+`"]`, chromedp.ByQuery), chromedp.WaitVisible("#block-hash", chromedp.ByQuery))
	if got := b.text("#block-hash"); got != e.hash("spend") {
		t.Fatalf("block page %q", got)
	}
	if !strings.Contains(b.text("#main"), e.spend.TxID().String()) || !strings.Contains(b.text("#main"), "0.00005000") {
		t.Fatal("block page lacks the spend and its fee")
	}
	b.shot("block")

	// Its spend transaction: confirmed, inputs with previous outputs.
	b.run(chromedp.Click(`a.txid[href^="/tx/`+e.spend.TxID().String()+`"]`, chromedp.ByQuery), chromedp.WaitVisible("#txid", chromedp.ByQuery))
	if got := b.text("#status"); !strings.Contains(got, "confirmed") || !strings.Contains(got, "13") {
		t.Fatalf("tx status %q", got)
	}
	if got := b.text("#fee"); got != "0.00005000" {
		t.Fatalf("tx fee %q", got)
	}
	b.shot("tx")

	// The search box: an address.
	b.run(chromedp.SetValue("#search", e.addr, chromedp.ByQuery), chromedp.Submit("#search", chromedp.ByQuery), chromedp.WaitVisible("#balance", chromedp.ByQuery))
	if got := b.text("#address"); got != e.addr {
		t.Fatalf("address page %q", got)
	}
	b.shot("address")

	// A transaction followed from the mempool into a block, live.
	fresh := e.g.SpendTx([]chaintest.SpendableOut{e.g.CoinbaseOut("a4")}, 30000, 1)
	if _, _, err := e.pool.ProcessTransaction(fresh, false, 0); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Navigate(base+"/mempool"), chromedp.WaitVisible("#mempool-txs", chromedp.ByQuery))
	b.shot("mempool")
	b.run(chromedp.SetValue("#search", fresh.TxID().String(), chromedp.ByQuery), chromedp.Submit("#search", chromedp.ByQuery), chromedp.WaitVisible("#status", chromedp.ByQuery))
	if got := b.text("#status"); !strings.Contains(got, "in the mempool") {
		t.Fatalf("fresh tx status %q", got)
	}
	b.waitText("#live", "live")
	b.shot("tx-mempool")
	e.block("c2", fresh)
	b.waitText("#status", "confirmed")
	if got := b.text("#tx-block"); got != "17" {
		t.Fatalf("fresh tx confirmed in %q, want 17", got)
	}
	b.shot("tx-confirmed")

	// Network and an error page.
	b.run(chromedp.Navigate(base+"/network"), chromedp.WaitVisible("#peers", chromedp.ByQuery))
	if got := b.text("#peers"); !strings.Contains(got, "127.0.0.1:51000") || !strings.Contains(got, "inbound") {
		t.Fatalf("peers table %q", got)
	}
	var nodes int
	b.run(chromedp.Evaluate(`document.querySelectorAll("svg.graph circle.peer").length`, &nodes))
	if nodes != 2 {
		t.Fatalf("graph has %d peers, want 2", nodes)
	}
	b.shot("network")
	b.run(chromedp.SetValue("#search", "no such thing", chromedp.ByQuery), chromedp.Submit("#search", chromedp.ByQuery), chromedp.WaitVisible("#error-message", chromedp.ByQuery))
	if got := b.text("#error-status"); !strings.HasPrefix(got, "400") {
		t.Fatalf("bad search: %q", got)
	}
	b.shot("error")

	// Phone width.
	b.run(chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/"), chromedp.WaitVisible("#blocks", chromedp.ByQuery))
	var overflow bool
	b.run(chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow))
	if overflow {
		t.Fatal("home page is wider than a phone screen")
	}
	b.shot("home-phone")
	b.run(chromedp.Navigate(base+"/block/"+e.hash("spend")), chromedp.WaitVisible("#block-hash", chromedp.ByQuery))
	b.run(chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow))
	if overflow {
		t.Fatal("block page is wider than a phone screen")
	}
	b.shot("block-phone")
}

// TestBrowserBlockPaged: the page of a block of 2,501 transactions shows
// the first 50 with the block's summary, and "next →" leads to the next 50.
func TestBrowserBlockPaged(t *testing.T) {
	cache := chain.NewSigCache(4096)
	e := newEnv(t, explorer.Limits{}, withSigCache(cache))
	blk := e.bigBlock("big", 2500, cache)
	base := e.serve()
	b := newBrowser(t)

	b.run(chromedp.Navigate(base+"/block/"+blk.BlockHash().String()), chromedp.WaitVisible("#block-txs", chromedp.ByQuery))
	var shown int
	b.run(chromedp.Evaluate(`document.querySelectorAll("#block-txs article.tx").length`, &shown))
	if got := b.text("p.pager"); shown != 50 || !strings.Contains(got, "1–50 of 2501") {
		t.Fatalf("block page shows %d transactions, pager %q; want 50, 1–50 of 2501", shown, got)
	}
	if got := b.text("#main"); !strings.Contains(got, "2501") || !strings.Contains(got, "fees 0.00025000") {
		t.Fatal("block page lacks the whole block's transaction count and fees")
	}
	b.shot("block-paged")

	// The second page: it starts with transaction 50.
	tx50 := blk.Transactions[50].TxID().String()
	b.run(chromedp.Click(`p.pager a[href*="offset=50"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#block-txs article.tx:first-child a.txid[href^="/tx/`+tx50+`"]`, chromedp.ByQuery))
	if got := b.text("p.pager"); !strings.Contains(got, "51–100 of 2501") || !strings.Contains(got, "← previous") {
		t.Fatalf("second page's pager %q", got)
	}
	b.shot("block-paged-2")
}
