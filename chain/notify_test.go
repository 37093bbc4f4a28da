package chain_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// TestNotificationsFollowReorg: subscribers see every connect and
// disconnect in order, then one TipChanged, and can query the chain from
// inside the callback (the chain's lock is not held during delivery).
func TestNotificationsFollowReorg(t *testing.T) {
	h := newHarness(t)
	h.extend("a", 2)
	var got []string
	h.c.Subscribe(func(n chain.Notification) {
		tip := h.c.Tip() // would deadlock if delivered under the lock
		got = append(got, fmt.Sprintf("%v@%d tip=%d", n.Type, n.Height, tip.Height))
	})
	h.extend("b", 1)
	h.g.SetTip("a1")
	h.g.NextBlock("s2", nil)
	h.g.NextBlock("s3", nil)
	h.g.NextBlock("s4", nil)
	h.acceptSide("s2")
	h.acceptSide("s3") // equal work with b1: first seen stays, nothing to report
	h.accept("s4")
	want := []string{
		"BlockConnected@3 tip=3", "TipChanged@3 tip=3",
		"BlockDisconnected@3 tip=4", "BlockDisconnected@2 tip=4",
		"BlockConnected@2 tip=4", "BlockConnected@3 tip=4", "BlockConnected@4 tip=4",
		"TipChanged@4 tip=4",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("notifications\n got %v\nwant %v", got, want)
	}
}

// TestConcurrentProcessBlock: many goroutines submit the same blocks of
// two competing branches in random orders; the outcome is the same as
// submitting them one by one, and notifications arrive in a consistent
// order (every connect of a height after the disconnect of the previous
// block at that height).
func TestConcurrentProcessBlock(t *testing.T) {
	h := newHarness(t)
	h.extend("base", 12)
	var blocks []*wire.Block
	for i := 1; i <= 15; i++ {
		blocks = append(blocks, h.g.NextBlock("x"+itoa(i), nil))
	}
	h.g.SetTip("base12")
	for i := 1; i <= 20; i++ {
		blocks = append(blocks, h.g.NextBlock("y"+itoa(i), nil))
	}
	var mu sync.Mutex
	connected := map[uint64]wire.Hash{}
	h.c.Subscribe(func(n chain.Notification) {
		mu.Lock()
		defer mu.Unlock()
		switch n.Type {
		case chain.BlockConnected:
			if prev, ok := connected[n.Height]; ok {
				t.Errorf("connect %s at %d while %s still connected there", n.Hash, n.Height, prev)
			}
			connected[n.Height] = n.Hash
		case chain.BlockDisconnected:
			if connected[n.Height] != n.Hash {
				t.Errorf("disconnect %s at %d, which is not connected there", n.Hash, n.Height)
			}
			delete(connected, n.Height)
		}
	})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for _, i := range rng.Perm(len(blocks)) {
				_, err := h.c.ProcessBlock(blocks[i])
				if code, ok := chain.ErrorCodeOf(err); err != nil && (!ok || code != chain.ErrDuplicateBlock) {
					t.Errorf("block %d: %v", i, err)
				}
			}
		}()
	}
	wg.Wait()
	h.expectTip("y20")
	h.expectUTXOs("y20")
	mu.Lock()
	defer mu.Unlock()
	// The base was connected before subscribing; of the rest, exactly the
	// y branch (heights 13..32) must end up connected.
	for height := uint64(13); height <= 32; height++ {
		if connected[height] != h.g.Block("y"+itoa(int(height-12))).BlockHash() {
			t.Fatalf("notifications leave %s connected at %d, want y%d", connected[height], height, height-12)
		}
	}
	if len(connected) != 20 {
		t.Fatalf("notifications leave %d blocks connected, want 20", len(connected))
	}
}

// TestOrphanPoolBounds: the pool keeps at most MaxOrphans blocks, dropping
// the oldest, and forgets orphans older than OrphanTTL.
func TestOrphanPoolBounds(t *testing.T) {
	h := newHarness(t)
	h.c.Close()
	h.cfg.MaxOrphans, h.cfg.OrphanTTL = 3, time.Minute
	c, err := chain.Open(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	h.g.NextBlock("root", nil) // never submitted: everything above is an orphan
	var names []string
	for i := 1; i <= 5; i++ {
		names = append(names, "o"+itoa(i))
		h.g.NextBlock(names[i-1], nil)
	}
	isOrphan := func(name string) bool { return c.IsOrphan(h.g.Block(name).BlockHash()) }
	for _, n := range names {
		if res, err := h.process(n); err != nil || !res.Orphan {
			t.Fatalf("%s: %+v %v", n, res, err)
		}
		h.clock.Advance(time.Second)
	}
	for i, n := range names {
		if want := i >= 2; isOrphan(n) != want {
			t.Fatalf("%s in pool: %v, want %v", n, isOrphan(n), want)
		}
	}
	if root := c.OrphanRoot(h.g.Block("o5").BlockHash()); root != h.g.Block("o3").BlockHash() {
		t.Fatalf("orphan root of o5 is %s, want o3", root)
	}
	h.clock.Advance(2 * time.Minute)
	h.g.SetTip("genesis")
	h.g.NextBlock("other-root", nil)
	h.g.NextBlock("late", nil)
	h.process("late")
	for _, n := range names {
		if isOrphan(n) {
			t.Fatalf("%s outlived its TTL", n)
		}
	}
	if !isOrphan("late") {
		t.Fatal("the new orphan was not kept")
	}
}

// TestSubscribersMayQueryDuringConcurrentChanges: subscribers that read the
// chain while other goroutines change it must not deadlock (delivery never
// holds the chain's lock, and changes never wait for delivery while holding
// it).
func TestSubscribersMayQueryDuringConcurrentChanges(t *testing.T) {
	h := newHarness(t)
	var blocks []*wire.Block
	for i := 1; i <= 40; i++ {
		blocks = append(blocks, h.g.NextBlock("q"+itoa(i), nil))
	}
	var seen atomic.Int64
	h.c.Subscribe(func(n chain.Notification) {
		h.c.Tip()
		h.c.UTXOSetInfo()
		seen.Add(1)
	})
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(blocks); i++ {
				h.c.ProcessBlock(blocks[i])
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("deadlock: ProcessBlock and a querying subscriber block each other")
	}
	h.expectTip("q40")
	if seen.Load() < 41 { // 40 connects and at least one tip change
		t.Fatalf("only %d notifications delivered", seen.Load())
	}
}
