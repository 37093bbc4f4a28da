package server_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/miner"
	"powchain/node"
	"powchain/rpc"
	"powchain/rpc/server"
	"powchain/wire"
)

// docSection is what docs/RPC.md says of one method's result: its
// examples (every ```json block of the method's section, one per shape of
// the result) and the paths its "Absent at times:" and "Null at times:"
// paragraphs name (paths as shape names them).
type docSection struct {
	examples     []string
	absent, null map[string]bool
}

// rpcDoc is docs/RPC.md parsed, by method (a "#### `name args`" heading
// begins a method's section).
func rpcDoc(t *testing.T) map[string]docSection {
	t.Helper()
	text, err := os.ReadFile("../../docs/RPC.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile("(?m)^#### `([a-z]+)[^`]*`\\s*$")
	block := regexp.MustCompile("(?s)```json\n(.*?)```")
	doc := map[string]docSection{}
	locs := heading.FindAllStringSubmatchIndex(string(text), -1)
	for i, loc := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		if next := strings.Index(string(text[loc[1]:end]), "\n## "); next >= 0 {
			end = loc[1] + next
		}
		name := string(text[loc[2]:loc[3]])
		if _, dup := doc[name]; dup {
			t.Errorf("docs/RPC.md documents %s twice", name)
		}
		body := string(text[loc[1]:end])
		sec := docSection{absent: map[string]bool{}, null: map[string]bool{}}
		for _, m := range block.FindAllStringSubmatch(body, -1) {
			sec.examples = append(sec.examples, m[1])
		}
		for _, para := range strings.Split(block.ReplaceAllString(body, ""), "\n\n") {
			para = strings.Join(strings.Fields(para), " ")
			for prefix, into := range map[string]map[string]bool{"Absent at times:": sec.absent, "Null at times:": sec.null} {
				if rest, ok := strings.CutPrefix(para, prefix); ok {
					declaredPaths(t, name, prefix, rest, into)
				}
			}
		}
		doc[name] = sec
	}
	return doc
}

// declaredPaths adds the paths a declaration names: "`a` (when ...);
// `b.c[].d` and `e` (when ...)"; "the result" is the result itself
// (path ""). What is in parentheses is the reader's, not the test's.
func declaredPaths(t *testing.T, method, prefix, text string, into map[string]bool) {
	t.Helper()
	var outside strings.Builder
	depth := 0
	for _, r := range text {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
		case depth == 0:
			outside.WriteRune(r)
		}
	}
	names := outside.String()
	if strings.Contains(names, "the result") {
		into[""] = true
	}
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(names, -1) {
		into[m[1]] = true
	}
	if depth != 0 || len(into) == 0 {
		t.Errorf("docs/RPC.md, %s: %s %q names no field, or its parentheses do not match", method, prefix, text)
	}
}

// docEnv is an env whose backend also offers getblocktemplate, so that the
// server has every method the node has.
func docEnv(t *testing.T) *env {
	return newEnvBackend(t, func(*server.Server) {}, func(e *env, b *server.Backend) {
		b.Template = func(context.Context, string) (*rpc.BlockTemplate, error) {
			var txs []*wire.Tx
			var fees []uint64
			for _, d := range e.pool.Entries() {
				txs, fees = append(txs, d.Tx), append(fees, d.Fee)
			}
			tip := e.chain.Tip()
			return miner.NewTemplate(e.params, tip, txs, fees, tip.Header.Time().Add(1)).RPC("longpoll"), nil
		}
	})
}

