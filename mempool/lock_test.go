package mempool

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestYieldingRWMutexRunsWaiter: on one processor, a goroutine blocked on
// the lock has run by the time the release that woke it returns, for each
// way one can wait (a writer behind a writer or behind a reader, a reader
// behind a writer). A plain RWMutex leaves the waiter queued until the
// releasing goroutine blocks, and fails this.
func TestYieldingRWMutexRunsWaiter(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, tc := range []struct {
		name             string
		hold, release    func(*yieldingRWMutex)
		waiter, waitDone func(*yieldingRWMutex)
	}{
		{"writer behind writer", (*yieldingRWMutex).Lock, (*yieldingRWMutex).Unlock, (*yieldingRWMutex).Lock, (*yieldingRWMutex).Unlock},
		{"writer behind reader", (*yieldingRWMutex).RLock, (*yieldingRWMutex).RUnlock, (*yieldingRWMutex).Lock, (*yieldingRWMutex).Unlock},
		{"reader behind writer", (*yieldingRWMutex).Lock, (*yieldingRWMutex).Unlock, (*yieldingRWMutex).RLock, (*yieldingRWMutex).RUnlock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m yieldingRWMutex
			var ran atomic.Bool
			done := make(chan struct{})
			tc.hold(&m)
			go func() {
				defer close(done)
				tc.waiter(&m)
				ran.Store(true)
				tc.waitDone(&m)
			}()
			for m.waiting.Load() == 0 {
				runtime.Gosched()
			}
			tc.release(&m)
			if !ran.Load() {
				t.Error("the waiter had not run when the release returned")
			}
			<-done
			if n := m.waiting.Load(); n != 0 {
				t.Errorf("waiting = %d after every goroutine took the lock", n)
			}
		})
	}
}
