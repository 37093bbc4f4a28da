package chain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/iterator"

	"powchain/wire"
)

// The address history index and the transaction index. Both are derived
// from the best chain, written in the same batch as the block they describe
// (so a crash never leaves them out of step with the UTXO set), undone when
// the block is disconnected and rebuilt by Reindex.
//
//	'o' key hash, height (8 BE), txid, index (4 BE)   value (below)
//	'x' txid                                          block hash, position (4 BE)
//	'n'                                               index flags (1 byte)
//
// A history key names an output ever paid to the key hash on the best chain,
// under the height of the block that created it, so iterating one key
// hash's range visits its outputs oldest first. The value is
//
//	amount (8 BE) | flags (1: bit 0 coinbase, bit 1 spent)
//	[ spending txid (32) | input index (4 BE) | spending height (8 BE) ]   when spent
const (
	prefixHistory = 'o'
	prefixTx      = 'x'
)

var keyIndexFlags = []byte{'n'}

// Flags in the 'n' record: which optional indexes are complete.
const indexFlagTx = 1 << 0

const (
	historyFlagCoinbase = 1 << 0
	historyFlagSpent    = 1 << 1

	historyValueSize      = 8 + 1
	historySpentValueSize = historyValueSize + wire.HashSize + 4 + 8
	historyKeySize        = 1 + wire.KeyHashSize + 8 + wire.OutPointSize
)

// ErrNoTxIndex: FindTransaction needs the transaction index, which this
// node does not keep (Config.TxIndex).
var ErrNoTxIndex = errors.New("the node keeps no transaction index")

// AddressHistoryEntry is one output ever paid to a key hash on the best
// chain, and what became of it.
type AddressHistoryEntry struct {
	OutPoint wire.OutPoint
	Height   uint64 // height of the block that created the output
	Amount   uint64
	Coinbase bool
	// Spent is set once a best-chain transaction spends the output:
	// SpentBy is that transaction, SpentInput the input that spends it and
	// SpentHeight its block's height.
	Spent       bool
	SpentBy     wire.Hash
	SpentInput  uint32
	SpentHeight uint64
}

// AddressBlock names a best-chain block of an address history.
type AddressBlock struct {
	Hash wire.Hash
	Time int64 // header timestamp, unix seconds
}

// appendHistoryKey appends the history key of op, paid to kh at height.
func appendHistoryKey(b []byte, kh wire.KeyHash, height uint64, op wire.OutPoint) []byte {
	b = append(append(b, prefixHistory), kh[:]...)
	b = binary.BigEndian.AppendUint64(b, height)
	return outPointBytes(b, op)
}

// appendHistoryValue appends e's value; the spending fields only when spent.
func appendHistoryValue(b []byte, e *AddressHistoryEntry) []byte {
	b = binary.BigEndian.AppendUint64(b, e.Amount)
	var flags byte
	if e.Coinbase {
		flags |= historyFlagCoinbase
	}
	if !e.Spent {
		return append(b, flags)
	}
	b = append(b, flags|historyFlagSpent)
	b = append(b, e.SpentBy[:]...)
	b = binary.BigEndian.AppendUint32(b, e.SpentInput)
	return binary.BigEndian.AppendUint64(b, e.SpentHeight)
}

// decodeHistory decodes one history record.
func decodeHistory(key, val []byte) (AddressHistoryEntry, error) {
	var e AddressHistoryEntry
	if len(key) != historyKeySize || len(val) < historyValueSize {
		return e, corrupt("address history record %x has the wrong size", key)
	}
	k := key[1+wire.KeyHashSize:]
	e.Height = binary.BigEndian.Uint64(k)
	copy(e.OutPoint.TxID[:], k[8:])
	e.OutPoint.Index = binary.BigEndian.Uint32(k[8+wire.HashSize:])
	e.Amount = binary.BigEndian.Uint64(val)
	flags := val[8]
	e.Coinbase = flags&historyFlagCoinbase != 0
	e.Spent = flags&historyFlagSpent != 0
	if !e.Spent {
		if len(val) != historyValueSize {
			return e, corrupt("address history record %x has the wrong size", key)
		}
		return e, nil
	}
	if len(val) != historySpentValueSize {
		return e, corrupt("address history record %x has the wrong size", key)
	}
	s := val[historyValueSize:]
	copy(e.SpentBy[:], s)
	e.SpentInput = binary.BigEndian.Uint32(s[wire.HashSize:])
	e.SpentHeight = binary.BigEndian.Uint64(s[wire.HashSize+4:])
	return e, nil
}