// TestRPCDocsListEveryMethod: docs/RPC.md has a section for every method
// the server offers and for no other, and every method's help has a
// summary, its arguments and an example.
func TestRPCDocsListEveryMethod(t *testing.T) {
	e := docEnv(t)
	var list string
	e.must("help", &list)
	served := map[string]bool{}
	for _, line := range strings.Split(list, "\n") {
		name := strings.Fields(line)[0]
		served[name] = true
		var help string
		e.must("help", &help, name)
		lines := strings.Split(help, "\n")
		usage := strings.Fields(lines[0])
		if len(lines) < 3 || lines[2] == "" || !strings.Contains(line, lines[2]) {
			t.Errorf("help %s: no one-line summary that the list shows:\n%s", name, help)
		}
		if (len(usage) > 1) != strings.Contains(help, "\nArguments:\n1. ") {
			t.Errorf("help %s: usage %q and the Arguments section disagree", name, lines[0])
		}
		if !strings.Contains(help, "\nResult:\n") || !strings.Contains(help, "\nExample:\n  powchain rpc "+name) {
			t.Errorf("help %s lacks a result or an example:\n%s", name, help)
		}
	}
	if len(served) < 30 {
		t.Fatalf("help lists only %d methods:\n%s", len(served), list)
	}
	doc := rpcDoc(t)
	for name := range served {
		if _, ok := doc[name]; !ok {
			t.Errorf("docs/RPC.md does not document %s", name)
		}
	}
	for name := range doc {
		if !served[name] {
			t.Errorf("docs/RPC.md documents %s, which the server does not have", name)
		}
	}
}

