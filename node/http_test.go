package node

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"powchain/explorer"
	"powchain/rpc"
	"powchain/wire"
)

// TestHTTPInterface: a local node serves HTTP by default and publishes the
// address in its data dir; the REST API agrees with RPC; the address file
// goes at shutdown; --http off and the main network's default serve none;
// a busy --http address is an error that releases everything.
func TestHTTPInterface(t *testing.T) {
	dir := t.TempDir()
	n, done := startNode(t, testConfig(dir))
	published, err := os.ReadFile(filepath.Join(n.NetDir(), explorer.AddressFile))
	if err != nil || strings.TrimSpace(string(published)) != n.HTTPAddr() {
		t.Fatalf("published HTTP address %q (%v), serving on %s", published, err, n.HTTPAddr())
	}
	ctx := context.Background()
	client := clientOf(t, n)
	addr, _ := wire.EncodeAddress(n.params.AddressPrefix, wire.KeyHash{4})
	if _, err := client.GenerateToAddress(ctx, 2, addr); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + n.HTTPAddr() + "/rest/chaininfo.json")
	if err != nil {
		t.Fatal(err)
	}
	var info rpc.BlockchainInfo
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	rpcInfo, rpcErr := client.GetBlockchainInfo(ctx)
	if err != nil || rpcErr != nil || info.Blocks != 2 || info.BestBlockHash != rpcInfo.BestBlockHash {
		t.Fatalf("REST chaininfo %+v (%v), RPC %+v (%v)", info, err, rpcInfo, rpcErr)
	}
	n.Stop()
	if err := waitResult(t, done); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(n.NetDir(), explorer.AddressFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("HTTP address file left behind after shutdown")
	}

	cfg := testConfig(t.TempDir())
	cfg.HTTPListen = HTTPOff
	off, _ := startNode(t, cfg)
	if off.HTTPAddr() != "" {
		t.Fatalf("--http off serves on %s", off.HTTPAddr())
	}
	if _, err := os.Stat(filepath.Join(off.NetDir(), explorer.AddressFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("--http off published an address")
	}

	main := testConfig(t.TempDir())
	main.Network = "main"
	if m, _ := startNode(t, main); m.HTTPAddr() != "" {
		t.Fatalf("main network serves HTTP by default on %s", m.HTTPAddr())
	}

	busy := testConfig(t.TempDir())
	busy.HTTPListen = n2Addr(t)
	if _, err := New(busy, quietLog()); err == nil || !strings.Contains(err.Error(), "HTTP listen") {
		t.Fatalf("busy HTTP address: %v", err)
	}
	busy.HTTPListen = "127.0.0.1:0"
	startNode(t, busy) // the failed start released the data dir
}

// n2Addr starts a node and returns its HTTP address (in use until the
// test ends).
func n2Addr(t *testing.T) string {
	t.Helper()
	n, _ := startNode(t, testConfig(t.TempDir()))
	return n.HTTPAddr()
}
