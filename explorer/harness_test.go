package explorer_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/explorer"
	"powchain/mempool"
	"powchain/mempool/mempooltest"
	"powchain/rpc"
	"powchain/wire"
)

var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeNet is a p2p view with two peers and a ban.
type fakeNet struct{}

func (fakeNet) Peers() ([]rpc.PeerInfo, error) {
	return []rpc.PeerInfo{
		{ID: 1, Addr: "127.0.0.1:19444", SubVer: "/powchain:0.1/", SyncedBlocks: 14, PingTime: 0.002, BytesSent: 1200, BytesRecv: 3400},
		{ID: 2, Addr: "127.0.0.1:51000", Inbound: true, SubVer: "/powchain:0.1/", SyncedBlocks: -1, StartingHeight: 9},
	}, nil
}
func (fakeNet) Info() (rpc.NetworkInfo, error) {
	return rpc.NetworkInfo{Network: "chaintest", Connections: 2, ConnectionsIn: 1, ConnectionsOut: 1, ListenAddress: "127.0.0.1:19440"}, nil
}
func (fakeNet) ListBanned() ([]rpc.BannedInfo, error) {
	return []rpc.BannedInfo{{Address: "10.0.0.9", BannedUntil: genesisTime.Add(48 * time.Hour).Unix(), BanReason: "misbehaving"}}, nil
}
func (fakeNet) PeersBestHeight() (uint64, error) { return 0, nil }

// wallClock is the explorer's clock: it sets socket deadlines, which the
// operating system compares with the real time. (The chain and the pool
// run on the test's clock.)
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// env is a chain with blocks and a mempool with a transaction, and an
// explorer server over them.
type env struct {
	t     *testing.T
	g     *chaintest.Generator
	chain *chain.Chain
	pool  *mempool.Pool
	srv   *explorer.Server
	// spend is confirmed in block "spend"; pending waits in the mempool.
	spend, pending *wire.Tx
	addr           string // the generator's address: every output pays it
}

// newEnv builds the test chain; opts adjust the chain's configuration.
func newEnv(t *testing.T, limits explorer.Limits, opts ...func(*chain.Config)) *env {
	t.Helper()
	return newEnvMetrics(t, limits, nil, opts...)
}

// newEnvMetrics is newEnv with metrics serving /metrics.
func newEnvMetrics(t *testing.T, limits explorer.Limits, metrics http.Handler, opts ...func(*chain.Config)) *env {
	t.Helper()
	params := chaintest.Params(genesisTime)
	cfg := chain.Config{Params: params, Clock: chaintest.NewClock(genesisTime.Add(time.Hour))}
	for _, opt := range opts {
		opt(&cfg)
	}
	c, pool := mempooltest.OpenConfig(t, cfg)
	e := &env{t: t, g: chaintest.NewGenerator(t, params), chain: c, pool: pool}
	e.addr, _ = wire.EncodeAddress(params.AddressPrefix, e.g.KeyHash())
	var err error
	e.srv, err = explorer.New(explorer.Config{
		Source: explorer.Source{Chain: c, Mempool: pool, Net: fakeNet{}, Clock: wallClock{}},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: limits, Metrics: metrics,
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Subscribe(e.srv.HandleChainNotification) // after the pool's, as node.FollowChain orders it
	e.extend("a", 12)
	e.spend = e.g.SpendTx([]chaintest.SpendableOut{e.g.CoinbaseOut("a1"), e.g.CoinbaseOut("a2")}, 5000, 2)
	e.block("spend", e.spend)
	e.extend("b", 2)
	e.pending = e.g.SpendTx([]chaintest.SpendableOut{e.g.CoinbaseOut("a3")}, 20000, 1)
	if _, _, err := pool.ProcessTransaction(e.pending, false, 0); err != nil {
		t.Fatal(err)
	}
	return e
}

// block mines the named block with txs onto the generator's tip.
func (e *env) block(name string, txs ...*wire.Tx) {
	e.t.Helper()
	if _, err := e.chain.ProcessBlock(e.g.NextBlock(name, txs)); err != nil {
		e.t.Fatalf("block %s: %v", name, err)
	}
}

func (e *env) extend(prefix string, n int) {
	e.t.Helper()
	for i := 1; i <= n; i++ {
		e.block(fmt.Sprintf("%s%d", prefix, i))
	}
}

// hash of a named block, as a string.
func (e *env) hash(name string) string { return e.g.Block(name).BlockHash().String() }

// get answers a GET through the server's handler (no socket).
func (e *env) get(path string) *httptest.ResponseRecorder {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// getJSON decodes a 200 JSON answer into v.
func (e *env) getJSON(path string, v any) {
	e.t.Helper()
	rec := e.get(path)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		e.t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		e.t.Fatalf("GET %s: %v in %s", path, err, rec.Body)
	}
}

// expectError checks a JSON error answer: its status and a phrase of its
// message.
func (e *env) expectError(path string, status int, phrase string) {
	e.t.Helper()
	rec := e.get(path)
	var body struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		e.t.Fatalf("GET %s: %d, not a JSON error: %s", path, rec.Code, rec.Body)
	}
	if rec.Code != status || body.Status != status || !strings.Contains(body.Error, phrase) {
		e.t.Fatalf("GET %s: %d %q, want %d with %q", path, rec.Code, body.Error, status, phrase)
	}
}

// bigBlock mines a fan-out of coinbase a5 into n outputs (block
// name+"-fan"), then the block name of n transactions, each spending one
// of them and paying a fee of 10. They carry no signatures: the chain's
// signature cache vouches for them (withSigCache), as it does for a
// transaction the mempool verified, which spares the test n signatures
// (minutes under the race detector).
func (e *env) bigBlock(name string, n int, cache *chain.SigCache) *wire.Block {
	e.t.Helper()
	fan := e.g.SpendTx([]chaintest.SpendableOut{e.g.CoinbaseOut("a5")}, 0, n)
	e.block(name+"-fan", fan)
	txs, fanID := make([]*wire.Tx, n), fan.TxID()
	for i := range txs {
		txs[i] = &wire.Tx{Version: 1,
			Inputs:  []wire.TxIn{{PrevOut: wire.OutPoint{TxID: fanID, Index: uint32(i)}, PubKey: fan.Inputs[0].PubKey}},
			Outputs: []wire.TxOut{{Amount: fan.Outputs[i].Amount - 10, KeyHash: e.g.KeyHash()}}}
		cache.Add(txs[i].TxID())
	}
	e.block(name, txs...)
	return e.g.Block(name)
}

// withSigCache gives the chain the signature cache cache.
func withSigCache(cache *chain.SigCache) func(*chain.Config) {
	return func(c *chain.Config) { c.SigCache = cache }
}
