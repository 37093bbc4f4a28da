package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"powchain/internal/atomicfile"
	"powchain/proto/pb"
	"powchain/wire"
)

// Format versions of the database layout. A database written with another
// layout is refused rather than misread; the older ones are upgraded in
// place when the chain opens (format.go).
const (
	// formatVersion: the address history index, no address index; the
	// unspent outputs of a key hash are read from the history.
	formatVersion = 3
	// (Version 2, the address history and the address index 'a', which
	// repeated the history's unspent entries, is upgraded to 3.)
	//
	// formatVersionNoHistory: the address index, no address history.
	// What a chain configured without the history writes.
	formatVersionNoHistory = 1
)

// Key layout. Every key starts with a one-byte prefix. Block bodies ('b') are
// primary data; everything else but the database info is derived from them
// and can be rebuilt by a reindex.
//
//	'm'                              DatabaseInfo (network, genesis, format)
//	'r'                              empty: a reindex is under way (reindex.go)
//	't'                              ChainTip: the block the UTXO set reflects
//	'b' block hash                   Block body (protobuf)
//	'i' block hash                   BlockIndexRecord
//	'h' height (8 bytes, big-endian) block hash on the best chain
//	'u' txid, index (4 bytes, BE)    UtxoEntry
//	'd' block hash                   UndoRecord
//	'a' key hash, txid, index (BE)   empty: address index (unspent outputs),
//	                                 only in format 1 (no address history)
//	'o', 'x', 'n'                    address history and transaction index (history.go)
//
// Big-endian numbers in keys make LevelDB's byte order the numeric order, so
// iterating 'u' visits the UTXO set in (txid, index) order.
const (
	prefixBlock  = 'b'
	prefixIndex  = 'i'
	prefixHeight = 'h'
	prefixUtxo   = 'u'
	prefixUndo   = 'd'
	prefixAddr   = 'a'
)

var (
	keyDBInfo     = []byte{'m'}
	keyTip        = []byte{'t'}
	keyReindexing = []byte{'r'}
)

// ErrCorruptDatabase wraps every inconsistency found in stored data: the
// database must be repaired (reindex) or removed; it is never silently used.
var ErrCorruptDatabase = errors.New("corrupt chain database")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptDatabase, fmt.Sprintf(format, args...))
}

func hashKey(prefix byte, h wire.Hash) []byte {
	return append(append(make([]byte, 0, 1+wire.HashSize), prefix), h[:]...)
}

func heightKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixHeight}, height)
}

func outPointBytes(b []byte, op wire.OutPoint) []byte {
	b = append(b, op.TxID[:]...)
	return binary.BigEndian.AppendUint32(b, op.Index)
}

// Key sizes of the UTXO set and the address index.
const (
	utxoKeySize = 1 + wire.OutPointSize
	addrKeySize = 1 + wire.KeyHashSize + wire.OutPointSize
)

func utxoKey(op wire.OutPoint) []byte {
	return appendUtxoKey(make([]byte, 0, utxoKeySize), op)
}

func appendUtxoKey(b []byte, op wire.OutPoint) []byte {
	return outPointBytes(append(b, prefixUtxo), op)
}

func appendAddrKey(b []byte, kh wire.KeyHash, op wire.OutPoint) []byte {
	return outPointBytes(append(append(b, prefixAddr), kh[:]...), op)
}

// durableFile, in the database directory, records the tip at the last
// sync: height (8 bytes, big-endian), hash, and the first 4 bytes of the
// SHA-256 of those 40 bytes. It is rewritten in place: one 44-byte write
// at offset 0, within a disk sector, then one fsync. LevelDB ignores files
// it does not name itself.
const (
	durableFile       = "DURABLE-TIP"
	durableRecordSize = 8 + wire.HashSize + 4
)

