package explorer

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"powchain/rpc"
	"powchain/wire"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// ChartBlocks is how many blocks the home page's chart covers.
const ChartBlocks = 100

// recentBlocks is how many blocks the home page lists.
const recentBlocks = 10

// pageNames are the templates besides the shared layout.
var pageNames = []string{"home", "block", "tx", "address", "mempool", "network", "error"}

// templates parses every page with the layout; the templates are embedded,
// so a parse error is a build defect and panics at start.
func templates() map[string]*template.Template {
	funcs := template.FuncMap{
		"coins":   func(a rpc.Amount) string { return rpc.FormatCoins(uint64(a)) },
		"coinsp":  func(a *rpc.Amount) string { return rpc.FormatCoins(uint64(*a)) },
		"utc":     func(ts int64) string { return time.Unix(ts, 0).UTC().Format("2006-01-02 15:04:05 UTC") },
		"short":   func(s string) string { return s[:min(len(s), 16)] + "…" },
		"kb":      func(n int) string { return fmt.Sprintf("%.1f kB", float64(n)/1000) },
		"diff":    func(d float64) string { return fmt.Sprintf("%.6g", d) },
		"seconds": func(f float64) string { return fmt.Sprintf("%.0f ms", f*1000) },
		"add":     func(a, b int) int { return a + b },
		"deref":   func(h *uint64) uint64 { return *h },
		// confirmations of a confirmed transaction, which always has them
		"confirmations": func(n *int64) int64 { return *n },
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return out
}

// pageRoutes installs the explorer's pages. Each renders from the same
// Source functions the REST handlers answer from.
func (s *Server) pageRoutes() {
	s.pages = templates()
	static, _ := fs.Sub(staticFS, "static")
	// One file at a time: a missing one gets the explorer's 404 page, and
	// /static/ lists nothing (a file server's listing and plain-text 404).
	s.mux.HandleFunc("GET /static/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if info, err := fs.Stat(static, name); err != nil || info.IsDir() {
			s.fail(w, r, notFound("there is no file %s", r.URL.Path))
			return
		}
		http.ServeFileFS(w, r, static, name)
	})
	page := func(pattern, name string, data func(*http.Request) (any, error)) {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			v, err := data(r)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			s.render(w, http.StatusOK, name, v)
		})
	}
	page("GET /{$}", "home", s.homePage)
	page("GET /block/{id}", "block", s.blockPage)
	page("GET /tx/{txid}", "tx", s.txPage)
	page("GET /address/{addr}", "address", s.addressPage)
	page("GET /mempool", "mempool", s.mempoolPage)
	page("GET /network", "network", s.networkPage)
	s.mux.HandleFunc("GET /search", s.search)
	s.mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, notFound("there is no page %s", r.URL.Path))
	})
}

// pageData is what every page template gets: the network's name, the
// tip, the page's title and its own data.
type pageData struct {
	Network string
	Tip     uint64
	Title   string
	Query   string
	Data    any
}

func (s *Server) render(w http.ResponseWriter, status int, name string, v any) {
	p := pageData{Network: s.src.Chain.Params().Name, Tip: s.src.Chain.Tip().Height, Data: v}
	if t, ok := v.(titled); ok {
		p.Title = t.title()
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type titled interface{ title() string }

// errorPage shows an error in the user's terms with the status.
func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, "error", errorView{Status: status, StatusText: http.StatusText(status), Message: msg})
}

type errorView struct {
	Status     int
	StatusText string
	Message    string
}

func (e errorView) title() string { return e.StatusText }

// search sends the browser to the page of what was typed.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	path, err := s.src.Resolve(r.URL.Query().Get("q"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// ---- home ----

type homeView struct {
	Chain   *rpc.BlockchainInfo
	Mempool *Mempool
	Net     rpc.NetworkInfo
	Blocks  []BlockSummary
	Chart   chart
}

func (homeView) title() string { return "" }

