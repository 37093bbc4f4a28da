package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"powchain/rpc"
	"powchain/wire"
)

func testConfig(dir string) Config {
	return Config{DataDir: dir, Network: "local", RPCListen: "127.0.0.1:0", Listen: "127.0.0.1:0", NoDiscovery: true, MinerThreads: 2}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startNode runs a node until the test ends; it returns the node and the
// channel Run's result arrives on.
func startNode(t testing.TB, cfg Config) (*Node, <-chan error) {
	t.Helper()
	n, err := New(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		done <- n.Run(ctx)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return n, done
}

func clientOf(t testing.TB, n *Node) *rpc.Client {
	t.Helper()
	addr, err := rpc.ReadEndpoint(n.NetDir())
	if err != nil {
		t.Fatal(err)
	}
	user, pass, err := rpc.ReadCookie(filepath.Join(n.NetDir(), rpc.CookieFile))
	if err != nil {
		t.Fatal(err)
	}
	return rpc.NewClient(addr, user, pass)
}

func waitResult(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("node did not stop")
		return nil
	}
}

// TestNodeLifecycle: one node per data dir; the stop RPC shuts down in
// order and a restart finds the same state; a saved mempool comes back.
func TestNodeLifecycle(t *testing.T) {
	dir := t.TempDir()
	n, done := startNode(t, testConfig(dir))
	if _, err := New(testConfig(dir), quietLog()); !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("second node on the same data dir: %v", err)
	}
	ctx := context.Background()
	client := clientOf(t, n)
	addr, _ := wire.EncodeAddress(n.params.AddressPrefix, wire.KeyHash{9})
	hashes, err := client.GenerateToAddress(ctx, 3, addr)
	if err != nil || len(hashes) != 3 {
		t.Fatalf("generatetoaddress: %v %v", hashes, err)
	}
	before, err := client.GetTxOutSetInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := waitResult(t, done); err != nil {
		t.Fatalf("Run after stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(n.NetDir(), rpc.CookieFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("cookie left behind after shutdown")
	}

	n2, _ := startNode(t, testConfig(dir))
	after, err := clientOf(t, n2).GetTxOutSetInfo(ctx)
	if err != nil || *after != *before {
		t.Fatalf("after restart %+v, before %+v (%v)", after, before, err)
	}
}

// TestReindexKeepsState: --reindex rebuilds the same UTXO set.
func TestReindexKeepsState(t *testing.T) {
	dir := t.TempDir()
	n, done := startNode(t, testConfig(dir))
	ctx := context.Background()
	addr, _ := wire.EncodeAddress(n.params.AddressPrefix, wire.KeyHash{3})
	if _, err := clientOf(t, n).GenerateToAddress(ctx, 4, addr); err != nil {
		t.Fatal(err)
	}
	before, _ := clientOf(t, n).GetTxOutSetInfo(ctx)
	n.Stop()
	if err := waitResult(t, done); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir)
	cfg.Reindex = true
	n2, _ := startNode(t, cfg)
	after, err := clientOf(t, n2).GetTxOutSetInfo(ctx)
	if err != nil || *after != *before {
		t.Fatalf("after reindex %+v, before %+v (%v)", after, before, err)
	}
}

// TestBadConfig: errors, not panics, for what a user can get wrong.
func TestBadConfig(t *testing.T) {
	if _, err := New(Config{DataDir: t.TempDir(), Network: "moon"}, quietLog()); err == nil {
		t.Fatal("unknown network accepted")
	}
	busy, _ := startNode(t, testConfig(t.TempDir()))
	cfg := testConfig(t.TempDir())
	cfg.RPCListen = busy.RPCAddr()
	if _, err := New(cfg, quietLog()); err == nil {
		t.Fatal("RPC address in use accepted")
	}
	// The failed start released its data dir: a new node can take it.
	cfg.RPCListen = "127.0.0.1:0"
	startNode(t, cfg)
}