// store is the chain's LevelDB database. It has no lock of its own: LevelDB
// is safe for concurrent use, and the Chain serialises every write
// (durable, the open durableFile, included).
type store struct {
	db       *leveldb.DB
	path     string
	inMemory bool     // no files: no durable-tip record either
	durable  *os.File // nil until the first sync
	// format is the layout the chain writes (formatVersion, or
	// formatVersionNoHistory without the address history); found is the
	// version the database had when opened, until it is upgraded.
	format, found uint32
	// beforeWrite, if set (by tests, before the chain is used), runs
	// before each write and fails it with its error: a storage failure.
	beforeWrite func(*leveldb.Batch) error
}

// openStore opens (creating if needed) the database at cfg.Path, or in
// memory, for cfg.Params' network. A database of another network or format
// is refused.
func openStore(cfg Config) (*store, error) {
	path, params := cfg.Path, cfg.Params
	o := &opt.Options{BlockCacheCapacity: 32 << 20, WriteBuffer: cfg.WriteBufferSize,
		// goleveldb writes a batch larger than its write buffer (a large
		// block's connect batch; most batches of a simulated node, whose
		// buffer is 16 KiB) through a transaction straight into tables,
		// where the records of one batch share a sequence number: a key
		// deleted and then put again in the same batch reads as deleted
		// (TestPropertyStoreMatchesMap finds it at once without this).
		// Through the journal, as every other batch, records keep their
		// order.
		DisableLargeBatchTransaction: true}
	var db *leveldb.DB
	var err error
	if cfg.InMemory {
		path = "(in memory)"
		// LevelDB's buffer pool keeps each database's spent block and
		// table-writer buffers (a table writer's is 2 MiB) for reuse: a
		// few megabytes pinned per database, which a process holding
		// hundreds of them (a simulation) cannot afford. Without it the
		// buffers are allocated per use and collected.
		o.DisableBufferPool = true
		// A small block cache: it holds a second, decoded copy of tables
		// that are already in memory, worth it only for the hottest blocks.
		o.BlockCacheCapacity = 128 << 10
		// A table compaction allocates a table's size up front for the
		// writer (2 MiB by default), though a database of one simulated
		// node holds a few hundred kilobytes: smaller tables allocate less.
		o.CompactionTableSize = 64 << 10
		// Each table in a buffer of its size (memstorage.go), not in one
		// that doubled past it.
		db, err = leveldb.Open(newTableSizedMemStorage(), o)
	} else {
		db, err = leveldb.OpenFile(path, o)
	}
	if err != nil {
		if lerrors.IsCorrupted(err) {
			return nil, fmt.Errorf("%w at %s: %v (move it away and resync, or restore a backup)", ErrCorruptDatabase, path, err)
		}
		return nil, fmt.Errorf("open chain database %s: %w", path, err)
	}
	s := &store{db: db, path: path, inMemory: cfg.InMemory, format: formatVersion, beforeWrite: cfg.beforeWrite}
	if cfg.noAddressHistory {
		s.format = formatVersionNoHistory
	}
	if err := s.checkInfo(params); err != nil {
		db.Close()
		return nil, fmt.Errorf("chain database %s: %w", path, err)
	}
	return s, nil
}

// checkInfo verifies the database belongs to params' network and has our
// layout, writing the info record into an empty database.
func (s *store) checkInfo(params *Params) error {
	raw, err := s.db.Get(keyDBInfo, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		if !s.isEmpty() {
			return corrupt("database has data but no info record")
		}
		b := new(leveldb.Batch)
		s.putInfo(b, params)
		s.found = s.format
		return s.write(b)
	}
	if err != nil {
		return err
	}
	var info pb.DatabaseInfo
	if err := proto.Unmarshal(raw, &info); err != nil {
		return corrupt("info record: %v", err)
	}
	if info.Network != params.Name || !bytes.Equal(info.GenesisHash, params.GenesisHash[:]) {
		return fmt.Errorf("database belongs to network %q (genesis %x), not %q", info.Network, info.GenesisHash, params.Name)
	}
	s.found = info.FormatVersion
	return s.checkFormat()
}

