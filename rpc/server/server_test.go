package server_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/mempool"
	"powchain/mempool/mempooltest"
	"powchain/miner"
	"powchain/rpc"
	"powchain/rpc/server"
	"powchain/wire"
)

var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// env is a chain, a mempool and an RPC server over them on loopback.
type env struct {
	t       testing.TB
	chain   *chain.Chain
	pool    *mempool.Pool
	client  *rpc.Client
	addr    string
	params  *chain.Params
	stopped atomic.Bool
	miner   *chaintest.Generator // only for keys and spend helpers
	net     *fakeNet
	clock   *chaintest.Clock // the backend's; Started is its time at the start
	// generateGate, when set before a generatetoaddress call, holds the
	// call: it sends on entered, then waits for gate to close.
	generateGate atomic.Pointer[gate]
	// maxGenerate, when not 0, is the most blocks one generatetoaddress
	// call may mine (the fuzz target keeps calls cheap).
	maxGenerate int
}

// gate holds callers until it is opened.
type gate struct {
	entered chan struct{}
	open    chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 100), open: make(chan struct{})} }

func (g *gate) pass(ctx context.Context) {
	g.entered <- struct{}{}
	select {
	case <-g.open:
	case <-ctx.Done():
	}
}

// fakeNet records what the RPC methods ask of the network. Once down is
// set, its queries fail as a stopped p2p server's do.
type fakeNet struct {
	relayed []wire.Hash
	added   map[string]bool
	banned  map[string]time.Duration
	down    error
	// recv and sent are what Totals answers.
	recv, sent uint64
}

func (f *fakeNet) Peers() ([]rpc.PeerInfo, error) {
	if f.down != nil {
		return nil, f.down
	}
	return []rpc.PeerInfo{{ID: 7, Addr: "127.0.0.1:9", SyncedHeaders: -1, SyncedBlocks: -1}}, nil
}
func (f *fakeNet) Info() (rpc.NetworkInfo, error) {
	if f.down != nil {
		return rpc.NetworkInfo{}, f.down
	}
	return rpc.NetworkInfo{Network: "chaintest", Connections: 1}, nil
}
func (f *fakeNet) PeersBestHeight() (uint64, error) { return 0, f.down }
func (f *fakeNet) AddNode(addr string) (bool, error) {
	if f.added[addr] {
		return false, nil
	}
	f.added[addr] = true
	return true, nil
}
func (f *fakeNet) RemoveNode(addr string) (bool, error) {
	found := f.added[addr]
	delete(f.added, addr)
	return found, nil
}
func (f *fakeNet) DisconnectNode(key string) (bool, error) {
	return key == "7" || key == "127.0.0.1:9", nil
}
func (f *fakeNet) SetBan(host string, d time.Duration) error {
	f.banned[host] = d
	return nil
}
func (f *fakeNet) Unban(host string) (bool, error) {
	_, found := f.banned[host]
	delete(f.banned, host)
	return found, nil
}
func (f *fakeNet) ListBanned() ([]rpc.BannedInfo, error) {
	if f.down != nil {
		return nil, f.down
	}
	var out []rpc.BannedInfo
	for h := range f.banned {
		out = append(out, rpc.BannedInfo{Address: h})
	}
	return out, nil
}
func (f *fakeNet) ClearBanned() error { clear(f.banned); return nil }
func (f *fakeNet) RelayTransactions(txids []wire.Hash) error {
	f.relayed = append(f.relayed, txids...)
	return nil
}
func (f *fakeNet) Totals() (recv, sent uint64, err error) {
	return f.recv, f.sent, f.down
}

func newEnv(t *testing.T) *env { return newEnvWith(t, func(*server.Server) {}) }

// newEnvWith is newEnv with configure applied to the server before it serves.
func newEnvWith(t *testing.T, configure func(*server.Server)) *env {
	return newEnvBackend(t, configure, func(*env, *server.Backend) {})
}

// newEnvBackend is newEnvWith with backend applied to the methods' backend
// before they are registered.
func newEnvBackend(t *testing.T, configure func(*server.Server), backend func(*env, *server.Backend)) *env {
	return newEnvChain(t, false, configure, backend)
}

// newEnvTxIndex is newEnv with the chain's transaction index on.
func newEnvTxIndex(t *testing.T) *env {
	return newEnvChain(t, true, func(*server.Server) {}, func(*env, *server.Backend) {})
}

// newEnvChain is newEnvBackend with the chain's transaction index on or off.
func newEnvChain(t testing.TB, txIndex bool, configure func(*server.Server), backend func(*env, *server.Backend)) *env {
	t.Helper()
	return newEnvParams(t, txIndex, nil, configure, backend)
}

