package server_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"powchain/chain/chaintest"
	"powchain/miner"
	"powchain/rpc"
	"powchain/rpc/server"
	"powchain/wire"
)

// rpcDoc is docs/RPC.md parsed: for each method section (a "#### `name
// args`" heading), the first ```json block of the section, or "".
func rpcDoc(t *testing.T) map[string]string {
	t.Helper()
	text, err := os.ReadFile("../../docs/RPC.md")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile("(?m)^#### `([a-z]+)[^`]*`\\s*$")
	block := regexp.MustCompile("(?s)```json\n(.*?)```")
	doc := map[string]string{}
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
		doc[name] = ""
		if m := block.FindSubmatch(text[loc[1]:end]); m != nil {
			doc[name] = string(m[1])
		}
	}
	return doc
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

// TestRPCDocsMatchResults: for every method whose result is a JSON object
// or array, the fields of docs/RPC.md's example are exactly the fields the
// node sends (at every depth), over calls that between them produce every
// optional field.
func TestRPCDocsMatchResults(t *testing.T) {
	e := docEnv(t)
	g := e.miner
	addr := e.address(g.KeyHash())
	var hashes []string
	e.must("generatetoaddress", &hashes, 3, addr) // maturity 2: the first two coinbases are spendable
	spend := func(i int) (*wire.Tx, string) {
		tx := g.SpendTx([]chaintest.SpendableOut{g.TxOut(e.coinbaseOf(hashes[i]), 0)}, 5000, 2)
		return tx, hex.EncodeToString(tx.Bytes())
	}
	mined, minedHex := spend(0)
	e.must("sendrawtransaction", nil, minedHex)
	var more []string
	e.must("generatetoaddress", &more, 1, addr)
	pending, pendingHex := spend(1)
	e.must("sendrawtransaction", nil, pendingHex)
	_, freshHex := spend(2)
	e.must("setban", nil, "192.0.2.7", "add")

	calls := map[string][][]any{
		"getblockchaininfo":    {nil},
		"getblock":             {{hashes[1], 2}},
		"getblockheader":       {{hashes[1]}},
		"gettxoutsetinfo":      {nil},
		"getchaintips":         {nil},
		"getrawtransaction":    {{mined.TxID().String(), true, more[0]}, {pending.TxID().String(), true}},
		"decoderawtransaction": {{minedHex}, {hex.EncodeToString(e.coinbaseOf(hashes[2]).Bytes())}},
		"testmempoolaccept":    {{[]string{freshHex, pendingHex}}},
		"getmempoolinfo":       {nil},
		"getrawmempool":        {{true}},
		"getmempoolentry":      {{pending.TxID().String()}},
		"gettxout":             {{pending.TxID().String(), 0}},
		"getaddressutxos":      {{map[string]any{"addresses": []string{addr}, "mempool": true}}},
		"getaddresshistory":    {{map[string]any{"addresses": []string{addr}, "mempool": true}}},
		"validateaddress":      {{addr}, {"pcrt1xyz"}},
		"getpeerinfo":          {nil},
		"getnetworkinfo":       {nil},
		"listbanned":           {nil},
		"getblocktemplate":     {nil},
	}
	doc := rpcDoc(t)
	for name, example := range doc {
		if _, tested := calls[name]; example != "" && !tested {
			t.Errorf("docs/RPC.md has a result example for %s, which this test does not check", name)
		}
	}
	for name, paramSets := range calls {
		want := map[string]bool{}
		var example any
		if err := json.Unmarshal([]byte(doc[name]), &example); err != nil {
			t.Errorf("docs/RPC.md: the result example of %s is not JSON: %v", name, err)
			continue
		}
		keyPaths("", example, want)
		got := map[string]bool{}
		for _, params := range paramSets {
			var result any
			e.must(name, &result, params...)
			keyPaths("", result, got)
		}
		if missing, extra := setDiff(want, got), setDiff(got, want); len(missing)+len(extra) > 0 {
			t.Errorf("%s: documented but never sent: %v; sent but not documented: %v", name, missing, extra)
		}
	}
}

// TestRPCHelpNamesResultFields: every method's help names, in its
// Result, the fields of docs/RPC.md's result example at the top level
// (of the object, or of an array's objects), no more and no fewer; so
// help, document and node (TestRPCDocsMatchResults) agree. Results keyed
// by txid (verbose getrawmempool, "entry as getmempoolentry") are named
// by the method they refer to.
func TestRPCHelpNamesResultFields(t *testing.T) {
	e := docEnv(t)
	for name, example := range rpcDoc(t) {
		if example == "" {
			continue
		}
		var result any
		if err := json.Unmarshal([]byte(example), &result); err != nil {
			t.Errorf("docs/RPC.md: the result example of %s is not JSON: %v", name, err)
			continue
		}
		paths := map[string]bool{}
		keyPaths("", result, paths)
		documented := map[string]bool{}
		for p := range paths {
			if p = strings.TrimPrefix(p, "[]"); strings.Count(p, ".") == 1 {
				documented[p[1:]] = true
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

// keyPaths adds the path of every object key in v: ".tx[].vin[].height".
// Keys that are hashes (getrawmempool's txids) are "*".
func keyPaths(prefix string, v any, out map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if len(k) == 64 {
				if _, err := wire.ParseHash(k); err == nil {
					k = "*"
				}
			}
			out[prefix+"."+k] = true
			keyPaths(prefix+"."+k, child, out)
		}
	case []any:
		for _, child := range t {
			keyPaths(prefix+"[]", child, out)
		}
	}
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