// putInfo records params' network and the format version the chain writes.
func (s *store) putInfo(b *leveldb.Batch, params *Params) {
	b.Put(keyDBInfo, mustMarshal(&pb.DatabaseInfo{Network: params.Name, GenesisHash: params.GenesisHash[:], FormatVersion: s.format}))
}

// indexFlags returns the 'n' record: which optional indexes are complete.
func (s *store) indexFlags() (byte, error) {
	raw, err := s.db.Get(keyIndexFlags, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(raw) != 1 {
		return 0, corrupt("index flags record has %d bytes", len(raw))
	}
	return raw[0], nil
}

func (s *store) putIndexFlags(b *leveldb.Batch, flags byte) {
	b.Put(keyIndexFlags, []byte{flags})
}

func (s *store) isEmpty() bool {
	it := s.db.NewIterator(nil, nil)
	defer it.Release()
	return !it.Next()
}

func (s *store) close() error {
	var err error
	if s.durable != nil {
		err = s.durable.Close()
	}
	return errors.Join(err, s.db.Close())
}

// iterator returns an iterator over the keys with prefix.
func (s *store) iterator(prefix []byte) iterator.Iterator {
	return s.db.NewIterator(util.BytesPrefix(prefix), nil)
}

// iteratorFrom returns an iterator over the keys with prefix from key from
// on (all of them if from is nil).
func (s *store) iteratorFrom(prefix, from []byte) iterator.Iterator {
	r := util.BytesPrefix(prefix)
	if from != nil {
		r.Start = from
	}
	return s.db.NewIterator(r, nil)
}

// mustMarshal marshals a message built by this package; failure would be a
// programming error (protobuf cannot fail on valid Go values).
func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", m, err))
	}
	return b
}

// get reads key into m; found is false if the key is absent.
func (s *store) get(key []byte, m proto.Message) (found bool, err error) {
	return s.getWith(key, func(raw []byte) error { return proto.Unmarshal(raw, m) })
}

// getWith reads key's value and hands it to decode; found is false if the
// key is absent. A value that does not decode is corruption.
func (s *store) getWith(key []byte, decode func(raw []byte) error) (found bool, err error) {
	raw, found, err := s.getRaw(key)
	if err != nil || !found {
		return false, err
	}
	if err := decode(raw); err != nil {
		return false, corrupt("record %x: %v", key, err)
	}
	return true, nil
}

// getRaw reads key's value; found is false if the key is absent.
func (s *store) getRaw(key []byte) (raw []byte, found bool, err error) {
	raw, err = s.db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, false, nil
	}
	return raw, err == nil, err
}

// ---- blocks ----

func (s *store) putBlock(b *leveldb.Batch, blk *wire.Block) {
	b.Put(hashKey(prefixBlock, blk.BlockHash()), wire.MarshalBlock(blk))
}

// blockBytes returns the stored encoding of block hash, a pb.Block; nil
// if absent.
func (s *store) blockBytes(hash wire.Hash) ([]byte, error) {
	raw, _, err := s.getRaw(hashKey(prefixBlock, hash))
	return raw, err
}

// block returns the stored body of hash; nil if absent.
func (s *store) block(hash wire.Hash) (*wire.Block, error) {
	raw, found, err := s.getRaw(hashKey(prefixBlock, hash))
	if err != nil || !found {
		return nil, err
	}
	blk, err := wire.UnmarshalBlock(raw)
	if err != nil {
		return nil, corrupt("block %s: %v", hash, err)
	}
	if blk.BlockHash() != hash {
		return nil, corrupt("block stored under %s hashes to %s", hash, blk.BlockHash())
	}
	return blk, nil
}

// ---- block index ----

func (s *store) putIndex(b *leveldb.Batch, n *blockNode) {
	s.putIndexStatus(b, n, n.status)
}

// putIndexStatus records n with status st (the status n will have once
// the batch is written).
func (s *store) putIndexStatus(b *leveldb.Batch, n *blockNode, st blockStatus) {
	rec := &pb.BlockIndexRecord{
		Header:   wire.HeaderToProto(&n.header),
		Height:   n.height,
		Status:   uint32(st),
		Sequence: n.sequence,
		TxCount:  n.txCount,
	}
	b.Put(hashKey(prefixIndex, n.hash), mustMarshal(rec))
}