// TestRPCDocsMatchResults holds docs/RPC.md's result examples to what a
// node sends. Two regtest nodes, in process, are driven through every
// method so that between the calls each shape of each result comes back
// (a block off the best chain, the genesis block and the tip; a
// transaction confirmed, in the mempool and in a side block; mempool
// parents and children; spent, unspent and mempool outputs; proposals
// and submissions accepted and refused; peers and bans none and some).
// For every method, the examples of its section and the results sent
// must have the same paths at every depth, with the same JSON types
// (null included), and the same fields absent at times; the section's
// "Absent at times:" and "Null at times:" paragraphs must name exactly
// those fields; and each example must have the shape (paths and types)
// of some result, so that no example shows fields together that the
// node never sends together.
func TestRPCDocsMatchResults(t *testing.T) {
	a, b := startDocNode(t), startDocNode(t)
	r := &docRun{t: t, sent: map[string][]json.RawMessage{}}
	params := chain.RegtestParams()
	key, key2 := chaintest.Key(1), chaintest.Key(2)
	kh, kh2 := wire.HashPubKey(wire.XOnlyPubKey(key)), wire.HashPubKey(wire.XOnlyPubKey(key2))
	addr, addr2 := server.Address(params.AddressPrefix, kh), server.Address(params.AddressPrefix, kh2)

	r.call(a, "getpeerinfo")
	r.call(a, "listbanned")
	r.call(a, "getrawmempool")
	r.call(a, "getrawmempool", true)
	// At genesis: no hash rate to measure.
	r.call(a, "getnetworkhashps")
	r.call(a, "getmininginfo")
	r.call(a, "getnettotals")
	// B's block 1 (paying another address than A's, so that it is not A's
	// block 1), which A will hold off its best chain.
	var side []string
	r.must(b, "generatetoaddress", &side, 1, addr2)
	var sideHex string
	r.must(b, "getblock", &sideHex, side[0], 0)
	var sideBlock struct{ Tx []string }
	r.must(b, "getblock", &sideBlock, side[0], 1)

	// The first two coinbases are spendable once maturity more blocks
	// build on them.
	var blocks []string
	r.must(a, "generatetoaddress", &blocks, int(params.CoinbaseMaturity)+2, addr)
	r.call(a, "generatetoaddress", 0, addr)
	coinbase := func(block string) wire.Hash {
		var blk struct{ Tx []string }
		r.must(a, "getblock", &blk, block, true)
		id, _ := wire.ParseHash(blk.Tx[0])
		return id
	}
	spend := func(k *btcec.PrivateKey, from wire.OutPoint, amount uint64, to ...wire.KeyHash) (*wire.Tx, string) {
		tx := &wire.Tx{Version: 1, Inputs: []wire.TxIn{{PrevOut: from}}}
		for _, payTo := range to {
			tx.Outputs = append(tx.Outputs, wire.TxOut{Amount: (amount - 10_000) / uint64(len(to)), KeyHash: payTo})
		}
		if err := wire.SignInputs(tx, []*btcec.PrivateKey{k}); err != nil {
			t.Fatal(err)
		}
		return tx, hex.EncodeToString(tx.Bytes())
	}
	subsidy := params.InitialSubsidy
	tx0, tx0Hex := spend(key, wire.OutPoint{TxID: coinbase(blocks[0])}, subsidy, kh2)
	r.call(a, "sendrawtransaction", tx0Hex)
	r.call(a, "generatetoaddress", 1, addr)
	tx1, tx1Hex := spend(key2, wire.OutPoint{TxID: tx0.TxID()}, tx0.Outputs[0].Amount, kh2, kh2)
	r.call(a, "sendrawtransaction", tx1Hex)
	var mined []string
	r.must(a, "generatetoaddress", &mined, 1, addr)
	// tx2 spends a confirmed output and tx3 spends tx2's: both wait in
	// the mempool, parent and child.
	tx2, tx2Hex := spend(key2, wire.OutPoint{TxID: tx1.TxID()}, tx1.Outputs[0].Amount, kh2)
	r.call(a, "sendrawtransaction", tx2Hex)
	tx3, tx3Hex := spend(key2, wire.OutPoint{TxID: tx2.TxID()}, tx2.Outputs[0].Amount, kh2)
	r.call(a, "sendrawtransaction", tx3Hex)
	_, freshHex := spend(key, wire.OutPoint{TxID: coinbase(blocks[1])}, subsidy, kh)

	r.call(a, "submitblock", sideHex)
	r.call(a, "submitblock", sideHex)
	r.call(a, "getbestblockhash")
	r.call(a, "getblockchaininfo")
	r.call(a, "getblockcount")
	var genesis string
	r.must(a, "getblockhash", &genesis, 0)
	for _, block := range []string{genesis, blocks[0], mined[0], side[0]} { // mined[0] is the tip
		for _, verbosity := range []any{0, 1, 2, 3} {
			r.call(a, "getblock", block, verbosity)
		}
		r.call(a, "getblockheader", block)
		r.call(a, "getblockheader", block, false)
	}
	r.call(a, "gettxoutsetinfo")
	r.call(a, "getchaintips")
	// The tip's month (capped to its height - 1), a window of none, and
	// one whose median times past are equal, so no rate: block 2's is
	// block 1's timestamp, as block 1's own is.
	r.call(a, "getchaintxstats")
	r.call(a, "getchaintxstats", 0)
	r.call(a, "getchaintxstats", 1, blocks[1])
	r.call(a, "getchaintxstats", 10, mined[0])
	// The tip (a coinbase and a spend), the genesis block (a coinbase
	// alone) and two statistics of the tip, by height.
	r.call(a, "getblockstats", mined[0])
	r.call(a, "getblockstats", 0)
	r.call(a, "getblockstats", len(blocks)+2, []string{"minfeerate", "avgfeerate"})
	r.call(a, "invalidateblock", side[0])
	r.call(a, "getchaintips")
	r.call(a, "reconsiderblock", side[0])

	r.call(a, "getrawtransaction", tx0.TxID().String())
	r.call(a, "getrawtransaction", tx0.TxID().String(), true)        // through the index
	r.call(a, "getrawtransaction", tx1.TxID().String(), 1, mined[0]) // in the given block
	r.call(a, "getrawtransaction", tx2.TxID().String(), true)        // in the mempool
	r.call(a, "getrawtransaction", sideBlock.Tx[0], true, side[0])   // off the best chain
	// Verbosity 2: fee and prevouts from the undo record (through the
	// index, in a given best-chain block), from the UTXO set and a
	// mempool parent (tx2 and tx3 in the mempool), neither for a coinbase
	// or off the best chain.
	r.call(a, "getrawtransaction", tx0.TxID().String(), 2)
	r.call(a, "getrawtransaction", tx1.TxID().String(), 2, mined[0])
	r.call(a, "getrawtransaction", coinbase(mined[0]).String(), 2)
	r.call(a, "getrawtransaction", tx2.TxID().String(), 2)
	r.call(a, "getrawtransaction", tx3.TxID().String(), 2)
	r.call(a, "getrawtransaction", sideBlock.Tx[0], 2, side[0])
	r.call(a, "decoderawtransaction", tx1Hex)
	r.call(a, "decoderawtransaction", hex.EncodeToString(mustBlock(t, sideHex).Transactions[0].Bytes()))
	r.call(a, "testmempoolaccept", []string{freshHex, tx2Hex})
	r.call(a, "getmempoolinfo")
	r.call(a, "getrawmempool")
	r.call(a, "getrawmempool", true)
	r.call(a, "getmempoolentry", tx2.TxID().String())
	r.call(a, "getmempoolentry", tx3.TxID().String())
	r.call(a, "gettxout", tx1.TxID().String(), 1) // confirmed
	r.call(a, "gettxout", tx3.TxID().String(), 0) // in the mempool
	r.call(a, "gettxout", tx0.TxID().String(), 0) // spent
	r.call(a, "getaddressutxos", map[string]any{"addresses": []string{addr2}, "mempool": true})
	r.call(a, "getaddresshistory", map[string]any{"addresses": []string{addr2}, "mempool": true})
	r.call(a, "getaddresshistory", map[string]any{"addresses": []string{addr}, "pagesize": 1}) // a first page, with its next

	var template rpc.BlockTemplate
	r.must(a, "getblocktemplate", &template)
	tmpl, err := miner.TemplateFromRPC(&template)
	if err != nil {
		t.Fatal(err)
	}
	proposal := hex.EncodeToString(miner.NewBlock(tmpl, kh, 0, tmpl.CurTime).Bytes())
	r.call(a, "getblocktemplate", map[string]any{"mode": "proposal", "data": proposal})
	r.call(a, "getblocktemplate", map[string]any{"mode": "proposal", "data": sideHex})

	// A read by next carried over a block that spends an output of its
	// first page (block 2's coinbase): the answer lists it in changed.
	var first rpc.AddressHistory
	r.must(a, "getaddresshistory", &first, map[string]any{"addresses": []string{addr}, "pagesize": 2})
	r.call(a, "sendrawtransaction", freshHex)
	r.call(a, "generatetoaddress", 1, addr)
	r.call(a, "getaddresshistory", map[string]any{"addresses": []string{addr}, "pagesize": 2, "after": first.Next})

	r.call(a, "getdifficulty")
	r.call(a, "getnetworkhashps")
	r.call(a, "getnetworkhashps", 5, 3)
	r.call(a, "getmininginfo")
	r.call(a, "uptime")
	r.call(a, "validateaddress", addr)
	r.call(a, "validateaddress", "pcrg1xyz")
	r.call(a, "help")
	r.call(a, "help", "getblock")

	r.call(a, "getnetworkinfo")
	r.call(a, "getconnectioncount")
	var bNet rpc.NetworkInfo
	r.must(b, "getnetworkinfo", &bNet)
	r.call(a, "addnode", bNet.ListenAddress, "add")
	var peers []rpc.PeerInfo
	for deadline := time.Now().Add(30 * time.Second); len(peers) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("A did not connect to B in 30 s")
		}
		r.must(a, "getpeerinfo", &peers)
	}
	r.call(a, "getconnectioncount")
	r.call(a, "getnettotals")
	r.call(a, "addnode", bNet.ListenAddress, "remove")
	r.call(a, "disconnectnode", peers[0].ID)
	r.call(a, "setban", "192.0.2.7", "add")
	r.call(a, "listbanned")
	r.call(a, "setban", "192.0.2.7", "remove")
	r.call(a, "clearbanned")
	r.call(b, "stop")

	var list string
	r.must(a, "help", &list)
	served := map[string]bool{}
	for _, line := range strings.Split(list, "\n") {
		served[strings.Fields(line)[0]] = true
	}
	for name, sec := range rpcDoc(t) {
		if !served[name] {
			continue // TestRPCDocsListEveryMethod says so
		}
		if len(sec.examples) == 0 {
			t.Errorf("docs/RPC.md has no result example for %s", name)
			continue
		}
		if len(r.sent[name]) == 0 {
			t.Errorf("this test does not call %s, which docs/RPC.md documents", name)
			continue
		}
		documented, sent := newShape(), newShape()
		sentShapes := map[string]bool{}
		for _, raw := range r.sent[name] {
			if err := sent.addJSON(raw); err != nil {
				t.Fatalf("%s sent %s: %v", name, raw, err)
			}
			one := newShape()
			one.addJSON(raw)
			sentShapes[one.signature()] = true
		}
		bad := false
		for i, example := range sec.examples {
			if err := documented.addJSON([]byte(example)); err != nil {
				t.Errorf("docs/RPC.md: result example %d of %s is not JSON: %v", i+1, name, err)
				continue
			}
			one := newShape()
			one.addJSON([]byte(example))
			if !sentShapes[one.signature()] {
				t.Errorf("%s: docs/RPC.md's example %d has a shape no result had: %s", name, i+1, one.signature())
				bad = true
			}
		}
		for _, p := range union(documented.types, sent.types) {
			if d, s := documented.typesAt(p), sent.typesAt(p); d != s {
				t.Errorf("%s: %s is %s in docs/RPC.md's examples, %s in what the node sent", name, pathName(p), d, s)
				bad = true
			}
		}
		for _, c := range []struct {
			what                         string
			declared, examples, fromNode []string
		}{
			{"Absent at times", sorted(keysOf(sec.absent)), documented.absent(), sent.absent()},
			{"Null at times", sorted(keysOf(sec.null)), documented.nullAtTimes(), sent.nullAtTimes()},
		} {
			if !reflect.DeepEqual(c.declared, c.fromNode) || !reflect.DeepEqual(c.examples, c.fromNode) {
				t.Errorf("%s: %q: docs/RPC.md declares %q and its examples show %q; the node's results have %q",
					name, c.what, c.declared, c.examples, c.fromNode)
				bad = true
			}
		}
		if bad {
			for _, raw := range r.sent[name] {
				t.Logf("%s sent %s", name, raw)
			}
		}
	}
}

