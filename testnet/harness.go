package testnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"powchain/chain"
	"powchain/internal/childproc"
	"powchain/rpc"
)

// TB is the part of testing.TB the harness needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	TempDir() string
	Cleanup(func())
	Failed() bool
}

var _ TB = (*testing.T)(nil)

// BuildBinary builds cmd/powchain into dir and returns its path; with race
// set, the binary is built with the race detector.
func BuildBinary(dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "powchain")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "powchain/cmd/powchain")...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build powchain: %v\n%s", err, out.String())
	}
	return bin, nil
}

// Network is a set of powchain node processes on loopback, all on one
// chain (--network).
type Network struct {
	t      TB
	bin    string
	dir    string
	params *chain.Params
	nodes  map[string]*Node
}

// Node is one powchain process of a Network.
type Node struct {
	Name    string
	DataDir string
	P2PAddr string // host:port it accepts peers on
	RPCAddr string

	net  *Network
	args []string // node run arguments besides data dir and addresses
	cmd  *exec.Cmd
	done chan struct{} // closed when the process exited
	err  error         // its exit status, once done is closed
	log  *os.File
}

// NewNetwork returns an empty network of the named chain (chain.LocalNet,
// chain.RegtestNet, ...) whose nodes live in a temporary directory and run
// bin. Every node still running when the test ends is stopped; if the test
// failed, the last lines of every node's log go to the test log first (the
// temporary directory, logs included, is deleted after the test).
func NewNetwork(t TB, bin, network string) *Network {
	t.Helper()
	params, err := chain.ParamsForNetwork(network)
	if err != nil {
		t.Fatalf("testnet: %v", err)
	}
	n := &Network{t: t, bin: bin, dir: t.TempDir(), params: params, nodes: make(map[string]*Node)}
	t.Cleanup(func() {
		if t.Failed() {
			n.report(logTailLines)
		}
		n.stopAll()
	})
	return n
}

// logTailLines is how many lines of each node's log a failed test shows.
const logTailLines = 60

// report writes, for every node in name order, its tip and peers (if it
// runs) and the last lines lines of its log to the test log.
func (n *Network) report(lines int) {
	for _, name := range slices.Sorted(maps.Keys(n.nodes)) {
		nd := n.nodes[name]
		if nd.running() {
			hash, height := tipOrEmpty(nd)
			n.t.Logf("testnet: %s: tip %s at %d, peers %s", name, hash, height, nd.peerSummary())
		}
		data, err := os.ReadFile(filepath.Join(nd.DataDir, "node.log"))
		if err != nil {
			n.t.Logf("testnet: %s log: %v", name, err)
			continue
		}
		n.t.Logf("testnet: last %d lines of %s's log:\n%s", lines, name, lastLines(string(data), lines))
	}
}

// peerSummary is the node's getpeerinfo as JSON, or the error getting it.
func (nd *Node) peerSummary() string {
	var peers json.RawMessage
	if err := nd.Client().Call(context.Background(), "getpeerinfo", nil, &peers); err != nil {
		return err.Error()
	}
	return string(peers)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-n):], "\n")
}

// Params returns the parameters of the network's chain.
func (n *Network) Params() *chain.Params { return n.params }