// indexRecord is a decoded block index entry.
type indexRecord struct {
	header   wire.BlockHeader
	height   uint64
	status   blockStatus
	sequence uint64
	txCount  uint32
}

// loadIndex returns every index record.
func (s *store) loadIndex() ([]indexRecord, error) {
	it := s.iterator([]byte{prefixIndex})
	defer it.Release()
	var recs []indexRecord
	for it.Next() {
		var m pb.BlockIndexRecord
		if err := proto.Unmarshal(it.Value(), &m); err != nil {
			return nil, corrupt("index record %x: %v", it.Key(), err)
		}
		h, err := wire.HeaderFromProto(m.GetHeader())
		if err != nil {
			return nil, corrupt("index record %x: %v", it.Key(), err)
		}
		if !bytes.Equal(it.Key()[1:], hashOf(&h)) {
			return nil, corrupt("index record %x holds header %s", it.Key(), h.BlockHash())
		}
		recs = append(recs, indexRecord{header: h, height: m.GetHeight(), status: blockStatus(m.GetStatus()), sequence: m.GetSequence(), txCount: m.GetTxCount()})
	}
	return recs, it.Error()
}

func hashOf(h *wire.BlockHeader) []byte {
	id := h.BlockHash()
	return id[:]
}

// ---- tip and best-chain heights ----

func (s *store) putTip(b *leveldb.Batch, n *blockNode) {
	b.Put(keyTip, mustMarshal(&pb.ChainTip{Hash: n.hash[:], Height: n.height}))
	b.Put(heightKey(n.height), n.hash[:])
}

// tip returns the hash in the tip record; found is false in a new database.
func (s *store) tip() (hash wire.Hash, found bool, err error) {
	var m pb.ChainTip
	if found, err = s.get(keyTip, &m); err != nil || !found {
		return hash, found, err
	}
	if len(m.GetHash()) != wire.HashSize {
		return hash, false, corrupt("tip record has a %d-byte hash", len(m.GetHash()))
	}
	copy(hash[:], m.GetHash())
	return hash, true, nil
}

// ---- UTXO set and address index ----

// UtxoEntry is an unspent output and what spending it needs to know.
type UtxoEntry struct {
	Amount   uint64
	KeyHash  wire.KeyHash
	Height   uint64 // height of the block that created the output
	Coinbase bool   // created by a coinbase (subject to maturity)
}

func utxoEntryFromProto(m *pb.UtxoEntry) (UtxoEntry, error) {
	return utxoFields{m.GetAmount(), m.GetKeyHash(), m.GetHeight(), m.GetCoinbase()}.entry()
}

// utxoFields are the fields of a pb.UtxoEntry.
type utxoFields struct {
	amount   uint64
	keyHash  []byte
	height   uint64
	coinbase bool
}

func (f utxoFields) entry() (UtxoEntry, error) {
	e := UtxoEntry{Amount: f.amount, Height: f.height, Coinbase: f.coinbase}
	if len(f.keyHash) != wire.KeyHashSize {
		return e, corrupt("utxo entry has a %d-byte key hash", len(f.keyHash))
	}
	copy(e.KeyHash[:], f.keyHash)
	return e, nil
}