// docRun records every result a node sends, by method.
type docRun struct {
	t    *testing.T
	sent map[string][]json.RawMessage
}

// must calls method on c, records the result and decodes it into result
// (unless nil).
func (r *docRun) must(c *rpc.Client, method string, result any, params ...any) {
	r.t.Helper()
	var raw json.RawMessage
	if err := c.Call(context.Background(), method, params, &raw); err != nil {
		r.t.Fatalf("%s %v: %v", method, params, err)
	}
	r.sent[method] = append(r.sent[method], raw)
	if result != nil {
		if err := json.Unmarshal(raw, result); err != nil {
			r.t.Fatalf("%s %v: %v", method, params, err)
		}
	}
}

func (r *docRun) call(c *rpc.Client, method string, params ...any) {
	r.t.Helper()
	r.must(c, method, nil, params...)
}

// startDocNode runs a regtest node (transaction index on, no HTTP
// interface, peers only when asked) until the test ends, and returns a
// client of its RPC server.
func startDocNode(t *testing.T) *rpc.Client {
	t.Helper()
	cfg := node.Config{DataDir: t.TempDir(), Network: chain.RegtestNet, RPCListen: "127.0.0.1:0", RPCUser: "user",
		RPCPassword: "pass", HTTPListen: node.HTTPOff, Listen: "127.0.0.1:0", NoDiscovery: true, MinerThreads: 1}
	n, err := node.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node: %v", err)
		}
	})
	return rpc.NewClient(n.RPCAddr(), "user", "pass")
}