// freePort returns a loopback port nothing listens on right now.
func freePort(t TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts a node called name with extra `node run` arguments (for
// example --seed, --connect ADDR) and waits until its RPC answers. A seed
// (--seed) listens on the first free hard-coded local seed address; other
// nodes get a free loopback port.
func (n *Network) Start(name string, args ...string) *Node {
	n.t.Helper()
	if old := n.nodes[name]; old != nil && old.running() {
		n.t.Fatalf("testnet: node %s is already running", name)
	}
	node := n.nodes[name]
	if node == nil {
		node = &Node{Name: name, DataDir: filepath.Join(n.dir, name), net: n}
		node.RPCAddr = "127.0.0.1:" + strconv.Itoa(freePort(n.t))
		node.P2PAddr = "127.0.0.1:" + strconv.Itoa(freePort(n.t))
		n.nodes[name] = node
	}
	node.args = args
	node.start()
	return node
}

func (nd *Node) isSeed() bool {
	for _, a := range nd.args {
		if a == "--seed" {
			return true
		}
	}
	return false
}

func (nd *Node) start() {
	t := nd.net.t
	t.Helper()
	args := []string{"node", "run", "--network", nd.net.params.Name, "--datadir", nd.DataDir, "--rpc-listen", nd.RPCAddr, "--log-level", "debug"}
	if !nd.isSeed() {
		args = append(args, "--listen", nd.P2PAddr)
	}
	args = append(args, nd.args...)
	if err := os.MkdirAll(nd.DataDir, 0o700); err != nil {
		t.Fatalf("testnet: %v", err)
	}
	log, err := os.OpenFile(filepath.Join(nd.DataDir, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatalf("testnet: %v", err)
	}
	nd.log = log
	nd.cmd = exec.Command(nd.net.bin, args...)
	childproc.DieWithParent(nd.cmd) // a killed test run takes its nodes along
	nd.cmd.Stdout, nd.cmd.Stderr = log, log
	if err := nd.cmd.Start(); err != nil {
		t.Fatalf("testnet: start %s: %v", nd.Name, err)
	}
	nd.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		nd.err = cmd.Wait()
		log.Close()
		close(done)
	}(nd.cmd, nd.done)
	nd.WaitFor(60*time.Second, "RPC to answer", func() bool {
		_, err := nd.Client().GetBlockCount(context.Background())
		return err == nil
	})
	if nd.isSeed() {
		nd.P2PAddr = nd.networkInfo().ListenAddress
	}
}

// netDir is the node's directory for its network inside its data dir.
func (nd *Node) netDir() string { return filepath.Join(nd.DataDir, nd.net.params.Name) }

func (nd *Node) running() bool {
	if nd.done == nil {
		return false
	}
	select {
	case <-nd.done:
		return false
	default:
		return true
	}
}

// Client returns an RPC client of the node (its cookie changes at every
// start, so take a new client after a restart).
func (nd *Node) Client() *rpc.Client {
	user, pass, err := rpc.ReadCookie(filepath.Join(nd.netDir(), rpc.CookieFile))
	if err != nil {
		return rpc.NewClient(nd.RPCAddr, "", "")
	}
	return rpc.NewClient(nd.RPCAddr, user, pass)
}

// Call invokes an RPC method and fails the test on error.
func (nd *Node) Call(method string, result any, params ...any) {
	nd.net.t.Helper()
	if err := nd.Client().Call(context.Background(), method, params, result); err != nil {
		nd.net.t.Fatalf("testnet: %s %s: %v", nd.Name, method, err)
	}
}

func (nd *Node) networkInfo() rpc.NetworkInfo {
	var info rpc.NetworkInfo
	nd.Call("getnetworkinfo", &info)
	return info
}

// Stop stops the node with SIGTERM and requires a clean exit (code 0).
func (nd *Node) Stop() {
	t := nd.net.t
	t.Helper()
	if !nd.running() {
		return
	}
	nd.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-nd.done:
	case <-time.After(60 * time.Second):
		nd.cmd.Process.Kill()
		<-nd.done
		t.Fatalf("testnet: %s did not stop within a minute of SIGTERM", nd.Name)
	}
	if nd.err != nil {
		t.Fatalf("testnet: %s exited with %v after SIGTERM; log %s", nd.Name, nd.err, filepath.Join(nd.DataDir, "node.log"))
	}
}

// Kill kills the node with SIGKILL: a crash, no shutdown at all.
func (nd *Node) Kill() {
	if !nd.running() {
		return
	}
	nd.cmd.Process.Kill()
	<-nd.done
}

// Restart starts a stopped or killed node again with its last arguments.
func (nd *Node) Restart() {
	nd.net.t.Helper()
	if nd.running() {
		nd.net.t.Fatalf("testnet: restart %s: still running", nd.Name)
	}
	nd.start()
}

// RestartWith starts a stopped node with new `node run` arguments.
func (nd *Node) RestartWith(args ...string) {
	nd.net.t.Helper()
	nd.Stop()
	nd.args = args
	nd.start()
}

func (n *Network) stopAll() {
	for _, nd := range n.nodes {
		if nd.running() {
			nd.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-nd.done:
			case <-time.After(30 * time.Second):
				nd.cmd.Process.Kill()
				<-nd.done
			}
		}
	}
}

