package sim

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Propagation is a measurement run: blocks mined at random intervals by
// nodes drawn by hash power, transactions injected at a steady rate, and
// every block's propagation measured against its floor (measure.go).
// Zero values take the defaults documented on each field.
type Propagation struct {
	// Blocks is how many measured blocks are mined (default 20).
	Blocks int
	// Interval is the mean time between blocks, drawn exponentially
	// (default 10s).
	Interval time.Duration
	// TxRate is how many transactions per second are injected at random
	// nodes (default 0: none). Transactions need mature coins, so with a
	// rate set, CoinbaseMaturity unmeasured blocks are mined first.
	TxRate float64
	// Warmup is the simulated time the nodes get to find their peers
	// before the first block (default 60s).
	Warmup time.Duration
	// Settle bounds the time allowed for every node to agree on the tip
	// after the last block (default 5m). If they have not agreed after
	// settleStep, an unmeasured block is mined to break the tie.
	Settle time.Duration
}

func (p *Propagation) setDefaults() {
	if p.Blocks <= 0 {
		p.Blocks = 20
	}
	if p.Interval <= 0 {
		p.Interval = 10 * time.Second
	}
	if p.Warmup <= 0 {
		p.Warmup = time.Minute
	}
	if p.Settle <= 0 {
		p.Settle = 5 * time.Minute
	}
}

// settleStep is how long a run waits for agreement before it mines a
// block to settle a tie between equal tips.
const settleStep = 30 * time.Second

// Report is what a Propagation run measured. Times are means over the
// measured blocks: those on the final best chain, which every node has.
type Report struct {
	Mined    int // measured blocks mined (the warm-up's are left out)
	Measured int // of those, the ones on the final best chain
	Stale    int // of those mined, the ones not on the final best chain

	// Mean over measured blocks of the time until 50%, 95% and 100% of
	// the nodes had the block, and of the same for the floor.
	P50, P95, P100                  time.Duration
	FloorP50, FloorP95, FloorP100   time.Duration
	WorstP95                        time.Duration // the slowest block's 95%
	Tau                             time.Duration // mean hash-weighted delay
	StaleRate, StaleEstimate, Ratio float64       // Ratio: P95 / FloorP95
	// IdealP95 is the mean 95% time under an ideal push protocol (see
	// idealPush in measure.go), IdealRatio that over FloorP95: how far
	// above the floor queueing on the upload links alone puts a protocol
	// that knows everything.
	IdealP95   time.Duration
	IdealRatio float64
	// CutIdealP95 is the mean 95% time of the ideal push protocol with
	// cut-through forwarding (the compact form in pieces, each forwarded
	// once it is in; see idealPush), CutIdealRatio that over FloorP95.
	// CutFloorP95 is the mean 95% of its floor, the limit of cut-through
	// forwarding (below FloorP95: it charges one serialization of the
	// form per path, not per hop). CutJitterP95 is CutIdealP95 with the
	// jitter's mean added to every link's latency: about what the jitter,
	// which every real message pays and the floor leaves out, adds to it.
	CutIdealP95, CutFloorP95, CutJitterP95 time.Duration
	CutIdealRatio                          float64
	Interval                               time.Duration
	// P95Path is the mean over the measured blocks whose path is known
	// (PathsKnown of them) of where the time to the node at the 95% mark
	// went.
	P95Path    PathCost
	PathsKnown int
	Blocks     []BlockTimes
}

// RunPropagation runs p and measures it. It fails if an invariant breaks
// or the nodes do not agree on a tip within p.Settle.
func (s *Sim) RunPropagation(p Propagation) (Report, error) {
	p.setDefaults()
	if err := s.RunFor(p.Warmup); err != nil {
		return Report{}, err
	}
	if p.TxRate > 0 {
		if err := s.prepareCoins(); err != nil {
			return Report{}, err
		}
		s.SetTxInterval(time.Duration(float64(time.Second) / p.TxRate))
		if err := s.RunFor(10 * time.Second); err != nil {
			return Report{}, err
		}
	}
	first := len(s.blocks.order)
	for range p.Blocks {
		if err := s.RunFor(expDur(s.scenRng, p.Interval)); err != nil {
			return Report{}, err
		}
		if _, err := s.MineWeighted(); err != nil {
			return Report{}, err
		}
	}
	last := len(s.blocks.order)
	s.SetTxInterval(0)
	if err := s.settleTip(p.Settle); err != nil {
		return Report{}, err
	}
	return s.report(s.blocks.order[first:last], p.Interval)
}