// indexSet says which indexes indexBlock writes.
type indexSet struct{ history, tx bool }

// indexes are the indexes every connected block updates.
func (c *Chain) indexes() indexSet { return indexSet{history: !c.noHistory, tx: c.txIndex} }

// indexFlags is the 'n' record of a database whose indexes match c's
// configuration.
func (c *Chain) indexFlags() byte {
	if c.txIndex {
		return indexFlagTx
	}
	return 0
}

// catchUpIndexes makes the stored indexes match the configuration before
// the chain connects anything: a database of format version 1 gets the
// address history index (and then loses the address index, dropAddrIndex)
// unless the chain is configured without it, a database without the transaction index gets it
// when TxIndex is set, and one with it loses it when TxIndex is not. Both
// are built from the best chain's bodies and undo records, far cheaper
// than a reindex. The last batch records the result (format version,
// flags), so an interrupted build starts again from scratch on the next
// open. Caller owns the chain (opening).
func (c *Chain) catchUpIndexes() error {
	flags, err := c.store.indexFlags()
	if err != nil {
		return err
	}
	haveTx := flags&indexFlagTx != 0
	needsHistory := c.store.found == formatVersionNoHistory && c.store.format == formatVersion
	build := indexSet{history: needsHistory, tx: c.txIndex && !haveTx}
	if !build.history && !build.tx && haveTx == c.txIndex {
		return nil
	}
	if build.history {
		if _, err := c.deletePrefix(prefixHistory); err != nil {
			return err
		}
	}
	if build.tx || !c.txIndex {
		if _, err := c.deletePrefix(prefixTx); err != nil {
			return err
		}
	}
	b := new(leveldb.Batch)
	for _, n := range c.bestChain {
		if !build.history && !build.tx {
			break
		}
		if err := c.reindexBlock(b, n, build); err != nil {
			return err
		}
		if b.Len() >= deleteBatchKeys {
			if err := c.store.write(b); err != nil {
				return err
			}
			b.Reset()
		}
	}
	c.store.putInfo(b, c.params)
	c.store.putIndexFlags(b, c.indexFlags())
	if err := c.store.write(b); err != nil {
		return err
	}
	c.store.found = c.store.format // what putInfo recorded
	return nil
}

// reindexBlock adds the idx records of the connected block n to b, from its
// body and undo record.
func (c *Chain) reindexBlock(b *leveldb.Batch, n *blockNode, idx indexSet) error {
	blk, spent, err := c.connectedBlock(n)
	if err != nil {
		return err
	}
	return c.indexBlock(b, blk, blk.TxIDs(), n.hash, n.height, spent, idx)
}