func mustBlock(t *testing.T, hexBlock string) *wire.Block {
	t.Helper()
	raw, _ := hex.DecodeString(hexBlock)
	blk, err := wire.DecodeBlock(raw)
	if err != nil {
		t.Fatal(err)
	}
	return blk
}

// shape is what a set of JSON values (one method's results, or its
// examples) has, path by path. A path names where in a value a value is:
// "" the value itself; "a" key a of the value, or of the value's
// elements when it is an array; "a.b" key b of a's object (or of its
// elements); "a[]" the elements of the array a ("[]" those of the value);
// a key that is a hash (getrawmempool's txids) is "*".
type shape struct {
	types   map[string]map[string]bool // the JSON types seen at each path
	objects map[string]int             // how many objects each path held
	keys    map[string]int             // how many of its parent's objects had each key
	parent  map[string]string          // the object path of each key path
}

func newShape() *shape {
	return &shape{types: map[string]map[string]bool{}, objects: map[string]int{}, keys: map[string]int{}, parent: map[string]string{}}
}

func (s *shape) addJSON(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one value")
	}
	s.add("", v)
	return nil
}

func (s *shape) add(path string, v any) {
	if s.types[path] == nil {
		s.types[path] = map[string]bool{}
	}
	switch v := v.(type) {
	case nil:
		s.types[path]["null"] = true
	case bool:
		s.types[path]["boolean"] = true
	case json.Number:
		s.types[path]["number"] = true
	case string:
		s.types[path]["string"] = true
	case []any:
		s.types[path]["array"] = true
		for _, e := range v {
			s.add(path+"[]", e)
		}
	case map[string]any:
		s.types[path]["object"] = true
		s.objects[path]++
		had := map[string]bool{}
		for k, child := range v {
			if _, err := wire.ParseHash(k); err == nil && len(k) == 64 {
				k = "*"
			}
			p := k
			if path != "" && path != "[]" {
				p = path + "." + k
			}
			if !had[p] {
				had[p] = true
				s.keys[p]++
			}
			s.parent[p] = path
			s.add(p, child)
		}
	}
}

