package explorer

import (
	"net/http"
	"strconv"
	"strings"

	"powchain/wire"
)

// routes installs every handler. REST paths follow Bitcoin Core's REST
// interface (JSON only); see docs/RPC.md.
func (s *Server) routes(metrics http.Handler) {
	api := func(pattern string, h func(*http.Request) (any, error)) {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			v, err := h(r)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			writeJSON(w, v)
		})
	}
	api("GET /rest/chaininfo.json", func(*http.Request) (any, error) { return s.src.ChainInfo(), nil })
	api("GET /rest/block/{file}", s.restBlock)
	api("GET /rest/blockhashbyheight/{file}", s.restBlockHashByHeight)
	api("GET /rest/headers/{file}", s.restHeaders)
	api("GET /rest/headers/{count}/{file}", s.restHeaders)
	api("GET /rest/tx/{file}", s.restTx)
	api("GET /rest/mempool/info.json", func(*http.Request) (any, error) { return s.src.MempoolInfo(), nil })
	api("GET /rest/mempool/txs.json", s.restMempool)
	api("GET /rest/blocks.json", s.restBlocks)
	api("GET /rest/address/{file}", s.restAddress)
	api("GET /rest/peers.json", func(*http.Request) (any, error) { return s.src.Peers() })
	api("GET /rest/search.json", s.restSearch)
	api("GET /rest/", func(r *http.Request) (any, error) {
		return nil, notFound("no REST endpoint %s (see docs/RPC.md)", r.URL.Path)
	})
	s.mux.HandleFunc("GET "+eventsPath, s.serveEvents)
	if metrics != nil {
		s.mux.Handle("GET /metrics", metrics)
	}
	s.pageRoutes()
}

// eventsPath is /events, which ServeHTTP lets through without a running
// turn.
const eventsPath = "/events"

func isAPIPath(path string) bool {
	return strings.HasPrefix(path, "/rest/") || path == "/events" || path == "/metrics"
}

// jsonName strips the .json extension every REST resource name carries;
// Core's .bin and .hex formats are not served.
func jsonName(r *http.Request) (string, error) {
	file := r.PathValue("file")
	name, ok := strings.CutSuffix(file, ".json")
	if !ok {
		return "", notFound("%s: only the .json format is served (append .json)", r.URL.Path)
	}
	return name, nil
}

func hashParam(r *http.Request, what string) (wire.Hash, error) {
	name, err := jsonName(r)
	if err != nil {
		return wire.Hash{}, err
	}
	return parseHash(what, name)
}

func (s *Server) restBlock(r *http.Request) (any, error) {
	hash, err := hashParam(r, "block hash")
	if err != nil {
		return nil, err
	}
	return s.src.Block(hash, page{limit: wire.MaxTxPerBlock}) // every transaction, as Core's
}

func (s *Server) restBlockHashByHeight(r *http.Request) (any, error) {
	name, err := jsonName(r)
	if err != nil {
		return nil, err
	}
	height, err := parseHeight(name)
	if err != nil {
		return nil, err
	}
	hash, err := s.src.BlockHashByHeight(height)
	if err != nil {
		return nil, err
	}
	return map[string]string{"blockhash": hash.String()}, nil
}

// restHeaders serves /rest/headers/<hash>.json?count=N and Core's older
// /rest/headers/<count>/<hash>.json (default count 5, as Core).
func (s *Server) restHeaders(r *http.Request) (any, error) {
	hash, err := hashParam(r, "block hash")
	if err != nil {
		return nil, err
	}
	countStr := r.PathValue("count")
	if countStr == "" {
		countStr = r.URL.Query().Get("count")
	}
	count := 5
	if countStr != "" {
		if count, err = strconv.Atoi(countStr); err != nil {
			return nil, badRequest("count=%q: want a whole number from 1 to %d", countStr, MaxHeaders)
		}
	}
	return s.src.Headers(hash, count)
}

func (s *Server) restTx(r *http.Request) (any, error) {
	name, err := jsonName(r)
	if err != nil {
		return nil, err
	}
	return s.txByName(r, name)
}

// txByName finds the transaction txid names, in the block the request's
// ?block= names if any.
func (s *Server) txByName(r *http.Request, name string) (*Tx, error) {
	txid, err := parseHash("transaction id", name)
	if err != nil {
		return nil, err
	}
	block, err := s.blockQuery(r)
	if err != nil {
		return nil, err
	}
	return s.src.Tx(txid, block)
}

// blockQuery reads the optional ?block=<hash or best-chain height> of a
// transaction lookup.
func (s *Server) blockQuery(r *http.Request) (*wire.Hash, error) {
	v := r.URL.Query().Get("block")
	var h wire.Hash
	var err error
	switch {
	case v == "":
		return nil, nil
	case isDigits(v):
		var height uint64
		if height, err = parseHeight(v); err == nil {
			h, err = s.src.BlockHashByHeight(height)
		}
	default:
		h, err = parseHash("block hash", v)
	}
	return &h, err
}

func (s *Server) restMempool(r *http.Request) (any, error) {
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	return s.src.MempoolPage(p), nil
}

// restBlocks serves /rest/blocks.json?start=<height>&count=N: summaries of
// N best-chain blocks from start (default: the tip) down.
func (s *Server) restBlocks(r *http.Request) (any, error) {
	start, err := s.startParam(r)
	if err != nil {
		return nil, err
	}
	count, err := pageParam(r, "count", 10, MaxBlocks)
	if err != nil {
		return nil, err
	}
	return s.src.Blocks(start, count)
}

func (s *Server) startParam(r *http.Request) (uint64, error) {
	v := r.URL.Query().Get("start")
	if v == "" {
		return s.src.Chain.Tip().Height, nil
	}
	return parseHeight(v)
}

func (s *Server) restAddress(r *http.Request) (any, error) {
	addr, err := jsonName(r)
	if err != nil {
		return nil, err
	}
	p, err := pageParams(r)
	if err != nil {
		return nil, err
	}
	return s.src.Address(addr, p)
}

func (s *Server) restSearch(r *http.Request) (any, error) {
	path, err := s.src.Resolve(r.URL.Query().Get("q"))
	if err != nil {
		return nil, err
	}
	return map[string]string{"path": path}, nil
}