// indexBlock adds to b the index records of blk (whose transactions' ids
// are txids), connected at height:
// every output it creates, every output it spends (spent, in input order,
// as the undo record has them) and, with the transaction index, where each
// transaction is. Spends come after the outputs of earlier transactions, so
// an output created and spent in this block is written twice, unspent then
// spent: LevelDB applies a batch in order, so the last write of a key wins
// and the record ends spent. The records go straight into the batch (which
// copies keys and values) through one scratch buffer: this runs for every
// output of every connected block.
func (c *Chain) indexBlock(b *leveldb.Batch, blk *wire.Block, txids []wire.Hash, hash wire.Hash, height uint64, spent []UtxoEntry, idx indexSet) error {
	var key, val []byte
	k := 0
	for i, tx := range blk.Transactions {
		txid := txids[i]
		if i > 0 && idx.history {
			for j, in := range tx.Inputs {
				if k == len(spent) {
					return corrupt("undo record of %s is too short", hash)
				}
				e := spent[k]
				k++
				key = appendHistoryKey(key[:0], e.KeyHash, e.Height, in.PrevOut)
				val = appendHistoryValue(val[:0], &AddressHistoryEntry{
					Amount: e.Amount, Coinbase: e.Coinbase,
					Spent: true, SpentBy: txid, SpentInput: uint32(j), SpentHeight: height,
				})
				b.Put(key, val)
			}
		}
		for j, out := range tx.Outputs {
			if !idx.history {
				break
			}
			op := wire.OutPoint{TxID: txid, Index: uint32(j)}
			key = appendHistoryKey(key[:0], out.KeyHash, height, op)
			b.Put(key, appendHistoryValue(val[:0], &AddressHistoryEntry{Amount: out.Amount, Coinbase: i == 0}))
		}
		if idx.tx {
			b.Put(hashKey(prefixTx, txid), binary.BigEndian.AppendUint32(append(val[:0], hash[:]...), uint32(i)))
		}
	}
	if idx.history && k != len(spent) {
		return corrupt("undo record of %s has %d extra entries", hash, len(spent)-k)
	}
	return nil
}

// unindexBlock adds to b the changes that undo indexBlock for blk: the
// outputs it spent become unspent again, then every output it created is
// deleted, so one created and spent in blk ends deleted (last write wins,
// as in indexBlock).
func (c *Chain) unindexBlock(b *leveldb.Batch, blk *wire.Block, height uint64, spent []UtxoEntry) {
	var key, val []byte
	k := 0
	for _, tx := range blk.Transactions[1:] {
		for _, in := range tx.Inputs {
			e := spent[k] // disconnectTip checked the record's length
			k++
			key = appendHistoryKey(key[:0], e.KeyHash, e.Height, in.PrevOut)
			b.Put(key, appendHistoryValue(val[:0], &AddressHistoryEntry{Amount: e.Amount, Coinbase: e.Coinbase}))
		}
	}
	for _, tx := range blk.Transactions {
		txid := tx.TxID()
		for j, out := range tx.Outputs {
			b.Delete(appendHistoryKey(key[:0], out.KeyHash, height, wire.OutPoint{TxID: txid, Index: uint32(j)}))
		}
		b.Delete(hashKey(prefixTx, txid))
	}
}

// AddressHistory returns the outputs ever paid to kh on the best chain,
// oldest first (by creating block's height, then txid and output index),
// with what spent each: the address history an explorer or a wallet shows.
// It skips the first skip entries and returns at most limit (limit <= 0:
// all the rest); total counts every entry. The answer is one consistent
// snapshot of the best chain.
func (c *Chain) AddressHistory(kh wire.KeyHash, skip, limit int) (entries []AddressHistoryEntry, total int, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.addressHistory(kh, skip, limit)
}

// AddressHistoryEntryOf is an entry of AddressHistoryPage: the output, and
// the index in the key hashes asked about of the one it pays.
type AddressHistoryEntryOf struct {
	AddressHistoryEntry
	Key int
}

// AddressHistoryPage merges the histories of khs (as AddressHistory; a key
// hash given twice counts once) into one, ordered as each is (creating
// block's height, then txid and output index), and returns its entries
// skip to skip+limit (limit <= 0: all the rest), the total over all of
// them, the best-chain blocks the returned entries name (creating and
// spending blocks, by height) and the tip, all read in one snapshot, so
// that a reorganisation can never mix two chains in one answer. It holds
// the page's entries only, however long the histories are: the rest are
// counted as they are read, so its cost grows with the whole history.
func (c *Chain) AddressHistoryPage(khs []wire.KeyHash, skip, limit int) (page []AddressHistoryEntryOf, total int, blocks map[uint64]AddressBlock, tip BlockInfo, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	blocks = make(map[uint64]AddressBlock)
	err = c.mergeHistories(khs, nil, func(e AddressHistoryEntryOf) bool {
		if total >= skip && (limit <= 0 || len(page) < limit) {
			page = append(page, e)
			c.addHistoryBlocks(blocks, e.AddressHistoryEntry)
		}
		total++
		return true
	})
	if err != nil {
		return nil, 0, nil, tip, err
	}
	return page, total, blocks, c.info(c.tip()), nil
}

