package p2p

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// Four nodes that know only the seed end up connected to each other.
func TestDiscoveryThroughSeed(t *testing.T) {
	params := testParams()
	seed := newNode(t, "seed", params, nil)
	p := withSeeds(params, seed.addr())
	var nodes []*testNode
	for i := range 4 {
		nodes = append(nodes, newNode(t, fmt.Sprintf("n%d", i), p, nil))
	}
	waitFor(t, 20*time.Second, "every node connected to the seed and the three others", func() bool {
		for _, n := range nodes {
			if peerCount(n) < 4 {
				return false
			}
			for _, other := range nodes {
				if other != n && !connectedTo(n, other) {
					return false
				}
			}
		}
		return true
	})
}

// connectedTo reports whether a has a peer that is b.
func connectedTo(a, b *testNode) bool {
	for _, pi := range a.peers() {
		if pi.Addr == b.addr() {
			return true
		}
	}
	for _, pi := range b.peers() {
		if pi.Addr == a.addr() {
			return true
		}
	}
	return false
}

// Seed mode listens on the first seed address that is free.
func TestSeedModeTakesFirstFreeSeed(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freeAddr := free.Addr().String()
	free.Close()
	params := withSeeds(testParams(), busy.Addr().String(), freeAddr)
	n := newNode(t, "seed", params, func(c *Config) { c.Seed = true })
	if n.addr() != freeAddr {
		t.Fatalf("seed listens on %s, want %s", n.addr(), freeAddr)
	}
}

// line starts n nodes, each connected only to the one before it.
func line(t *testing.T, n int, params *chain.Params) []*testNode {
	return lineWith(t, n, params, nil)
}

// lineWith is line with every node's configuration adjusted by mod.
func lineWith(t testing.TB, n int, params *chain.Params, mod func(*Config)) []*testNode {
	with := func(f func(*Config)) func(*Config) {
		return func(c *Config) {
			f(c)
			if mod != nil {
				mod(c)
			}
		}
	}
	nodes := []*testNode{newNode(t, "n0", params, with(func(c *Config) { c.NoDiscovery = true }))}
	for i := 1; i < n; i++ {
		prev := nodes[i-1].addr()
		nodes = append(nodes, newNode(t, fmt.Sprintf("n%d", i), params, with(func(c *Config) { c.Connect = []string{prev} })))
	}
	waitFor(t, 10*time.Second, "line connected", func() bool {
		for i, nd := range nodes {
			want := 2
			if i == 0 || i == n-1 {
				want = 1
			}
			if peerCount(nd) != want {
				return false
			}
		}
		return true
	})
	return nodes
}

// Blocks and transactions cross a line of five nodes.
func TestGossipAlongLine(t *testing.T) {
	params := testParams()
	nodes := line(t, 5, params)
	g := chaintest.NewGenerator(t, params)
	blocks := buildChain(g, "b", 3)
	nodes[0].process(blocks...)
	waitTip(t, 20*time.Second, blocks[2].BlockHash(), nodes...)

	tx := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 10_000, 2)
	if _, _, err := nodes[4].pool.ProcessTransaction(tx, false, 0); err != nil {
		t.Fatal(err)
	}
	if err := nodes[4].srv.RelayTransactions([]wire.Hash{tx.TxID()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "tx in every mempool", func() bool {
		for _, n := range nodes {
			if !n.pool.Has(tx.TxID()) {
				return false
			}
		}
		return true
	})

	// A block mined at the far end confirms it everywhere.
	b4 := g.NextBlock("b4", []*wire.Tx{tx})
	nodes[4].process(b4)
	waitTip(t, 20*time.Second, b4.BlockHash(), nodes...)
	// The tip moves before the chain's notification reaches the pool, so
	// the pool is waited for too.
	waitFor(t, 20*time.Second, "the confirmed tx to leave every mempool", func() bool {
		for _, n := range nodes {
			if n.pool.Has(tx.TxID()) {
				return false
			}
		}
		return true
	})
}

// A node that starts late downloads a long chain from several peers.
func TestLateJoinerSyncsFromSeveralPeers(t *testing.T) {
	const height = 1000
	params := testParams()
	g := chaintest.NewGenerator(t, params)
	blocks := buildChain(g, "b", height)
	var peers []string
	for i := range 3 {
		n := newNode(t, fmt.Sprintf("s%d", i), params, nil)
		n.process(blocks...)
		peers = append(peers, n.addr())
	}
	late := newNode(t, "late", params, func(c *Config) {
		c.Connect = peers
		c.MaxBlocksInFlight = 8
	})
	waitTip(t, 60*time.Second, blocks[height-1].BlockHash(), late)
	suppliers := 0
	for _, pi := range late.peers() {
		if pi.BlocksRecv > 0 {
			suppliers++
		}
	}
	if suppliers < 2 {
		t.Fatalf("blocks came from %d peer(s), want several", suppliers)
	}
}