// decodeUtxoFields reads the encoding of a pb.UtxoEntry as proto.Unmarshal
// reads it (the last occurrence of a field wins; unknown fields, and known
// ones in another wire type, are skipped) without building the message:
// the UTXO read is on the path of every admission and every block.
// FuzzDecodeUtxoFields checks it against proto.Unmarshal.
func decodeUtxoFields(raw []byte) (f utxoFields, err error) {
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return f, protowire.ParseError(n)
		}
		if num > protowire.MaxValidNumber { // ConsumeTag allows up to MaxInt32; proto.Unmarshal does not
			return f, fmt.Errorf("field number %d out of range", num)
		}
		raw = raw[n:]
		switch {
		case typ == protowire.VarintType && (num == 1 || num == 3 || num == 4):
			var v uint64
			if v, n = protowire.ConsumeVarint(raw); n >= 0 {
				switch num {
				case 1:
					f.amount = v
				case 3:
					f.height = v
				default:
					f.coinbase = protowire.DecodeBool(v)
				}
			}
		case typ == protowire.BytesType && num == 2:
			f.keyHash, n = protowire.ConsumeBytes(raw)
		default:
			n = protowire.ConsumeFieldValue(num, typ, raw)
		}
		if n < 0 {
			return f, protowire.ParseError(n)
		}
		raw = raw[n:]
	}
	return f, nil
}

// utxo returns the unspent output at op, or nil.
func (s *store) utxo(op wire.OutPoint) (*UtxoEntry, error) {
	var f utxoFields
	found, err := s.getWith(utxoKey(op), func(raw []byte) (err error) {
		f, err = decodeUtxoFields(raw)
		return err
	})
	if err != nil || !found {
		return nil, err
	}
	e, err := f.entry()
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// putUtxo and deleteUtxo run for every output a block creates or spends:
// they build keys and values in buffers on the stack (Put and Delete copy
// them into the batch). The address index follows the UTXO set only in
// format 1; in format 3 the history has the same answers.
func (s *store) putUtxo(b *leveldb.Batch, op wire.OutPoint, e *UtxoEntry) {
	var key [addrKeySize]byte
	var val [maxUtxoEntrySize]byte
	b.Put(appendUtxoKey(key[:0], op), appendUtxoEntry(val[:0], e))
	if s.format == formatVersionNoHistory {
		b.Put(appendAddrKey(key[:0], e.KeyHash, op), nil)
	}
}

func (s *store) deleteUtxo(b *leveldb.Batch, op wire.OutPoint, kh wire.KeyHash) {
	var key [addrKeySize]byte
	b.Delete(appendUtxoKey(key[:0], op))
	if s.format == formatVersionNoHistory {
		b.Delete(appendAddrKey(key[:0], kh, op))
	}
}

// ---- undo records ----

func (s *store) putUndo(b *leveldb.Batch, hash wire.Hash, spent []UtxoEntry) {
	b.Put(hashKey(prefixUndo, hash), encodeUndo(spent))
}

// maxUtxoEntrySize bounds appendUtxoEntry's output: four tags, two 10-byte
// varints, a length byte and the key hash, and a bool.
const maxUtxoEntrySize = 4 + 10 + 1 + wire.KeyHashSize + 10 + 1

// appendUtxoEntry appends the encoding proto.Marshal gives e as a pb.UtxoEntry:
// fields in number order, zero scalars left out (proto3). It is written
// by hand because it runs for every output a block creates and every one
// it spends; TestUtxoEncodingMatchesProto checks it against proto.Marshal.
func appendUtxoEntry(b []byte, e *UtxoEntry) []byte {
	if e.Amount != 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, e.Amount)
	}
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, e.KeyHash[:])
	if e.Height != 0 {
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, e.Height)
	}
	if e.Coinbase {
		b = protowire.AppendTag(b, 4, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeBool(true))
	}
	return b
}

// UtxoRecordSize is the number of bytes of the UTXO set's database record
// of an output whose entry is e: its key (a prefix byte and the outpoint,
// 37 bytes) and its value (e's encoding: amount, key hash, height and
// coinbase flag, 22 to 46 bytes), before LevelDB's compression.
// getblockstats' utxo_size_inc counts the set's growth in these.
func UtxoRecordSize(e UtxoEntry) int {
	var val [maxUtxoEntrySize]byte
	return utxoKeySize + len(appendUtxoEntry(val[:0], &e))
}

