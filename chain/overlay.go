package chain

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"
	"unsafe"

	"github.com/syndtr/goleveldb/leveldb"
)

// DefaultWriteCacheSize is how many bytes of deferred writes the chain
// holds in memory during initial sync before it writes them to LevelDB
// (Config.WriteCacheSize).
const DefaultWriteCacheSize = 64 << 20

// overlay is the chain database's write-back cache during initial sync, in
// the role of Bitcoin Core's dbcache: while the chain is not caught up,
// the batches it writes are applied to the overlay instead of LevelDB, and
// the overlay goes to LevelDB as one batch when the chain syncs (store.
// syncTip), when it outgrows its limit, and before anything iterates the
// database. Between flushes LevelDB holds the state of the last flush, a
// consistent one (every batch the chain writes leaves the database
// consistent, and a flush writes everything deferred since the last one,
// the tip record included, in one atomic batch): a crash loses at most the
// blocks connected since, which are fetched again, as a power loss loses
// unsynced writes.
//
// The gain is the writes that cancel within one window, which never reach
// LevelDB: an output created and spent between two flushes (its UTXO entry,
// and its address-index key in a chain without the history, put then
// deleted) disappears, and an address history record written unspent and
// rewritten spent becomes one put.
//
// Lock contract: mu guards entries and bytes. It is held for writing while
// a batch is applied and while a flush builds, writes and clears the
// batch (local, bounded I/O, as the chain's own lock is held across
// LevelDB writes: a reader waits for the flush rather than seeing the
// entries gone before LevelDB has them), and for reading by point reads.
// The chain changes the overlay only while holding Chain.mu for writing;
// readers that hold Chain.mu for reading may flush it (they iterate
// LevelDB), and BlockByHash reads it holding no chain lock.
type overlay struct {
	limit int // bytes; a write that finds more held flushes the overlay first

	mu      sync.RWMutex
	entries map[string]*overlayEntry // keyed by the entry's key, in the arena
	bytes   int                      // approximate memory held
	// The entries and the bytes of their keys and values are allocated in
	// blocks (slab, arena), a few objects for the collector instead of
	// three per write; a flush drops them all. Bytes in the arena are never
	// written again once handed out, so strings may alias them.
	slab  []overlayEntry
	arena []byte
}

// overlayEntry is the latest write of one key since the last flush.
type overlayEntry struct {
	key, value []byte // in the arena; value is nil for a delete
	deleted    bool
	// fresh: the key is known to be absent from LevelDB, so deleting it
	// needs no tombstone there: the entry simply goes.
	fresh bool
}

// overlayEntryOverhead approximates what one entry costs besides its key
// and value: the map's slot and the entry.
const overlayEntryOverhead = 96

// Allocation blocks: entries per slab, bytes per arena chunk; a value of
// more than a quarter chunk (a block body) gets an allocation of its own.
const (
	overlaySlabLen    = 4096
	overlayArenaChunk = 1 << 20
)

// overlayInitialEntries presizes the map (about a megabyte) for the
// first window of initial sync, which would otherwise grow it by doubling;
// later windows reuse its room.
const overlayInitialEntries = 1 << 15

func newOverlay(limit int) *overlay {
	return &overlay{limit: limit, entries: make(map[string]*overlayEntry, overlayInitialEntries)}
}

// freshWhenAbsent reports whether a put of key that finds no entry in the
// overlay writes a key LevelDB does not hold. True of the UTXO set ('u')
// and the address index ('a', one key per unspent output): a put there
// creates an output (a transaction's outputs as its block connects) or
// restores one a disconnected block had spent, and in both cases the
// output is absent from the UTXO set just before. For a new output
// because transaction ids never repeat on one chain: every coinbase
// carries its block's height (ErrBadCoinbaseHeight), so no two coinbases
// of a chain are the same transaction, and every other transaction spends
// outputs that exist once, so its id is new too (BIP30's duplicates cannot
// happen here); for a restored output because its spend came first. With
// no entry in the overlay, the UTXO set just before the put is LevelDB's,
// so LevelDB lacks the key. Every other key may exist on disk: its delete
// is kept as a tombstone.
func freshWhenAbsent(key []byte) bool {
	return len(key) > 0 && (key[0] == prefixUtxo || key[0] == prefixAddr)
}

