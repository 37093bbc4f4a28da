package testnet

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain"
	"powchain/rpc"
)

// bin is the powchain binary built once for this package's tests.
var bin string

func TestMain(m *testing.M) {
	if bin = os.Getenv(binEnv); bin != "" {
		os.Exit(m.Run()) // a child in a private network namespace
	}
	dir, err := os.MkdirTemp("", "powchain-testnet")
	if err != nil {
		panic(err)
	}
	if bin, err = BuildBinary(dir, raceBuild); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// long reports whether the long versions of the scenarios were asked for
// (POWCHAIN_TESTNET_LONG=1); CI runs the short ones.
func long() bool { return os.Getenv("POWCHAIN_TESTNET_LONG") == "1" }

// isolated are the arguments of a node that dials no one by itself: the
// test wires the topology (addnode). The scenarios run on regtest, which
// has no seeds and mines on demand at no cost; only the tests of the local
// network's seeds and scripts run on local (in a private network
// namespace, see inPrivateNetwork).
var isolated = []string{"--connect", "0"}

// startIsolated starts n isolated nodes called prefix1..prefixN, connected
// in a line (each to the previous one).
func startIsolated(net *Network, n int) []*Node {
	var nodes []*Node
	for i := 1; i <= n; i++ {
		nd := net.Start(fmt.Sprintf("node%d", i), isolated...)
		if i > 1 {
			net.Connect(nd, nodes[i-2])
		}
		nodes = append(nodes, nd)
	}
	return nodes
}

// fund mines enough blocks on miner to give its wallet two spendable
// coinbases (maturity + 2) and waits until every node has them.
func fund(t *testing.T, miner *Node, all ...*Node) string {
	addr := miner.NewAddress()
	miner.Generate(int(miner.net.Params().CoinbaseMaturity)+2, addr)
	SyncBlocks(t, time.Minute, all...)
	return addr
}

func send(t *testing.T, from, to *Node, amount string) string {
	t.Helper()
	return strings.TrimSpace(from.CLI("wallet", "send", "--to", to.NewAddress(), "--amount", amount))
}

// (a) Four nodes that know only the hard-coded seeds find each other.
func TestDiscoveryThroughSeeds(t *testing.T) {
	if !inPrivateNetwork(t) {
		return
	}
	net := NewNetwork(t, bin, chain.LocalNet)
	seed := net.Start("seed", "--seed")
	if want := net.Params().Seeds[0]; seed.P2PAddr != want {
		t.Fatalf("the seed listens on %s, not on the first hard-coded seed address %s", seed.P2PAddr, want)
	}
	var nodes []*Node
	for i := 1; i <= 4; i++ {
		nodes = append(nodes, net.Start(fmt.Sprintf("node%d", i)))
	}
	WaitFor(t, 90*time.Second, "every node connected to the three others", func() bool {
		for _, a := range nodes {
			for _, b := range nodes {
				if a != b && !a.ConnectedTo(b) && !b.ConnectedTo(a) {
					return false
				}
			}
		}
		return true
	})
	// And they gossip: blocks mined on node1 and a transaction sent from
	// it reach every node.
	fund(t, nodes[0], append(nodes, seed)...)
	txid := send(t, nodes[0], nodes[3], "1")
	SyncMempools(t, time.Minute, append(nodes, seed)...)
	if !contains(nodes[3].Mempool(), txid) {
		t.Fatalf("the transaction did not reach node4's mempool")
	}
}

// (b) Coins move node to node and every node agrees on every balance.
func TestMineSendAndAgree(t *testing.T) {
	net := NewNetwork(t, bin, chain.RegtestNet)
	nodes := startIsolated(net, 3)
	addr := fund(t, nodes[0], nodes...)
	send(t, nodes[0], nodes[1], "3")
	send(t, nodes[0], nodes[2], "1.25")
	SyncMempools(t, time.Minute, nodes...)
	nodes[0].Generate(1, addr)
	SyncBlocks(t, time.Minute, nodes...)
	for _, owner := range nodes {
		want := WalletBalance(t, owner, owner)
		for _, via := range nodes {
			if got := WalletBalance(t, owner, via); got != want {
				t.Fatalf("%s's balance via %s is %+v, via itself %+v", owner.Name, via.Name, got, want)
			}
		}
	}
	if b := WalletBalance(t, nodes[1], nodes[1]); b.Confirmed != 300_000_000 {
		t.Fatalf("node2 confirmed %d, want 3 coins", b.Confirmed)
	}
	if b := WalletBalance(t, nodes[2], nodes[2]); b.Confirmed != 125_000_000 {
		t.Fatalf("node3 confirmed %d, want 1.25 coins", b.Confirmed)
	}
}

// (c) Two conflicting transactions sent to two nodes at the same moment:
// exactly one confirms everywhere and the other leaves every mempool.
func TestDoubleSpend(t *testing.T) {
	net := NewNetwork(t, bin, chain.RegtestNet)
	nodes := startIsolated(net, 3)
	addr := fund(t, nodes[0], nodes...)
	// The wallet picks the same coin for both (nothing is recorded
	// without broadcasting): two spends of one output.
	hex1 := strings.TrimSpace(nodes[0].CLI("wallet", "send", "--no-broadcast", "--to", nodes[1].NewAddress(), "--amount", "2"))
	hex2 := strings.TrimSpace(nodes[0].CLI("wallet", "send", "--no-broadcast", "--to", nodes[2].NewAddress(), "--amount", "2"))
	hexes := [2]string{hex1, hex2}
	var ids [2]string
	var errs [2]error
	var wg sync.WaitGroup
	for i, target := range []*Node{nodes[1], nodes[2]} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = target.Client().Call(context.Background(), "sendrawtransaction", []any{hexes[i]}, &ids[i])
		}()
	}
	wg.Wait()
	// Each node accepts what it hears first: both, or one of them if the
	// other's relay overtook the direct submission (then a conflict).
	for i, err := range errs {
		var tx rpc.TxResult
		nodes[0].Call("decoderawtransaction", &tx, hexes[i])
		ids[i] = tx.TxID
		if err != nil && !strings.Contains(err.Error(), "txn-mempool-conflict") {
			t.Fatalf("send %d: %v, want success or a mempool conflict", i+1, err)
		}
	}
	if ids[0] == ids[1] || (errs[0] != nil && errs[1] != nil) {
		t.Fatalf("the two spends must differ and one must be accepted: %v %v", ids, errs)
	}
	WaitFor(t, time.Minute, "node1 to hear of one of them", func() bool { return len(nodes[0].Mempool()) == 1 })
	nodes[0].Generate(1, addr)
	SyncBlocks(t, time.Minute, nodes...)
	confirmed := 0
	for _, id := range ids {
		in := 0
		for _, nd := range nodes {
			var out *rpc.TxOutInfo
			nd.Call("gettxout", &out, id, 0, false)
			if out != nil {
				in++
			}
		}
		if in != 0 && in != len(nodes) {
			t.Fatalf("transaction %s confirmed on %d of %d nodes", id, in, len(nodes))
		}
		if in == len(nodes) {
			confirmed++
		}
	}
	if confirmed != 1 {
		t.Fatalf("%d of the two conflicting transactions confirmed, want exactly 1", confirmed)
	}
	SyncMempools(t, time.Minute, nodes...)
	for _, nd := range nodes {
		if mp := nd.Mempool(); len(mp) != 0 {
			t.Fatalf("%s still holds %v", nd.Name, mp)
		}
	}
	for _, owner := range nodes[1:] {
		want := WalletBalance(t, owner, owner)
		for _, via := range nodes {
			if got := WalletBalance(t, owner, via); got != want {
				t.Fatalf("%s's balance via %s is %+v, via itself %+v", owner.Name, via.Name, got, want)
			}
		}
	}
}

