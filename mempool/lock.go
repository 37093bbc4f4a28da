package mempool

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// yieldingRWMutex is a sync.RWMutex whose releases yield the processor
// (runtime.Gosched) while a goroutine waits to take it.
//
// Why: Go wakes a goroutine blocked on a mutex onto the processor of the
// goroutine that released it, to run when that one next blocks. An
// admission releases the pool's read lock and then verifies signatures,
// hundreds of microseconds of CPU without a scheduling point, so the woken
// writer (and every admission queued behind it) would wait that long, or
// until another processor steals it after a sleep, while that processor
// may have nothing else to do. Yielding runs the waiter at once and puts
// the releasing goroutine in the global queue, where an idle processor
// finds it. Without contention a release costs one atomic load more.
//
// The waiter count is a hint for the yield only: mutual exclusion is the
// RWMutex's own.
type yieldingRWMutex struct {
	sync.RWMutex
	waiting atomic.Int32 // goroutines blocked in Lock or RLock
}

func (m *yieldingRWMutex) Lock()  { m.take(m.TryLock, m.RWMutex.Lock) }
func (m *yieldingRWMutex) RLock() { m.take(m.TryRLock, m.RWMutex.RLock) }

// take takes the lock with try or, failing that, with wait, counted among
// the waiters meanwhile.
func (m *yieldingRWMutex) take(try func() bool, wait func()) {
	if try() {
		return
	}
	m.waiting.Add(1)
	wait()
	m.waiting.Add(-1)
}

func (m *yieldingRWMutex) Unlock() {
	m.RWMutex.Unlock()
	m.yieldToWaiter()
}

func (m *yieldingRWMutex) RUnlock() {
	m.RWMutex.RUnlock()
	m.yieldToWaiter()
}

func (m *yieldingRWMutex) yieldToWaiter() {
	if m.waiting.Load() > 0 {
		runtime.Gosched()
	}
}
