package chaintest

import (
	"sync"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// VerifyCeiling returns the best of three times to verify the signatures of
// txs on workers goroutines, with nothing else: the ceiling that validation
// benchmarks report their ratio to. It panics if a signature is invalid.
func VerifyCeiling(txs []*wire.Tx, workers int) time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(txs); i += workers {
					if err := chain.VerifyTxSignatures(txs[i]); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
		best = min(best, time.Since(start))
	}
	return best
}
