package chain

import (
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syndtr/goleveldb/leveldb"

	"powchain/wire"
)

// Config configures a Chain.
type Config struct {
	// Params are the network's parameters (required).
	Params *Params
	// Path is the directory of the LevelDB database (required unless
	// InMemory).
	Path string
	// InMemory keeps the database in memory (LevelDB's memory storage)
	// instead of at Path: nothing survives Close, and syncs and the
	// durable-tip record are skipped, since there is no disk to make
	// anything durable on. For simulations of many nodes and for tests,
	// so it is also sized for hundreds of databases in one process: no
	// LevelDB buffer pool, a 128 KiB block cache, 64 KiB tables, each
	// held in a buffer of its own size.
	InMemory bool
	// WriteBufferSize is LevelDB's write buffer, in bytes: how much is
	// written before it is turned into a sorted table (default 4 MiB, as
	// LevelDB's). Each database holds one buffer and allocates it whole,
	// so a process with many chains (a simulation) wants it small; a block
	// larger than the buffer is still written in one batch.
	WriteBufferSize int
	// Clock tells the time for the future-timestamp rule and orphan expiry
	// (required: the chain never reads the wall clock itself).
	Clock Clock
	// MaxOrphans bounds the orphan pool's count (default
	// DefaultMaxOrphans).
	MaxOrphans int
	// MaxOrphanBytes bounds the orphan pool's total canonical encoding
	// (default DefaultMaxOrphanBytes; a value below wire.MaxBlockSize is
	// raised to it, so any valid block fits).
	MaxOrphanBytes int
	// OrphanTTL is how long an orphan waits for its parent (default
	// DefaultOrphanTTL).
	OrphanTTL time.Duration
	// SigWorkers is how many goroutines verify a block's signatures
	// (default GOMAXPROCS).
	SigWorkers int
	// SigCache, if set, holds transactions whose signatures were already
	// verified (by the mempool, or by pre-verification); connecting a
	// block skips them.
	SigCache *SigCache
	// PreverifyBlocks is how many downloaded blocks may wait for their
	// signatures to be checked ahead of connection (Preverify; default
	// DefaultPreverifyBlocks, negative: none). It needs SigCache.
	PreverifyBlocks int
	// ConnectTimer, if set, hears how long each block took to connect to
	// the best chain (rules against the UTXO set, signatures, the write),
	// measured with Clock. It runs under the chain's lock: it must return
	// quickly and must not call the chain.
	ConnectTimer func(time.Duration)
	// SyncInterval bounds how long, during initial sync, connected blocks
	// stay unsynced (default DefaultSyncInterval). Once caught up, every
	// new tip is synced before it is announced.
	SyncInterval time.Duration
	// ReindexProgress, if set, hears after each block Reindex (or Open,
	// finishing a reindex that stopped midway) processes how many of the
	// stored blocks it has processed (progress display).
	ReindexProgress func(done, total int)
	// FormatUpgrade, if set, hears that the database, written in an older
	// format (found), is about to be upgraded in place to the current one
	// (to) as the chain opens (format.go), which can take minutes on a
	// large database.
	FormatUpgrade func(found, to uint32)
	// TxIndex keeps the transaction index (txid -> block), like Bitcoin
	// Core's -txindex. Turning it on for an existing database builds the
	// index when the chain opens; turning it off deletes it.
	TxIndex bool

	// noAddressHistory leaves the address history index out and keeps the
	// address index instead (format 1). Only tests and the benchmarks
	// that measure the indexes' cost set it (export_test.go): a node
	// always keeps the history.
	noAddressHistory bool
	// beforeWrite, if set (by tests, export_test.go), becomes the store's
	// beforeWrite from the moment it opens: storage failures while the
	// chain opens (an interrupted upgrade).
	beforeWrite func(*leveldb.Batch) error
}