// WaitFor polls cond until it holds, failing the test after timeout.
func (nd *Node) WaitFor(timeout time.Duration, what string, cond func() bool) {
	nd.net.t.Helper()
	WaitFor(nd.net.t, timeout, nd.Name+": "+what, cond)
}

// WaitFor polls cond every 50 ms until it holds, failing after timeout.
func WaitFor(t TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("testnet: timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ---- topology ----

// Connect makes a keep a connection to b (addnode) and waits for it.
func (n *Network) Connect(a, b *Node) {
	n.t.Helper()
	a.Call("addnode", nil, b.P2PAddr, "add")
	WaitFor(n.t, 30*time.Second, a.Name+" connected to "+b.Name, func() bool { return a.ConnectedTo(b) || b.ConnectedTo(a) })
}

// ConnectedTo reports whether a has b among its peers, by b's listen
// address (outbound) or by b's RPC-reported peers (inbound).
func (nd *Node) ConnectedTo(other *Node) bool {
	var peers []rpc.PeerInfo
	if err := nd.Client().Call(context.Background(), "getpeerinfo", nil, &peers); err != nil {
		return false
	}
	for _, p := range peers {
		if p.Addr == other.P2PAddr {
			return true
		}
	}
	return false
}

// Disconnect drops the connections between a and b and stops keeping them.
func (n *Network) Disconnect(a, b *Node) {
	n.t.Helper()
	for _, pair := range [][2]*Node{{a, b}, {b, a}} {
		x, y := pair[0], pair[1]
		x.Client().Call(context.Background(), "addnode", []any{y.P2PAddr, "remove"}, nil)
		x.Client().Call(context.Background(), "disconnectnode", []any{y.P2PAddr}, nil)
	}
}

// Partition restarts every node of each group so that it talks only to the
// others of its group (--connect), and waits until each group is connected
// inside. Nodes in no group keep running as they are.
func (n *Network) Partition(groups ...[]*Node) {
	n.t.Helper()
	for _, g := range groups {
		for _, nd := range g {
			var args []string
			for _, peer := range g {
				if peer != nd {
					args = append(args, "--connect", peer.P2PAddr)
				}
			}
			if len(args) == 0 {
				args = []string{"--connect", "0"}
			}
			nd.RestartWith(args...)
		}
	}
	for _, g := range groups {
		n.waitConnected(g)
	}
}

// Heal restarts the given nodes with args (typically their normal
// arguments, e.g. --addnode of each other) and waits until they are all
// connected to each other directly or through one hop.
func (n *Network) Heal(nodes []*Node, args func(*Node) []string) {
	n.t.Helper()
	for _, nd := range nodes {
		nd.RestartWith(args(nd)...)
	}
	n.waitConnected(nodes)
}

// waitConnected waits until every node of g has a peer in g (so the group
// is not split), assuming the arguments made them dial each other.
func (n *Network) waitConnected(g []*Node) {
	n.t.Helper()
	if len(g) < 2 {
		return
	}
	WaitFor(n.t, 60*time.Second, "group connected", func() bool {
		for _, a := range g {
			linked := false
			for _, b := range g {
				if a != b && (a.ConnectedTo(b) || b.ConnectedTo(a)) {
					linked = true
				}
			}
			if !linked {
				return false
			}
		}
		return true
	})
}

// ---- agreement ----

// Tip returns the node's best block hash and height.
func (nd *Node) Tip() (string, uint64) {
	var info rpc.BlockchainInfo
	nd.Call("getblockchaininfo", &info)
	return info.BestBlockHash, info.Blocks
}

// UTXOHash returns the node's gettxoutsetinfo hash and height.
func (nd *Node) UTXOHash() (string, uint64) {
	var info rpc.TxOutSetInfo
	nd.Call("gettxoutsetinfo", &info)
	return info.HashSerialized, info.Height
}

// SyncBlocks waits until every node has the same tip.
func SyncBlocks(t TB, timeout time.Duration, nodes ...*Node) {
	t.Helper()
	WaitFor(t, timeout, "every node on the same tip", func() bool {
		first, _ := tipOrEmpty(nodes[0])
		if first == "" {
			return false
		}
		for _, nd := range nodes[1:] {
			if h, _ := tipOrEmpty(nd); h != first {
				return false
			}
		}
		return true
	})
}

func tipOrEmpty(nd *Node) (string, uint64) {
	var info rpc.BlockchainInfo
	if err := nd.Client().Call(context.Background(), "getblockchaininfo", nil, &info); err != nil {
		return "", 0
	}
	return info.BestBlockHash, info.Blocks
}

// SyncMempools waits until every node's mempool holds the same txids.
func SyncMempools(t TB, timeout time.Duration, nodes ...*Node) {
	t.Helper()
	WaitFor(t, timeout, "every mempool equal", func() bool {
		first, err := mempoolSet(nodes[0])
		if err != nil {
			return false
		}
		for _, nd := range nodes[1:] {
			other, err := mempoolSet(nd)
			if err != nil || fmt.Sprint(other) != fmt.Sprint(first) {
				return false
			}
		}
		return true
	})
}

func mempoolSet(nd *Node) ([]string, error) {
	ids, err := nd.Client().GetRawMempool(context.Background())
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// Mempool returns the txids in the node's mempool.
func (nd *Node) Mempool() []string {
	nd.net.t.Helper()
	ids, err := mempoolSet(nd)
	if err != nil {
		nd.net.t.Fatalf("testnet: %s getrawmempool: %v", nd.Name, err)
	}
	return ids
}

// ---- the CLI ----

// walletPassphrase unlocks the wallets the harness creates.
const walletPassphrase = "testnet"

// CLI runs the powchain binary with args against this node's data dir
// (and, for client commands, its running RPC server) and returns stdout;
// a non-zero exit fails the test.
func (nd *Node) CLI(args ...string) string {
	nd.net.t.Helper()
	out, err := nd.TryCLI(args...)
	if err != nil {
		nd.net.t.Fatalf("testnet: %s powchain %v: %v", nd.Name, args, err)
	}
	return out
}

// TryCLI is CLI returning the error (with stderr) instead of failing.
func (nd *Node) TryCLI(args ...string) (string, error) {
	cmd := exec.Command(nd.net.bin, append(args, "--network", nd.net.params.Name, "--datadir", nd.DataDir)...)
	cmd.Env = append(os.Environ(), "POWCHAIN_WALLET_PASSPHRASE="+walletPassphrase)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%v: %s", err, bytes.TrimSpace(errOut.Bytes()))
	}
	return out.String(), nil
}

// NewAddress returns a fresh receive address of the node's default
// wallet, creating the wallet on first use.
func (nd *Node) NewAddress() string {
	nd.net.t.Helper()
	if _, err := os.Stat(filepath.Join(nd.netDir(), "wallets", "default.wallet")); errors.Is(err, os.ErrNotExist) {
		nd.CLI("wallet", "create")
	}
	return lastLine(nd.CLI("wallet", "address"))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Balance is a wallet balance in base units.
type Balance struct{ Confirmed, Unconfirmed, Immature uint64 }

// WalletBalance asks the node of via for the balance of owner's default
// wallet (the wallet file is owner's; the node asked may be any).
func WalletBalance(t TB, owner, via *Node) Balance {
	t.Helper()
	out := owner.CLI("wallet", "balance", "--json", "--rpc", via.RPCAddr, "--rpc-cookie",
		filepath.Join(via.netDir(), rpc.CookieFile))
	var b Balance
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("testnet: balance %q: %v", out, err)
	}
	return b
}

// Generate mines n blocks on the node paying addr.
func (nd *Node) Generate(n int, addr string) []string {
	nd.net.t.Helper()
	var hashes []string
	nd.Call("generatetoaddress", &hashes, n, addr)
	return hashes
}