// Two groups mine apart, then join: all follow the most work, the UTXO
// sets agree, and the losing side's transaction returns to the mempools.
func TestPartitionThenJoin(t *testing.T) {
	params := testParams()
	g := chaintest.NewGenerator(t, params)
	common := buildChain(g, "c", 4)
	a1 := newNode(t, "a1", params, nil)
	a2 := newNode(t, "a2", params, func(c *Config) { c.Connect = []string{a1.addr()} })
	b1 := newNode(t, "b1", params, nil)
	b2 := newNode(t, "b2", params, func(c *Config) { c.Connect = []string{b1.addr()} })
	all := []*testNode{a1, a2, b1, b2}
	a1.process(common...)
	b1.process(common...)
	waitTip(t, 20*time.Second, common[3].BlockHash(), all...)

	g.SetTip("c4")
	txA := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("c1")}, 10_000, 1)
	sideA := []*wire.Block{g.NextBlock("a1", []*wire.Tx{txA})}
	sideA = append(sideA, buildChain(g, "ra", 2)...)
	g.SetTip("c4")
	txB := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("c2")}, 10_000, 1)
	sideB := []*wire.Block{g.NextBlock("x1", []*wire.Tx{txB})}
	sideB = append(sideB, buildChain(g, "y", 5)...)
	a1.process(sideA...)
	b2.process(sideB...)
	waitTip(t, 20*time.Second, sideA[len(sideA)-1].BlockHash(), a1, a2)
	waitTip(t, 20*time.Second, sideB[len(sideB)-1].BlockHash(), b1, b2)

	if _, err := a2.srv.AddNode(b2.addr()); err != nil {
		t.Fatal(err)
	}
	best := sideB[len(sideB)-1].BlockHash()
	waitTip(t, 30*time.Second, best, all...)
	want, err := b1.chain.UTXOSetInfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range all {
		got, err := n.chain.UTXOSetInfo()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s UTXO set %+v, want %+v", n.name, got, want)
		}
	}
	waitFor(t, 20*time.Second, "the losing side's transaction in every mempool", func() bool {
		for _, n := range all {
			if !n.pool.Has(txA.TxID()) {
				return false
			}
		}
		return true
	})
}

// TestServerAfterStop checks that every query and command of a stopped
// server says so instead of answering with empty data.
func TestServerAfterStop(t *testing.T) {
	n := newNode(t, "stopped", testParams(), nil)
	n.stop()
	n.stop = func() {} // the cleanup stops it again
	checks := map[string]error{}
	_, checks["Peers"] = n.srv.Peers()
	_, checks["ConnectionCount"] = n.srv.ConnectionCount()
	_, checks["SyncInfo"] = n.srv.SyncInfo()
	_, checks["KnownAddrs"] = n.srv.KnownAddrs()
	_, checks["ListBanned"] = n.srv.ListBanned()
	_, checks["AddNode"] = n.srv.AddNode("10.0.0.1:9444")
	_, checks["RemoveNode"] = n.srv.RemoveNode("10.0.0.1:9444")
	_, checks["Unban"] = n.srv.Unban("10.0.0.1")
	checks["ClearBanned"] = n.srv.ClearBanned()
	_, checks["Totals"] = n.srv.Totals()
	for name, err := range checks {
		if !errors.Is(err, ErrStopped) {
			t.Errorf("%s after stop: %v, want ErrStopped", name, err)
		}
	}
}

// msgCounter counts the messages of each type a node receives.
type msgCounter struct{ n [256]atomic.Int64 }

func (m *msgCounter) hook(c *Config) {
	c.OnMessage = func(inbound bool, typ MsgType, _ int) {
		if inbound {
			m.n[typ].Add(1)
		}
	}
}

func (m *msgCounter) get(typ MsgType) int64 { return m.n[typ].Load() }

func (m *msgCounter) reset() {
	for i := range m.n {
		m.n[i].Store(0)
	}
}

// A block crosses a line of three nodes in each relay mode: announced by
// header in the modes that ask for it and by inv in full mode, and carried
// by compact blocks in compact mode only.
func TestRelayModesPropagate(t *testing.T) {
	for _, mode := range []RelayMode{RelayCompact, RelayHeaders, RelayFull} {
		t.Run(mode.String(), func(t *testing.T) {
			params := testParams()
			var got msgCounter
			nodes := lineWith(t, 3, params, func(c *Config) {
				c.Relay = mode
				got.hook(c)
			})
			g := chaintest.NewGenerator(t, params)
			blocks := buildChain(g, "b", 2)
			for _, b := range blocks {
				nodes[0].process(b)
				waitTip(t, 20*time.Second, b.BlockHash(), nodes...)
			}
			if (got.get(TypeAnnounce) > 0) != (mode != RelayFull) || (got.get(TypeCmpctBlock) > 0) != (mode == RelayCompact) {
				t.Fatalf("relay %s: %d announce and %d cmpctblock messages received", mode,
					got.get(TypeAnnounce), got.get(TypeCmpctBlock))
			}
		})
	}
}