// Chain is the validated block chain: a block index of every accepted
// header, the best chain (most cumulative work among fully valid chains,
// first seen on ties) and the UTXO set at its tip.
//
// Lock contract: mu guards the fields from store to lost. Queries hold it
// for reading; changes (ProcessBlock, ProcessHeaders, InvalidateBlock,
// ReconsiderBlock, Sync) hold it for writing. It is held across LevelDB
// reads and writes and the syncs of the sync policy (local, bounded I/O:
// a query waits for a sync, so once caught up no one sees a tip before it
// is durable), and never across network I/O or a subscriber's callback.
// outboxMu guards outbox and is held only to move notifications in or out
// (taken under mu or under notifyMu). notifyMu is held while notifications
// are delivered and is never requested while mu is held, so a subscriber
// may query the chain. subsMu guards subscribers.
type Chain struct {
	params     *Params
	clock      Clock
	sigWorkers int
	sigCache   *SigCache
	// preverify checks downloaded blocks' signatures ahead of connection
	// (nil without a SigCache); it has its own lock.
	preverify *preverifier
	// sigChecks counts the transactions whose signatures the chain
	// checked, ahead of connection or while connecting (tests read it).
	sigChecks atomic.Uint64
	// connectTimer is Config.ConnectTimer (may be nil); read-only.
	connectTimer func(time.Duration)
	// reindexProgress is Config.ReindexProgress (may be nil); read-only.
	reindexProgress func(done, total int)
	// formatUpgrade is Config.FormatUpgrade (may be nil); read-only.
	formatUpgrade func(found, to uint32)
	txIndex       bool
	noHistory     bool

	mu           sync.RWMutex
	store        *store
	index        blockIndex
	bestChain    []*blockNode // bestChain[h] is the best chain's block at height h
	bestHeader   *blockNode   // most-work header not known to be invalid
	headerChain  []*blockNode // headerChain[h] is the best header's ancestor at height h
	candidates   map[*blockNode]struct{}
	nextSequence uint64
	orphans      *orphanPool
	// accepted keeps the last few blocks stored and not yet connected,
	// decoded, for connecting them without a read (accepted.go);
	// bodyReads counts the bodies connecting had to read from the store
	// instead (tests read it).
	accepted  acceptedBlocks
	bodyReads uint64
	// writing is the connect batch being written while the next block is
	// checked; only within activateBestChain, which waits for it before
	// it returns (connect.go), so it is nil whenever mu is free.
	writing *connectWrite
	// spare is a connect batch already written (or dropped), for the next
	// block to build its own in (connect.go): a full block's batch is a
	// megabyte or more, which a fresh allocation pays for again in page
	// faults and clearing. An activation that ends caught up lets it go
	// (activateBestChain), so a caught-up chain, one of a simulation's
	// thousand, keeps none between blocks minutes apart.
	spare     *leveldb.Batch
	notifying bool // queue notifications (false while opening)
	pending   []Notification
	// Durability (durable.go): when the tip was last synced, whether it
	// changed since, and what opening found lost. noSync turns syncing off:
	// for a database in memory (nothing to sync to), and in benchmarks
	// that measure what the sync policy costs.
	syncInterval time.Duration
	lastSync     time.Time
	unsynced     bool
	noSync       bool
	lost         *LostBlocks

	outboxMu sync.Mutex
	outbox   []Notification // changes' notifications, in order, awaiting delivery

	notifyMu sync.Mutex

	subsMu      sync.Mutex
	subscribers []func(Notification)
}

// Open opens the chain database at cfg.Path, creating it with the genesis
// block if it is new, loads the block index and resumes any interrupted
// reorganisation (InvalidateBlock's included: a tip left on a branch it
// marked invalid is disconnected); a reindex that did not finish is run
// again (Reindex).
func Open(cfg Config) (*Chain, error) {
	return open(cfg, "chain database", (*Chain).load)
}

