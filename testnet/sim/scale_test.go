package sim

import (
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"powchain/internal/rusage"
	"powchain/p2p"
)

// TestScaleBaseline runs the configuration issue 13 measured the simulator
// in: 1,000 nodes with 8 outbound peers each, one-way latencies of
// 50–200 ms, an empty block every 10 s of simulated time, 30 blocks, then
// convergence and 30 s more. It reports what the run cost this process:
// CPU seconds (user and system, every goroutine, from opening the nodes to
// the end), the peak of live heap (sampled every simulated second) and the
// peak resident set. It runs only with POWCHAIN_SIM_SCALE=1 (POWCHAIN_SIM_SCALE_NODES=N
// changes the node count, for iterating at 200–300 nodes;
// POWCHAIN_SIM_SCALE_RELAY=compact|headers|full the relay mode, default
// compact):
//
//	POWCHAIN_SIM_SCALE=1 go test ./testnet/sim -run '^TestScaleBaseline$' -v -timeout 2h
//
// and with -cpuprofile for where the time goes; POWCHAIN_SIM_SCALE_HEAP=FILE
// writes a heap profile of the converged network (before it is closed,
// which -memprofile comes after) for where the memory goes.
func TestScaleBaseline(t *testing.T) {
	if os.Getenv("POWCHAIN_SIM_SCALE") != "1" {
		t.Skip("set POWCHAIN_SIM_SCALE=1 to run the 1,000-node baseline")
	}
	nodes := 1000
	if v := os.Getenv("POWCHAIN_SIM_SCALE_NODES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			t.Fatalf("POWCHAIN_SIM_SCALE_NODES=%q: want a node count of at least 2", v)
		}
		nodes = n
	}
	relay := p2p.RelayCompact
	if v := os.Getenv("POWCHAIN_SIM_SCALE_RELAY"); v != "" {
		var err error
		if relay, err = p2p.ParseRelayMode(v); err != nil {
			t.Fatalf("POWCHAIN_SIM_SCALE_RELAY: %v", err)
		}
	}
	const blocks, interval = 30, 10 * time.Second
	cpu0, wall0 := rusage.Self().CPU, time.Now()
	var peakHeap uint64
	s := newTestSim(t, Config{
		Seed: testSeed(t, 1), Nodes: nodes, MaxPeers: 125, TargetOutbound: 8, Relay: relay,
		Link: LinkConfig{MinLatency: 50 * time.Millisecond, MaxLatency: 200 * time.Millisecond},
	})
	setup := rusage.Self().CPU - cpu0
	// step runs d of simulated time a second at a time, sampling the heap.
	step := func(d time.Duration) {
		for ; d > 0; d -= time.Second {
			if err := s.RunFor(min(d, time.Second)); err != nil {
				t.Fatal(err)
			}
			peakHeap = max(peakHeap, liveHeap())
		}
	}
	step(30 * time.Second) // the nodes find each other
	for range blocks {
		step(interval)
		if _, err := s.MineRandom(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RunUntil("convergence", 5*time.Minute, time.Second, s.Converged); err != nil {
		t.Fatalf("%v\n%s", err, s.Describe())
	}
	step(30 * time.Second) // requests of blocks that arrived another way finish
	if err := s.CheckConverged(); err != nil {
		t.Fatal(err)
	}
	if path := os.Getenv("POWCHAIN_SIM_SCALE_HEAP"); path != "" {
		writeHeapProfile(t, path)
	}
	st := s.Stats()
	t.Logf("%d nodes, %v relay, %d blocks (height %d), simulated %v: cpu %.1f s (setup %.1f s), wall %v, "+
		"peak heap %d MiB, peak RSS %d MiB; %d events, %d messages delivered (%d KiB), max queue %d",
		nodes, relay, st.Blocks, st.MaxTipHeight, s.Elapsed().Round(time.Second),
		(rusage.Self().CPU - cpu0).Seconds(), setup.Seconds(), time.Since(wall0).Round(time.Second),
		peakHeap>>20, rusage.Self().PeakRSS>>20, st.Events, st.Delivered, st.Bytes>>10, st.MaxQueueDepth)
}

func writeHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Fatal(err)
	}
}

// liveHeap is the memory held by heap objects, live or not yet swept.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