// apply adds b's writes to the overlay, in order (the last write of a key
// wins, as in a batch); the caller has decided to defer it.
func (o *overlay) apply(b *leveldb.Batch) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = b.Replay(overlayReplay{o}) // replaying a batch built in memory cannot fail
}

// overlayReplay applies a batch's records to o; o.mu is held for writing.
type overlayReplay struct{ o *overlay }

func (r overlayReplay) Put(key, value []byte) {
	o := r.o
	o.bytes += len(key) + len(value) + overlayEntryOverhead
	if e := o.entries[string(key)]; e != nil {
		e.value, e.deleted = o.hold(value), false
		return
	}
	o.add(key, o.hold(value), false, freshWhenAbsent(key))
}

func (r overlayReplay) Delete(key []byte) {
	o := r.o
	e := o.entries[string(key)]
	switch {
	case e == nil:
		o.bytes += len(key) + overlayEntryOverhead
		o.add(key, nil, true, false)
	case e.fresh:
		delete(o.entries, unsafe.String(unsafe.SliceData(e.key), len(e.key)))
	default:
		e.value, e.deleted = nil, true
	}
}

// add adds an entry for key, which has none.
func (o *overlay) add(key, value []byte, deleted, fresh bool) {
	if len(o.slab) == cap(o.slab) {
		o.slab = make([]overlayEntry, 0, overlaySlabLen)
	}
	o.slab = append(o.slab, overlayEntry{key: o.hold(key), value: value, deleted: deleted, fresh: fresh})
	e := &o.slab[len(o.slab)-1]
	o.entries[unsafe.String(unsafe.SliceData(e.key), len(e.key))] = e
}

// hold returns a copy of b in the arena (a large b in an allocation of
// its own).
func (o *overlay) hold(b []byte) []byte {
	if len(b) > overlayArenaChunk/4 {
		return append([]byte(nil), b...)
	}
	if len(b) > cap(o.arena)-len(o.arena) {
		o.arena = make([]byte, 0, overlayArenaChunk)
	}
	n := len(o.arena)
	o.arena = append(o.arena, b...)
	return o.arena[n:len(o.arena):len(o.arena)]
}

// lookup returns the overlay's latest write of key: found is false if it
// has none (LevelDB has the answer), deleted if that write deletes it.
// The value must not be modified. A nil overlay has nothing.
func (o *overlay) lookup(key []byte) (value []byte, deleted, found bool) {
	if o == nil {
		return nil, false, false
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	e := o.entries[string(key)]
	if e == nil {
		return nil, false, false
	}
	return e.value, e.deleted, true
}

// empty reports whether the overlay holds no write; a nil one holds none.
func (o *overlay) empty() bool {
	if o == nil {
		return true
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	return len(o.entries) == 0
}

// full reports whether the overlay holds more than its limit.
func (o *overlay) full() bool {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.bytes > o.limit
}

// flush writes the overlay and then extra's records to LevelDB in one
// batch through write, and empties the overlay once the write succeeded
// (after a failure it keeps everything, and a later flush tries again).
// A nil overlay writes only extra's records, if any.
func (o *overlay) flush(extra func(*leveldb.Batch), write func(*leveldb.Batch) error) error {
	if o == nil {
		if extra == nil {
			return nil
		}
		b := new(leveldb.Batch)
		extra(b)
		return write(b)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.entries) == 0 && extra == nil {
		return nil
	}
	size := 0
	sorted := make([]*overlayEntry, 0, len(o.entries))
	for _, e := range o.entries {
		size += len(e.key) + len(e.value) + 2*binary.MaxVarintLen32 + 1 // a batch record
		sorted = append(sorted, e)
	}
	slices.SortFunc(sorted, func(a, b *overlayEntry) int { return bytes.Compare(a.key, b.key) })
	b := leveldb.MakeBatch(size)
	for _, e := range sorted {
		if e.deleted {
			b.Delete(e.key)
		} else {
			b.Put(e.key, e.value)
		}
	}
	if extra != nil {
		extra(b)
	}
	if err := write(b); err != nil {
		return err
	}
	clear(o.entries)
	o.bytes, o.slab, o.arena = 0, nil, nil
	return nil
}
