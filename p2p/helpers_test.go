package p2p

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/mempool"
	"powchain/mempool/mempooltest"
	"powchain/wire"
)

// The real chain and pool satisfy the interfaces.
var (
	_ Chain  = (*chain.Chain)(nil)
	_ TxPool = (*mempool.Pool)(nil)
)

// genesisTime starts test chains; the chains' clock is a day later, so
// generated timestamps are never in the future.
var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testParams returns easy parameters with a coinbase maturity of 1 and no
// seeds (tests that want seeds set them).
func testParams() *chain.Params {
	p := chaintest.Params(genesisTime)
	p.CoinbaseMaturity = 1
	p.Seeds = nil
	return p
}

// withSeeds copies p with other seeds; the genesis is shared.
func withSeeds(p *chain.Params, seeds ...string) *chain.Params {
	q := *p
	q.Seeds = seeds
	return &q
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("P2P_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

// testNode is a chain, a mempool and a running Server.
type testNode struct {
	t     testing.TB
	name  string
	chain *chain.Chain
	pool  *mempool.Pool
	srv   *Server
	stop  func()
	// live is the running server, which hears of chain changes (after the
	// pool) across restarts.
	live atomic.Pointer[Server]
}

// Test nodes listen on loopback, and the Core never bans a loopback
// address. To test bans as they work on a network, connections from
// outsideSource (also loopback) are presented to the node as coming from
// outsideHost, a routable documentation address.
const (
	outsideSource = "127.0.0.2"
	outsideHost   = "203.0.113.2"
)

// outsideListener presents connections from outsideSource as from
// outsideHost.
type outsideListener struct{ net.Listener }

func (l outsideListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok && a.IP.Equal(net.ParseIP(outsideSource)) {
		return outsideConn{nc}, nil
	}
	return nc, nil
}

type outsideConn struct{ net.Conn }

func (c outsideConn) RemoteAddr() net.Addr {
	a := *c.Conn.RemoteAddr().(*net.TCPAddr)
	a.IP = net.ParseIP(outsideHost)
	return &a
}

func listenOutside(network, address string) (net.Listener, error) {
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	return outsideListener{ln}, nil
}

// fastConfig has short timeouts, so defence tests run in seconds.
func fastConfig(cfg *Config) {
	cfg.Listen = "127.0.0.1:0"
	cfg.ListenFunc = listenOutside
	cfg.TickInterval = 20 * time.Millisecond
	cfg.HandshakeTimeout = 2 * time.Second
	cfg.StallTimeout = 2 * time.Second
	cfg.RetryBase = 100 * time.Millisecond
	cfg.RetryMax = time.Second
}

// testSigCacheSize bounds a test node's SigCache. The node's size
// (nodeSigCache, about 437,000 entries) is allocated whole at start:
// 21 MB for each of the dozens of nodes the tests start. Their pools hold
// a few transactions and their blocks a few dozen (a test node held 40
// entries at most when this was measured), so this leaves them the same
// room: nothing is evicted and Preverify never lacks room
// (TestSyncPreverifiesRequestedBlocks checks that it takes every block).
// It is at least chain's sharding threshold, so the cache is sharded as
// the node's is.
const testSigCacheSize = 4096

// nodeSigCache gives a chain (and its pool) the node's SigCache: room for
// the default pool at its fullest and the blocks pre-verified beside it.
// Benchmarks of a node's work use it.
func nodeSigCache(cfg *chain.Config) {
	cfg.SigCache = chain.NewSigCache(mempool.DefaultPolicy().SigCacheSize())
}

// newNode opens a chain in a temporary directory and starts a server on
// a loopback port. mod adjusts the configuration.
func newNode(t testing.TB, name string, params *chain.Params, mod func(*Config)) *testNode {
	t.Helper()
	return newNodeChain(t, name, params, nil, mod)
}

// newNodeChain is newNode whose chain configuration chainMod adjusts
// (cfg.SigCache serves the pool too).
func newNodeChain(t testing.TB, name string, params *chain.Params, chainMod func(*chain.Config), mod func(*Config)) *testNode {
	t.Helper()
	dir := t.TempDir()
	cfg := chain.Config{Params: params, Clock: chaintest.NewClock(genesisTime.Add(24 * time.Hour)),
		SigCache: chain.NewSigCache(testSigCacheSize)}
	if chainMod != nil {
		chainMod(&cfg)
	}
	c, pool := mempooltest.OpenConfig(t, cfg)
	n := &testNode{t: t, name: name, chain: c, pool: pool}
	c.Subscribe(func(note chain.Notification) { // after the pool's
		if srv := n.live.Load(); srv != nil {
			srv.HandleChainNotification(note)
		}
	})
	n.start(dir, mod)
	t.Cleanup(func() { n.stop() }) // before the chain closes
	return n
}

func (n *testNode) start(dir string, mod func(*Config)) {
	n.t.Helper()
	cfg := Config{
		Chain: n.chain, TxPool: n.pool,
		StateFile: filepath.Join(dir, "peers.json"),
		Log:       testLogger(n.t).With("node", n.name),
		RandSeed:  nameSeed(n.name),
		Now:       time.Now,
	}
	fastConfig(&cfg)
	if mod != nil {
		mod(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		n.t.Fatalf("%s: new server: %v", n.name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Run(ctx)
	}()
	n.srv = srv
	n.live.Store(srv)
	n.stop = func() {
		n.live.Store(nil)
		cancel()
		<-done
	}
}

// nameSeed derives a node's random seed from its name, so runs repeat.
func nameSeed(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

func (n *testNode) addr() string { return n.srv.ListenAddr() }

// peers lists the server's peers; the server must be running.
func (n *testNode) peers() []PeerInfo {
	n.t.Helper()
	peers, err := n.srv.Peers()
	if err != nil {
		n.t.Fatalf("%s: peers: %v", n.name, err)
	}
	return peers
}

// bans lists the server's bans; the server must be running.
func (n *testNode) bans() []BanInfo {
	n.t.Helper()
	bans, err := n.srv.ListBanned()
	if err != nil {
		n.t.Fatalf("%s: bans: %v", n.name, err)
	}
	return bans
}

// process submits blocks directly to the node's chain (as a local miner
// would).
func (n *testNode) process(blocks ...*wire.Block) {
	n.t.Helper()
	for _, b := range blocks {
		if _, err := n.chain.ProcessBlock(b); err != nil {
			if code, _ := chain.ErrorCodeOf(err); code != chain.ErrDuplicateBlock {
				n.t.Fatalf("%s: process block %s: %v", n.name, b.BlockHash(), err)
			}
		}
	}
}

func (n *testNode) tip() chain.BlockInfo { return n.chain.Tip() }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitTip waits until every node's tip is hash.
func waitTip(t testing.TB, timeout time.Duration, hash wire.Hash, nodes ...*testNode) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("all nodes at tip %s", hash), func() bool {
		for _, n := range nodes {
			if n.tip().Hash != hash {
				return false
			}
		}
		return true
	})
}

// buildChain generates n blocks on the generator's tip, named prefix1..n.
func buildChain(g *chaintest.Generator, prefix string, n int) []*wire.Block {
	blocks := make([]*wire.Block, n)
	for i := range blocks {
		blocks[i] = g.NextBlock(fmt.Sprintf("%s%d", prefix, i+1), nil)
	}
	return blocks
}

func peerCount(n *testNode) int { return len(n.peers()) }

// frameTrip encodes m into a frame and decodes it, as a connection
// carries it: the frame and what the other side receives (a stored block
// arrives as a block message).
func frameTrip(t testing.TB, magic [4]byte, m Message) ([]byte, Message) {
	t.Helper()
	frame, err := EncodeFrame(magic, m)
	if err != nil {
		t.Fatalf("encode %s: %v", m.Type(), err)
	}
	got, err := DecodeFrame(frame, magic)
	if err != nil {
		t.Fatalf("decode %s: %v", m.Type(), err)
	}
	return frame, got
}

// overTheWire returns m as the other side of a connection receives it.
func overTheWire(t testing.TB, magic [4]byte, m Message) Message {
	t.Helper()
	_, got := frameTrip(t, magic, m)
	return got
}