// newEnvParams is newEnvChain with the chain's parameters as adjust (when
// not nil) leaves them.
func newEnvParams(t testing.TB, txIndex bool, adjust func(*chain.Params), configure func(*server.Server), backend func(*env, *server.Backend)) *env {
	t.Helper()
	e, srv := newUnservedEnvParams(t, txIndex, adjust, backend)
	configure(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	e.addr = ln.Addr().String()
	e.client = rpc.NewClient(e.addr, "user", "pass")
	return e
}

// newUnservedEnv is a chain (with the transaction index when txIndex is
// set), a mempool and a server over them (backend applied to the methods'
// backend before they are registered) that does not listen: callers drive
// its ServeHTTP.
func newUnservedEnv(t testing.TB, txIndex bool, backend func(*env, *server.Backend)) (*env, *server.Server) {
	t.Helper()
	return newUnservedEnvParams(t, txIndex, nil, backend)
}

// newUnservedEnvParams is newUnservedEnv with the chain's parameters as
// adjust (when not nil) leaves them.
func newUnservedEnvParams(t testing.TB, txIndex bool, adjust func(*chain.Params), backend func(*env, *server.Backend)) (*env, *server.Server) {
	t.Helper()
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 2
	if adjust != nil {
		adjust(params)
	}
	clock := chaintest.NewClock(genesisTime.Add(time.Hour))
	c, pool := mempooltest.OpenConfig(t, chain.Config{Params: params, Clock: clock, TxIndex: txIndex})
	e := &env{t: t, chain: c, pool: pool, params: params, miner: chaintest.NewGenerator(t, params),
		net: &fakeNet{added: map[string]bool{}, banned: map[string]time.Duration{}}, clock: clock}
	srv, err := server.NewServer("user", "pass", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	b := &server.Backend{
		Chain: c, Mempool: pool, Clock: clock, Started: clock.Now(),
		Generate: e.generate, Stop: func() { e.stopped.Store(true) }, Net: e.net,
	}
	backend(e, b)
	if err := srv.RegisterNodeMethods(b); err != nil {
		t.Fatal(err)
	}
	return e, srv
}

// generate mines like the node does: templates from chain and mempool.
func (e *env) generate(ctx context.Context, n int, payTo wire.KeyHash) ([]wire.Hash, error) {
	if g := e.generateGate.Load(); g != nil {
		g.pass(ctx)
	}
	if e.maxGenerate > 0 && n > e.maxGenerate {
		return nil, fmt.Errorf("the test server mines at most %d blocks per call", e.maxGenerate)
	}
	var out []wire.Hash
	for range n {
		var txs []*wire.Tx
		var fees []uint64
		for _, d := range e.pool.Template(miner.MaxTxBytes) {
			txs, fees = append(txs, d.Tx), append(fees, d.Fee)
		}
		tip := e.chain.Tip()
		tmpl := miner.NewTemplate(e.params, tip, txs, fees, tip.Header.Time().Add(time.Second))
		blk, err := miner.SolveBlock(ctx, tmpl, payTo, 1, nil)
		if err != nil {
			return out, err
		}
		if _, err := e.chain.ProcessBlock(blk); err != nil {
			return out, err
		}
		out = append(out, blk.BlockHash())
	}
	return out, nil
}

func (e *env) call(method string, result any, params ...any) error {
	return e.client.Call(context.Background(), method, params, result)
}

func (e *env) must(method string, result any, params ...any) {
	e.t.Helper()
	if err := e.call(method, result, params...); err != nil {
		e.t.Fatalf("%s: %v", method, err)
	}
}

func (e *env) expectCode(method string, code int, params ...any) *rpc.Error {
	e.t.Helper()
	err := e.call(method, nil, params...)
	var rpcErr *rpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != code {
		e.t.Fatalf("%s %v: error %v, want code %d", method, params, err, code)
	}
	return rpcErr
}

// coinbaseOf is the coinbase of the block with the given hash.
func (e *env) coinbaseOf(blockHash string) *wire.Tx {
	e.t.Helper()
	h, err := wire.ParseHash(blockHash)
	if err != nil {
		e.t.Fatal(err)
	}
	blk, err := e.chain.BlockByHash(h)
	if err != nil || blk == nil {
		e.t.Fatalf("block %s: %v", blockHash, err)
	}
	return blk.Transactions[0]
}

func (e *env) address(kh wire.KeyHash) string {
	a, _ := wire.EncodeAddress(e.params.AddressPrefix, kh)
	return a
}

func TestChainMethods(t *testing.T) {
	e := newEnv(t)
	addr := e.address(e.miner.KeyHash())
	var hashes []string
	e.must("generatetoaddress", &hashes, 5, addr)
	if len(hashes) != 5 {
		t.Fatalf("generated %d blocks", len(hashes))
	}
	var info rpc.BlockchainInfo
	e.must("getblockchaininfo", &info)
	if info.Network != "chaintest" || info.Blocks != 5 || info.Headers != 5 || info.BestBlockHash != hashes[4] ||
		len(info.ChainWork) != 64 || info.Bits == "" || info.Difficulty <= 0 || info.InitialBlockDownload {
		t.Fatalf("getblockchaininfo %+v", info)
	}
	var count uint64
	e.must("getblockcount", &count)
	var best, third string
	e.must("getbestblockhash", &best)
	e.must("getblockhash", &third, 3)
	if count != 5 || best != hashes[4] || third != hashes[2] {
		t.Fatalf("count %d best %s third %s", count, best, third)
	}
	e.expectCode("getblockhash", rpc.CodeInvalidParameter, 6)
	e.expectCode("getblock", rpc.CodeInvalidAddress, strings.Repeat("ab", 32))
	e.expectCode("getblock", rpc.CodeInvalidParameter, "zz")

	// Verbosity 0 is the canonical encoding: it decodes to the same block.
	var blockHex string
	e.must("getblock", &blockHex, hashes[2], 0)
	raw, _ := hex.DecodeString(blockHex)
	blk, err := wire.DecodeBlock(raw)
	if err != nil || blk.BlockHash().String() != hashes[2] {
		t.Fatalf("getblock 0 decodes to %v, %v", blk, err)
	}
	var verbose struct {
		rpc.BlockHeaderResult
		Size int      `json:"size"`
		Tx   []string `json:"tx"`
	}
	e.must("getblock", &verbose, hashes[2], 1)
	if verbose.Height != 3 || verbose.Confirmations != 3 || verbose.PreviousBlockHash != hashes[1] ||
		verbose.NextBlockHash != hashes[3] || len(verbose.Tx) != 1 || verbose.Tx[0] != blk.Transactions[0].TxID().String() || verbose.Size != len(raw) {
		t.Fatalf("getblock 1: %+v", verbose)
	}
	var full struct {
		Tx []rpc.TxResult `json:"tx"`
	}
	e.must("getblock", &full, hashes[2], 2)
	if len(full.Tx) != 1 || full.Tx[0].Vin[0].Height != 3 || full.Tx[0].Vout[0].Address != addr {
		t.Fatalf("getblock 2: %+v", full)
	}
	// Each transaction carries its hex, as Bitcoin Core's verbosity 2.
	if want := hex.EncodeToString(blk.Transactions[0].Bytes()); full.Tx[0].Hex != want {
		t.Fatalf("getblock 2: the transaction's hex is %q, want %q", full.Tx[0].Hex, want)
	}
	var headerHex string
	e.must("getblockheader", &headerHex, hashes[2], false)
	if headerHex != hex.EncodeToString(blk.Header.Bytes()) {
		t.Fatal("getblockheader hex differs from the header encoding")
	}

	var set rpc.TxOutSetInfo
	e.must("gettxoutsetinfo", &set)
	want, _ := e.chain.UTXOSetInfo()
	if set.Height != 5 || set.TxOuts != want.TxOuts || set.HashSerialized != want.HashSerialized.String() || uint64(set.TotalAmount) != want.TotalAmount {
		t.Fatalf("gettxoutsetinfo %+v, chain says %+v", set, want)
	}

	e.must("invalidateblock", nil, hashes[3])
	e.must("getblockcount", &count)
	var tips []rpc.ChainTip
	e.must("getchaintips", &tips)
	if count != 3 || len(tips) != 2 || tips[0].Status != "active" || tips[1].Status != "invalid" || tips[1].Hash != hashes[4] {
		t.Fatalf("after invalidateblock: count %d tips %+v", count, tips)
	}
	// A transaction of a block off the best chain has 0 confirmations,
	// as Bitcoin Core answers, not none.
	var offChain map[string]any
	e.must("getrawtransaction", &offChain, e.coinbaseOf(hashes[3]).TxID().String(), true, hashes[3])
	if n, ok := offChain["confirmations"]; !ok || n != 0.0 || offChain["blockhash"] != hashes[3] {
		t.Fatalf("getrawtransaction of a transaction off the best chain: confirmations %v (present: %v), blockhash %v", n, ok, offChain["blockhash"])
	}
	e.must("reconsiderblock", nil, hashes[3])
	e.must("getblockcount", &count)
	if count != 5 {
		t.Fatalf("after reconsiderblock: count %d", count)
	}
}

// TestVerbosityAsCoreTakesIt: getblock's verbosity may be a boolean
// (true: 1, false: 0) and getrawtransaction's verbosity a boolean too, as
// Bitcoin Core and btcd take them; getrawtransaction's verbosity 3 is
// refused.
func TestVerbosityAsCoreTakesIt(t *testing.T) {
	e := newEnv(t)
	var hashes []string
	e.must("generatetoaddress", &hashes, 1, e.address(e.miner.KeyHash()))
	txid := e.coinbaseOf(hashes[0]).TxID().String()
	same := func(method string, params ...[]any) {
		t.Helper()
		var first json.RawMessage
		for i, p := range params {
			var got json.RawMessage
			if err := e.call(method, &got, p...); err != nil {
				t.Errorf("%s %v: %v", method, p, err)
			} else if i > 0 && string(got) != string(first) {
				t.Errorf("%s %v: %.80s, but %v: %.80s", method, p, got, params[0], first)
			}
			if i == 0 {
				first = got
			}
		}
	}
	same("getblock", []any{hashes[0], 1}, []any{hashes[0], true})
	same("getblock", []any{hashes[0], 0}, []any{hashes[0], false})
	same("getrawtransaction", []any{txid, true, hashes[0]}, []any{txid, 1, hashes[0]})
	same("getrawtransaction", []any{txid, false, hashes[0]}, []any{txid, 0, hashes[0]})
	if re := e.expectCode("getrawtransaction", rpc.CodeInvalidParameter, txid, 3, hashes[0]); re.Message != "verbosity out of range: must be a whole number from 0 to 2" {
		t.Errorf("getrawtransaction verbosity 3: %q", re.Message)
	}
}

func TestTransactionMethods(t *testing.T) {
	e := newEnv(t)
	g := e.miner
	addr := e.address(g.KeyHash())
	var hashes []string
	e.must("generatetoaddress", &hashes, 3, addr) // coinbase 1 matures at height 3 (maturity 2)
	cb := e.coinbaseOf(hashes[0])
	tx := g.SpendTx([]chaintest.SpendableOut{g.TxOut(cb, 0)}, 5000, 2)
	txHex := hex.EncodeToString(tx.Bytes())

	var decoded rpc.TxResult
	e.must("decoderawtransaction", &decoded, txHex)
	if decoded.TxID != tx.TxID().String() || len(decoded.Vin) != 1 || decoded.Vin[0].TxID != cb.TxID().String() || decoded.Vout[1].Address != addr {
		t.Fatalf("decoderawtransaction %+v", decoded)
	}
	e.expectCode("decoderawtransaction", rpc.CodeDeserialization, "00zz")
	e.expectCode("sendrawtransaction", rpc.CodeDeserialization, "deadbeef")

	var accept []rpc.MempoolAcceptResult
	e.must("testmempoolaccept", &accept, []string{txHex})
	if len(accept) != 1 || !accept[0].Allowed || accept[0].Fee == nil || *accept[0].Fee != 5000 {
		t.Fatalf("testmempoolaccept %+v", accept)
	}
	var mp []string
	e.must("getrawmempool", &mp)
	if len(mp) != 0 {
		t.Fatal("testmempoolaccept changed the mempool")
	}
	// An element that does not decode is named by its index, as Bitcoin
	// Core names it.
	for _, bad := range []struct {
		second any
		code   int
		msg    string
	}{
		{"xyz", rpc.CodeDeserialization, "TX decode failed for tx 1: rawtxs[1] is not an even number of hexadecimal digits"},
		{"00", rpc.CodeDeserialization, "TX decode failed for tx 1: "},
		{5, rpc.CodeTypeError, "Expected type string for rawtxs[1], got number"},
		{nil, rpc.CodeTypeError, "Expected type string for rawtxs[1], got null"},
	} {
		if re := e.expectCode("testmempoolaccept", bad.code, []any{txHex, bad.second}); !strings.HasPrefix(re.Message, bad.msg) {
			t.Errorf("testmempoolaccept [tx, %v]: %q, want %q", bad.second, re.Message, bad.msg)
		}
	}

	var txid string
	e.must("sendrawtransaction", &txid, txHex)
	if txid != tx.TxID().String() || len(e.net.relayed) != 1 || e.net.relayed[0] != tx.TxID() {
		t.Fatalf("sendrawtransaction returned %s, relayed %v", txid, e.net.relayed)
	}
	if re := e.expectCode("sendrawtransaction", rpc.CodeVerifyRejected, txHex); !strings.Contains(re.Message, "txn-already-in-mempool") {
		t.Fatalf("second send: %s", re.Message)
	}
	e.must("testmempoolaccept", &accept, []string{txHex})
	if accept[0].Allowed || accept[0].RejectReason != "txn-already-in-mempool" {
		t.Fatalf("testmempoolaccept of a pool tx: %+v", accept)
	}
	var info rpc.MempoolInfo
	e.must("getmempoolinfo", &info)
	var entry rpc.MempoolEntry
	e.must("getmempoolentry", &entry, txid)
	if info.Size != 1 || info.Bytes != tx.SerializeSize() || entry.Fee != 5000 || entry.Size != tx.SerializeSize() || entry.AncestorCount != 1 {
		t.Fatalf("getmempoolinfo %+v entry %+v", info, entry)
	}
	var rawVerbose rpc.TxResult
	e.must("getrawtransaction", &rawVerbose, txid, true)
	if rawVerbose.Hex != txHex {
		t.Fatal("getrawtransaction hex differs")
	}

	// gettxout: the spent coinbase output is gone with the mempool view,
	// still there without it; the new output is in the mempool only.
	var out *rpc.TxOutInfo
	e.must("gettxout", &out, cb.TxID().String(), 0)
	if out != nil {
		t.Fatalf("gettxout of an output the mempool spends: %+v", out)
	}
	e.must("gettxout", &out, cb.TxID().String(), 0, false)
	if out == nil || !out.Coinbase || out.Confirmations != 3 {
		t.Fatalf("gettxout without mempool: %+v", out)
	}
	e.must("gettxout", &out, txid, 1)
	if out == nil || out.Confirmations != 0 || out.Address != addr {
		t.Fatalf("gettxout of a mempool output: %+v", out)
	}

	var utxos []rpc.AddressUtxo
	e.must("getaddressutxos", &utxos, rpc.AddressUtxosRequest{Addresses: []string{addr}})
	if len(utxos) != 3 { // three coinbases, the spent one included (no mempool view)
		t.Fatalf("getaddressutxos without mempool: %d entries", len(utxos))
	}
	e.must("getaddressutxos", &utxos, rpc.AddressUtxosRequest{Addresses: []string{addr}, Mempool: true})
	var inPool, immature int
	for _, u := range utxos {
		if u.Mempool {
			inPool++
		}
		if !u.Mature {
			immature++
		}
	}
	if len(utxos) != 4 || inPool != 2 || immature != 1 {
		t.Fatalf("getaddressutxos with mempool: %+v", utxos)
	}
	// An address given twice is listed once, as getaddresshistory lists
	// it: summing the amounts never counts a coin twice.
	var twice []rpc.AddressUtxo
	e.must("getaddressutxos", &twice, rpc.AddressUtxosRequest{Addresses: []string{addr, addr}, Mempool: true})
	if !reflect.DeepEqual(twice, utxos) {
		t.Fatalf("getaddressutxos of an address given twice: %d entries, %d for it once", len(twice), len(utxos))
	}
	e.expectCode("getaddressutxos", rpc.CodeInvalidAddress, rpc.AddressUtxosRequest{Addresses: []string{"nope"}})

	// Mined: the transaction leaves the mempool and is found in its block.
	e.must("generatetoaddress", &hashes, 1, addr)
	e.must("getrawmempool", &mp)
	if len(mp) != 0 {
		t.Fatalf("mempool after mining: %v", mp)
	}
	if re := e.expectCode("getrawtransaction", rpc.CodeInvalidAddress, txid); !strings.Contains(re.Message, "--txindex") {
		t.Fatalf("getrawtransaction without the index: %q does not say how to turn it on", re.Message)
	}
	var inBlock rpc.TxResult
	e.must("getrawtransaction", &inBlock, txid, true, hashes[0])
	if inBlock.BlockHash != hashes[0] || inBlock.Confirmations == nil || *inBlock.Confirmations != 1 {
		t.Fatalf("getrawtransaction with block: %+v", inBlock)
	}
	if re := e.expectCode("sendrawtransaction", rpc.CodeVerifyAlreadyInChain, txHex); re.Message == "" {
		t.Fatal("no message")
	}
}

func TestUtilityMethods(t *testing.T) {
	e := newEnv(t)
	var v rpc.ValidateAddressResult
	e.must("validateaddress", &v, e.address(wire.KeyHash{1}))
	if !v.IsValid || v.KeyHash != "01"+strings.Repeat("00", 19) {
		t.Fatalf("validateaddress: %+v", v)
	}
	mainAddr, _ := wire.EncodeAddress(chain.MainParams().AddressPrefix, wire.KeyHash{1})
	e.must("validateaddress", &v, mainAddr)
	if v.IsValid || !strings.Contains(v.Error, "another network") {
		t.Fatalf("validateaddress of a main address: %+v", v)
	}
	e.expectCode("generatetoaddress", rpc.CodeInvalidAddress, 1, mainAddr)
	e.expectCode("generatetoaddress", rpc.CodeInvalidParameter, -1, e.address(wire.KeyHash{}))
	var help string
	e.must("help", &help)
	for _, m := range []string{"getblockchaininfo", "sendrawtransaction", "getaddressutxos", "stop"} {
		if !strings.Contains(help, m) {
			t.Fatalf("help does not list %s", m)
		}
	}
	e.must("help", &help, "getblock")
	e.expectCode("help", rpc.CodeInvalidParameter, "nosuchmethod")
	e.expectCode("nosuchmethod", rpc.CodeMethodNotFound)
	e.expectCode("getblockhash", rpc.CodeInvalidParams)
	e.expectCode("getblockhash", rpc.CodeTypeError, "x")
	var stopping string
	e.must("stop", &stopping)
	if stopping != "powchain stopping" || !e.stopped.Load() {
		t.Fatal("stop did not reach the node")
	}
}

// TestHTTPLayer: authentication, method, size limit, batches, garbage.
func TestHTTPLayer(t *testing.T) {
	e := newEnv(t)
	post := func(body string, user, pass string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+e.addr+"/", strings.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, _ := post(`{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`, "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no auth: HTTP %d", resp.StatusCode)
	}
	if resp, _ := post(`{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`, "user", "nope"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: HTTP %d", resp.StatusCode)
	}
	if resp, err := http.Get("http://" + e.addr + "/"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %v %v", resp, err)
	}
	_, body := post(`[{"jsonrpc":"2.0","id":1,"method":"getblockcount"},{"jsonrpc":"2.0","id":2,"method":"nope"},{"jsonrpc":"2.0","method":"getblockcount"}]`, "user", "pass")
	var batch []rpc.Response
	if err := json.Unmarshal([]byte(body), &batch); err != nil || len(batch) != 2 || string(batch[0].Result) != "0" || batch[1].Error.Code != rpc.CodeMethodNotFound {
		t.Fatalf("batch: %s (%v)", body, err)
	}
	_, body = post(`{not json`, "user", "pass")
	if !strings.Contains(body, `"code":-32700`) {
		t.Fatalf("garbage body: %s", body)
	}
	huge := `{"jsonrpc":"2.0","id":1,"method":"decoderawtransaction","params":["` + strings.Repeat("00", server.MaxRequestSize) + `"]}`
	_, body = post(huge, "user", "pass")
	if !strings.Contains(body, `"code":-32600`) || !strings.Contains(body, "request too large: the limit is 8 MiB") {
		t.Fatalf("oversize request: %.200s", body)
	}
	_, body = post(`{"jsonrpc":"2.0","id":1,"method":"getblockcount","params":{"a":1}}`, "user", "pass")
	if !strings.Contains(body, `"code":-32602`) {
		t.Fatalf("named params: %s", body)
	}
	resp, _ := post(`{"jsonrpc":"2.0","method":"getblockcount"}`, "user", "pass")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("notification: HTTP %d", resp.StatusCode)
	}
}

// TestInvalidRequestsAnswered: what is not a call gets an error in
// JSON-RPC 2.0's terms, never silence: a request object without a method
// (it is not a notification), an empty batch, a batch that is not JSON.
func TestInvalidRequestsAnswered(t *testing.T) {
	e := newEnv(t)
	const invalid = `{"jsonrpc":"2.0","id":%s,"error":{"code":-32600,"message":"Invalid Request object: it must be {\"jsonrpc\":\"2.0\",\"id\":...,\"method\":\"name\",\"params\":[...]} with method a string"}}`
	for _, tc := range []struct{ body, want string }{
		{`{}`, fmt.Sprintf(invalid, "null")},
		{`null`, fmt.Sprintf(invalid, "null")},
		{`{"jsonrpc":"2.0","id":1}`, fmt.Sprintf(invalid, "1")},
		{`{"jsonrpc":"2.0","id":"a","method":""}`, fmt.Sprintf(invalid, `"a"`)},
		{`[{}]`, "[" + fmt.Sprintf(invalid, "null") + "]"},
		{`[{"jsonrpc":"2.0","method":"getblockcount"},{"params":[]}]`, "[" + fmt.Sprintf(invalid, "null") + "]"},
		{`[]`, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: an empty batch holds no call"}}`},
		{` [ ] `, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: an empty batch holds no call"}}`},
		{`[{"jsonrpc":"2.0","id":1,"method":"getblockcount"},`, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: the request is not valid JSON"}}`},
	} {
		status, body, err := e.post(context.Background(), tc.body, "user", "pass")
		if err != nil || status != http.StatusOK || strings.TrimSpace(body) != tc.want {
			t.Errorf("%s: HTTP %d %q (%v), want %s", tc.body, status, body, err, tc.want)
		}
	}
}

// TestJSONRPCVersions: the "jsonrpc" member is read as Bitcoin Core (v28)
// reads it: "2.0" is JSON-RPC 2.0, where a request without an id is a
// notification; "1.0", null or none is JSON-RPC 1.x, which has no
// notifications (answered under the id null); any other value, or one that
// is no string, is an invalid request, answered even without an id.
func TestJSONRPCVersions(t *testing.T) {
	e := newEnv(t)
	const (
		count       = `{"jsonrpc":"2.0","id":%s,"result":0}`
		unsupported = `{"jsonrpc":"2.0","id":%s,"error":{"code":-32600,"message":"JSON-RPC version not supported: jsonrpc must be \"2.0\", or \"1.0\" (or left out) for JSON-RPC 1.x"}}`
		notString   = `{"jsonrpc":"2.0","id":%s,"error":{"code":-32600,"message":"Invalid Request object: jsonrpc must be a string, got %s"}}`
	)
	for _, tc := range []struct{ body, want string }{
		{`{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`, fmt.Sprintf(count, "1")},
		{`{"jsonrpc":"2.0","method":"getblockcount"}`, ""}, // a notification
		{`{"jsonrpc":"2\u002e0","method":"getblockcount"}`, ""},
		{`{"jsonrpc":"1.0","id":"curltest","method":"getblockcount","params":[]}`, fmt.Sprintf(count, `"curltest"`)},
		{`{"id":1,"method":"getblockcount"}`, fmt.Sprintf(count, "1")},
		{`{"method":"getblockcount"}`, fmt.Sprintf(count, "null")},
		{`{"jsonrpc":"1.0","method":"getblockcount"}`, fmt.Sprintf(count, "null")},
		{`{"jsonrpc":null,"method":"getblockcount"}`, fmt.Sprintf(count, "null")},
		{`{"method":"nope"}`, `{"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"Method not found: \"nope\""}}`},
		{`{"jsonrpc":"3.0","id":1,"method":"getblockcount"}`, fmt.Sprintf(unsupported, "1")},
		{`{"jsonrpc":"3.0","method":"getblockcount"}`, fmt.Sprintf(unsupported, "null")},
		{`{"jsonrpc":"","id":1,"method":"getblockcount"}`, fmt.Sprintf(unsupported, "1")},
		{`{"jsonrpc":"2.0 ","id":1,"method":"getblockcount"}`, fmt.Sprintf(unsupported, "1")},
		{`{"jsonrpc":2,"id":1,"method":"getblockcount"}`, fmt.Sprintf(notString, "1", "number")},
		{`{"jsonrpc":["2.0"],"id":"x","method":"getblockcount"}`, fmt.Sprintf(notString, `"x"`, "array")},
		{`{"jsonrpc":"2.0","method":"getblockcount","params":{"a":1}}`, ""}, // a notification, whatever its params
		{`[{"jsonrpc":"2.0","method":"getblockcount"},{"method":"getblockcount"},{"jsonrpc":"9","id":2,"method":"getblockcount"}]`,
			"[" + fmt.Sprintf(count, "null") + "," + fmt.Sprintf(unsupported, "2") + "]"},
	} {
		status, body, err := e.post(context.Background(), tc.body, "user", "pass")
		wantStatus := http.StatusOK
		if tc.want == "" {
			wantStatus = http.StatusNoContent
		}
		if err != nil || status != wantStatus || strings.TrimSpace(body) != tc.want {
			t.Errorf("%s: HTTP %d %q (%v), want %d %s", tc.body, status, body, err, wantStatus, tc.want)
		}
	}
}

func TestNetworkMethods(t *testing.T) {
	e := newEnv(t)
	var peers []rpc.PeerInfo
	e.must("getpeerinfo", &peers)
	var count int
	e.must("getconnectioncount", &count)
	if len(peers) != 1 || peers[0].ID != 7 || count != 1 {
		t.Fatalf("getpeerinfo %+v, count %d", peers, count)
	}
	e.must("addnode", nil, "10.0.0.1:9444", "add")
	if !e.net.added["10.0.0.1:9444"] {
		t.Fatal("addnode add did not reach the network")
	}
	if re := e.expectCode("addnode", rpc.CodeClientNodeAlreadyAdded, "10.0.0.1:9444", "add"); re.Message != "Error: Node already added" {
		t.Errorf("addnode add twice: %q", re.Message)
	}
	e.must("addnode", nil, "10.0.0.1:9444", "remove")
	if re := e.expectCode("addnode", rpc.CodeClientNodeNotAdded, "10.0.0.1:9444", "remove"); re.Message != "Error: Node could not be removed. It has not been added previously." {
		t.Errorf("addnode remove of a node not added: %q", re.Message)
	}
	e.expectCode("addnode", rpc.CodeInvalidParameter, "10.0.0.1:9444", "sometimes")
	e.must("disconnectnode", nil, 7)
	e.must("disconnectnode", nil, "127.0.0.1:9")
	e.expectCode("disconnectnode", rpc.CodeClientNodeNotConnected, "10.9.9.9:1")
	e.must("setban", nil, "10.0.0.2", "add", 60)
	e.must("setban", nil, "10.0.0.3", "add")
	e.must("setban", nil, "10.0.0.5", "add", 0) // 0: the default, as in Bitcoin Core
	if e.net.banned["10.0.0.2"] != time.Minute || e.net.banned["10.0.0.3"] != 24*time.Hour || e.net.banned["10.0.0.5"] != 24*time.Hour {
		t.Fatalf("bans %v", e.net.banned)
	}
	var banned []rpc.BannedInfo
	e.must("listbanned", &banned)
	if len(banned) != 3 {
		t.Fatalf("listbanned %+v", banned)
	}
	e.must("setban", nil, "10.0.0.2", "remove")
	e.expectCode("setban", rpc.CodeClientInvalidIPOrSubnet, "10.0.0.2", "remove")
	e.expectCode("setban", rpc.CodeInvalidParameter, "10.0.0.4", "add", -5)
	e.expectCode("setban", rpc.CodeInvalidParameter, "10.0.0.4", "add", int64(1e10)) // past time.Duration's range
	if _, ok := e.net.banned["10.0.0.4"]; ok {
		t.Fatalf("refused bans were set: %v", e.net.banned)
	}
	e.must("clearbanned", nil)
	if len(e.net.banned) != 0 {
		t.Fatal("clearbanned left bans")
	}
	var info rpc.NetworkInfo
	e.must("getnetworkinfo", &info)
	if info.Network != "chaintest" {
		t.Fatalf("getnetworkinfo %+v", info)
	}
}

// TestNetworkMethodsWhenStopped checks that the network queries fail with
// Core's "P2P disabled" code once the p2p layer has stopped, and that
// getblockchaininfo still answers.
func TestNetworkMethodsWhenStopped(t *testing.T) {
	e := newEnv(t)
	e.net.down = errors.New("p2p server stopped")
	for _, method := range []string{"getpeerinfo", "getconnectioncount", "getnetworkinfo", "listbanned"} {
		if rerr := e.expectCode(method, rpc.CodeClientP2PDisabled); !strings.Contains(rerr.Message, "stopped") {
			t.Errorf("%s: %q does not say why", method, rerr.Message)
		}
	}
	var info rpc.BlockchainInfo
	e.must("getblockchaininfo", &info)
}

// TestConstructorsRejectIncompleteConfig: a server without credentials
// would let anyone in, and methods without their backend would fail at the
// first call; both are refused up front.
func TestConstructorsRejectIncompleteConfig(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range [][2]string{{"", "pass"}, {"user", ""}} {
		if srv, err := server.NewServer(c[0], c[1], log); err == nil || srv != nil {
			t.Errorf("NewServer(%q, %q) = %v, %v; want an error", c[0], c[1], srv, err)
		}
	}
	srv, err := server.NewServer("user", "pass", log)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RegisterNodeMethods(&server.Backend{}); err == nil {
		t.Error("RegisterNodeMethods accepted an empty backend")
	}
}

// TestMempoolUnbroadcast: getmempoolinfo counts the unbroadcast set
// (unbroadcastcount) and getmempoolentry and verbose getrawmempool flag
// its members (unbroadcast), as Bitcoin Core's do; a transaction leaves
// the set when a peer asks for it.
func TestMempoolUnbroadcast(t *testing.T) {
	e := newEnv(t)
	g := e.miner
	var hashes []string
	e.must("generatetoaddress", &hashes, 3, e.address(g.KeyHash()))
	var txids []wire.Hash
	for _, h := range hashes[:2] {
		tx := g.SpendTx([]chaintest.SpendableOut{g.TxOut(e.coinbaseOf(h), 0)}, 5000, 1)
		e.must("sendrawtransaction", nil, hex.EncodeToString(tx.Bytes()))
		txids = append(txids, tx.TxID())
	}
	check := func(when string, want ...bool) {
		t.Helper()
		var info map[string]any
		e.must("getmempoolinfo", &info)
		count := 0
		for _, w := range want {
			if w {
				count++
			}
		}
		if info["unbroadcastcount"] != float64(count) {
			t.Errorf("%s: getmempoolinfo %v, want unbroadcastcount %d", when, info, count)
		}
		var verbose map[string]map[string]any
		e.must("getrawmempool", &verbose, true)
		for i, txid := range txids {
			var entry map[string]any
			e.must("getmempoolentry", &entry, txid.String())
			if entry["unbroadcast"] != want[i] || verbose[txid.String()]["unbroadcast"] != want[i] {
				t.Errorf("%s: tx %d: getmempoolentry unbroadcast %v, getrawmempool's %v, want %v",
					when, i, entry["unbroadcast"], verbose[txid.String()]["unbroadcast"], want[i])
			}
		}
	}
	check("before relay", false, false)
	e.pool.SetUnbroadcast(txids) // what the p2p layer does when sendrawtransaction relays them
	check("relayed", true, true)
	e.pool.ClearUnbroadcast(txids[0]) // a peer's getdata
	check("one asked for", false, true)
}
