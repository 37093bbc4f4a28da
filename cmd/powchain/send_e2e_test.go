package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"powchain/rpc"
)

// answerDropper is a JSON-RPC proxy to the node at nodeAddr that passes
// every call through except sendrawtransaction: that one it forwards (when
// forward is set) and then closes the connection without an answer, as a
// connection that breaks at the wrong moment does. It returns its address.
func answerDropper(t *testing.T, nodeAddr string, forward bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		var call struct {
			Method string `json:"method"`
		}
		json.Unmarshal(body, &call)
		dropped := call.Method == "sendrawtransaction"
		if !dropped || forward {
			req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://"+nodeAddr+"/", bytes.NewReader(body))
			if err != nil {
				return
			}
			req.Header = r.Header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			if !dropped {
				w.WriteHeader(resp.StatusCode)
				io.Copy(w, resp.Body)
				return
			}
			io.Copy(io.Discard, resp.Body) // the node has answered: it decided
		}
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestWalletSendAnswerLost: `wallet send` whose sendrawtransaction request
// reaches the node but whose answer is lost must not look like a send that
// did not happen (the user would send again and pay twice from other
// coins): it names the transaction and says it may have been sent, and
// `wallet list` shows it, from the node when the node took it and as
// missing when the node never got it.
func TestWalletSendAnswerLost(t *testing.T) {
	datadir := t.TempDir()
	startNode(t, datadir)
	client := localClient(t, datadir)
	cheapWallet(t, datadir, "alice")
	cheapWallet(t, datadir, "bob")
	alice := lastLine(walletCLI(t, datadir, "alice", "address"))
	bob := lastLine(walletCLI(t, datadir, "bob", "address"))
	generate(t, client, 12, alice) // two coinbases mature (maturity 10)
	nodeAddr, err := rpc.ReadEndpoint(filepath.Join(datadir, "local"))
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name    string
		reached bool
	}{{"node took it", true}, {"node never got it", false}} {
		t.Run(c.name, func(t *testing.T) {
			proxy := answerDropper(t, nodeAddr, c.reached)
			r := runCLI(t, walletEnv, "wallet", "send", "--datadir", datadir, "--wallet", "alice", "--rpc", proxy,
				"--to", bob, "--amount", "1.5")
			if r.code == 0 || !strings.Contains(r.stderr, "may have been sent") || !strings.Contains(r.stderr, "powchain wallet list") {
				t.Fatalf("send with its answer lost: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
			}
			var txid string
			for _, f := range strings.Fields(r.stderr) {
				if len(f) == 64 && strings.Trim(f, "0123456789abcdef") == "" {
					txid = f
				}
			}
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