// HistoryPlace is an entry's place in the order of AddressHistoryPage.
type HistoryPlace struct {
	Height   uint64
	OutPoint wire.OutPoint
}

// HistoryAfter is what AddressHistoryAfter reads, in one snapshot.
type HistoryAfter struct {
	// Page is at most limit entries after place.
	Page []AddressHistoryEntryOf
	// Added counts the entries of the blocks above since: what the
	// history gained after the read being continued (0 when since is the
	// tip).
	Added int
	// Changed are the entries at or before place whose state the blocks
	// above since changed, as they are now, in the history's order: the
	// outputs those blocks spent, and the coinbase outputs they brought to
	// CoinbaseMaturity confirmations (tip - height + 1). Nothing else of
	// an entry at or before place changes while since stays on the best
	// chain: entries are only ever added above it.
	Changed []AddressHistoryEntryOf
	Blocks  map[uint64]AddressBlock // the best-chain blocks Page and Changed name, by height
	Tip     BlockInfo
}

// AddressHistoryAfter continues a read of the merged history of khs (as
// AddressHistoryPage orders it) made when the best block was since: it
// returns the page of at most limit entries after the entry at place
// (which need not exist), what the blocks above since added and changed
// at or before place, and the tip. It reads only the page, the entries
// above since and those blocks, however many entries come before place,
// so a client that reads a long history page after page pays for each
// entry once, where skipping to each page reads every entry before it
// again; and one whose read spans new blocks keeps its earlier pages.
// ok is false, and nothing is read, when since is no longer on the best
// chain (a reorganisation may have changed anything) or lies more than
// maxBack blocks below the tip.
func (c *Chain) AddressHistoryAfter(khs []wire.KeyHash, place HistoryPlace, since wire.Hash, limit int, maxBack uint64) (r HistoryAfter, ok bool, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	from, tip := c.index.get(since), c.tip()
	if from == nil || !c.onBestChain(from) || tip.height-from.height > maxBack {
		return r, false, nil
	}
	r.Blocks = make(map[uint64]AddressBlock)
	r.Page = make([]AddressHistoryEntryOf, 0, min(max(limit, 0), maxPagePrealloc))
	err = c.mergeHistories(khs, historyAfterPlace(place), func(e AddressHistoryEntryOf) bool {
		r.Page = append(r.Page, e)
		c.addHistoryBlocks(r.Blocks, e.AddressHistoryEntry)
		return len(r.Page) < limit
	})
	if err != nil {
		return r, false, err
	}
	if from != tip {
		err = c.mergeHistories(khs, historyAboveHeight(from.height), func(AddressHistoryEntryOf) bool {
			r.Added++
			return true
		})
		if err != nil {
			return r, false, err
		}
		if r.Changed, err = c.historyChangedAbove(khs, place, from.height); err != nil {
			return r, false, err
		}
		for _, e := range r.Changed {
			c.addHistoryBlocks(r.Blocks, e.AddressHistoryEntry)
		}
	}
	r.Tip = c.info(tip)
	return r, true, nil
}

// maxPagePrealloc bounds the entries AddressHistoryAfter makes room for
// before it reads (getaddresshistory's pages hold up to 1,000).
const maxPagePrealloc = 1000

// historyAfterPlace starts a key hash's history just after place: keys
// have one size, so the first key after place's is its key with a zero
// byte appended.
func historyAfterPlace(place HistoryPlace) func(wire.KeyHash) []byte {
	return func(kh wire.KeyHash) []byte {
		return append(appendHistoryKey(nil, kh, place.Height, place.OutPoint), 0)
	}
}

// historyAboveHeight starts a key hash's history at the first output of
// a block above height.
func historyAboveHeight(height uint64) func(wire.KeyHash) []byte {
	return func(kh wire.KeyHash) []byte {
		return binary.BigEndian.AppendUint64(append([]byte{prefixHistory}, kh[:]...), height+1)
	}
}