// With the mempools warm, a block of transactions crosses a line of three
// nodes as compact blocks: no node receives the block whole or asks for a
// transaction of it.
func TestCompactRelayWarmMempool(t *testing.T) {
	params := testParams()
	var got msgCounter
	nodes := lineWith(t, 3, params, got.hook)
	g := chaintest.NewGenerator(t, params)
	for _, b := range buildChain(g, "b", 2) {
		nodes[0].process(b)
		waitTip(t, 20*time.Second, b.BlockHash(), nodes...)
	}
	txs := []*wire.Tx{
		g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 10_000, 2),
		g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b2")}, 10_000, 2),
	}
	for _, tx := range txs {
		if _, _, err := nodes[2].pool.ProcessTransaction(tx, false, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := nodes[2].srv.RelayTransactions([]wire.Hash{txs[0].TxID(), txs[1].TxID()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "both transactions in every mempool", func() bool {
		for _, n := range nodes {
			if !n.pool.Has(txs[0].TxID()) || !n.pool.Has(txs[1].TxID()) {
				return false
			}
		}
		return true
	})
	got.reset()
	b3 := g.NextBlock("b3", txs)
	nodes[0].process(b3)
	waitTip(t, 20*time.Second, b3.BlockHash(), nodes...)
	if got.get(TypeCmpctBlock) < 2 || got.get(TypeBlock) != 0 || got.get(TypeGetBlockTxn) != 0 {
		t.Fatalf("received %d cmpctblock, %d block, %d getblocktxn; want a compact block per hop and nothing else",
			got.get(TypeCmpctBlock), got.get(TypeBlock), got.get(TypeGetBlockTxn))
	}
}

// A node on the losing side of a fork fetches the other branch over TCP
// in compact form: the competing block (rebuilt with a transaction of its
// own tip's block) and the one above it, nothing whole.
func TestCompactForkLoserOverTCP(t *testing.T) {
	params := testParams()
	g := chaintest.NewGenerator(t, params)
	common := buildChain(g, "c", 2)
	tx := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("c1")}, 10_000, 1)
	lose := g.NextBlock("lose", []*wire.Tx{tx})
	g.SetTip("c2")
	win := []*wire.Block{g.NextBlock("w3", []*wire.Tx{tx})}
	win = append(win, g.NextBlock("w4", nil))
	var got msgCounter
	x := newNode(t, "x", params, nil)
	y := newNode(t, "y", params, got.hook)
	x.process(append(common, win...)...)
	y.process(append(common, lose)...)
	if _, err := y.srv.AddNode(x.addr()); err != nil {
		t.Fatal(err)
	}
	waitTip(t, 20*time.Second, win[1].BlockHash(), x, y)
	if got.get(TypeBlock) != 0 || got.get(TypeCmpctBlock) != 2 || got.get(TypeGetBlockTxn) != 0 {
		t.Fatalf("y received %d block, %d cmpctblock, %d getblocktxn; want the two blocks as compact blocks only",
			got.get(TypeBlock), got.get(TypeCmpctBlock), got.get(TypeGetBlockTxn))
	}
}

// Over TCP, a block competing with the tip at equal work, pushed to a node
// as a compact block, is pushed on to the peer that asked it for
// high-bandwidth relay, which stores it beside its tip without asking for
// anything; when a block on top of it comes, that peer switches branches
// at once.
func TestCompactCompetingBlockOverTCP(t *testing.T) {
	params := testParams()
	var got msgCounter
	nodes := lineWith(t, 2, params, got.hook) // n1 asks n0 for high-bandwidth relay once n0 gives it a block
	g := chaintest.NewGenerator(t, params)
	for _, b := range append(buildChain(g, "b", 2), g.NextBlock("a3", nil)) {
		nodes[0].process(b)
		waitTip(t, 20*time.Second, b.BlockHash(), nodes...)
	}
	g.SetTip("b2")
	c3, c4 := g.NextBlock("c3", nil), g.NextBlock("c4", nil)
	compact := func(b *wire.Block) *MsgCmpctBlock {
		return &MsgCmpctBlock{Header: b.Header, Nonce: 1, Prefilled: []PrefilledTx{{Index: 0, Tx: b.Transactions[0]}}}
	}
	r := dialRawLocal(t, nodes[0])
	r.handshake()
	got.reset()
	r.send(compact(c3))
	waitFor(t, 20*time.Second, "the competing block stored at n1", func() bool {
		info, _ := nodes[1].chain.BlockInfoByHash(c3.BlockHash())
		return info.HaveData
	})
	if tip := nodes[1].tip().Hash; tip != g.Block("a3").BlockHash() {
		t.Fatalf("n1 switched to the equal-work block: tip %s", tip)
	}
	if got.get(TypeCmpctBlock) < 2 || got.get(TypeGetData) != 0 || got.get(TypeBlock) != 0 {
		t.Fatalf("received %d cmpctblock, %d getdata, %d block: want the block pushed on as a compact block, nothing asked",
			got.get(TypeCmpctBlock), got.get(TypeGetData), got.get(TypeBlock))
	}
	got.reset()
	r.send(compact(c4))
	waitTip(t, 20*time.Second, c4.BlockHash(), nodes...)
	if got.get(TypeGetData) != 0 || got.get(TypeBlock) != 0 {
		t.Fatalf("received %d getdata, %d block after the block on top: want none", got.get(TypeGetData), got.get(TypeBlock))
	}
}