// typesAt names the JSON types seen at path: "null or string", or
// "absent" where none was.
func (s *shape) typesAt(path string) string {
	if len(s.types[path]) == 0 {
		return "absent"
	}
	return strings.Join(sorted(keysOf(s.types[path])), " or ")
}

// signature lists every path with its types: "a: number; b[]: string".
func (s *shape) signature() string {
	var out []string
	for _, p := range sorted(keysOf(s.types)) {
		out = append(out, pathName(p)+": "+s.typesAt(p))
	}
	return strings.Join(out, "; ")
}

// absent lists the keys some of their parent's objects lack.
func (s *shape) absent() []string {
	var out []string
	for p, n := range s.keys {
		if n < s.objects[s.parent[p]] && p != "*" && !strings.HasSuffix(p, ".*") {
			out = append(out, p)
		}
	}
	return sorted(out)
}

// nullAtTimes lists the paths that are null at times and something else
// at others.
func (s *shape) nullAtTimes() []string {
	var out []string
	for p, types := range s.types {
		if types["null"] && len(types) > 1 {
			out = append(out, p)
		}
	}
	return sorted(out)
}

// pathName is how a message names a path.
func pathName(p string) string {
	if p == "" {
		return "the result"
	}
	return "`" + p + "`"
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// union is the keys of a and b, sorted.
func union[V any](a, b map[string]V) []string {
	both := map[string]bool{}
	for k := range a {
		both[k] = true
	}
	for k := range b {
		both[k] = true
	}
	return sorted(keysOf(both))
}

// TestRPCHelpNamesResultFields: every method's help names, in its
// Result, the fields of docs/RPC.md's result examples at the top level
// (of the object, or of an array's objects), no more and no fewer; so
// help, document and node (TestRPCDocsMatchResults) agree. Results keyed
// by txid (verbose getrawmempool, "entry as getmempoolentry") are named
// by the method they refer to.
func TestRPCHelpNamesResultFields(t *testing.T) {
	e := docEnv(t)
	for name, sec := range rpcDoc(t) {
		documented := map[string]bool{}
		s := newShape()
		for i, example := range sec.examples {
			if err := s.addJSON([]byte(example)); err != nil {
				t.Errorf("docs/RPC.md: result example %d of %s is not JSON: %v", i+1, name, err)
			}
		}
		for p, parent := range s.parent {
			if parent == "" || parent == "[]" {
				documented[p] = true
			}
		}
		if documented["*"] {
			continue
		}
		var help string
		e.must("help", &help, name)
		_, res, _ := strings.Cut(help, "\nResult:\n")
		res, _, _ = strings.Cut(res, "\n")
		if missing, extra := setDiff(documented, helpFields(res)), setDiff(helpFields(res), documented); len(missing)+len(extra) > 0 {
			t.Errorf("%s: its help's result %q does not name %v; names %v, which docs/RPC.md does not have", name, res, missing, extra)
		}
	}
}

// helpFields are the names a help's result text gives at the top level of
// its objects: in "{a, b: [{c}], d} or {a, e}", a, b, d and e.
func helpFields(result string) map[string]bool {
	token := regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_-]*|"[^"]*"|\S`)
	out := map[string]bool{}
	depth, key := 0, false
	for _, tok := range token.FindAllString(result, -1) {
		switch tok {
		case "{":
			depth++
			key = depth == 1
		case "}":
			depth--
		case ",":
			key = depth == 1
		default:
			if key && tok[0] != '"' && tok != ":" {
				out[tok] = true
			}
			key = false
		}
	}
	return out
}