// prepareCoins mines CoinbaseMaturity unmeasured blocks, a few seconds
// apart, so that transactions have mature coins to spend.
func (s *Sim) prepareCoins() error {
	for range s.params.CoinbaseMaturity {
		if err := s.RunFor(3 * time.Second); err != nil {
			return err
		}
		if _, err := s.MineWeighted(); err != nil {
			return err
		}
	}
	return nil
}

// settleTip waits until every node has the same tip, mining an unmeasured
// block now and then to break a tie between equal tips, and then until no
// node waits for a block.
func (s *Sim) settleTip(limit time.Duration) error {
	deadline := s.now.Add(limit)
	for !s.Converged() {
		if !s.now.Before(deadline) {
			s.fail(-1, "the nodes did not agree on a tip within %v", limit)
			return fmt.Errorf("%w\n%s", s.err, s.Describe())
		}
		step := s.now.Add(min(settleStep, deadline.Sub(s.now)))
		for !s.Converged() && s.now.Before(step) {
			if err := s.RunFor(time.Second); err != nil {
				return err
			}
		}
		if !s.Converged() && s.now.Before(deadline) {
			if _, err := s.MineWeighted(); err != nil {
				return err
			}
		}
	}
	// Blocks requested before the agreement (a losing branch's, from a
	// peer with a long upload queue) may still be on their way.
	err := s.RunUntil("the last block downloads", limit, time.Second, s.downloadsDone)
	if err != nil {
		return err
	}
	return s.CheckConverged()
}

// downloadsDone reports whether no node waits for a block.
func (s *Sim) downloadsDone() bool {
	for _, n := range s.nodes {
		if n.core.SyncInfo().BlocksInFlight != 0 {
			return false
		}
	}
	return true
}

// report measures the blocks in recs against node 0's best chain (every
// node's, once converged).
func (s *Sim) report(recs []*blockRecord, interval time.Duration) (Report, error) {
	rep := Report{Mined: len(recs), Interval: interval}
	s.blocks.settleHad()
	var sum [11]time.Duration
	for _, r := range recs {
		info, ok := s.nodes[0].chain.BlockInfoByHash(r.hash)
		if !ok || !info.MainChain {
			rep.Stale++
			continue
		}
		bt, ok := s.blockTimes(r)
		if !ok {
			return rep, fmt.Errorf("sim: block %s is on the best chain but some node never had it", r.hash)
		}
		rep.Blocks = append(rep.Blocks, bt)
		for k, d := range []time.Duration{bt.P50, bt.P95, bt.P100, bt.FloorP50, bt.FloorP95, bt.Floor, bt.WeightedDelay, bt.IdealP95, bt.CutIdealP95, bt.CutFloorP95, bt.CutJitterP95} {
			sum[k] += d
		}
		rep.WorstP95 = max(rep.WorstP95, bt.P95)
		if bt.P95PathKnown {
			rep.P95Path.add(bt.P95Path)
			rep.PathsKnown++
		}
	}
	rep.Measured = len(rep.Blocks)
	if rep.Mined > 0 {
		rep.StaleRate = float64(rep.Stale) / float64(rep.Mined)
	}
	if rep.Measured == 0 {
		return rep, errors.New("sim: no block reached the final best chain")
	}
	mean := func(k int) time.Duration { return sum[k] / time.Duration(rep.Measured) }
	rep.P50, rep.P95, rep.P100 = mean(0), mean(1), mean(2)
	rep.FloorP50, rep.FloorP95, rep.FloorP100 = mean(3), mean(4), mean(5)
	rep.Tau = mean(6)
	rep.IdealP95 = mean(7)
	rep.CutIdealP95, rep.CutFloorP95, rep.CutJitterP95 = mean(8), mean(9), mean(10)
	if rep.PathsKnown > 0 {
		rep.P95Path = rep.P95Path.mean(rep.PathsKnown)
	}
	rep.StaleEstimate = 1 - math.Exp(-rep.Tau.Seconds()/interval.Seconds())
	if rep.FloorP95 > 0 {
		rep.Ratio = float64(rep.P95) / float64(rep.FloorP95)
		rep.IdealRatio = float64(rep.IdealP95) / float64(rep.FloorP95)
		rep.CutIdealRatio = float64(rep.CutIdealP95) / float64(rep.FloorP95)
	}
	return rep, nil
}
