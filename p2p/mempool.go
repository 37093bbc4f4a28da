package p2p

import (
	"powchain/mempool"
	"powchain/wire"
)

// MempoolAdapter lets a *mempool.Pool serve as the Core's TxPool. Orphans
// are allowed: the Core asks the announcing peer for their parents.
type MempoolAdapter struct{ Pool *mempool.Pool }

// ProcessTx admits tx from peer source.
func (a MempoolAdapter) ProcessTx(tx *wire.Tx, source uint64) ([]*wire.Tx, []wire.Hash, error) {
	descs, missing, err := a.Pool.ProcessTransaction(tx, true, source)
	txs := make([]*wire.Tx, len(descs))
	for i, d := range descs {
		txs[i] = d.Tx
	}
	return txs, missing, err
}

// FetchTx returns a pool transaction.
func (a MempoolAdapter) FetchTx(txid wire.Hash) (*wire.Tx, bool) {
	d, ok := a.Pool.Get(txid)
	if !ok {
		return nil, false
	}
	return d.Tx, true
}

// HaveTx reports whether txid is in the pool or its orphan pool.
func (a MempoolAdapter) HaveTx(txid wire.Hash) bool {
	return a.Pool.Has(txid) || a.Pool.IsOrphan(txid)
}