// historyOrderFrom is where a history key's order starts: past its prefix
// and key hash, (height, txid, output index), big-endian, is the
// history's order.
const historyOrderFrom = 1 + wire.KeyHashSize

// historyChangedAbove is HistoryAfter.Changed for the blocks above
// height: the outputs of khs at or before place that those blocks spent
// (their undo records name them) or made mature, read from the index as
// they are now. Caller holds c.mu.
func (c *Chain) historyChangedAbove(khs []wire.KeyHash, place HistoryPlace, height uint64) ([]AddressHistoryEntryOf, error) {
	keyOf := make(map[wire.KeyHash]int, len(khs))
	for i, kh := range khs {
		if _, ok := keyOf[kh]; !ok {
			keyOf[kh] = i
		}
	}
	last := appendHistoryKey(nil, wire.KeyHash{}, place.Height, place.OutPoint)[historyOrderFrom:]
	changed := make(map[string]int) // history key -> index in khs
	for h := height + 1; h < uint64(len(c.bestChain)); h++ {
		n := c.bestChain[h]
		blk, spent, err := c.connectedBlock(n)
		if err != nil {
			return nil, err
		}
		k := 0
		for _, tx := range blk.Transactions[1:] {
			for _, in := range tx.Inputs {
				if k == len(spent) {
					return nil, corrupt("undo record of %s is too short", n.hash)
				}
				e := spent[k]
				k++
				key := appendHistoryKey(nil, e.KeyHash, e.Height, in.PrevOut)
				if i, ok := keyOf[e.KeyHash]; ok && bytes.Compare(key[historyOrderFrom:], last) <= 0 {
					changed[string(key)] = i
				}
			}
		}
	}
	if err := c.historyMaturedAbove(keyOf, last, height, changed); err != nil {
		return nil, err
	}
	keys := slices.Collect(maps.Keys(changed))
	slices.SortFunc(keys, func(a, b string) int { return strings.Compare(a[historyOrderFrom:], b[historyOrderFrom:]) })
	out := make([]AddressHistoryEntryOf, 0, len(keys))
	for _, key := range keys {
		raw, found, err := c.store.getRaw([]byte(key))
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, corrupt("address history record %x is missing", key)
		}
		e, err := decodeHistory([]byte(key), raw)
		if err != nil {
			return nil, err
		}
		out = append(out, AddressHistoryEntryOf{AddressHistoryEntry: e, Key: changed[key]})
	}
	return out, nil
}

// historyMaturedAbove adds to changed the coinbase outputs of the key
// hashes at or before last (a history key's order) that the blocks above
// height brought to CoinbaseMaturity confirmations: those created at h
// with height + 1 < h + maturity <= tip + 1. Caller holds c.mu.
func (c *Chain) historyMaturedAbove(keyOf map[wire.KeyHash]int, last []byte, height uint64, changed map[string]int) error {
	maturity, tip := c.params.CoinbaseMaturity, c.tip().height
	var lowest uint64 // the lowest h with h + maturity > height + 1
	if height+2 > maturity {
		lowest = height + 2 - maturity
	}
	for kh, i := range keyOf {
		prefix := append([]byte{prefixHistory}, kh[:]...)
		it := c.store.iteratorFrom(prefix, binary.BigEndian.AppendUint64(slices.Clip(prefix), lowest))
		for it.Next() {
			key := it.Key()
			if bytes.Compare(key[historyOrderFrom:], last) > 0 {
				break
			}
			e, err := decodeHistory(key, it.Value())
			if err != nil {
				it.Release()
				return err
			}
			if e.Height+maturity > tip+1 {
				break
			}
			if e.Coinbase {
				changed[string(key)] = i
			}
		}
		it.Release()
		if err := it.Error(); err != nil {
			return err
		}
	}
	return nil
}

// addHistoryBlocks adds to blocks the best-chain blocks e names (creating
// and spending). Caller holds c.mu.
func (c *Chain) addHistoryBlocks(blocks map[uint64]AddressBlock, e AddressHistoryEntry) {
	add := func(height uint64) {
		if _, ok := blocks[height]; !ok && height < uint64(len(c.bestChain)) {
			n := c.bestChain[height]
			blocks[height] = AddressBlock{Hash: n.hash, Time: n.header.Timestamp}
		}
	}
	add(e.Height)
	if e.Spent {
		add(e.SpentHeight)
	}
}