// TestCorruptMempoolFileKept: a mempool.dat the node cannot read (corrupt,
// or truncated: here a version 2 file cut after its version) stops it
// with the file's name, what is wrong and what to do, and the file is left
// as it was, not replaced by the empty pool a node starting without it
// would save.
func TestCorruptMempoolFileKept(t *testing.T) {
	for _, c := range []struct {
		data, want string
	}{
		{"\x08\x01\x12\xff not a saved pool", "is corrupt"},
		{"\x08\x02", "is truncated"},
	} {
		dir := t.TempDir()
		netDir := filepath.Join(dir, "local")
		if err := os.MkdirAll(netDir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(netDir, "mempool.dat")
		if err := os.WriteFile(path, []byte(c.data), 0o600); err != nil {
			t.Fatal(err)
		}
		n, err := New(testConfig(dir), quietLog())
		if err == nil {
			n.Stop()
			n.Run(context.Background())
		}
		if err == nil || !strings.Contains(err.Error(), path+" "+c.want) || !strings.Contains(err.Error(), "move it away") {
			t.Errorf("start with mempool.dat %q: %v; want an error naming it, saying it %s and to move it away", c.data, err, c.want)
		}
		if got, _ := os.ReadFile(path); string(got) != c.data {
			t.Fatalf("mempool.dat is now %q, was %q", got, c.data)
		}
	}
}

// TestUnbroadcastOutlivesRestart: a payment submitted to a node that had
// no peers, and that then restarted, reaches the first peer to connect at
// the next rebroadcast (10 s after the start on local): mempool.dat keeps
// it unbroadcast. Before, the restart forgot that no peer had it, and the
// node never announced it to anyone.
func TestUnbroadcastOutlivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, done := startNode(t, testConfig(dir))
	c := clientOf(t, n)
	_, txid := sendFromCoinbase(t, n, c)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := waitResult(t, done); err != nil {
		t.Fatal(err)
	}
	n, _ = startNode(t, testConfig(dir))
	cfg := testConfig(t.TempDir())
	cfg.Connect = []string{n.P2PAddr()}
	peer, _ := startNode(t, cfg)
	pc := clientOf(t, peer)
	waitFor(t, func() bool { ids, _ := pc.GetRawMempool(ctx); return slices.Contains(ids, txid) })
}

// TestAddNodeAnswersAsCore: addnode through the node's own network layer
// answers as Bitcoin Core does: a node kept already (added before, or
// given by --addnode) is -23, removing one never added is -24.
func TestAddNodeAnswersAsCore(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.AddNode = []string{"127.0.0.1:1"}
	n, _ := startNode(t, cfg)
	client := clientOf(t, n)
	ctx := context.Background()
	code := func(params ...any) int {
		var rpcErr *rpc.Error
		if err := client.Call(ctx, "addnode", params, nil); errors.As(err, &rpcErr) {
			return rpcErr.Code
		} else if err != nil {
			t.Fatalf("addnode %v: %v", params, err)
		}
		return 0
	}
	for _, c := range []struct {
		node, command string
		want          int
	}{
		{"127.0.0.1:1", "add", rpc.CodeClientNodeAlreadyAdded}, // given by --addnode
		{"127.0.0.1:2", "add", 0},
		{"127.0.0.1:2", "add", rpc.CodeClientNodeAlreadyAdded},
		{"127.0.0.1:2", "remove", 0},
		{"127.0.0.1:2", "remove", rpc.CodeClientNodeNotAdded},
		{"127.0.0.1:2", "add", 0}, // removed: it can be added again
	} {
		if got := code(c.node, c.command); got != c.want {
			t.Errorf("addnode %s %s: code %d, want %d", c.node, c.command, got, c.want)
		}
	}
}

// TestNodeRemovesTempsLeftByCrash: the temporary files a node killed
// mid-write left in its network folder (mempool.dat's, peers.json's, the
// cookie's, the address files') stay while another node holds the folder,
// which may be writing them, and are gone once a node takes the folder's
// lock; a wallet's, in the wallets folder another process writes, and
// files that only look alike stay.
func TestNodeRemovesTempsLeftByCrash(t *testing.T) {
	dir := t.TempDir()
	netDir := filepath.Join(dir, "local")
	if err := os.MkdirAll(filepath.Join(netDir, "wallets"), 0o700); err != nil {
		t.Fatal(err)
	}
	owned := []string{".mempool.dat.tmp3141", ".peers.json.tmp59", "..cookie.tmp2", ".rpc.address.tmp65", ".http.address.tmp358979"}
	kept := []string{filepath.Join("wallets", ".default.wallet.tmp323"), ".mempool.dat.tmp1.tmp2", ".mempool.dat.tmpx"}
	for _, name := range append(slices.Clone(owned), kept...) {
		if err := os.WriteFile(filepath.Join(netDir, name), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	exist := func(names []string, want bool, when string) {
		t.Helper()
		for _, name := range names {
			if _, err := os.Stat(filepath.Join(netDir, name)); (err == nil) != want {
				t.Errorf("%s: %s exists %v, want %v", when, name, err == nil, want)
			}
		}
	}
	holder, err := lockDir(netDir) // another node, perhaps writing
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(testConfig(dir), quietLog()); !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("node on a held folder: %v", err)
	}
	exist(owned, true, "folder held by another node")
	holder.release()
	startNode(t, testConfig(dir))
	exist(owned, false, "node started")
	exist(kept, true, "node started")
}
