package chain

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"slices"

	"github.com/syndtr/goleveldb/leveldb/util"
	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
	"powchain/wire"
)

// UTXOSetInfo summarises the UTXO set at one tip (gettxoutsetinfo).
type UTXOSetInfo struct {
	Height      uint64
	BestBlock   wire.Hash
	TxOuts      uint64 // number of unspent outputs
	TotalAmount uint64 // sum of their amounts, in base units
	// HashSerialized is SHA-256 over every unspent output in (txid, index)
	// order, each serialised as: txid (32), index (u32 LE), amount (u64 LE),
	// key hash (20), height (u64 LE), coinbase flag (1 byte). Two nodes with
	// the same UTXO set have the same hash, however they got there.
	HashSerialized wire.Hash
}

// UTXOSetInfo computes the statistics of the UTXO set. It reads a snapshot
// of the database taken under the lock, then scans it without the lock.
func (c *Chain) UTXOSetInfo() (UTXOSetInfo, error) {
	c.mu.RLock()
	tip := c.tip()
	snap, err := c.store.db.GetSnapshot()
	c.mu.RUnlock()
	if err != nil {
		return UTXOSetInfo{}, err
	}
	defer snap.Release()
	info := UTXOSetInfo{Height: tip.height, BestBlock: tip.hash}
	h := sha256.New()
	it := snap.NewIterator(util.BytesPrefix([]byte{prefixUtxo}), nil)
	defer it.Release()
	buf := make([]byte, 0, wire.OutPointSize+8+wire.KeyHashSize+8+1)
	for it.Next() {
		op, e, err := decodeUtxo(it.Key(), it.Value())
		if err != nil {
			return UTXOSetInfo{}, err
		}
		info.TxOuts++
		info.TotalAmount += e.Amount
		buf = op.Encode(buf[:0])
		buf = binary.LittleEndian.AppendUint64(buf, e.Amount)
		buf = append(buf, e.KeyHash[:]...)
		buf = binary.LittleEndian.AppendUint64(buf, e.Height)
		buf = append(buf, boolByte(e.Coinbase))
		h.Write(buf)
	}
	if err := it.Error(); err != nil {
		return UTXOSetInfo{}, err
	}
	h.Sum(info.HashSerialized[:0])
	return info, nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func decodeUtxo(key, value []byte) (wire.OutPoint, UtxoEntry, error) {
	var op wire.OutPoint
	if len(key) != 1+wire.OutPointSize {
		return op, UtxoEntry{}, corrupt("utxo key %x has the wrong length", key)
	}
	copy(op.TxID[:], key[1:])
	op.Index = binary.BigEndian.Uint32(key[1+wire.HashSize:])
	var m pb.UtxoEntry
	if err := proto.Unmarshal(value, &m); err != nil {
		return op, UtxoEntry{}, corrupt("utxo %x: %v", key, err)
	}
	e, err := utxoEntryFromProto(&m)
	return op, e, err
}

// AddressUtxo is an unspent output paying to an indexed key hash.
type AddressUtxo struct {
	OutPoint wire.OutPoint
	Entry    UtxoEntry
}

// AddressUtxos returns the unspent outputs on the best chain that pay to
// kh, in (txid, index) order: the entries of kh's address history not
// marked spent (format 3), or, in a chain without the history, its
// address index. The answer is one consistent snapshot of the best chain.
func (c *Chain) AddressUtxos(kh wire.KeyHash) ([]AddressUtxo, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.noHistory {
		return c.indexedUtxos(kh)
	}
	return c.unspentHistory(kh)
}

// unspentHistory is AddressUtxos from the address history: it reads every
// output ever paid to kh, spent or not, and sorts the unspent ones by
// outpoint (the history is in order of height). Caller holds c.mu.
func (c *Chain) unspentHistory(kh wire.KeyHash) ([]AddressUtxo, error) {
	it := c.store.iterator(append([]byte{prefixHistory}, kh[:]...))
	defer it.Release()
	var out []AddressUtxo
	for it.Next() {
		e, err := decodeHistory(it.Key(), it.Value())
		if err != nil {
			return nil, err
		}
		if !e.Spent {
			out = append(out, AddressUtxo{OutPoint: e.OutPoint,
				Entry: UtxoEntry{Amount: e.Amount, KeyHash: kh, Height: e.Height, Coinbase: e.Coinbase}})
		}
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b AddressUtxo) int { return compareOutPoints(a.OutPoint, b.OutPoint) })
	return out, nil
}

// compareOutPoints orders outpoints as their keys are: by txid's bytes,
// then index.
func compareOutPoints(a, b wire.OutPoint) int {
	if c := bytes.Compare(a.TxID[:], b.TxID[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

// indexedUtxos is AddressUtxos from the address index of a chain without
// the history: the outpoints in key order, each read from the UTXO set.
// Caller holds c.mu.
func (c *Chain) indexedUtxos(kh wire.KeyHash) ([]AddressUtxo, error) {
	prefix := append([]byte{prefixAddr}, kh[:]...)
	it := c.store.iterator(prefix)
	defer it.Release()
	var out []AddressUtxo
	for it.Next() {
		key := it.Key()
		if len(key) != len(prefix)+wire.OutPointSize {
			return nil, corrupt("address index key %x has the wrong length", key)
		}
		var op wire.OutPoint
		copy(op.TxID[:], key[len(prefix):])
		op.Index = binary.BigEndian.Uint32(key[len(prefix)+wire.HashSize:])
		e, err := c.store.utxo(op)
		if err != nil {
			return nil, err
		}
		if e == nil {
			return nil, corrupt("address index names %s:%d, which is not in the UTXO set", op.TxID, op.Index)
		}
		out = append(out, AddressUtxo{OutPoint: op, Entry: *e})
	}
	return out, it.Error()
}

// SpentOutputs returns the outputs a best-chain block spent, in block
// order (every input of every transaction but the coinbase), from its undo
// record: what a block explorer shows as an input's previous output once
// the output has left the UTXO set. ok is false for a block off the best
// chain (it has no undo record).
func (c *Chain) SpentOutputs(hash wire.Hash) (spent []UtxoEntry, ok bool, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index.get(hash)
	if n == nil || !c.onBestChain(n) {
		return nil, false, nil
	}
	spent, err = c.store.undo(hash)
	return spent, err == nil, err
}
