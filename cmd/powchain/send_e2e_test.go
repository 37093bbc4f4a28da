package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"powchain/rpc"
)

// answer is a node's HTTP answer to one JSON-RPC call.
type answer struct {
	status int
	body   []byte
}

// rpcProxy passes JSON-RPC calls to the node serving datadir (local
// network), except sendrawtransaction: that one goes to onSend with a
// function that forwards it and returns the node's answer. The proxy
// passes on what onSend returns, or, for nil, closes the connection
// without an answer, as a connection that breaks at the wrong moment
// does. It returns its address.
func rpcProxy(t *testing.T, datadir string, onSend func(forward func() *answer) *answer) string {
	t.Helper()
	nodeAddr, err := rpc.ReadEndpoint(filepath.Join(datadir, "local"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		forward := func() *answer {
			req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://"+nodeAddr+"/", bytes.NewReader(body))
			if err != nil {
				return &answer{http.StatusBadGateway, []byte(err.Error())}
			}
			req.Header = r.Header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return &answer{http.StatusBadGateway, []byte(err.Error())}
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return &answer{resp.StatusCode, b}
		}
		var call struct {
			Method string `json:"method"`
		}
		json.Unmarshal(body, &call)
		var got *answer
		if call.Method == "sendrawtransaction" {
			got = onSend(forward)
		} else {
			got = forward()
		}
		if got != nil {
			w.WriteHeader(got.status)
			w.Write(got.body)
		} else if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// txidIn returns the last 64-hex-digit word of s.
func txidIn(s string) string {
	var txid string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) }) {
		if len(f) == 64 {
			txid = f
		}
	}
	return txid
}

// aliceAndBob starts a node with two wallets, alice and bob, and returns
// its data dir, a client and a receive address of each.
func aliceAndBob(t *testing.T) (datadir string, client *rpc.Client, alice, bob string) {
	t.Helper()
	datadir = t.TempDir()
	startNode(t, datadir)
	cheapWallet(t, datadir, "alice")
	cheapWallet(t, datadir, "bob")
	alice = lastLine(walletCLI(t, datadir, "alice", "address"))
	bob = lastLine(walletCLI(t, datadir, "bob", "address"))
	return datadir, localClient(t, datadir), alice, bob
}