// open opens the store and builds the chain's state with build.
func open(cfg Config, what string, build func(*Chain) error) (*Chain, error) {
	if cfg.Params == nil || cfg.Clock == nil || cfg.Path == "" && !cfg.InMemory {
		return nil, errors.New("chain: Config needs Params, Clock and Path (or InMemory)")
	}
	st, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	c := newChain(cfg, st)
	if err := build(c); err != nil {
		st.close()
		return nil, fmt.Errorf("%s %s: %w", what, cfg.Path, err)
	}
	if err := c.checkDurable(); err != nil {
		st.close()
		return nil, fmt.Errorf("%s %s: %w", what, cfg.Path, err)
	}
	c.notifying = true
	return c, nil
}

func newChain(cfg Config, st *store) *Chain {
	maxOrphans, maxOrphanBytes, ttl := cfg.MaxOrphans, cfg.MaxOrphanBytes, cfg.OrphanTTL
	if maxOrphans <= 0 {
		maxOrphans = DefaultMaxOrphans
	}
	if maxOrphanBytes <= 0 {
		maxOrphanBytes = DefaultMaxOrphanBytes
	}
	if ttl <= 0 {
		ttl = DefaultOrphanTTL
	}
	syncInterval := cfg.SyncInterval
	if syncInterval <= 0 {
		syncInterval = DefaultSyncInterval
	}
	c := &Chain{
		params:     cfg.Params,
		clock:      cfg.Clock,
		sigWorkers: cfg.SigWorkers,
		sigCache:   cfg.SigCache,
		txIndex:    cfg.TxIndex,
		noHistory:  cfg.noAddressHistory,
		noSync:     cfg.InMemory,
		store:      st,

		connectTimer:    cfg.ConnectTimer,
		reindexProgress: cfg.ReindexProgress,
		formatUpgrade:   cfg.FormatUpgrade,
		index:           newBlockIndex(),
		candidates:      make(map[*blockNode]struct{}),
		orphans:         newOrphanPool(maxOrphans, maxOrphanBytes, ttl),

		syncInterval: syncInterval,
		lastSync:     cfg.Clock.Now(),
	}
	if cfg.SigCache != nil && cfg.PreverifyBlocks >= 0 {
		blocks := cfg.PreverifyBlocks
		if blocks == 0 {
			blocks = DefaultPreverifyBlocks
		}
		workers := cfg.SigWorkers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		c.preverify = newPreverifier(cfg.SigCache, &c.sigChecks, blocks, workers)
	}
	return c
}

// Close syncs and closes the database. The chain must not be used
// afterwards.
func (c *Chain) Close() error {
	if c.preverify != nil {
		c.preverify.close()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var syncErr error
	if c.unsynced {
		syncErr = c.syncNow()
	}
	return errors.Join(syncErr, c.store.close())
}

// Params returns the chain's network parameters.
func (c *Chain) Params() *Params { return c.params }

// load builds the in-memory state from the store.
func (c *Chain) load() error {
	interrupted, err := c.store.reindexing()
	if err != nil {
		return err
	}
	if interrupted {
		return c.reindex() // the derived state is partly deleted
	}
	recs, err := c.store.loadIndex()
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return c.initGenesis()
	}
	if err := c.buildIndex(recs); err != nil {
		return err
	}
	if err := c.fillTxCounts(); err != nil {
		return err
	}
	c.countChainTxs()
	tipHash, found, err := c.store.tip()
	if err != nil {
		return err
	}
	tip := c.index.get(tipHash)
	if !found || tip == nil {
		return corrupt("tip %s is not in the block index", tipHash)
	}
	c.bestChain = make([]*blockNode, tip.height+1)
	for n := tip; n != nil; n = n.parent {
		c.bestChain[n.height] = n
	}
	c.announceUpgrade()
	if err := c.catchUpIndexes(); err != nil {
		return err
	}
	if err := c.dropAddrIndex(); err != nil {
		return err
	}
	// An InvalidateBlock that stopped after marking the tip's branch
	// invalid: take the chain off it, as it would have.
	for c.tip().status.knownInvalid() {
		if err := c.disconnectTip(); err != nil {
			return err
		}
	}
	c.resetCandidates()
	_, _, err = c.activateBestChain()
	return err
}