// TestRPCDocsMatchParams: every method's heading in docs/RPC.md names the
// parameters its help names, in order, optional ones in ( ) alike (the
// server refuses a call with more than its help lists); an object
// parameter, which the heading spells out, has exactly the keys of the
// type the server decodes it into; and the table of error codes lists
// exactly the codes of package rpc.
func TestRPCDocsMatchParams(t *testing.T) {
	e := docEnv(t)
	text, err := os.ReadFile("../../docs/RPC.md")
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]reflect.Type{
		"getaddressutxos":   reflect.TypeFor[rpc.AddressUtxosRequest](),
		"getaddresshistory": reflect.TypeFor[rpc.AddressHistoryRequest](),
		"getblocktemplate":  reflect.TypeFor[rpc.BlockTemplateRequest](),
	}
	heading := regexp.MustCompile("(?m)^#### `([a-z]+) ?([^`]*)`\\s*$")
	key := regexp.MustCompile(`"([a-z_]+)":`)
	headings := heading.FindAllStringSubmatch(string(text), -1)
	if len(headings) < 30 {
		t.Fatalf("docs/RPC.md: only %d method headings", len(headings))
	}
	for _, m := range headings {
		name, docArgs := m[1], m[2]
		var help string
		e.must("help", &help, name)
		helpArgs := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(help, "\n", 2)[0], name))
		if typ, isObject := objects[name]; isObject {
			start, end := strings.Index(docArgs, "{"), strings.LastIndex(docArgs, "}")
			if start < 0 || end < start {
				t.Errorf("docs/RPC.md: %s's heading does not spell out its object: %q", name, docArgs)
				continue
			}
			var documented []string
			for _, k := range key.FindAllStringSubmatch(docArgs[start:end+1], -1) {
				documented = append(documented, k[1])
			}
			if read := jsonKeys(typ); !reflect.DeepEqual(sorted(documented), read) {
				t.Errorf("docs/RPC.md: %s's object has the keys %v; the server reads %v", name, documented, read)
			}
			docArgs = docArgs[:start] + strings.Trim(helpArgs, "( )") + docArgs[end+1:]
		} else if strings.Contains(help, "(object, ") {
			t.Errorf("%s takes an object: add its type to this test", name)
		}
		if docArgs != helpArgs {
			t.Errorf("docs/RPC.md: %s %s; its help: %s %s", name, docArgs, name, helpArgs)
		}
	}
	codes := func(re *regexp.Regexp, text string) []string {
		var out []string
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			out = append(out, regexp.MustCompile(`-[0-9]+`).FindAllString(m[1], -1)...)
		}
		return sorted(out)
	}
	source, err := os.ReadFile("../codes.go")
	if err != nil {
		t.Fatal(err)
	}
	table := string(text[:strings.Index(string(text), "\n## ")])
	documented, defined := codes(regexp.MustCompile("(?m)^\\| ([-0-9` /]+) \\|"), table), codes(regexp.MustCompile(`(?m)^\s*Code\w+\s*=\s*(-[0-9]+)`), string(source))
	if !reflect.DeepEqual(documented, defined) {
		t.Errorf("docs/RPC.md's table of error codes lists %v; package rpc defines %v", documented, defined)
	}
}

// jsonKeys are the keys a struct type is encoded with, sorted.
func jsonKeys(typ reflect.Type) []string {
	var keys []string
	for f := range typ.Fields() {
		keys = append(keys, strings.Split(f.Tag.Get("json"), ",")[0])
	}
	return sorted(keys)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func setDiff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