func (s *Server) homePage(*http.Request) (any, error) {
	info := s.src.ChainInfo()
	blocks, err := s.src.Blocks(info.Blocks, recentBlocks)
	if err != nil {
		return nil, err
	}
	start := uint64(0)
	if info.Blocks+1 > ChartBlocks {
		start = info.Blocks + 1 - ChartBlocks
	}
	startHash, err := s.src.BlockHashByHeight(start)
	if err != nil {
		return nil, err
	}
	headers, err := s.src.Headers(startHash, ChartBlocks)
	if err != nil {
		return nil, err
	}
	peers, err := s.src.Peers()
	if err != nil {
		return nil, err
	}
	return &homeView{Chain: info, Mempool: s.src.MempoolPage(page{limit: 0}), Net: peers.Info,
		Blocks: blocks, Chart: newChart(headers)}, nil
}

// ---- block, tx, address ----

func (b *Block) title() string { return fmt.Sprintf("Block %d", b.Height) }

// blockView is a block with one page of its transactions (pageParams:
// 50 by default) and the links to the others.
type blockView struct {
	*Block
	Page Pager
}

func (s *Server) blockPage(r *http.Request) (any, error) {
	hash, err := s.blockID(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	b, err := s.src.Block(hash, p)
	if err != nil {
		return nil, err
	}
	return blockView{b, newPager(r, p, b.NTx)}, nil
}

// blockID reads a block page's name: a best-chain height or a hash.
func (s *Server) blockID(id string) (wire.Hash, error) {
	if !isDigits(id) {
		return parseHash("block hash", id)
	}
	height, err := parseHeight(id)
	if err != nil {
		return wire.Hash{}, err
	}
	return s.src.BlockHashByHeight(height)
}

func (t *Tx) title() string { return "Transaction " + t.TxID[:16] + "…" }

func (s *Server) txPage(r *http.Request) (any, error) { return s.txByName(r, r.PathValue("txid")) }

func (a *Address) title() string { return "Address " + a.Address }

// addressView adds paging links to an address: the window they move is
// that of both lists, and the history, which holds the spent outputs too,
// may go on after the unspent outputs end.
type addressView struct {
	Info        *Address
	Page        Pager // of the unspent outputs
	HistoryPage Pager
}

func (v addressView) title() string { return v.Info.title() }

func (s *Server) addressPage(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	a, err := s.src.Address(r.PathValue("addr"), p)
	if err != nil {
		return nil, err
	}
	return addressView{a, newPager(r, p, a.UtxoCount), newPager(r, p, a.HistoryCount)}, nil
}

// ---- mempool and network ----

type mempoolView struct {
	*Mempool
	Page Pager
}

func (mempoolView) title() string { return "Mempool" }

func (s *Server) mempoolPage(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	m := s.src.MempoolPage(p)
	return mempoolView{m, newPager(r, p, m.Total)}, nil
}

type networkView struct {
	Info   rpc.NetworkInfo
	Peers  []rpc.PeerInfo
	Banned []rpc.BannedInfo
	Graph  peerGraph
}

func (networkView) title() string { return "Network" }

func (s *Server) networkPage(*http.Request) (any, error) {
	p, err := s.src.Peers()
	if err != nil {
		return nil, err
	}
	return networkView{p.Info, p.Peers, p.Banned, newPeerGraph(p.Peers)}, nil
}

// Pager links the previous and next windows of a list ("" when none).
type Pager struct {
	From, To, Total int
	Prev, Next      string
}

func newPager(r *http.Request, p page, total int) Pager {
	pg := Pager{From: min(p.offset+1, total), To: min(p.offset+p.limit, total), Total: total}
	link := func(offset int) string {
		q := r.URL.Query()
		q.Set("offset", fmt.Sprint(offset))
		q.Set("limit", fmt.Sprint(p.limit))
		return r.URL.Path + "?" + q.Encode()
	}
	if p.offset > 0 {
		pg.Prev = link(max(p.offset-p.limit, 0))
	}
	if p.offset+p.limit < total {
		pg.Next = link(p.offset + p.limit)
	}
	return pg
}