// TestWalletSendAnswerLost: `wallet send` whose sendrawtransaction request
// reaches the node but whose answer is lost must not look like a send that
// did not happen (the user would send again and pay twice from other
// coins): it names the transaction and says it may have been sent, and
// `wallet list` shows it, from the node when the node took it and as
// missing when the node never got it.
func TestWalletSendAnswerLost(t *testing.T) {
	datadir, client, alice, bob := aliceAndBob(t)
	generate(t, client, 12, alice) // two coinbases mature (maturity 10)

	for _, c := range []struct {
		name    string
		reached bool
	}{{"node took it", true}, {"node never got it", false}} {
		t.Run(c.name, func(t *testing.T) {
			proxy := rpcProxy(t, datadir, func(forward func() *answer) *answer {
				if c.reached {
					forward()
				}
				return nil
			})
			r := runCLI(t, walletEnv, "wallet", "send", "--datadir", datadir, "--wallet", "alice", "--rpc", proxy,
				"--to", bob, "--amount", "1.5")
			if r.code == 0 || !strings.Contains(r.stderr, "may have been sent") || !strings.Contains(r.stderr, "powchain wallet list") {
				t.Fatalf("send with its answer lost: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
			}
			txid := txidIn(r.stderr)
			mempool := rpcCLI(t, datadir, "getrawmempool")
			if txid == "" || strings.Contains(mempool, txid) != c.reached {
				t.Fatalf("stderr %q names txid %q; mempool %s", r.stderr, txid, mempool)
			}
			list := walletCLI(t, datadir, "alice", "list", "--limit", "0")
			var line string
			for _, l := range strings.Split(list, "\n") {
				if strings.Contains(l, txid) {
					line = l
				}
			}
			if !strings.Contains(line, "send") || strings.Contains(line, "missing") == c.reached {
				t.Fatalf("wallet list does not show the send %s as it stands (in the mempool: %v):\n%s", txid, c.reached, list)
			}
		})
	}
}

// TestWalletSendFileChangedMeanwhile: while `wallet send` waits for the
// node's answer, another process uses the same wallet (`wallet address`).
// The transaction was sent, so the send must say so, name it, and not tell
// the user to run the command again (which would pay a second time).
func TestWalletSendFileChangedMeanwhile(t *testing.T) {
	datadir := t.TempDir()
	startNode(t, datadir)
	cheapWallet(t, datadir, "alice")
	alice := lastLine(walletCLI(t, datadir, "alice", "address"))
	generate(t, localClient(t, datadir), 11, alice) // a coinbase matures (maturity 10)
	meanwhile := make(chan error, 1)
	proxy := rpcProxy(t, datadir, func(forward func() *answer) *answer {
		a := forward()
		cmd := exec.Command(binary, "wallet", "address", "--datadir", datadir, "--wallet", "alice")
		cmd.Env = append(os.Environ(), walletEnv...)
		if out, err := cmd.CombinedOutput(); err != nil {
			meanwhile <- fmt.Errorf("%v: %s", err, out)
		}
		close(meanwhile)
		return a
	})
	r := runCLI(t, walletEnv, "wallet", "send", "--datadir", datadir, "--wallet", "alice", "--rpc", proxy,
		"--to", alice, "--amount", "1")
	if err := <-meanwhile; err != nil {
		t.Fatalf("wallet address during the send: %v", err)
	}
	txid := txidIn(r.stderr)
	if r.code == 0 || txid == "" || strings.Contains(r.stderr, "run the command again") || !strings.Contains(r.stderr, "do not send it again") {
		t.Fatalf("send while another process changed the wallet: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	if mempool := rpcCLI(t, datadir, "getrawmempool"); !strings.Contains(mempool, txid) {
		t.Fatalf("the send names %s, the mempool holds %s", txid, mempool)
	}
}

// TestWalletSendSpendsOnlyConfirmedPayments: as in Bitcoin Core, `wallet
// send` does not spend a payment from someone else before it confirms
// (its sender could still double-spend it, and the send would vanish with
// it); the change of the wallet's own unconfirmed send it does spend.
func TestWalletSendSpendsOnlyConfirmedPayments(t *testing.T) {
	datadir, client, alice, bob := aliceAndBob(t)
	generate(t, client, 11, bob) // a coinbase of bob's matures (maturity 10)
	walletCLI(t, datadir, "bob", "send", "--to", alice, "--amount", "5")

	r := runCLI(t, walletEnv, "wallet", "send", "--datadir", datadir, "--wallet", "alice", "--to", bob, "--amount", "1")
	if r.code == 0 || !strings.Contains(r.stderr, "5.00000000 more are unconfirmed payments to the wallet, spendable once they confirm") {
		t.Fatalf("alice spends bob's unconfirmed payment: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	generate(t, client, 1, bob)
	first := strings.TrimSpace(walletCLI(t, datadir, "alice", "send", "--to", bob, "--amount", "1"))
	second := strings.TrimSpace(walletCLI(t, datadir, "alice", "send", "--to", bob, "--amount", "1")) // from the change of the first
	if mempool := rpcCLI(t, datadir, "getrawmempool"); !strings.Contains(mempool, first) || !strings.Contains(mempool, second) {
		t.Fatalf("sends %s and %s; mempool %s", first, second, mempool)
	}
}

// TestWalletSendInterrupted: the user interrupts `wallet send` (Ctrl-C)
// while it waits for the node's answer, after the node took the
// transaction. As when the answer is lost, the send must name the
// transaction, say it may have been sent and record it, not die silently:
// the user would send again and pay twice from other coins.
func TestWalletSendInterrupted(t *testing.T) {
	datadir, client, alice, bob := aliceAndBob(t)
	generate(t, client, 11, alice) // a coinbase matures (maturity 10)
	taken, release := make(chan struct{}), make(chan struct{})
	proxy := rpcProxy(t, datadir, func(forward func() *answer) *answer {
		forward()
		close(taken)
		<-release // the node's answer never comes
		return nil
	})
	t.Cleanup(func() { close(release) }) // before the proxy closes

	cmd := exec.Command(binary, "wallet", "send", "--datadir", datadir, "--wallet", "alice", "--rpc", proxy,
		"--to", bob, "--amount", "1.5")
	cmd.Env = append(os.Environ(), walletEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-taken:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the send never reached the node: stderr %q", stderr.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	txid := txidIn(stderr.String())
	if err == nil || txid == "" || !strings.Contains(stderr.String(), "may have been sent") ||
		!strings.Contains(stderr.String(), "it is recorded in the wallet") {
		t.Fatalf("send interrupted after the node took it: %v\nstdout %q\nstderr %q", err, stdout.String(), stderr.String())
	}
	t.Logf("interrupted send: %s", stderr.String())
	if mempool := rpcCLI(t, datadir, "getrawmempool"); !strings.Contains(mempool, txid) {
		t.Fatalf("the send names %s, the mempool holds %s", txid, mempool)
	}
	if list := walletCLI(t, datadir, "alice", "list", "--limit", "0"); !strings.Contains(list, txid) {
		t.Fatalf("wallet list does not show the send %s:\n%s", txid, list)
	}
}

// listLine is the line of `wallet list` that names txid ("" if none).
func listLine(t *testing.T, datadir, name, txid string) string {
	t.Helper()
	for _, l := range strings.Split(walletCLI(t, datadir, name, "list", "--limit", "0"), "\n") {
		if strings.Contains(l, txid) {
			return l
		}
	}
	return ""
}

// TestWalletAbandon: a send the node never got is listed as missing, then
// as replaced once a later send spends its coin; `wallet abandon` forgets
// it (and only a send the node does not have), with errors in the user's
// terms.
func TestWalletAbandon(t *testing.T) {
	datadir, client, alice, bob := aliceAndBob(t)
	generate(t, client, 12, alice) // two coinbases mature (maturity 10)
	proxy := rpcProxy(t, datadir, func(func() *answer) *answer { return nil })
	r := runCLI(t, walletEnv, "wallet", "send", "--datadir", datadir, "--wallet", "alice", "--rpc", proxy,
		"--to", bob, "--amount", "1.5")
	lost := txidIn(r.stderr)
	if r.code == 0 || lost == "" {
		t.Fatalf("send the node never got: exit %d, stderr %q", r.code, r.stderr)
	}
	if l := listLine(t, datadir, "alice", lost); !strings.Contains(l, "missing: not in the chain or the mempool") {
		t.Fatalf("wallet list's line of the lost send: %q", l)
	}
	again := strings.TrimSpace(walletCLI(t, datadir, "alice", "send", "--to", bob, "--amount", "1.5"))
	if l := listLine(t, datadir, "alice", lost); !strings.Contains(l, "missing: replaced by "+again[:16]+"…)") {
		t.Fatalf("wallet list's line of the lost send after %s spent its coin: %q", again, l)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: powchain wallet abandon --txid TXID"},
		{[]string{"--txid", "xyz"}, 1, `--txid "xyz": want a transaction id of 64 hex digits`},
		{[]string{"--txid", strings.Repeat("0", 64)}, 1, "no such send in this wallet"},
		{[]string{"--txid", again}, 1, "only a missing send can be abandoned: " + again + " is in the node's mempool"},
	} {
		args := append([]string{"wallet", "abandon", "--datadir", datadir, "--wallet", "alice"}, c.args...)
		if r := runCLI(t, walletEnv, args...); r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("wallet abandon %v: exit %d, stderr %q; want exit %d saying %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	if out := strings.TrimSpace(walletCLI(t, datadir, "alice", "abandon", "--txid", lost)); out != lost {
		t.Fatalf("wallet abandon printed %q; want %s", out, lost)
	}
	if l := listLine(t, datadir, "alice", lost); l != "" {
		t.Fatalf("wallet list still shows the abandoned send: %q", l)
	}
}
