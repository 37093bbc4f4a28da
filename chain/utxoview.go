package chain

import (
	"github.com/syndtr/goleveldb/leveldb"

	"powchain/wire"
)

// utxoView is the UTXO set as seen while one block is connected or
// disconnected: the store plus this block's changes so far. Committing
// writes the net changes into a batch. While the previous block's batch is
// being written, under is that block's view: its entries are read before
// the store, which may or may not have them yet.
type utxoView struct {
	store   *store
	under   *utxoView
	entries map[wire.OutPoint]*viewEntry
	slab    []viewEntry // where new entries are allocated, many at a time
}

type viewEntry struct {
	entry    UtxoEntry
	exists   bool // present in the UTXO set as this view sees it
	modified bool // differs from the store
}

// newUtxoView returns an empty view of s with room for about size
// entries: a block's view holds one per input and one per output, and
// sizing it once spares a full block's view thousands of allocations and
// the map's regrowth.
func newUtxoView(s *store, size int) *utxoView {
	return &utxoView{store: s, entries: make(map[wire.OutPoint]*viewEntry, size), slab: make([]viewEntry, 0, size)}
}

// blockViewSize is how many entries connecting or disconnecting blk puts
// in its view: one per input and one per output.
func blockViewSize(blk *wire.Block) int {
	n := 0
	for _, tx := range blk.Transactions {
		n += len(tx.Inputs) + len(tx.Outputs)
	}
	return n
}

// put sets the entry of op; entries come from the slab, which is replaced
// by a fresh one when full (the entries already handed out stay where
// they are).
func (v *utxoView) put(op wire.OutPoint, ve viewEntry) *viewEntry {
	if len(v.slab) == cap(v.slab) {
		v.slab = make([]viewEntry, 0, max(cap(v.slab), 16))
	}
	v.slab = append(v.slab, ve)
	e := &v.slab[len(v.slab)-1]
	v.entries[op] = e
	return e
}

// FetchUtxo returns the unspent output at op, or nil if missing or spent.
func (v *utxoView) FetchUtxo(op wire.OutPoint) (*UtxoEntry, error) {
	if ve, ok := v.entries[op]; ok {
		if !ve.exists {
			return nil, nil
		}
		return &ve.entry, nil
	}
	if v.under != nil {
		if ve, ok := v.under.entries[op]; ok {
			if !ve.exists {
				return nil, nil
			}
			return &v.put(op, viewEntry{entry: ve.entry, exists: true}).entry, nil
		}
	}
	e, err := v.store.utxo(op)
	if err != nil || e == nil {
		return nil, err
	}
	return &v.put(op, viewEntry{entry: *e, exists: true}).entry, nil
}

// spend removes op (which must have been fetched) from the view.
func (v *utxoView) spend(op wire.OutPoint) {
	ve := v.entries[op]
	ve.exists, ve.modified = false, true
}

// addOutputs adds every output of tx, created at height.
func (v *utxoView) addOutputs(tx *wire.Tx, txid wire.Hash, height uint64) {
	coinbase := tx.IsCoinbase()
	for i, out := range tx.Outputs {
		v.put(wire.OutPoint{TxID: txid, Index: uint32(i)}, viewEntry{
			entry:  UtxoEntry{Amount: out.Amount, KeyHash: out.KeyHash, Height: height, Coinbase: coinbase},
			exists: true, modified: true,
		})
	}
}

// removeOutputs deletes every output of tx (disconnecting its block).
func (v *utxoView) removeOutputs(tx *wire.Tx, txid wire.Hash) {
	for i, out := range tx.Outputs {
		v.put(wire.OutPoint{TxID: txid, Index: uint32(i)}, viewEntry{
			entry: UtxoEntry{KeyHash: out.KeyHash}, modified: true,
		})
	}
}

// restore puts a spent output back (disconnecting the block that spent it).
func (v *utxoView) restore(op wire.OutPoint, e UtxoEntry) {
	v.put(op, viewEntry{entry: e, exists: true, modified: true})
}

// commit adds the view's net changes to b. An output created and spent in
// the same block ends as a delete of an absent key, which is harmless.
func (v *utxoView) commit(b *leveldb.Batch) {
	for op, ve := range v.entries {
		switch {
		case !ve.modified:
		case ve.exists:
			v.store.putUtxo(b, op, &ve.entry)
		default:
			v.store.deleteUtxo(b, op, ve.entry.KeyHash)
		}
	}
}
