package chain

import (
	"bytes"
	"container/heap"

	"github.com/syndtr/goleveldb/leveldb"
	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
	"powchain/wire"
)

// Reindex rebuilds everything derived from the stored block bodies: the
// block index, the UTXO set, undo records, the address index, the address
// history and transaction indexes and the tip; a database of format
// version 1 comes out in the current format.
// It deletes the derived state, then feeds every stored block, parents
// before children and otherwise in their original order of arrival, through
// full validation again, exactly as if it had arrived from the network.
// Blocks that fail stay stored and are marked invalid again. The database
// is left open in the returned Chain.
//
// A record written before anything is deleted and removed once every
// block is replayed marks the reindex as under way: a reindex that stops
// midway (a crash, a failed write) leaves the derived state partly
// deleted, the block index perhaps entirely while the UTXO set is whole,
// and Open finishes it (reindexes again) rather than read that state.
func Reindex(cfg Config) (*Chain, error) {
	return open(cfg, "reindex", (*Chain).reindex)
}

func (c *Chain) reindex() error {
	ready := &arrivalQueue{order: c.oldArrivalOrder()}
	if err := c.store.setReindexing(true); err != nil {
		return err
	}
	if err := c.deleteDerivedState(); err != nil {
		return err
	}
	children, err := c.storedBlocksByParent()
	if err != nil {
		return err
	}
	if err := c.initGenesis(); err != nil {
		return err
	}
	for _, h := range children[c.params.GenesisHash] {
		heap.Push(ready, h)
	}
	total, done := 0, 0 // stored blocks but genesis, and those processed
	for _, kids := range children {
		for _, h := range kids {
			if h != c.params.GenesisHash {
				total++
			}
		}
	}
	for ready.Len() > 0 {
		hash := heap.Pop(ready).(wire.Hash)
		blk, err := c.store.block(hash)
		if err != nil {
			return err
		}
		if _, err := c.processBlock(blk); err != nil {
			if _, isRule := ErrorCodeOf(err); !isRule {
				return err
			}
		}
		for _, h := range children[hash] {
			heap.Push(ready, h)
		}
		if done++; c.reindexProgress != nil {
			c.reindexProgress(done, total)
		}
	}
	if err := c.store.setReindexing(false); err != nil {
		return err
	}
	return c.syncNow() // the rebuilt state is durable before the chain is used
}

// setReindexing records that a reindex is under way, or that it is done.
// Batches reach the journal in order, so the record is there whenever
// any of the deletions that follow it are.
func (s *store) setReindexing(on bool) error {
	b := new(leveldb.Batch)
	if on {
		b.Put(keyReindexing, nil)
	} else {
		b.Delete(keyReindexing)
	}
	return s.write(b)
}

// reindexing reports whether a reindex was under way when the database
// was last written: one that did not finish.
func (s *store) reindexing() (bool, error) {
	_, found, err := s.getRaw(keyReindexing)
	return found, err
}

// oldArrivalOrder reads the arrival sequence of every block from the index
// about to be rebuilt, so that reindexing resolves equal-work ties as the
// node did (first seen). Best effort: a damaged index yields what it can.
func (c *Chain) oldArrivalOrder() map[wire.Hash]uint64 {
	order := make(map[wire.Hash]uint64)
	recs, _ := c.store.loadIndex()
	for _, r := range recs {
		if r.status&statusDataStored != 0 {
			order[r.header.BlockHash()] = r.sequence
		}
	}
	return order
}

// arrivalQueue is a heap of blocks whose parents are processed, ordered by
// their original arrival; blocks of unknown arrival go last, by hash.
type arrivalQueue struct {
	order  map[wire.Hash]uint64
	hashes []wire.Hash
}

func (q *arrivalQueue) Len() int { return len(q.hashes) }
func (q *arrivalQueue) Less(i, j int) bool {
	si, iok := q.order[q.hashes[i]]
	sj, jok := q.order[q.hashes[j]]
	if iok != jok {
		return iok
	}
	if si != sj {
		return si < sj
	}
	return bytes.Compare(q.hashes[i][:], q.hashes[j][:]) < 0
}
func (q *arrivalQueue) Swap(i, j int) { q.hashes[i], q.hashes[j] = q.hashes[j], q.hashes[i] }
func (q *arrivalQueue) Push(x any)    { q.hashes = append(q.hashes, x.(wire.Hash)) }
func (q *arrivalQueue) Pop() any {
	h := q.hashes[len(q.hashes)-1]
	q.hashes = q.hashes[:len(q.hashes)-1]
	return h
}

// deleteDerivedState removes every key but block bodies and the info record.
func (c *Chain) deleteDerivedState() error {
	for _, prefix := range []byte{prefixIndex, prefixHeight, prefixUtxo, prefixUndo, prefixAddr, prefixHistory, prefixTx} {
		if _, err := c.deletePrefix(prefix); err != nil {
			return err
		}
	}
	b := new(leveldb.Batch)
	b.Delete(keyTip)
	b.Delete(keyIndexFlags)
	return c.store.write(b)
}

// deleteBatchKeys bounds the keys of one batch of a bulk delete or
// rebuild, so that its memory stays small however large the database.
const deleteBatchKeys = 10_000

// deletePrefix deletes every key starting with prefix, in batches of
// deleteBatchKeys, and returns how many it deleted.
func (c *Chain) deletePrefix(prefix byte) (deleted int, err error) {
	it := c.store.iterator([]byte{prefix})
	defer it.Release()
	b := new(leveldb.Batch)
	for it.Next() {
		b.Delete(append([]byte(nil), it.Key()...))
		deleted++
		if b.Len() >= deleteBatchKeys {
			if err := c.store.write(b); err != nil {
				return deleted, err
			}
			b.Reset()
		}
	}
	if err := it.Error(); err != nil || b.Len() == 0 {
		return deleted, err
	}
	return deleted, c.store.write(b)
}

// storedBlocksByParent maps each parent hash to its stored children.
func (c *Chain) storedBlocksByParent() (map[wire.Hash][]wire.Hash, error) {
	it := c.store.iterator([]byte{prefixBlock})
	defer it.Release()
	children := make(map[wire.Hash][]wire.Hash)
	for it.Next() {
		var m pb.Block
		if err := proto.Unmarshal(it.Value(), &m); err != nil {
			return nil, corrupt("block %x: %v", it.Key(), err)
		}
		h, err := wire.HeaderFromProto(m.GetHeader())
		if err != nil {
			return nil, corrupt("block %x: %v", it.Key(), err)
		}
		children[h.PrevBlock] = append(children[h.PrevBlock], h.BlockHash())
	}
	return children, it.Error()
}
