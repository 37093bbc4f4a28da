package sim

import (
	"fmt"
	"slices"
	"time"
)

// Scenario is a run of random mining, transactions, partitions and heals
// that must end with every node converged. Zero values take the defaults
// documented on each field.
type Scenario struct {
	// Blocks is how many blocks are mined in all (default 100).
	Blocks int
	// BlockInterval is the mean simulated time between blocks, drawn
	// exponentially; each block is mined by a random node, so each side of
	// a partition mines in proportion to its size (default 2s).
	BlockInterval time.Duration
	// TxInterval is the mean time between injected transactions (default
	// 1s; negative: none).
	TxInterval time.Duration
	// Partitions is how many times the network is cut into random groups
	// and healed again (default 2).
	Partitions int
	// MinPartition and MaxPartition bound how many blocks a partition lasts
	// (default 5 and 30).
	MinPartition, MaxPartition int
	// MaxGroups is the most groups a partition makes (default 3; at least 2).
	MaxGroups int
	// FinalBlocks are mined after the last heal, with loss turned off, one
	// every FinalGap, so that every node hears of the final chain and the
	// last block has no competitor of equal work: nodes keep the first of
	// two equal tips they see, so only a later block settles such a tie
	// (default 3, part of Blocks; FinalGap default 20s).
	FinalBlocks int
	FinalGap    time.Duration
	// Warmup is the simulated time the nodes get to find each other before
	// the first block (default 30s).
	Warmup time.Duration
	// Settle bounds the simulated time allowed for convergence after the
	// last block (default 15m: a node cut off during a partition may have
	// backed off redialing for up to p2p's RetryMax of 5m).
	Settle time.Duration
}

func (sc *Scenario) setDefaults() {
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defInt(&sc.Blocks, 100)
	defDur(&sc.BlockInterval, 2*time.Second)
	defDur(&sc.TxInterval, time.Second)
	if sc.Partitions < 0 {
		sc.Partitions = 0
	} else if sc.Partitions == 0 {
		sc.Partitions = 2
	}
	defInt(&sc.MinPartition, 5)
	defInt(&sc.MaxPartition, 30)
	sc.MaxPartition = max(sc.MaxPartition, sc.MinPartition)
	defInt(&sc.MaxGroups, 3)
	sc.MaxGroups = max(sc.MaxGroups, 2)
	defInt(&sc.FinalBlocks, 3)
	sc.FinalBlocks = min(sc.FinalBlocks, sc.Blocks)
	defDur(&sc.FinalGap, 20*time.Second)
	defDur(&sc.Warmup, 30*time.Second)
	defDur(&sc.Settle, 15*time.Minute)
}

// window is a partition: it starts before block start is mined and heals
// before block end.
type window struct{ start, end int }

// RunScenario runs sc and checks that every node converges on the same
// most-work tip with the same UTXO set, and every other invariant.
func (s *Sim) RunScenario(sc Scenario) error {
	sc.setDefaults()
	windows := s.planPartitions(sc)
	if err := s.RunFor(sc.Warmup); err != nil {
		return err
	}
	if sc.TxInterval > 0 {
		s.SetTxInterval(sc.TxInterval)
	}
	final := sc.Blocks - sc.FinalBlocks
	for b := range sc.Blocks {
		gap := expDur(s.scenRng, sc.BlockInterval)
		if b >= final {
			gap = sc.FinalGap
		}
		s.steer(sc, windows, b, final)
		if err := s.RunFor(gap); err != nil {
			return err
		}
		if _, err := s.MineRandom(); err != nil {
			return err
		}
	}
	s.SetTxInterval(0)
	return s.settle(sc)
}

// steer starts and ends partitions before block b; once the final blocks
// begin it heals for good and turns loss off.
func (s *Sim) steer(sc Scenario, windows []window, b, final int) {
	if b == final {
		s.Heal()
		s.SetDropRate(0)
		return
	}
	for _, w := range windows {
		switch b {
		case w.start:
			s.Partition(s.randomGroups(sc.MaxGroups)...)
		case w.end:
			s.Heal()
		}
	}
}

// settle waits for convergence and mempool agreement, then checks.
func (s *Sim) settle(sc Scenario) error {
	err := s.RunUntil("convergence", sc.Settle, time.Second, s.Converged)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, s.Describe())
	}
	// Let the last announcements of re-admitted transactions finish.
	if err := s.RunFor(30 * time.Second); err != nil {
		return err
	}
	return s.CheckConverged()
}

// planPartitions spreads sc.Partitions windows over the blocks before the
// final ones, one per equal segment, each lasting MinPartition to
// MaxPartition blocks (cut to fit its segment).
func (s *Sim) planPartitions(sc Scenario) []window {
	span := sc.Blocks - sc.FinalBlocks
	if sc.Partitions == 0 || span < 2 {
		return nil
	}
	seg := max(span/sc.Partitions, 2)
	var ws []window
	for k := range sc.Partitions {
		lo := k * seg
		if lo+1 >= span {
			break
		}
		length := sc.MinPartition + s.scenRng.IntN(sc.MaxPartition-sc.MinPartition+1)
		length = min(length, seg-1, span-lo-1)
		start := lo + s.scenRng.IntN(seg-length)
		ws = append(ws, window{start: start, end: start + length})
	}
	return ws
}

// randomGroups splits the nodes into 2..maxGroups non-empty random groups.
func (s *Sim) randomGroups(maxGroups int) [][]int {
	rng := s.scenRng
	n := len(s.nodes)
	g := min(2+rng.IntN(maxGroups-1), n)
	perm := rng.Perm(n)
	// g-1 distinct cut points in 1..n-1 make g non-empty groups.
	cuts := rng.Perm(n - 1)[:g-1]
	for i := range cuts {
		cuts[i]++
	}
	slices.Sort(cuts)
	groups := make([][]int, 0, g)
	prev := 0
	for _, c := range append(cuts, n) {
		groups = append(groups, perm[prev:c])
		prev = c
	}
	return groups
}

// Describe summarises every node's state, for failure messages.
func (s *Sim) Describe() string {
	out := fmt.Sprintf("t=%v partitioned=%v\n", s.Elapsed(), s.Partitioned())
	for _, n := range s.nodes {
		tip, best := n.chain.Tip(), n.chain.BestHeader()
		si := n.core.SyncInfo()
		out += fmt.Sprintf("  node %2d %s: tip %d %.12s, best header %d %.12s, peers %d (conns %d), pool %d, in flight %d\n",
			n.index, n.addr, tip.Height, tip.Hash, best.Height, best.Hash, si.Peers, len(n.conns),
			n.pool.Info().Size, si.BlocksInFlight)
	}
	return out
}
