package chain

import (
	"bytes"
	"unsafe"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
	"powchain/wire"
)

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
// out and the address index kept instead (format 1), for the tests and
// benchmarks that compare the two.
func WithoutAddressHistory(cfg Config) Config {
	cfg.noAddressHistory = true
	return cfg
}

// WithWriteHook returns cfg with hook run before every write of the
// chain's database from the moment it opens; an error fails the write.
func WithWriteHook(cfg Config, hook func(*leveldb.Batch) error) Config {
	cfg.beforeWrite = hook
	return cfg
}

// CompactForBenchmark compacts the whole database, as LevelDB does in
// time on its own: deleted keys and overwritten values are gone from the
// tables, so a benchmark of reads measures a settled database.
func (c *Chain) CompactForBenchmark() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store.db.CompactRange(util.Range{})
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

// SetConnectWriteHook makes hook run before each write of a batch that
// records a tip (connecting or disconnecting a block) with that tip's
// height, on the goroutine that writes it; an error fails the write. Set
// it while the chain is idle.
func (c *Chain) SetConnectWriteHook(hook func(height uint64) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store.beforeWrite = func(b *leveldb.Batch) error {
		tip := tipInBatch{}
		if err := b.Replay(&tip); err != nil || !tip.found {
			return err
		}
		return hook(tip.height)
	}
}

// tipInBatch finds the tip record a batch puts.
type tipInBatch struct {
	found  bool
	height uint64
}

func (t *tipInBatch) Put(key, value []byte) {
	var m pb.ChainTip
	if bytes.Equal(key, keyTip) && proto.Unmarshal(value, &m) == nil {
		t.found, t.height = true, m.GetHeight()
	}
}

func (t *tipInBatch) Delete([]byte) {}

// BodyReads is how many block bodies connecting has read back from the
// store (rather than finding them as acceptBlock kept them).
func (c *Chain) BodyReads() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bodyReads
}

// MaxAcceptedBlocks is how many stored, unconnected blocks the chain keeps
// decoded.
const MaxAcceptedBlocks = maxAcceptedBlocks

// HoldsSpareBatch reports whether the chain keeps a written connect batch
// for the next block (connect.go's recycleBatch).
func (c *Chain) HoldsSpareBatch() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.spare != nil
}

// DropTxCounts rewrites every block index record without its transaction
// count, as builds from before the count was recorded wrote them; the
// chain in memory keeps its counts.
func (c *Chain) DropTxCounts() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := new(leveldb.Batch)
	it := c.store.iterator([]byte{prefixIndex})
	for it.Next() {
		var m pb.BlockIndexRecord
		if err := proto.Unmarshal(it.Value(), &m); err != nil {
			it.Release()
			return err
		}
		m.TxCount = 0
		b.Put(bytes.Clone(it.Key()), mustMarshal(&m))
	}
	it.Release()
	if err := it.Error(); err != nil {
		return err
	}
	return c.store.write(b)
}

// StoredTxCounts reads the transaction count of every block index record.
func (c *Chain) StoredTxCounts() (map[wire.Hash]uint32, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	recs, err := c.store.loadIndex()
	if err != nil {
		return nil, err
	}
	out := make(map[wire.Hash]uint32, len(recs))
	for _, r := range recs {
		out[r.header.BlockHash()] = r.txCount
	}
	return out, nil
}

// BlockNodeSize is the size of one block index node (unsafe.Sizeof), for
// the benchmark of the index's memory.
const BlockNodeSize = unsafe.Sizeof(blockNode{})

// OrphanPoolUsage returns how many orphans the pool holds and the sum of
// their canonical encodings' sizes, as the pool counts them.
func (c *Chain) OrphanPoolUsage() (count, bytes int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.orphans.byHash), c.orphans.bytes
}
