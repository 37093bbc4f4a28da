package chain

import (
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
	"powchain/wire"
)

// Reindex rebuilds everything derived from the stored block bodies: the
// block index, the UTXO set, undo records, the address index and the tip.
// It deletes the derived state, then feeds every stored block, parents
// before children, through full validation again, exactly as if it had
// arrived from the network. Blocks that fail stay stored and are marked
// invalid again. The database is left open in the returned Chain.
func Reindex(cfg Config) (*Chain, error) {
	if cfg.Params == nil || cfg.Clock == nil || cfg.Path == "" {
		return nil, errors.New("chain: Config needs Params, Clock and Path")
	}
	st, err := openStore(cfg.Path, cfg.Params)
	if err != nil {
		return nil, err
	}
	c := newChain(cfg, st)
	if err := c.reindex(); err != nil {
		st.close()
		return nil, fmt.Errorf("reindex %s: %w", cfg.Path, err)
	}
	c.notifying = true
	return c, nil
}

func (c *Chain) reindex() error {
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
	queue := children[c.params.GenesisHash]
	for len(queue) > 0 {
		hash := queue[0]
		queue = queue[1:]
		blk, err := c.store.block(hash)
		if err != nil {
			return err
		}
		if _, err := c.processBlock(blk); err != nil {
			if _, isRule := ErrorCodeOf(err); !isRule {
				return err
			}
		}
		queue = append(queue, children[hash]...)
	}
	return nil
}

// deleteDerivedState removes every key but block bodies and the info record.
func (c *Chain) deleteDerivedState() error {
	for _, prefix := range []byte{prefixIndex, prefixHeight, prefixUtxo, prefixUndo, prefixAddr} {
		if err := c.deletePrefix(prefix); err != nil {
			return err
		}
	}
	return c.store.db.Delete(keyTip, nil)
}

func (c *Chain) deletePrefix(prefix byte) error {
	it := c.store.db.NewIterator(util.BytesPrefix([]byte{prefix}), nil)
	defer it.Release()
	b := new(leveldb.Batch)
	for it.Next() {
		b.Delete(append([]byte(nil), it.Key()...))
		if b.Len() >= 10_000 {
			if err := c.store.write(b); err != nil {
				return err
			}
			b.Reset()
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	return c.store.write(b)
}

// storedBlocksByParent maps each parent hash to its stored children.
func (c *Chain) storedBlocksByParent() (map[wire.Hash][]wire.Hash, error) {
	it := c.store.db.NewIterator(util.BytesPrefix([]byte{prefixBlock}), nil)
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
