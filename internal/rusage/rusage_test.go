package rusage

import (
	"runtime"
	"testing"
	"time"
)

// TestSelfCountsCPU: spinning on this goroutine makes the CPU time grow by
// 20 ms (within 10 s of wall time, however loaded the machine), and by no
// more than the wall time that passed on every core.
func TestSelfCountsCPU(t *testing.T) {
	const want = 20 * time.Millisecond
	before := Self()
	start := time.Now()
	for {
		grew, wall := Self().CPU-before.CPU, time.Since(start)
		if grew > wall*time.Duration(runtime.NumCPU())+10*time.Millisecond {
			t.Fatalf("CPU time grew by %v in %v of wall time on %d cores", grew, wall, runtime.NumCPU())
		}
		if grew >= want {
			return
		}
		if wall > 10*time.Second {
			t.Fatalf("CPU time grew by only %v in %v of spinning", grew, wall)
		}
	}
}

// TestSelfCountsMemory: the peak resident memory covers a buffer that was
// written whole.
func TestSelfCountsMemory(t *testing.T) {
	buf := make([]byte, 32<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	if u := Self(); u.PeakRSS < uint64(len(buf)) {
		t.Errorf("peak RSS %d bytes, below the %d-byte buffer written", u.PeakRSS, len(buf))
	}
	runtime.KeepAlive(buf)
}