// buildIndex links the index records into block nodes, parents first.
func (c *Chain) buildIndex(recs []indexRecord) error {
	sort.Slice(recs, func(i, j int) bool { return recs[i].height < recs[j].height })
	for i := range recs {
		r := &recs[i]
		var parent *blockNode
		if r.height > 0 {
			if parent = c.index.get(r.header.PrevBlock); parent == nil || parent.height+1 != r.height {
				return corrupt("index record at height %d has no parent %s", r.height, r.header.PrevBlock)
			}
		} else if r.header.BlockHash() != c.params.GenesisHash {
			return corrupt("index record at height 0 is not the genesis block")
		}
		n := newBlockNode(&r.header, parent)
		n.status, n.sequence, n.txCount = r.status, r.sequence, r.txCount
		c.index.put(n)
		c.nextSequence = max(c.nextSequence, n.sequence+1)
		if !n.status.knownInvalid() && (c.bestHeader == nil || n.betterThan(c.bestHeader)) {
			c.setBestHeader(n)
		}
	}
	return nil
}

// fillTxCounts gives every block whose body is stored its transaction
// count, read from the body, where the block's index record has none:
// records written by builds from before the count was recorded (or by
// one of them run on the database since). The counts are written back,
// so a database pays for the reads once; one where every stored block has
// its count costs a walk over the index in memory. A record whose body is
// missing keeps 0. Caller owns the chain (opening).
func (c *Chain) fillTxCounts() error {
	b := new(leveldb.Batch)
	for n := range c.index.all() {
		if n.status&statusDataStored == 0 || n.txCount != 0 {
			continue
		}
		blk, err := c.store.block(n.hash)
		if err != nil {
			return err
		}
		if blk == nil {
			continue
		}
		n.txCount = uint32(len(blk.Transactions))
		c.store.putIndex(b, n)
		if b.Len() >= deleteBatchKeys {
			if err := c.store.write(b); err != nil {
				return err
			}
			b.Reset()
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return c.store.write(b)
}

// countChainTxs sets every block's chainTxCount, parents first, once the
// index is built and every stored block has its transaction count
// (fillTxCounts): a walk over the index in memory. Caller owns the chain
// (opening).
func (c *Chain) countChainTxs() {
	genesis := c.index.get(c.params.GenesisHash)
	genesis.countChainTxs()
	genesis.descendants((*blockNode).countChainTxs)
}

// initGenesis writes the genesis block into an empty database and connects
// it: its outputs enter the UTXO set like any block's.
func (c *Chain) initGenesis() error {
	g := c.params.GenesisBlock
	n := newBlockNode(&g.Header, nil)
	n.status = statusDataStored | statusValid
	n.txCount = uint32(len(g.Transactions))
	n.countChainTxs()
	c.nextSequence = 1
	view := newUtxoView(c.store, blockViewSize(g))
	txids := g.TxIDs()
	for i, tx := range g.Transactions {
		view.addOutputs(tx, txids[i], 0)
	}
	b := new(leveldb.Batch)
	c.store.putBlock(b, g)
	view.commit(b)
	c.store.putUndo(b, n.hash, nil)
	c.store.putInfo(b, c.params)
	c.store.putIndexFlags(b, c.indexFlags())
	if err := c.indexBlock(b, g, txids, n.hash, 0, nil, c.indexes()); err != nil {
		return err
	}
	c.store.putIndex(b, n)
	c.store.putTip(b, n)
	if err := c.store.write(b); err != nil {
		return err
	}
	c.index.put(n)
	c.bestChain = []*blockNode{n}
	c.setBestHeader(n)
	c.candidates[n] = struct{}{}
	return nil
}

// setBestHeader makes n the best header and updates headerChain, touching
// only the heights where the new header chain differs from the old one;
// caller holds c.mu.
func (c *Chain) setBestHeader(n *blockNode) {
	c.bestHeader = n
	if uint64(len(c.headerChain)) > n.height+1 {
		c.headerChain = c.headerChain[:n.height+1]
	}
	for uint64(len(c.headerChain)) < n.height+1 {
		c.headerChain = append(c.headerChain, nil)
	}
	for it := n; it != nil && c.headerChain[it.height] != it; it = it.parent {
		c.headerChain[it.height] = it
	}
}

// tip returns the best chain's last block; caller holds c.mu.
func (c *Chain) tip() *blockNode { return c.bestChain[len(c.bestChain)-1] }

// onBestChain reports whether n is on the best chain; caller holds c.mu.
func (c *Chain) onBestChain(n *blockNode) bool {
	return n.height < uint64(len(c.bestChain)) && c.bestChain[n.height] == n
}

// BlockInfo describes one block of the index.
type BlockInfo struct {
	Hash       wire.Hash
	Height     uint64
	Header     wire.BlockHeader
	ChainWork  *big.Int // total work of the chain ending here
	MedianTime int64    // median time past of the chain ending here
	AnchorTime int64    // timestamp of block 1 of the chain ending here (0 for genesis): the difficulty anchor
	HaveData   bool     // the body is stored
	TxCount    int      // the block's transactions; 0 while the body is not stored (getblockheader's nTx)
	// ChainTxCount is the number of transactions of the chain ending here,
	// this block's included; 0 unless this block and all its ancestors
	// have their bodies stored (Bitcoin Core's nChainTx; getchaintxstats'
	// txcount). Every best-chain block has it.
	ChainTxCount uint64
	Valid        bool // connected at least once: every rule passed
	Invalid      bool // known to break a rule (itself or an ancestor)
	MainChain    bool // on the best chain
}

func (c *Chain) info(n *blockNode) BlockInfo {
	return BlockInfo{
		Hash:         n.hash,
		Height:       n.height,
		Header:       n.header,
		ChainWork:    n.workSum.toBig(),
		MedianTime:   n.medianTimePast(),
		AnchorTime:   n.anchorTime,
		HaveData:     n.status&statusDataStored != 0,
		TxCount:      int(n.txCount),
		ChainTxCount: n.chainTxCount,
		Valid:        n.status&statusValid != 0,
		Invalid:      n.status.knownInvalid(),
		MainChain:    c.onBestChain(n),
	}
}

// Tip describes the last block of the best chain.
func (c *Chain) Tip() BlockInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.info(c.tip())
}

// TipHeight is the height of the last block of the best chain: Tip's
// Height, without the rest of Tip's description.
func (c *Chain) TipHeight() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tip().height
}

