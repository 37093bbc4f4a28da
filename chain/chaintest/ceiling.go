package chaintest

import (
	"fmt"
	"sync"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// VerifyCeiling returns the best of three times to verify the signatures of
// txs on workers goroutines, with nothing else, using this build's
// signature backend (the one consensus uses): the ceiling that validation
// benchmarks report their ratio to. It panics if a signature is invalid.
func VerifyCeiling(txs []*wire.Tx, workers int) time.Duration {
	return verifyCeiling(txs, workers, chain.VerifyTxSignatures)
}

// BtcecCeiling is VerifyCeiling with the pure-Go btcec backend, whatever
// the build. In a libsecp256k1 build, a benchmark's time as a ratio to it
// bounds its speedup over the default build from below: the default build
// cannot beat its own verify ceiling.
func BtcecCeiling(txs []*wire.Tx, workers int) time.Duration {
	return verifyCeiling(txs, workers, func(tx *wire.Tx) error {
		if tx.IsCoinbase() {
			return nil
		}
		msg := tx.SigHash()
		for i, in := range tx.Inputs {
			if !(wire.BtcecVerifier{}).Verify(in.PubKey, msg[:], in.Signature) {
				return fmt.Errorf("input %d: signature does not verify", i)
			}
		}
		return nil
	})
}

func verifyCeiling(txs []*wire.Tx, workers int, verify func(*wire.Tx) error) time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(txs); i += workers {
					if err := verify(txs[i]); err != nil {
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