// mergeHistories calls visit with the entries of the histories of khs (a
// key hash given twice once) merged in order, each history from the key
// start gives for its key hash on (from its first entry when start is
// nil), until visit returns false or the entries run out. Caller holds
// c.mu.
func (c *Chain) mergeHistories(khs []wire.KeyHash, start func(wire.KeyHash) []byte, visit func(AddressHistoryEntryOf) bool) error {
	type source struct {
		it  iterator.Iterator
		key int
		ok  bool
	}
	var srcs []*source
	defer func() {
		for _, s := range srcs {
			s.it.Release()
		}
	}()
	for i, kh := range khs {
		if slices.Contains(khs[:i], kh) {
			continue
		}
		prefix := append([]byte{prefixHistory}, kh[:]...)
		var from []byte
		if start != nil {
			from = start(kh)
		}
		s := &source{it: c.store.iteratorFrom(prefix, from), key: i}
		s.ok = s.it.Next()
		srcs = append(srcs, s)
	}
	for {
		var next *source
		for _, s := range srcs {
			if s.ok && (next == nil || bytes.Compare(s.it.Key()[historyOrderFrom:], next.it.Key()[historyOrderFrom:]) < 0) {
				next = s
			}
		}
		if next == nil {
			break
		}
		e, err := decodeHistory(next.it.Key(), next.it.Value())
		if err != nil {
			return err
		}
		if !visit(AddressHistoryEntryOf{AddressHistoryEntry: e, Key: next.key}) {
			break
		}
		next.ok = next.it.Next()
	}
	for _, s := range srcs {
		if err := s.it.Error(); err != nil {
			return err
		}
	}
	return nil
}

// addressHistory is AddressHistory; caller holds c.mu.
func (c *Chain) addressHistory(kh wire.KeyHash, skip, limit int) (entries []AddressHistoryEntry, total int, err error) {
	it := c.store.iterator(append([]byte{prefixHistory}, kh[:]...))
	defer it.Release()
	for ; it.Next(); total++ {
		if total < skip || (limit > 0 && len(entries) >= limit) {
			continue
		}
		e, err := decodeHistory(it.Key(), it.Value())
		if err != nil {
			return nil, 0, err
		}
		entries = append(entries, e)
	}
	return entries, total, it.Error()
}

// TxIndexEnabled reports whether the node keeps the transaction index.
func (c *Chain) TxIndexEnabled() bool { return c.txIndex }

// FindTransaction looks txid up in the transaction index and returns the
// transaction and the best-chain block that holds it. found is false if no
// best-chain block does; the error is ErrNoTxIndex without the index.
func (c *Chain) FindTransaction(txid wire.Hash) (tx *wire.Tx, block BlockInfo, found bool, err error) {
	if !c.txIndex {
		return nil, block, false, ErrNoTxIndex
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	raw, found, err := c.store.getRaw(hashKey(prefixTx, txid))
	if err != nil || !found {
		return nil, block, false, err
	}
	if len(raw) != wire.HashSize+4 {
		return nil, block, false, corrupt("transaction index record of %s has %d bytes", txid, len(raw))
	}
	var hash wire.Hash
	copy(hash[:], raw)
	pos := binary.BigEndian.Uint32(raw[wire.HashSize:])
	n := c.index.get(hash)
	if n == nil || !c.onBestChain(n) {
		return nil, block, false, corrupt("transaction index names block %s, which is not on the best chain", hash)
	}
	blk, err := c.store.block(hash)
	if err != nil {
		return nil, block, false, err
	}
	if blk == nil || int(pos) >= len(blk.Transactions) || blk.Transactions[pos].TxID() != txid {
		return nil, block, false, corrupt("transaction index entry of %s does not match block %s", txid, hash)
	}
	return blk.Transactions[pos], c.info(n), true, nil
}
