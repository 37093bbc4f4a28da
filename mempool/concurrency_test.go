package mempool

import (
	"math/rand/v2"
	"sync"
	"testing"

	"powchain/wire"
)

// TestConcurrentAdmission admits, from many goroutines at once, distinct
// transactions, children sent before their parents (orphans), sets of
// transactions that spend the same output, and transactions that conflict
// with blocks being connected at the same time, while readers query the
// pool. Exactly one of each conflicting set wins, and the pool ends
// consistent.
func TestConcurrentAdmission(t *testing.T) {
	h := newHarness(t, harnessConfig{blocks: 3})
	fan := h.spend(0, 300, h.cb(1))
	h.mine(fan)

	type job struct {
		tx          *wire.Tx
		allowOrphan bool
		set         int    // conflict set, or -1
		source      uint64 // distinct, so the per-source orphan cap is not hit
	}
	var jobs []job
	var distinct, children []*wire.Tx
	for i := range 100 {
		tx := h.spend(1000, 2, h.out(fan, uint32(i)))
		distinct = append(distinct, tx)
		jobs = append(jobs, job{tx, true, -1, uint64(i)})
		if i < 50 {
			c := h.spend(1000, 2, h.out(tx, 0))
			children = append(children, c)
			jobs = append(jobs, job{c, true, -1, uint64(i)})
		}
	}
	const sets = 40
	for s := range sets {
		for j := range 4 {
			jobs = append(jobs, job{h.spend(uint64(1000+100*j), 1+j%2, h.out(fan, uint32(100+s))), false, s, 0})
		}
	}
	var blockTxs []*wire.Tx
	for i := 200; i < 210; i++ {
		blockTxs = append(blockTxs, h.spend(1000, 1, h.out(fan, uint32(i))))
	}
	blockTxs = append(blockTxs, h.spend(5000, 1, h.out(fan, 250)))
	for j := range 3 {
		jobs = append(jobs, job{h.spend(uint64(1000+j), 2, h.out(fan, 250)), false, sets, 0})
	}
	blocks := []*wire.Block{h.block(blockTxs[:5]...), h.block(blockTxs[5:]...)}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })

	wins := make([]int, sets+1)
	var mu sync.Mutex
	work := make(chan job)
	done := make(chan struct{})
	var wg, readers sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				acc, _, err := h.pool.ProcessTransaction(j.tx, j.allowOrphan, j.source)
				switch {
				case j.set >= 0 && err == nil:
					mu.Lock()
					wins[j.set]++
					mu.Unlock()
				case j.set >= 0:
					if re := rejectCode(t, err); re.Code != RejectConflict && re.Code != RejectMissingInputs {
						t.Errorf("conflicting tx: %v", err)
					}
				case err != nil:
					t.Errorf("tx %s: %v (accepted %d)", j.tx.TxID(), err, len(acc))
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, b := range blocks {
			if _, err := h.c.ProcessBlock(b); err != nil {
				t.Errorf("block: %v", err)
			}
		}
	}()
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			h.pool.Template(10_000)
			h.pool.Info()
			if _, err := h.pool.FetchUtxo(h.out(fan, 250).OutPoint); err != nil {
				t.Errorf("FetchUtxo: %v", err)
			}
		}
	}()
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	close(done)
	readers.Wait()

	got := h.ids()
	for _, tx := range append(distinct, children...) {
		if !got[tx.TxID()] {
			t.Errorf("%s missing from the pool", tx.TxID())
		}
	}
	for s := range sets {
		if wins[s] != 1 {
			t.Errorf("conflict set %d: %d winners", s, wins[s])
		}
	}
	if n := len(got); n != len(distinct)+len(children)+sets {
		t.Errorf("pool has %d transactions, want %d", n, len(distinct)+len(children)+sets)
	}
	if info := h.pool.Info(); info.Orphans != 0 {
		t.Errorf("%d orphans left", info.Orphans)
	}
	checkInvariants(t, h.pool)
}
