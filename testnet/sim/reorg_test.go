package sim

import (
	"slices"
	"testing"
	"time"

	"powchain/wire"
)

// must fails the test, with the seed, if err is not nil.
func must(t *testing.T, s *Sim, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v\nreplay: POWCHAIN_SIM_SEED=%d go test ./testnet/sim -run '^%s$' -v\n%s",
			err, s.Seed(), t.Name(), s.Describe())
	}
}

func mine(t *testing.T, s *Sim, node int) *wire.Block {
	t.Helper()
	b, err := s.Mine(node)
	must(t, s, err)
	return b
}

// confirmed reports whether txid is in one of the last depth blocks of n's
// best chain.
func confirmed(t *testing.T, n *Node, txid wire.Hash, depth uint64) bool {
	t.Helper()
	tip := n.Chain().Tip().Height
	for h := tip; h > 0 && h+depth > tip; h-- {
		hash, _ := n.Chain().HashByHeight(h)
		blk, err := n.Chain().BlockByHash(hash)
		if err != nil || blk == nil {
			t.Fatalf("node %d: block at height %d: %v", n.Index(), h, err)
		}
		for _, tx := range blk.Transactions {
			if tx.TxID() == txid {
				return true
			}
		}
	}
	return false
}

// TestPartitionReorg is scenario (d) in the simulator: two sides of a
// partition both mine, the side with less work confirms transactions; after
// the heal every node follows the most-work chain with the same UTXO set,
// the losing side's transactions are back in its pools, and the next block
// confirms them everywhere.
//
// In "short" the partition lasts seconds, so the connections across it
// survive; the invs for the transactions the losing side relayed across
// were lost, but each Core counts them as known to those peers and never
// repeats them, so the winning side learns the transactions only from the
// next block. In "long" the partition outlasts the idle timeout, the
// connections across it die, and after the heal the losing side's
// re-announcements reach every pool (or the block mined after the heal, if
// they reached its miner first).
func TestPartitionReorg(t *testing.T) {
	t.Run("short", func(t *testing.T) { partitionReorg(t, 0, false) })
	t.Run("long", func(t *testing.T) { partitionReorg(t, 4*time.Minute, true) })
}

func partitionReorg(t *testing.T, hold time.Duration, wantRelayed bool) {
	s := newTestSim(t, Config{Seed: testSeed(t, 7), Nodes: 6, SeedNodes: 2, KnownPeers: 5})
	must(t, s, s.RunFor(20*time.Second))
	for range 20 { // coinbases of the first blocks mature
		mine(t, s, 0)
		must(t, s, s.RunFor(time.Second))
	}
	must(t, s, s.RunUntil("initial sync", time.Minute, time.Second, s.Converged))

	losers, winners := []int{0, 1, 2}, []int{3, 4, 5}
	s.Partition(losers, winners)
	txs := injectSome(t, s, losers[1:], 6)
	mine(t, s, 0)
	must(t, s, s.RunFor(2*time.Second))
	mine(t, s, 1)
	must(t, s, s.RunFor(5*time.Second))
	for _, i := range losers {
		requireConfirmed(t, s, s.Node(i), txs, "on the losing side before the heal")
	}
	for k := range 5 {
		mine(t, s, winners[k%3])
		must(t, s, s.RunFor(2*time.Second))
	}
	must(t, s, s.RunFor(hold))
	loseTip, winTip := s.Node(0).Chain().Tip(), s.Node(3).Chain().Tip()
	if winTip.ChainWork.Cmp(loseTip.ChainWork) <= 0 {
		t.Fatalf("seed=%d: winning side has work %v, losing side %v", s.Seed(), winTip.ChainWork, loseTip.ChainWork)
	}

	s.Heal()
	must(t, s, s.RunFor(5*time.Second))
	mine(t, s, 4) // the first block after the heal carries the news across
	must(t, s, s.RunUntil("convergence after the heal", 15*time.Minute, time.Second, s.Converged))
	if tip := s.Node(0).Chain().Tip(); tip.ChainWork.Cmp(winTip.ChainWork) <= 0 {
		t.Fatalf("seed=%d: converged on %s with work %v, not beyond the winning side's %v", s.Seed(), tip.Hash, tip.ChainWork, winTip.ChainWork)
	}
	if got := s.Stats().Reorgs; got < 2*len(losers) {
		t.Fatalf("seed=%d: %d blocks disconnected, want the losing side's 2 on each of its %d nodes", s.Seed(), got, len(losers))
	}
	must(t, s, s.RunFor(10*time.Second))
	must(t, s, s.CheckConverged())
	back := losers
	if wantRelayed {
		back = slices.Concat(losers, winners)
	}
	for _, i := range back {
		for _, txid := range txs {
			// The block mined after the heal confirms those the winning
			// side heard of in time: the others are back in the pool.
			if n := s.Node(i); !n.Pool().Has(txid) && !confirmed(t, n, txid, 2) {
				t.Fatalf("seed=%d: node %d: tx %s of the losing side is neither in the pool nor confirmed after the reorg", s.Seed(), i, txid)
			}
		}
	}

	mine(t, s, losers[0]) // a node that has them all in its pool
	must(t, s, s.RunUntil("convergence after the last block", time.Minute, time.Second, s.Converged))
	must(t, s, s.RunFor(5*time.Second))
	must(t, s, s.CheckConverged())
	for _, n := range s.Nodes() {
		requireConfirmed(t, s, n, txs, "after the last block")
		if size := n.Pool().Info().Size; size != 0 {
			t.Fatalf("seed=%d: node %d: %d transactions left in the pool", s.Seed(), n.Index(), size)
		}
	}
}

// injectSome injects count transactions at the given nodes in turn, half a
// second apart, and returns their txids.
func injectSome(t *testing.T, s *Sim, at []int, count int) []wire.Hash {
	t.Helper()
	var txs []wire.Hash
	for i := range count {
		node := at[i%len(at)]
		tx, err := s.InjectTx(node)
		must(t, s, err)
		if tx == nil {
			t.Fatalf("seed=%d: node %d has nothing to spend", s.Seed(), node)
		}
		txs = append(txs, tx.TxID())
		must(t, s, s.RunFor(500*time.Millisecond))
	}
	must(t, s, s.RunFor(2*time.Second))
	return txs
}

func requireConfirmed(t *testing.T, s *Sim, n *Node, txs []wire.Hash, when string) {
	t.Helper()
	for _, txid := range txs {
		if !confirmed(t, n, txid, 10) {
			t.Fatalf("seed=%d: node %d: tx %s not confirmed %s", s.Seed(), n.Index(), txid, when)
		}
	}
}
