package p2p

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// benchChain builds n blocks, each after the first spending the previous
// block's coinbase, so connecting checks a signature per block besides the
// coinbase.
func benchChain(b *testing.B, params *chain.Params, n int) []*wire.Block {
	g := chaintest.NewGenerator(b, params)
	blocks := []*wire.Block{g.NextBlock("b1", nil)}
	for i := 2; i <= n; i++ {
		tx := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut(fmt.Sprintf("b%d", i-1))}, 1000, 2)
		blocks = append(blocks, g.NextBlock(fmt.Sprintf("b%d", i), []*wire.Tx{tx}))
	}
	return blocks
}

// tipWatcher signals every tip change of a chain.
func tipWatcher(c *chain.Chain) <-chan wire.Hash {
	ch := make(chan wire.Hash, 1<<16)
	c.Subscribe(func(n chain.Notification) {
		if n.Type == chain.TipChanged {
			select {
			case ch <- n.Hash:
			default:
			}
		}
	})
	return ch
}

func waitHash(b *testing.B, ch <-chan wire.Hash, want wire.Hash) {
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case h := <-ch:
			if h == want {
				return
			}
		case <-timeout:
			b.Fatalf("tip %s not reached", want)
		}
	}
}

// connectRate is how many blocks per second the chain connects in process.
func connectRate(b *testing.B, params *chain.Params, blocks []*wire.Block) float64 {
	clock := chaintest.NewClock(genesisTime.Add(24 * time.Hour))
	c, err := chain.Open(chain.Config{Params: params, Path: filepath.Join(b.TempDir(), "chain"), Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	for _, blk := range blocks {
		if _, err := c.ProcessBlock(blk); err != nil {
			b.Fatal(err)
		}
	}
	return float64(len(blocks)) / time.Since(start).Seconds()
}

// BenchmarkInitialSync measures a fresh node downloading a chain from two
// peers over loopback, against the rate at which the same chain connects
// in process (connect_ratio = sync rate / connect rate; goal >= 0.7).
func BenchmarkInitialSync(b *testing.B) {
	const n = 2000
	params := testParams()
	blocks := benchChain(b, params, n)
	peers := servingPeers(b, params, blocks)
	var syncSecs, connectBlocksPerSec float64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		connectBlocksPerSec += connectRate(b, params, blocks)
		syncSecs += timeSync(b, fmt.Sprintf("late%d", i), params, peers, blocks).Seconds()
	}
	syncRate := float64(n*b.N) / syncSecs
	connect := connectBlocksPerSec / float64(b.N)
	b.ReportMetric(syncRate, "sync_blocks/s")
	b.ReportMetric(connect, "connect_blocks/s")
	b.ReportMetric(syncRate/connect, "connect_ratio")
}

// servingPeers starts two nodes holding blocks and returns their
// addresses.
func servingPeers(b *testing.B, params *chain.Params, blocks []*wire.Block) []string {
	var peers []string
	for i := range 2 {
		s := newNodeChain(b, fmt.Sprintf("s%d", i), params, nodeSigCache, func(c *Config) { c.NoDiscovery = true })
		s.process(blocks...)
		peers = append(peers, s.addr())
	}
	return peers
}

// timeSync starts a fresh node connected to peers and returns how long it
// takes to reach the last of blocks, timing only that (the benchmark timer
// runs meanwhile and is stopped on return).
func timeSync(b *testing.B, name string, params *chain.Params, peers []string, blocks []*wire.Block) time.Duration {
	return timeSyncChain(b, name, params, nil, peers, blocks)
}

// timeSyncChain is timeSync with the syncing node's chain configuration
// adjusted by chainMod. The node has the node's SigCache (nodeSigCache):
// its size is part of what is measured.
func timeSyncChain(b *testing.B, name string, params *chain.Params, chainMod func(*chain.Config), peers []string, blocks []*wire.Block) time.Duration {
	mod := func(cfg *chain.Config) {
		nodeSigCache(cfg)
		if chainMod != nil {
			chainMod(cfg)
		}
	}
	late := newNodeChain(b, name, params, mod, func(c *Config) { c.Connect = peers; c.Listen = "" })
	defer late.stop()
	tips := tipWatcher(late.chain)
	start := time.Now()
	b.StartTimer()
	waitHash(b, tips, blocks[len(blocks)-1].BlockHash())
	b.StopTimer()
	return time.Since(start)
}

// Full-block sync: fullBlocks blocks of fullBlockTxs one-input, two-output
// transactions each.
const (
	fullBlocks   = 5
	fullBlockTxs = 2000
)

// fullChain builds a chain whose last fullBlocks blocks are full of
// fullBlockTxs transactions (chaintest.LaneChain). It returns the blocks and the
// full blocks' transactions.
func fullChain(b *testing.B, params *chain.Params) ([]*wire.Block, []*wire.Tx) {
	return chaintest.LaneChain(chaintest.NewGenerator(b, params), fullBlockTxs, fullBlocks)
}

// BenchmarkInitialSyncFullBlocks measures a fresh node syncing fullChain
// from two peers over loopback against the two-core verify ceiling: the
// full blocks' signatures verified on GOMAXPROCS goroutines with nothing
// else (chaintest.VerifyCeiling, best of three), measured in every
// iteration before the sync. verify_ceiling_ratio = ceiling time / sync
// time, so 1.0 means syncing costs no more than verifying the signatures.
// btcec_ceiling_ratio is the same with the pure-Go backend's ceiling: in a
// -tags libsecp256k1 build, how many times faster than the default build's
// best possible sync this build syncs. Every iteration also syncs a node
// whose chain does not pre-verify (PreverifyBlocks -1), right after the
// timed one: preverify_speedup = its sync time / the timed sync's, what
// the pipeline gains in the same run (ns/op counts both syncs).
func BenchmarkInitialSyncFullBlocks(b *testing.B) {
	params := testParams()
	blocks, txs := fullChain(b, params)
	peers := servingPeers(b, params, blocks)
	var ceiling, btcecCeiling, sync, serial time.Duration
	noPreverify := func(c *chain.Config) { c.PreverifyBlocks = -1 }
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		ceiling += chaintest.VerifyCeiling(txs, runtime.GOMAXPROCS(0))
		btcecCeiling += chaintest.BtcecCeiling(txs, runtime.GOMAXPROCS(0))
		sync += timeSync(b, fmt.Sprintf("late%d", i), params, peers, blocks)
		serial += timeSyncChain(b, fmt.Sprintf("serial%d", i), params, noPreverify, peers, blocks)
	}
	b.ReportMetric(float64(ceiling)/float64(sync), "verify_ceiling_ratio")
	b.ReportMetric(float64(btcecCeiling)/float64(sync), "btcec_ceiling_ratio")
	b.ReportMetric(float64(len(txs)*b.N)/sync.Seconds(), "tx/s")
	b.ReportMetric(float64(serial)/float64(sync), "preverify_speedup")
}