// BestHeader describes the most-work header not known to be invalid; during
// headers-first sync it is ahead of Tip.
func (c *Chain) BestHeader() BlockInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.info(c.bestHeader)
}

// Heights are the heights of Tip and BestHeader read together, under one
// lock, so they describe the same moment (a block connected between two
// reads would show the tip above the best header).
func (c *Chain) Heights() (tip, bestHeader uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tip().height, c.bestHeader.height
}

// BlockInfoByHash describes a block of the index; ok is false if unknown.
func (c *Chain) BlockInfoByHash(hash wire.Hash) (info BlockInfo, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index.get(hash)
	if n == nil {
		return info, false
	}
	return c.info(n), true
}

// BlockAndAncestor describes, as of one moment (under one lock), the block
// hash, or the tip when hash is nil, and its ancestor below(end) blocks
// below it, where end describes the block: below sees the block and says
// how far down to go, or fails, and its error is returned as it is (ok
// true). ok is false when hash is unknown. below runs under the chain's
// lock, so it must not call the chain. A best-chain block's ancestor is
// found at once, another's by walking down the index.
func (c *Chain) BlockAndAncestor(hash *wire.Hash, below func(end BlockInfo) (uint64, error)) (end, ancestor BlockInfo, ok bool, err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.tip()
	if hash != nil {
		if n = c.index.get(*hash); n == nil {
			return end, ancestor, false, nil
		}
	}
	end = c.info(n)
	back, err := below(end)
	if err != nil {
		return end, ancestor, true, err
	}
	if back > n.height {
		return end, ancestor, true, fmt.Errorf("block %s at height %d has no ancestor %d blocks below it", n.hash, n.height, back)
	}
	var a *blockNode
	if c.onBestChain(n) {
		a = c.bestChain[n.height-back]
	} else {
		a = n.ancestor(n.height - back)
	}
	return end, c.info(a), true, nil
}

