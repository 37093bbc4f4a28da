package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// runScenario runs sc on a fresh Sim and fails the test with the seed and
// the command that replays it.
func runScenario(t *testing.T, cfg Config, sc Scenario) *Sim {
	t.Helper()
	s := newTestSim(t, cfg)
	start := time.Now()
	err := s.RunScenario(sc)
	st := s.Stats()
	t.Logf("seed=%d: %d nodes, %d blocks (best height %d), %d txs, %d reorged blocks, %d partitions; "+
		"simulated %v in %v; %d events, %d messages (%d KiB), %d lost, %d cut by partitions; digest %x",
		s.Seed(), len(s.nodes), st.Blocks, st.MaxTipHeight, st.Txs, st.Reorgs, st.Partitions,
		s.Elapsed().Round(time.Second), time.Since(start).Round(time.Millisecond),
		st.Events, st.Delivered, st.Bytes>>10, st.Lost, st.Partitioned, s.Digest())
	if err != nil {
		t.Fatalf("%v\nreplay: POWCHAIN_SIM_SEED=%d go test ./testnet/sim -run '^%s$' -v", err, s.Seed(), t.Name())
	}
	return s
}

// TestScenario is scenario (g) in its CI size: random topology, random
// partitions and heals, lossy links, transactions; every node converges
// and no invariant breaks.
func TestScenario(t *testing.T) {
	t.Parallel()
	runScenario(t,
		Config{Seed: testSeed(t, 1), Nodes: 12, Link: LinkConfig{DropRate: 0.002}},
		Scenario{Blocks: 120, Partitions: 2, TxInterval: 2 * time.Second})
}

// TestScenarioLong is scenario (g) at full size: 50 nodes, 500 blocks,
// five partitions of 20 to 95 blocks (up to about three minutes, so some
// connections across them time out and are replaced). It runs only with
// POWCHAIN_SIM_LONG=1.
func TestScenarioLong(t *testing.T) {
	if os.Getenv("POWCHAIN_SIM_LONG") != "1" {
		t.Skip("set POWCHAIN_SIM_LONG=1 to run the 50-node, 500-block scenario")
	}
	runScenario(t,
		Config{Seed: testSeed(t, 1), Nodes: 50, Link: LinkConfig{DropRate: 0.002}},
		Scenario{Blocks: 500, Partitions: 5, MinPartition: 20, MaxPartition: 95})
}

// runDigest is one small scenario run in its own directory, for the
// determinism test; it runs on any goroutine.
func runDigest(dir string, seed uint64) (digest [32]byte, stats Stats, err error) {
	s, err := New(Config{Seed: seed, Dir: dir, Nodes: 6, Link: LinkConfig{DropRate: 0.005}})
	if err != nil {
		return digest, stats, err
	}
	defer s.Close()
	err = s.RunScenario(Scenario{Blocks: 30, Partitions: 1, MinPartition: 5, MaxPartition: 15, TxInterval: 3 * time.Second})
	return s.Digest(), s.Stats(), err
}

// TestSameSeedSameRun: two runs with the same seed, at the same time in
// one process, one with its databases on disk and one in memory, receive
// exactly the same inputs in the same order (the trace digest covers every
// frame byte for byte), and a different seed gives a different run.
func TestSameSeedSameRun(t *testing.T) {
	t.Parallel()
	seed := testSeed(t, 11)
	type result struct {
		digest [32]byte
		stats  Stats
		err    error
	}
	seeds := []uint64{seed, seed, seed + 1}
	results := make([]chan result, len(seeds))
	for i, sd := range seeds {
		results[i] = make(chan result, 1)
		dir := "" // in memory
		if i == 0 {
			dir = filepath.Join(t.TempDir(), fmt.Sprint(i))
		}
		go func() {
			d, st, err := runDigest(dir, sd)
			results[i] <- result{d, st, err}
		}()
	}
	var got []result
	for i := range seeds {
		r := <-results[i]
		if r.err != nil {
			t.Fatalf("run %d: %v", i, r.err)
		}
		got = append(got, r)
	}
	if got[0].digest != got[1].digest || got[0].stats != got[1].stats {
		t.Fatalf("seed=%d: two runs differ:\n%x %+v\n%x %+v", seed, got[0].digest, got[0].stats, got[1].digest, got[1].stats)
	}
	if got[0].digest == got[2].digest {
		t.Fatalf("seeds %d and %d gave the same run %x", seed, seed+1, got[0].digest)
	}
	t.Logf("seed=%d: digest %x, %d events; seed %d: digest %x", seed, got[0].digest, got[0].stats.Events, seed+1, got[2].digest)
}