// BenchmarkPropagation measures the time a new block takes to cross a
// line of ten nodes (nine hops).
func BenchmarkPropagation(b *testing.B) {
	params := testParams()
	nodes := []*testNode{newNode(b, "n0", params, func(c *Config) { c.NoDiscovery = true })}
	for i := 1; i < 10; i++ {
		prev := nodes[i-1].addr()
		nodes = append(nodes, newNode(b, fmt.Sprintf("n%d", i), params, func(c *Config) { c.Connect = []string{prev} }))
	}
	waitFor(b, 20*time.Second, "line connected", func() bool { return peerCount(nodes[9]) == 1 && peerCount(nodes[5]) == 2 })
	g := chaintest.NewGenerator(b, params)
	tips := tipWatcher(nodes[9].chain)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		blk := g.NextBlock(fmt.Sprintf("p%d", i), nil)
		b.StartTimer()
		nodes[0].process(blk)
		waitHash(b, tips, blk.BlockHash())
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/block")
}

// BenchmarkNewcomer measures the time from dialing to a completed
// handshake for a newcomer to a node whose inbound slots are all held by
// idle attackers that answer pings (full_ms: one attacker is evicted for
// it), against the same to a node with free slots (free_ms), in the same
// run; full/free is their ratio.
func BenchmarkNewcomer(b *testing.B) {
	full, _ := fullSlotsSetup(b)
	free := newNode(b, "free", testParams(), func(c *Config) { c.NoDiscovery = true })
	join := func(n *testNode) time.Duration {
		start := time.Now()
		dialRawLocal(b, n).handshake()
		return time.Since(start)
	}
	var fullTime, freeTime time.Duration
	b.ResetTimer()
	for range b.N {
		fullTime += join(full)
		freeTime += join(free)
	}
	b.StopTimer()
	if n, slots := peerCount(full), full.srv.cfg.maxInbound(); n != slots {
		b.Fatalf("full node has %d peers, want %d", n, slots)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(fullTime), "full_ms")
	b.ReportMetric(ms(freeTime), "free_ms")
	b.ReportMetric(float64(fullTime)/float64(freeTime), "full/free")
}

