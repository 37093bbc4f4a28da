package main

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// fakeNode answers every JSON-RPC call with the raw result JSON given for
// its method, exactly as written.
func fakeNode(t *testing.T, results map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("fake node: %v", err)
		}
		w.Write([]byte(`{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":` + results[req.Method] + "}"))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestRPCPrintsResultsVerbatim: numbers keep the node's digits (no trip
// through float64), strings print bare, objects are indented.
func TestRPCPrintsResultsVerbatim(t *testing.T) {
	addr := fakeNode(t, map[string]string{
		"big":    `{"extranonce":404730144278106326,"value":50.00000000,"fee":0.00000200,"list":[1e3,-0.0]}`,
		"string": `"0000abc\u00e9"`,
		"number": `0.00000200`,
		"null":   `null`,
	})
	for method, want := range map[string]string{
		"big":    "{\n  \"extranonce\": 404730144278106326,\n  \"value\": 50.00000000,\n  \"fee\": 0.00000200,\n  \"list\": [\n    1e3,\n    -0.0\n  ]\n}\n",
		"string": "0000abc\u00e9\n",
		"number": "0.00000200\n",
		"null":   "",
	} {
		out := mustCLI(t, nil, "rpc", "--rpc", addr, "--rpc-user", "u", "--rpc-password", "p", method)
		if out != want {
			t.Errorf("rpc %s printed %q, want %q", method, out, want)
		}
	}
}

// TestVersion: `powchain version` and `--version` print the version, the
// commit and the Go version the binary was built with, as the Go
// toolchain's own reader of build information sees them, and the signature
// backend, which the binary's build tags and dynamic libraries confirm.
func TestVersion(t *testing.T) {
	meta, err := exec.Command("go", "version", "-m", binary).Output()
	if err != nil {
		t.Fatal(err)
	}
	commit := "unknown"
	if m := regexp.MustCompile(`vcs.revision=([0-9a-f]+)`).FindSubmatch(meta); m != nil {
		commit = string(m[1])
	}
	backend := "; signatures: btcec/v2 (pure Go)"
	if libsecpBuild {
		backend = "; signatures: libsecp256k1 (cgo)"
	}
	if tagged := regexp.MustCompile(`-tags=\S*libsecp256k1`).Match(meta); tagged != libsecpBuild {
		t.Errorf("binary built with -tags libsecp256k1: %v, want %v", tagged, libsecpBuild)
	}
	if linked := linksLibsecp(t, binary); linked != libsecpBuild {
		t.Errorf("binary links libsecp256k1: %v, want %v", linked, libsecpBuild)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out := mustCLI(t, nil, args...)
		for _, want := range []string{"powchain version ", "(commit " + commit, " " + runtime.Version(), backend} {
			if !strings.Contains(out, want) {
				t.Errorf("powchain %v printed %q; want it to contain %q", args, out, want)
			}
		}
	}
}

// linksLibsecp reports whether the executable at path loads libsecp256k1.
func linksLibsecp(t *testing.T, path string) bool {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		if strings.HasPrefix(l, "libsecp256k1.") {
			return true
		}
	}
	return false
}

