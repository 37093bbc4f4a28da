package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"powchain/chain"
	"powchain/internal/childproc"
	"powchain/rpc"
	"powchain/wire"
)

// binary is the powchain executable built once for the tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "powchain-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "powchain")
	// -buildvcs=auto overrides a GOFLAGS=-buildvcs=false: `powchain
	// version` is tested to show the commit when there is one.
	args := []string{"build", "-buildvcs=auto", "-o", binary}
	if raceBuild {
		args = append(args, "-race")
	}
	if libsecpBuild {
		args = append(args, "-tags", "libsecp256k1")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build powchain: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the binary to completion.
type result struct {
	stdout, stderr string
	code           int
}

func runCLI(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return r
}

// mustCLI runs the binary and fails the test unless it exits 0.
func mustCLI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := runCLI(t, env, args...)
	if r.code != 0 {
		t.Fatalf("powchain %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// nodeProc is a running `powchain node run`.
type nodeProc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

func startNode(t *testing.T, datadir string) *nodeProc {
	t.Helper()
	return startNodeArgs(t, datadir, chain.LocalNet, "--connect", "0")
}

// startNodeArgs starts a node of network on loopback with any free ports
// and extra flags, and waits until its RPC answers.
func startNodeArgs(t *testing.T, datadir, network string, extra ...string) *nodeProc {
	t.Helper()
	return startNodeLogging(t, new(bytes.Buffer), datadir, network, extra...)
}

// startNodeLogging is startNodeArgs with the node's log going to stderr
// (kept in nodeProc.stderr when it is a buffer).
func startNodeLogging(t *testing.T, stderr io.Writer, datadir, network string, extra ...string) *nodeProc {
	t.Helper()
	args := []string{"node", "run", "--datadir", datadir, "--network", network, "--rpc-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"}
	cmd := exec.Command(binary, append(args, extra...)...)
	childproc.DieWithParent(cmd)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &nodeProc{cmd: cmd, done: make(chan error, 1)}
	n.stderr, _ = stderr.(*bytes.Buffer)
	go func() { n.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-n.done
	})
	// Ready when the published endpoint answers.
	client := func() *rpc.Client {
		dir := filepath.Join(datadir, network)
		addr, err := rpc.ReadEndpoint(dir)
		if err != nil {
			return nil
		}
		user, pass, err := rpc.ReadCookie(filepath.Join(dir, rpc.CookieFile))
		if err != nil {
			return nil
		}
		return rpc.NewClient(addr, user, pass)
	}
	waitFor(t, 30*time.Second, "node RPC up", func() bool {
		select {
		case err := <-n.done:
			n.done <- err // for the cleanup
			t.Fatalf("node exited before its RPC was up (%v); stderr:\n%s", err, n.stderr)
		default:
		}
		c := client()
		if c == nil {
			return false
		}
		_, err := c.GetBlockCount(context.Background())
		return err == nil
	})
	return n
}

// exit waits for the node to end and returns its exit code.
func (n *nodeProc) exit(t *testing.T) int {
	t.Helper()
	select {
	case err := <-n.done:
		n.done <- err // for the cleanup
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatalf("node did not exit; stderr:\n%s", n.stderr)
		return -1
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

type balance struct{ Confirmed, Unconfirmed, Immature uint64 }

func walletBalanceOf(t *testing.T, env []string, datadir, name string) balance {
	t.Helper()
	var b balance
	out := mustCLI(t, env, "wallet", "balance", "--json", "--datadir", datadir, "--wallet", name)
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("balance output %q: %v", out, err)
	}
	return b
}

// TestNewUserJourney drives the real binary as a new user would: start a
// node, create wallets, mine, send, mine, check both balances, stop with
// SIGTERM (exit 0), restart and find the same state, stop with the RPC.
func TestNewUserJourney(t *testing.T) {
	datadir := t.TempDir()
	env := []string{"POWCHAIN_WALLET_PASSPHRASE=correct horse"}
	node := startNode(t, datadir)

	second := runCLI(t, nil, "node", "run", "--datadir", datadir, "--rpc-listen", "127.0.0.1:0")
	if second.code == 0 || !strings.Contains(second.stderr, "in use by another powchain node") {
		t.Fatalf("second node on the same data dir: exit %d, stderr %q", second.code, second.stderr)
	}

	created := mustCLI(t, env, "wallet", "create", "--datadir", datadir)
	if words := strings.Fields(lastLine(created)); len(words) != 24 {
		t.Fatalf("create did not show a 24-word mnemonic: %q", created)
	}
	mustCLI(t, env, "wallet", "create", "--datadir", datadir, "--wallet", "bob")
	alice := lastLine(mustCLI(t, env, "wallet", "address", "--datadir", datadir))
	bob := lastLine(mustCLI(t, env, "wallet", "address", "--datadir", datadir, "--wallet", "bob"))
	if !strings.HasPrefix(alice, "pcrt1") || !strings.HasPrefix(bob, "pcrt1") {
		t.Fatalf("addresses %q %q", alice, bob)
	}

	// Eleven blocks: at height 11 the coinbases of heights 1 and 2 are
	// mature (a spend would be in block 12: 12-2 >= 10).
	mustCLI(t, nil, "rpc", "--datadir", datadir, "generatetoaddress", "11", alice)
	if b := walletBalanceOf(t, env, datadir, "default"); b.Confirmed != 100e8 || b.Immature != 450e8 || b.Unconfirmed != 0 {
		t.Fatalf("alice after mining: %+v", b)
	}

	txid := strings.TrimSpace(mustCLI(t, env, "wallet", "send", "--datadir", datadir, "--to", bob, "--amount", "1.5"))
	if len(txid) != 64 {
		t.Fatalf("send printed %q, want only a txid", txid)
	}
	if !strings.Contains(mustCLI(t, nil, "rpc", "--datadir", datadir, "getrawmempool"), txid) {
		t.Fatalf("txid %s not in the mempool", txid)
	}
	if b := walletBalanceOf(t, env, datadir, "bob"); b.Unconfirmed != 150_000_000 || b.Confirmed != 0 {
		t.Fatalf("bob before confirmation: %+v", b)
	}
	mustCLI(t, nil, "rpc", "--datadir", datadir, "generatetoaddress", "1", alice)
	if b := walletBalanceOf(t, env, datadir, "bob"); b.Confirmed != 150_000_000 || b.Unconfirmed != 0 {
		t.Fatalf("bob after confirmation: %+v", b)
	}
	a := walletBalanceOf(t, env, datadir, "default")
	// Alice had 100 confirmed + 450 immature; block 12 pays her 50 + the
	// fee she paid, and matures the coinbase of height 3; she sent 1.5.
	if total := a.Confirmed + a.Immature + a.Unconfirmed; total != 600e8-150_000_000 {
		t.Fatalf("alice after the send: %+v (total %d)", a, total)
	}

	checkWalletList(t, env, datadir)
	// A fee rate over the fee cap goes through with a higher --max-fee.
	if r := runCLI(t, env, "wallet", "send", "--datadir", datadir, "--to", bob, "--amount", "1", "--fee-rate", "1000000", "--no-broadcast"); r.code == 0 || !strings.Contains(r.stderr, "fee too high") {
		t.Fatalf("send over the fee cap: exit %d, stderr %q", r.code, r.stderr)
	}
	mustCLI(t, env, "wallet", "send", "--datadir", datadir, "--to", bob, "--amount", "1", "--fee-rate", "1000000", "--max-fee", "5", "--no-broadcast")

	tip := strings.TrimSpace(mustCLI(t, nil, "rpc", "--datadir", datadir, "getbestblockhash"))
	utxos := mustCLI(t, nil, "rpc", "--datadir", datadir, "gettxoutsetinfo")
	node.cmd.Process.Signal(syscall.SIGTERM)
	if code := node.exit(t); code != 0 {
		t.Fatalf("SIGTERM: exit %d\n%s", code, node.stderr)
	}
	if _, err := os.Stat(filepath.Join(datadir, "local", rpc.AddressFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the stopped node left its RPC endpoint file behind")
	}
	if r := runCLI(t, nil, "rpc", "--datadir", datadir, "getblockcount"); r.code == 0 || !strings.Contains(r.stderr, "no running node") {
		t.Fatalf("rpc with the node down: exit %d, stderr %q", r.code, r.stderr)
	}

	node = startNode(t, datadir)
	if got := strings.TrimSpace(mustCLI(t, nil, "rpc", "--datadir", datadir, "getbestblockhash")); got != tip {
		t.Fatalf("tip after restart %s, before %s", got, tip)
	}
	if got := mustCLI(t, nil, "rpc", "--datadir", datadir, "gettxoutsetinfo"); got != utxos {
		t.Fatalf("UTXO set after restart:\n%s\nbefore:\n%s", got, utxos)
	}
	if out := strings.TrimSpace(mustCLI(t, nil, "rpc", "--datadir", datadir, "stop")); out != "powchain stopping" {
		t.Fatalf("stop printed %q", out)
	}
	if code := node.exit(t); code != 0 {
		t.Fatalf("stop RPC: exit %d\n%s", code, node.stderr)
	}
}

// TestShutdownWithoutLogReader: a node whose log reader has gone (`node
// run 2>&1 | tee node.log` stopped with Ctrl-C, which ends tee as well)
// still shuts down in order on the signal: exit 0, the mempool and the
// address book saved, the RPC endpoint removed.
func TestShutdownWithoutLogReader(t *testing.T) {
	datadir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	node := startNodeLogging(t, w, datadir, chain.LocalNet, "--connect", "0")
	w.Close()
	node.cmd.Process.Signal(syscall.SIGINT)
	if code := node.exit(t); code != 0 {
		t.Fatalf("SIGINT with its log reader gone: exit %d, want 0", code)
	}
	for _, f := range []string{"mempool.dat", "peers.json"} {
		if _, err := os.Stat(filepath.Join(datadir, "local", f)); err != nil {
			t.Errorf("%s not saved at shutdown: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(datadir, "local", rpc.AddressFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("the stopped node left its RPC endpoint file behind")
	}
}

// TestWalletErrors: clear messages and non-zero exits for the common
// mistakes.
func TestWalletErrors(t *testing.T) {
	datadir := t.TempDir()
	env := []string{"POWCHAIN_WALLET_PASSPHRASE=right"}
	startNode(t, datadir)
	mustCLI(t, env, "wallet", "create", "--datadir", datadir)
	mainAddr, _ := wire.EncodeAddress(chain.MainParams().AddressPrefix, wire.KeyHash{1})
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"wrong passphrase", []string{"POWCHAIN_WALLET_PASSPHRASE=wrong"}, []string{"wallet", "address"}, "passphrase"},
		{"malformed address", env, []string{"wallet", "send", "--to", "pcrt1notanaddress", "--amount", "1"}, "invalid address"},
		{"insufficient funds", env, []string{"wallet", "send", "--to", lastLine(mustCLI(t, env, "wallet", "address", "--datadir", datadir)), "--amount", "1"}, "insufficient funds"},
		{"bad amount", env, []string{"wallet", "send", "--to", "x", "--amount", "1.123456789"}, "amount"},
		{"dust amount", env, []string{"wallet", "send", "--to", "x", "--amount", "0.000001"}, "0.00000100 coins is below the dust threshold of 0.00000480 coins"},
		{"no such wallet", env, []string{"wallet", "balance", "--wallet", "nobody"}, "nobody"},
		{"node unreachable", env, []string{"wallet", "balance", "--rpc", "127.0.0.1:1"}, "unreachable"},
		{"other network address", env, []string{"wallet", "send", "--to", mainAddr, "--amount", "1"}, "another network"},
		{"fee over the cap", env, []string{"wallet", "send", "--to", lastLine(mustCLI(t, env, "wallet", "address", "--datadir", datadir)), "--amount", "1", "--fee-rate", "100000000"}, "exceeds the maximum fee of 0.10000000 coins"},
		{"bad max fee", env, []string{"wallet", "send", "--to", "x", "--amount", "1", "--max-fee", "lots"}, "--max-fee"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.env, append(tc.args, "--datadir", datadir)...)
			if r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), tc.want) {
				t.Fatalf("exit %d, stderr %q; want a non-zero exit mentioning %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// TestCorruptDatabaseExitsCleanly: a damaged chain database stops the node
// at start with a clear message and a non-zero exit, never a panic.
func TestCorruptDatabaseExitsCleanly(t *testing.T) {
	datadir := t.TempDir()
	node := startNode(t, datadir)
	node.cmd.Process.Signal(syscall.SIGTERM)
	if code := node.exit(t); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	if err := os.Remove(filepath.Join(datadir, "local", "chain", "CURRENT")); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "node", "run", "--datadir", datadir, "--rpc-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--connect", "0")
	if r.code == 0 || !strings.Contains(r.stderr, "corrupt chain database") || strings.Contains(r.stderr, "panic") {
		t.Fatalf("exit %d, stderr %q; want a non-zero exit naming the corrupt database", r.code, r.stderr)
	}
}

// checkWalletList: alice mined 12 blocks (maturity 10) and sent once:
// every line has a time, coinbase outputs say whether they are mature,
// --limit pages newest first and --json carries the same.
func checkWalletList(t *testing.T, env []string, datadir string) {
	t.Helper()
	list := mustCLI(t, env, "wallet", "list", "--datadir", datadir, "--limit", "0")
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(list, "coinbase (immature)") || !strings.Contains(list, "coinbase (mature)") || !strings.Contains(list, "send") {
		t.Fatalf("wallet list:\n%s", list)
	}
	for _, line := range lines[1:] {
		if _, err := time.Parse(time.RFC3339, strings.Fields(line)[0]); err != nil || strings.HasPrefix(line, "1970") {
			t.Errorf("wallet list line without a time: %q", line)
		}
	}
	r := runCLI(t, env, "wallet", "list", "--datadir", datadir, "--limit", "3")
	if got := strings.Split(strings.TrimSpace(r.stdout), "\n"); r.code != 0 || len(got) != 4 || got[1] != lines[1] ||
		!strings.Contains(r.stderr, fmt.Sprintf("(the newest 3 of %d entries; --limit 0 shows all)", len(lines)-1)) {
		t.Errorf("wallet list --limit 3: exit %d\n%s\nstderr %q", r.code, r.stdout, r.stderr)
	}
	var entries []struct {
		Kind     string `json:"kind"`
		Time     int64  `json:"time"`
		Coinbase bool   `json:"coinbase"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, env, "wallet", "list", "--datadir", datadir, "--json")), &entries); err != nil || len(entries) != len(lines)-1 { // fewer than the default page of 20
		t.Fatalf("wallet list --json: %d entries, %v", len(entries), err)
	}
	for _, e := range entries {
		if e.Time == 0 {
			t.Errorf("wallet list --json: entry without a time: %+v", e)
		}
	}
}