// encodeUndo returns the encoding proto.Marshal gives a pb.UndoRecord of
// spent: each entry as field 1, length-delimited, in order.
func encodeUndo(spent []UtxoEntry) []byte {
	out := make([]byte, 0, len(spent)*(2+maxUtxoEntrySize))
	var buf [maxUtxoEntrySize]byte
	for i := range spent {
		out = protowire.AppendTag(out, 1, protowire.BytesType)
		out = protowire.AppendBytes(out, appendUtxoEntry(buf[:0], &spent[i]))
	}
	return out
}

func (s *store) undo(hash wire.Hash) ([]UtxoEntry, error) {
	var m pb.UndoRecord
	found, err := s.get(hashKey(prefixUndo, hash), &m)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, corrupt("no undo record for connected block %s", hash)
	}
	spent := make([]UtxoEntry, len(m.GetSpent()))
	for i, e := range m.GetSpent() {
		if spent[i], err = utxoEntryFromProto(e); err != nil {
			return nil, err
		}
	}
	return spent, nil
}

// write commits a batch. Batches are atomic in LevelDB's journal, so a crash
// (even kill -9) leaves either all of a batch or none of it. A write is not
// synced by itself: syncTip makes everything written before it durable
// (the chain's sync policy decides when), so after a power loss only blocks
// since the last sync may be gone, the database is still consistent, and
// they are simply fetched again.
func (s *store) write(b *leveldb.Batch) error {
	if s.beforeWrite != nil {
		if err := s.beforeWrite(b); err != nil {
			return fmt.Errorf("write chain database: %w", err)
		}
	}
	if err := s.db.Write(b, nil); err != nil {
		return fmt.Errorf("write chain database: %w", err)
	}
	return nil
}

// syncTip makes every write so far durable, with a synced write of n's tip
// record (syncing LevelDB's journal syncs all that came before it), then
// records n as the durable tip in durableFile.
func (s *store) syncTip(n *blockNode) error {
	b := new(leveldb.Batch)
	s.putTip(b, n)
	if err := s.db.Write(b, &opt.WriteOptions{Sync: true}); err != nil {
		return fmt.Errorf("sync chain database: %w", err)
	}
	if err := s.recordDurable(n); err != nil {
		return fmt.Errorf("record durable tip: %w", err)
	}
	return nil
}

// recordDurable writes n into durableFile and syncs it, creating the file
// (and syncing the directory) the first time.
func (s *store) recordDurable(n *blockNode) error {
	if s.durable == nil {
		f, err := os.OpenFile(filepath.Join(s.path, durableFile), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		if err := atomicfile.SyncDir(s.path); err != nil {
			f.Close()
			return err
		}
		s.durable = f
	}
	rec := binary.BigEndian.AppendUint64(make([]byte, 0, durableRecordSize), n.height)
	rec = append(rec, n.hash[:]...)
	sum := sha256.Sum256(rec)
	rec = append(rec, sum[:4]...)
	if _, err := s.durable.WriteAt(rec, 0); err != nil {
		return err
	}
	return s.durable.Sync()
}

// durableTip reads the tip recorded by the last syncTip; found is false if
// there was none (a new database, or one from before durable records) or
// if its checksum fails (a write torn by a crash: the database itself is
// consistent, only the comparison is lost).
func (s *store) durableTip() (hash wire.Hash, height uint64, found bool, err error) {
	if s.inMemory {
		return hash, 0, false, nil
	}
	raw, err := os.ReadFile(filepath.Join(s.path, durableFile))
	if errors.Is(err, fs.ErrNotExist) {
		return hash, 0, false, nil
	}
	if err != nil {
		return hash, 0, false, fmt.Errorf("read durable tip: %w", err)
	}
	if len(raw) != durableRecordSize {
		return hash, 0, false, nil
	}
	sum := sha256.Sum256(raw[:durableRecordSize-4])
	if !bytes.Equal(sum[:4], raw[durableRecordSize-4:]) {
		return hash, 0, false, nil
	}
	copy(hash[:], raw[8:8+wire.HashSize])
	return hash, binary.BigEndian.Uint64(raw), true, nil
}
