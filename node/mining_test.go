package node

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"powchain/miner"
	"powchain/rpc"
	"powchain/wire"
)

// TestTwoMinersConverge: two nodes connected to each other, a miner on
// each (over RPC, as `powchain miner start` runs); both find blocks, and
// once they stop and one more block is mined the nodes agree on the tip.
func TestTwoMinersConverge(t *testing.T) {
	a, _ := startNode(t, testConfig(t.TempDir()))
	cfg := testConfig(t.TempDir())
	cfg.Connect = []string{a.P2PAddr()}
	b, _ := startNode(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ca, cb := clientOf(t, a), clientOf(t, b)
	waitUntil(t, "the nodes connect", func() bool {
		na, _ := ca.GetConnectionCount(ctx)
		nb, _ := cb.GetConnectionCount(ctx)
		return na == 1 && nb == 1
	})
	const blocks = 5
	outs := []*strings.Builder{{}, {}}
	var outMu sync.Mutex
	var wg sync.WaitGroup
	for i, c := range []*rpc.Client{ca, cb} {
		m, err := miner.New(miner.Config{Node: c, PayTo: wire.KeyHash{byte(i + 1)}, Threads: 1, Blocks: blocks,
			Out: lockedWriter{&outMu, outs[i]}, Clock: SystemClock{}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Run(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("the miners did not finish")
	}
	outMu.Lock()
	for i, out := range outs {
		if !strings.Contains(out.String(), fmt.Sprintf("accepted (%d/%d)", blocks, blocks)) {
			t.Errorf("miner %d:\n%s", i, out)
		}
	}
	outMu.Unlock()
	// The miners may stop on two different blocks at the same height; each
	// node keeps the first of two equal-work tips it saw (as Bitcoin Core
	// does), so such a tie lasts until a block extends one side, as the
	// next block would on a live network. A block mined on node a while b's
	// last blocks are still on their way can leave another tie, so this
	// repeats (a few times at most: each round a's chain gains a block).
	addr, _ := wire.EncodeAddress(a.params.AddressPrefix, wire.KeyHash{3})
	var tipA, tipB string
	agree := func() bool {
		tipA, _ = ca.GetBestBlockHash(ctx)
		tipB, _ = cb.GetBestBlockHash(ctx)
		return tipA != "" && tipA == tipB
	}
	for round := 1; !agree(); round++ {
		if round > 10 {
			t.Fatalf("the nodes still disagree after %d tie-breaking blocks: %s and %s", round-1, tipA, tipB)
		}
		if _, err := ca.GenerateToAddress(ctx, 1, addr); err != nil {
			t.Fatal(err)
		}
		waitWhile(ctx, 10*time.Second, func() bool { return !agree() })
	}
	height, err := ca.GetBlockCount(ctx)
	if err != nil || height < blocks {
		t.Fatalf("height %d after two miners found %d blocks each (%v)", height, blocks, err)
	}
	t.Logf("converged at height %d, tip %s", height, tipA)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitWhile polls cond until it turns false, ctx ends or d passes.
func waitWhile(ctx context.Context, d time.Duration, cond func() bool) {
	deadline := time.Now().Add(d)
	for cond() && ctx.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}