// (d) Two against two: both sides mine (different amounts of work), then
// heal: all converge on the most-work tip with equal UTXO sets, and the
// losing side's transactions are back in the mempools or confirmed.
func TestPartitionAndHeal(t *testing.T) {
	net := NewNetwork(t, bin, chain.RegtestNet)
	nodes := startIsolated(net, 4)
	addr1 := fund(t, nodes[0], nodes...)
	send(t, nodes[0], nodes[2], "5") // node3 needs coins on its side
	nodes[0].Generate(1, addr1)
	SyncBlocks(t, time.Minute, nodes...)

	a, b := nodes[:2], nodes[2:]
	net.Partition(a, b)
	losing := send(t, nodes[0], nodes[1], "1")
	nodes[0].Generate(3, addr1)
	winning := send(t, nodes[2], nodes[3], "1")
	nodes[2].Generate(6, nodes[2].NewAddress())
	SyncBlocks(t, time.Minute, a...)
	SyncBlocks(t, time.Minute, b...)

	net.Heal(nodes, func(nd *Node) []string {
		args := append([]string{}, isolated...)
		for _, peer := range nodes {
			if peer != nd {
				args = append(args, "--addnode", peer.P2PAddr)
			}
		}
		return args
	})
	SyncBlocks(t, 2*time.Minute, nodes...)
	tipB, _ := nodes[2].Tip()
	want, _ := nodes[0].UTXOHash()
	for _, nd := range nodes {
		if tip, _ := nd.Tip(); tip != tipB {
			t.Fatalf("%s on %s, not the most-work tip %s", nd.Name, tip, tipB)
		}
		if h, _ := nd.UTXOHash(); h != want {
			t.Fatalf("%s UTXO hash %s, node1 %s", nd.Name, h, want)
		}
	}
	SyncMempools(t, time.Minute, nodes...)
	for _, nd := range nodes {
		if !contains(nd.Mempool(), losing) && !confirmedOn(nd, losing) {
			t.Fatalf("%s lost the losing side's transaction %s", nd.Name, losing)
		}
		if !confirmedOn(nd, winning) {
			t.Fatalf("%s does not have the winning side's transaction %s confirmed", nd.Name, winning)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func confirmedOn(nd *Node, txid string) bool {
	var out *rpc.TxOutInfo
	nd.Call("gettxout", &out, txid, 0, false)
	return out != nil
}

// (e) A node killed with SIGKILL at random moments while it syncs and
// mines restarts every time, and ends with the same UTXO set as a node
// that was never killed.
func TestCrashRecovery(t *testing.T) {
	kills := 20
	if long() {
		kills = 100
	}
	seed := rand.Uint64()
	t.Logf("seed=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	net := NewNetwork(t, bin, chain.RegtestNet)
	stable := net.Start("stable", isolated...)
	victim := net.Start("victim", append(append([]string{}, isolated...), "--addnode", stable.P2PAddr)...)
	addrS, addrV := stable.NewAddress(), victim.NewAddress()

	// A miner finishes the call it is in before it stops (a cancelled
	// call would still mine on the node), so that nothing is mined once
	// wg.Wait returns.
	var stop atomic.Bool
	var wg sync.WaitGroup
	mine := func(nd *Node, addr string) {
		defer wg.Done()
		for !stop.Load() {
			nd.Client().Call(context.Background(), "generatetoaddress", []any{2, addr}, nil) // fails while the node is down
			time.Sleep(20 * time.Millisecond)
		}
	}
	wg.Add(2)
	go mine(stable, addrS)
	go mine(victim, addrV)
	for i := range kills {
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		victim.Kill()
		victim.Restart()
		if i%5 == 4 {
			t.Logf("%d kills so far", i+1)
		}
	}
	stop.Store(true)
	wg.Wait()
	outmine(t, stable, addrS, victim)
	SyncBlocks(t, 2*time.Minute, stable, victim)
	hs, hs1 := stable.UTXOHash()
	hv, hv1 := victim.UTXOHash()
	if hs != hv || hs1 != hv1 {
		t.Fatalf("after %d kills: victim UTXO %s at %d, stable %s at %d", kills, hv, hv1, hs, hs1)
	}
}

// outmine waits until winner's chain has at least the work of every other
// node's, then mines one block on it, which outweighs every chain any of
// them holds, so that they all move to it. Nodes that mined at the same
// time can end on equal-work tips, each keeping the one it saw first (as
// Bitcoin Core does), for ever; one more block settles it. No one else may
// be mining.
func outmine(t *testing.T, winner *Node, addr string, others ...*Node) {
	t.Helper()
	WaitFor(t, 2*time.Minute, winner.Name+" to have the most work", func() bool {
		var most big.Int
		for _, nd := range others { // first: they gain work only from winner
			w, ok := chainWork(nd)
			if !ok {
				return false
			}
			if w.Cmp(&most) > 0 {
				most.Set(w)
			}
		}
		w, ok := chainWork(winner)
		return ok && w.Cmp(&most) >= 0
	})
	winner.Generate(1, addr)
}

// chainWork is the total work of the node's best chain.
func chainWork(nd *Node) (*big.Int, bool) {
	var info rpc.BlockchainInfo
	if err := nd.Client().Call(context.Background(), "getblockchaininfo", nil, &info); err != nil {
		return nil, false
	}
	return new(big.Int).SetString(info.ChainWork, 16)
}

// (f) A node killed in the middle of a reorganisation recovers to the best
// chain.
func TestKillDuringReorg(t *testing.T) {
	net := NewNetwork(t, bin, chain.RegtestNet)
	heavy := net.Start("heavy", isolated...)
	light := net.Start("light", isolated...)
	heavy.Generate(90, heavy.NewAddress())
	light.Generate(60, light.NewAddress())
	lightTip, _ := light.Tip()

	// Connect: light must reorganise 60 blocks away. Kill it as soon as
	// its tip has moved off its own branch but before it reached heavy's.
	heavyTip, _ := heavy.Tip()
	net.Connect(light, heavy)
	WaitFor(t, 2*time.Minute, "light to start reorganising", func() bool {
		tip, _ := tipOrEmpty(light)
		return tip != lightTip
	})
	light.Kill()
	if tip, h := light.TipAfterRestart(); tip == heavyTip {
		t.Logf("the reorg finished before the kill (height %d); recovery still checked", h)
	}
	net.Connect(light, heavy) // addnode is not remembered across restarts
	SyncBlocks(t, 2*time.Minute, heavy, light)
	hh, _ := heavy.UTXOHash()
	hl, _ := light.UTXOHash()
	if hh != hl {
		t.Fatalf("after the killed reorg: light UTXO %s, heavy %s", hl, hh)
	}
}

// TipAfterRestart restarts a killed node and returns the tip it opens with.
func (nd *Node) TipAfterRestart() (string, uint64) {
	nd.Restart()
	return nd.Tip()
}

// TestSentWhileAloneLeavesOnReconnect: a payment sent through a node cut
// off from the others (partition.sh) reaches them once it reconnects, and
// confirms: the node announces its RPC-submitted transactions again until
// a peer asks for one (every 10 s on local networks). Before, a node that
// had no peer when the payment was sent never told anyone of it.
func TestSentWhileAloneLeavesOnReconnect(t *testing.T) {
	net := NewNetwork(t, bin, chain.RegtestNet)
	nodes := startIsolated(net, 2)
	a, b := nodes[0], nodes[1]
	fund(t, a, a, b)
	net.Disconnect(b, a)
	WaitFor(t, 30*time.Second, "a and b apart", func() bool { return !a.ConnectedTo(b) && !b.ConnectedTo(a) })
	txid := send(t, a, b, "1")
	net.Connect(b, a) // b dials a: a has a new peer
	WaitFor(t, time.Minute, "the payment in b's mempool", func() bool { return contains(b.Mempool(), txid) })
	b.Generate(1, b.NewAddress())
	SyncBlocks(t, time.Minute, a, b)
	if !confirmedOn(a, txid) {
		t.Fatalf("payment %s not confirmed on a after b mined it", txid)
	}
}

// TestConnectDisconnect: the harness's topology helpers do what they say.
func TestConnectDisconnect(t *testing.T) {
	net := NewNetwork(t, bin, chain.RegtestNet)
	a, b := net.Start("a", isolated...), net.Start("b", isolated...)
	net.Connect(a, b)
	net.Disconnect(a, b)
	WaitFor(t, 30*time.Second, "a and b apart", func() bool { return !a.ConnectedTo(b) && !b.ConnectedTo(a) })
	// Connected again, they sync what was mined while apart.
	a.Generate(3, a.NewAddress())
	net.Connect(b, a)
	SyncBlocks(t, time.Minute, a, b)
}
