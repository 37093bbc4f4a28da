package chain

import "powchain/wire"

// DisableSyncForBenchmark turns the sync policy off, so a benchmark can
// measure what it costs.
func (c *Chain) DisableSyncForBenchmark() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noSync = true
}

// DurableHeight reads the height of the durable-tip record of the database
// at path; found is false without one.
func DurableHeight(path string) (height uint64, found bool, err error) {
	_, height, found, err = (&store{path: path}).durableTip()
	return height, found, err
}

// WithoutAddressHistory returns cfg with the address history index left
// out, for the benchmark that measures what the index costs.
func WithoutAddressHistory(cfg Config) Config {
	cfg.noAddressHistory = true
	return cfg
}

// SignatureChecks is how many transactions' signatures the chain has
// checked, ahead of connection (Preverify) or while connecting.
func (c *Chain) SignatureChecks() uint64 { return c.sigChecks.Load() }

// ConnectBatchSizes checks blk, a child of the tip, against the UTXO set
// and builds the batch that would connect it, writing nothing: hint is
// what the batch was sized for, size what it holds.
func (c *Chain) ConnectBatchSizes(blk *wire.Block) (hint, size int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := &blockNode{hash: blk.BlockHash(), height: c.tip().height + 1}
	txids := blk.TxIDs()
	view, spent, err := c.checkConnectBlock(blk, txids, n.height)
	if err != nil {
		return 0, 0, err
	}
	b, err := c.connectBatch(blk, txids, n, view, spent)
	if err != nil {
		return 0, 0, err
	}
	c.store.putIndex(b, n)
	c.store.putTip(b, n)
	return connectBatchSize(blk), len(b.Dump()), nil
}