// delayedConn delays every frame it writes by d: a link with d of one-way
// latency (frames written back to back also wait for each other, which
// the relay of one block rarely does).
type delayedConn struct {
	net.Conn
	d time.Duration
}

func (c delayedConn) Write(b []byte) (int, error) {
	time.Sleep(c.d)
	return c.Conn.Write(b)
}

type delayedListener struct {
	net.Listener
	d time.Duration
}

func (l delayedListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return delayedConn{nc, l.d}, nil
}

// withLatency gives every connection of a node d of one-way latency.
func withLatency(d time.Duration) func(*Config) {
	return func(c *Config) {
		c.ListenFunc = func(network, addr string) (net.Listener, error) {
			ln, err := net.Listen(network, addr)
			if err != nil {
				return nil, err
			}
			return delayedListener{ln, d}, nil
		}
		c.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return delayedConn{nc, d}, nil
		}
	}
}

// relayTrips are the message types that carry a block across a hop.
var relayTrips = []MsgType{TypeInv, TypeGetHeaders, TypeHeaders, TypeGetData, TypeBlock, TypeAnnounce,
	TypeCmpctBlock, TypeGetBlockTxn, TypeBlockTxn}

// BenchmarkRelayModes measures a block crossing a line of ten nodes (nine
// hops) whose links have 5 ms of one-way latency, in each relay mode, one
// line per mode in the same run: the time per block (full_ms,
// headers_ms, compact_ms), the one-way message trips per hop (the relay's
// messages received along the line per block, over nine), and the
// ratios to the floor (nine one-way latencies, 45 ms) and to full relay.
// Each line relays one block before the timing, so the compact line's
// peers have chosen their high-bandwidth peers.
func BenchmarkRelayModes(b *testing.B) {
	const hops, latency = 9, 5 * time.Millisecond
	modes := []RelayMode{RelayFull, RelayHeaders, RelayCompact}
	type line struct {
		nodes []*testNode
		g     *chaintest.Generator
		tips  <-chan wire.Hash
		got   *msgCounter
		time  time.Duration
	}
	lines := make([]*line, len(modes))
	for i, mode := range modes {
		params := testParams()
		l := &line{g: chaintest.NewGenerator(b, params), got: &msgCounter{}}
		l.nodes = lineWith(b, hops+1, params, func(c *Config) {
			c.Relay = mode
			withLatency(latency)(c)
			l.got.hook(c)
		})
		l.tips = tipWatcher(l.nodes[hops].chain)
		lines[i] = l
	}
	relay := func(l *line, name string) time.Duration {
		blk := l.g.NextBlock(name, nil)
		start := time.Now()
		l.nodes[0].process(blk)
		waitHash(b, l.tips, blk.BlockHash())
		return time.Since(start)
	}
	for _, l := range lines {
		relay(l, "warm")
		l.got.reset()
	}
	b.ResetTimer()
	for i := range b.N {
		for _, l := range lines {
			l.time += relay(l, fmt.Sprintf("p%d", i))
		}
	}
	b.StopTimer()
	floor := float64(hops * latency)
	for i, l := range lines {
		trips := int64(0)
		for _, t := range relayTrips {
			trips += l.got.get(t)
		}
		perBlock := float64(l.time) / float64(b.N)
		b.ReportMetric(perBlock/1e6, modes[i].String()+"_ms")
		b.ReportMetric(float64(trips)/float64(b.N*hops), modes[i].String()+"_trips/hop")
		b.ReportMetric(perBlock/floor, modes[i].String()+"/floor")
	}
	b.ReportMetric(float64(lines[0].time)/float64(lines[2].time), "full/compact")
}