// HashByHeight returns the hash of the best chain's block at height.
func (c *Chain) HashByHeight(height uint64) (wire.Hash, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if height >= uint64(len(c.bestChain)) {
		return wire.Hash{}, false
	}
	return c.bestChain[height].hash, true
}

// BlockByHash returns the stored body of a block, or nil if the node does
// not have it.
func (c *Chain) BlockByHash(hash wire.Hash) (*wire.Block, error) {
	return c.store.block(hash)
}

// BlockBytes returns the stored body of a block as the chain stored it,
// its protobuf encoding (a powchain.v1.Block, the message a P2P block
// message carries), or nil if the node does not have it: serving a block
// this way costs neither a decode nor an encode.
func (c *Chain) BlockBytes(hash wire.Hash) ([]byte, error) {
	return c.store.blockBytes(hash)
}

// FetchUtxo returns the unspent output at op on the best chain, or nil if
// it is missing or spent.
func (c *Chain) FetchUtxo(op wire.OutPoint) (*UtxoEntry, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.store.utxo(op)
}

// OrphanRoot returns the first ancestor of the orphan hash whose parent the
// node lacks (hash itself if it is not an orphan), so the node can ask peers
// for the blocks that lead to it.
func (c *Chain) OrphanRoot(hash wire.Hash) wire.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.orphans.root(hash)
}

// IsOrphan reports whether hash waits in the orphan pool.
func (c *Chain) IsOrphan(hash wire.Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.orphans.has(hash)
}

// ChainTip describes the end of one branch of the block index.
type ChainTip struct {
	Hash      wire.Hash
	Height    uint64
	BranchLen uint64 // blocks since the branch left the best chain (0 for the best chain)
	Status    TipStatus
}

// TipStatus says what is known of a branch's tip.
type TipStatus int

// The statuses of a chain tip.
const (
	TipActive       TipStatus = iota // the tip of the best chain
	TipValidFork                     // fully validated once, not on the best chain
	TipValidHeaders                  // every body stored, not all validated
	TipHeadersOnly                   // some bodies missing
	TipInvalid                       // known invalid, or descends from a block that is
)

// ChainTips returns every leaf of the block index, the best chain first,
// then by height, highest first.
func (c *Chain) ChainTips() []ChainTip {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var tips []ChainTip
	for n := range c.index.all() {
		if n.firstChild != nil && n != c.tip() {
			continue
		}
		fork := findFork(n, c.tip())
		tips = append(tips, ChainTip{Hash: n.hash, Height: n.height, BranchLen: n.height - fork.height, Status: c.tipStatus(n)})
	}
	sort.Slice(tips, func(i, j int) bool {
		if (tips[i].Status == TipActive) != (tips[j].Status == TipActive) {
			return tips[i].Status == TipActive
		}
		return tips[i].Height > tips[j].Height
	})
	return tips
}

func (c *Chain) tipStatus(n *blockNode) TipStatus {
	switch {
	case c.onBestChain(n):
		return TipActive
	case n.status.knownInvalid():
		return TipInvalid
	case n.status&statusValid != 0:
		return TipValidFork
	case n.fullData():
		return TipValidHeaders
	}
	return TipHeadersOnly
}