// TestSuggestions: a mistyped command or flag gets the nearest real one;
// something far from every name gets no guess; a flag left without its
// value is named instead of swallowing the next flag.
func TestSuggestions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nod"}, `unknown command "nod"; did you mean node?`},
		{[]string{"wallet", "lst"}, `unknown command "lst"; did you mean list?`},
		{[]string{"rpc", "--rpcc", "x", "getblockcount"}, "unknown flag --rpcc; did you mean --rpc? (see powchain rpc --help)"},
		{[]string{"wallet", "send", "--fee-rat", "3"}, "unknown flag --fee-rat; did you mean --fee-rate? (see powchain wallet send --help)"},
		{[]string{"frobnicate"}, `unknown command "frobnicate" (powchain --help lists the commands)`},
		{[]string{"rpc", "--datadir", "--network", "regtest", "getblockcount"}, "flag --datadir needs a value, but got the flag --network (see powchain rpc --help)"},
		{[]string{"wallet", "send", "--to", "--amount", "1.5"}, "flag --to needs a value, but got the flag --amount (see powchain wallet send --help)"},
	} {
		r := runCLI(t, nil, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("powchain %v: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if out := mustCLI(t, nil, "help"); !strings.Contains(out, "node") || !strings.Contains(out, "wallet") {
		t.Errorf("powchain help printed %q", out)
	}
	if out := mustCLI(t, nil, "help", "wallet"); !strings.Contains(out, "send") {
		t.Errorf("powchain help wallet printed %q", out)
	}
}

// TestRPCThroughBinary: the node's help reaches `powchain rpc help`, and
// bad parameters get Bitcoin Core's codes in the user's terms; the exit
// status is the code's absolute value, as bitcoin-cli's (modulo 256).
func TestRPCThroughBinary(t *testing.T) {
	datadir := t.TempDir()
	startNode(t, datadir)
	rpcCLI := func(args ...string) result {
		return runCLI(t, nil, append([]string{"rpc", "--datadir", datadir}, args...)...)
	}
	if r := rpcCLI("help"); r.code != 0 || !strings.Contains(r.stdout, "getblock ") || !strings.Contains(r.stdout, "sendrawtransaction") {
		t.Errorf("rpc help: exit %d, stdout %q", r.code, r.stdout)
	}
	list := rpcCLI("help").stdout
	for _, m := range []string{"getdifficulty", "getnetworkhashps ( nblocks height )", "getmininginfo", "uptime", "getnettotals",
		"getchaintxstats ( nblocks blockhash )", "getblockstats hash_or_height ( stats )"} {
		if !strings.Contains(list, "\n"+m+" ") {
			t.Errorf("rpc help does not list %s", m)
		}
	}
	if r := rpcCLI("help", "getblock"); r.code != 0 || !strings.Contains(r.stdout, "verbosity") {
		t.Errorf("rpc help getblock: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	genesis := strings.TrimSpace(rpcCLI("getblockhash", "0").stdout)
	for _, tc := range []struct {
		args []string
		want string
		exit int
	}{
		{[]string{"getblock", genesis, "[2]"}, "error code -3: Expected type number or boolean for verbosity, got array", 3},
		{[]string{"getblockhash", "-1"}, "error code -8: height out of range: must be a whole number from 0 to 18446744073709551615", 8},
		{[]string{"generatetoaddress", "1", "notanaddress"}, `error code -5: invalid address "notanaddress": not a bech32m address`, 5},
		{[]string{"help", "nosuchmethod"}, "error code -8: ", 8},
		{[]string{"getnetworkhashps", "0"}, "error code -8: Invalid nblocks. Must be a positive whole number.", 8},
		{[]string{"getchaintxstats", "1"}, "error code -8: Invalid block count: should be between 0 and the block's height - 1", 8},
		{[]string{"getblockstats", "-1"}, "error code -8: Target block height -1 is negative", 8},
		{[]string{"getblockstats", "0", `["height","swtxs"]`}, "error code -8: Invalid selected statistic 'swtxs'", 8},
		{[]string{"getblokcount"}, `error code -32601: Method not found: "getblokcount"; did you mean getblockcount?`, 32601 % 256},
	} {
		r := rpcCLI(tc.args...)
		if r.code != tc.exit || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "rpc.Error") {
			t.Errorf("rpc %v: exit %d, stderr %q; want exit %d and %q", tc.args, r.code, r.stderr, tc.exit, tc.want)
		}
	}
}

// TestRPCErrorStatus: an error code whose absolute value a shell would
// read as success (a multiple of 256) exits 1 instead.
func TestRPCErrorStatus(t *testing.T) {
	for code, want := range map[int]int{-8: 8, -32601: 32601, 26: 26, 0: 1, -256: 1, -512: 1} {
		if got := rpcErrorStatus(code); got != want {
			t.Errorf("rpcErrorStatus(%d) = %d, want %d", code, got, want)
		}
	}
}

// TestJSONLogs: with --log-format json every line the node writes is a
// JSON object, hashes are hex strings and heights numbers.
func TestJSONLogs(t *testing.T) {
	datadir := t.TempDir()
	node := startNodeArgs(t, datadir, chain.LocalNet, "--connect", "0", "--log-format", "json")
	addr, _ := wire.EncodeAddress(chain.LocalParams().AddressPrefix, wire.KeyHash{7})
	hashes := mustCLI(t, nil, "rpc", "--datadir", datadir, "generatetoaddress", "2", addr)
	mustCLI(t, nil, "rpc", "--datadir", datadir, "stop")
	if code := node.exit(t); code != 0 {
		t.Fatalf("node exit %d:\n%s", code, node.stderr)
	}
	tips := 0
	for _, m := range jsonLines(t, node.stderr.String()) {
		if m["msg"] != "new tip" {
			continue
		}
		tips++
		hash, _ := m["hash"].(string)
		if height, ok := m["height"].(float64); !ok || height < 1 || len(hash) != 64 || !strings.Contains(hashes, hash) {
			t.Errorf("new tip line: height %v (%T), hash %v (%T)", m["height"], m["height"], m["hash"], m["hash"])
		}
	}
	if tips != 2 {
		t.Errorf("%d new tip lines for 2 blocks:\n%s", tips, node.stderr)
	}
}

// jsonLines decodes a JSON log; every line must be a JSON object.
func jsonLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// TestInitialSyncLogs: a node that syncs 200 blocks from a peer logs the
// start of initial sync and a final progress line, not a line per block;
// once caught up it logs each new tip. (regtest: its fixed easy target
// mines 200 blocks at once.)
func TestInitialSyncLogs(t *testing.T) {
	source := t.TempDir()
	startNodeArgs(t, source, chain.RegtestNet, "--connect", "0")
	rpcOf := func(datadir string, args ...string) string {
		return strings.TrimSpace(mustCLI(t, nil, append([]string{"rpc", "--datadir", datadir, "--network", chain.RegtestNet}, args...)...))
	}
	addr, _ := wire.EncodeAddress(chain.RegtestParams().AddressPrefix, wire.KeyHash{7})
	rpcOf(source, "generatetoaddress", "200", addr)
	var info struct {
		ListenAddress string `json:"listenaddress"`
	}
	if err := json.Unmarshal([]byte(rpcOf(source, "getnetworkinfo")), &info); err != nil {
		t.Fatal(err)
	}

	syncing := t.TempDir()
	node := startNodeArgs(t, syncing, chain.RegtestNet, "--connect", info.ListenAddress, "--log-format", "json")
	waitFor(t, 60*time.Second, "the node synced 200 blocks", func() bool { return rpcOf(syncing, "getblockcount") == "200" })
	rpcOf(source, "generatetoaddress", "1", addr)
	waitFor(t, 30*time.Second, "the new block", func() bool { return rpcOf(syncing, "getblockcount") == "201" })
	rpcOf(syncing, "stop")
	if code := node.exit(t); code != 0 {
		t.Fatalf("node exit %d:\n%s", code, node.stderr)
	}

	count := map[string]int{}
	var last map[string]any
	for _, m := range jsonLines(t, node.stderr.String()) {
		msg, _ := m["msg"].(string)
		count[msg]++
		if msg == "sync progress" {
			last = m
		}
	}
	if count["initial sync"] != 1 || last["progress"] != 1.0 || last["height"] != last["headers"] {
		t.Errorf("initial sync lines: %v, last progress %v", count, last)
	}
	if count["new tip"] > 10 || count["new tip"] < 1 {
		t.Errorf("%d new tip lines for 200 blocks synced and 1 after: per-block lines belong after catching up", count["new tip"])
	}
}

// TestRPCAddressForms: --rpc takes host:port, a URL of the node as
// http://host:port/ (as pasted from elsewhere), or a host alone, which
// means the network's RPC port, as bitcoin-cli's -rpcconnect does; a URL
// the node cannot serve is refused.
func TestRPCAddressForms(t *testing.T) {
	addr := fakeNode(t, map[string]string{"getblockcount": "7"})
	creds := []string{"--rpc-user", "u", "--rpc-password", "p"}
	for _, given := range []string{addr, "http://" + addr, "http://" + addr + "/"} {
		if out := mustCLI(t, nil, append(append([]string{"rpc", "--rpc", given}, creds...), "getblockcount")...); out != "7\n" {
			t.Errorf("--rpc %s: printed %q", given, out)
		}
	}
	r := runCLI(t, nil, append(append([]string{"rpc", "--network", "main", "--rpc", "127.0.0.1"}, creds...), "getblockcount")...)
	if r.code == 0 || !strings.Contains(r.stderr, "http://127.0.0.1:9443/") {
		t.Errorf("--rpc with no port: exit %d, stderr %q; want main's RPC port, 9443", r.code, r.stderr)
	}
	// The miner checks it at once, not at every retry.
	payTo, _ := wire.EncodeAddress(chain.LocalParams().AddressPrefix, wire.KeyHash{1})
	for _, bad := range []string{"https://" + addr, "http://" + addr + "/wallet"} {
		for _, args := range [][]string{
			append(append([]string{"rpc", "--rpc", bad}, creds...), "getblockcount"),
			append([]string{"miner", "start", "--address", payTo, "--rpc", bad}, creds...),
		} {
			r := runCLI(t, nil, args...)
			want := fmt.Sprintf("--rpc %q: give the node's RPC address as host:port (or http://host:port)", bad)
			if r.code != 2 || !strings.Contains(r.stderr, want) {
				t.Errorf("powchain %v: exit %d, stderr %q; want exit 2 and %q", args, r.code, r.stderr, want)
			}
		}
	}
}
