package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

	"powchain/chain"
	"powchain/mempool"
	"powchain/miner"
	"powchain/rpc"
	"powchain/wire"
)

const (
	// longPollMempoolDelay: a long-poll returns for a mempool change only
	// once this long has passed since the request began, so a miner
	// re-templates for new fees at most this often (a new tip returns at
	// once).
	longPollMempoolDelay = 5 * time.Second
	// longPollMaxWait: a long-poll that saw no change returns the current
	// template (with the same longpollid) after this long, well within
	// any client's request timeout; the client simply polls again.
	longPollMaxWait = time.Minute
)

// Mining builds block templates (getblocktemplate, with long-polling) and
// mines blocks on the node itself (generatetoaddress). It learns of new tips
// from its own chain subscription, HandleChainNotification, which must come
// after the mempool's (node.FollowChain): when it has heard of a tip, the
// mempool has handled every notification up to that tip, so a template never
// pairs a tip with a mempool that is behind it (which would put
// already-mined transactions in the block).
//
// Nothing here holds a lock while waiting: waits are selects on channels
// (tip, mempool, timers, the request's context, the stop channel), in the
// goroutine of the request itself. mu guards tip and tipCh only.
type Mining struct {
	params  *chain.Params
	chain   *chain.Chain
	pool    *mempool.Pool
	clock   chain.Clock
	stop    <-chan struct{}
	workers int

	mempoolDelay, maxWait time.Duration

	mu    sync.Mutex
	tip   wire.Hash     // the tip of the last TipChanged heard
	tipCh chan struct{} // closed at the next TipChanged
}

// MiningConfig configures a Mining.
type MiningConfig struct {
	Chain *chain.Chain  // required
	Pool  *mempool.Pool // required
	Clock chain.Clock   // required
	// Stop, once closed, ends every long-poll and generation (the node is
	// shutting down).
	Stop <-chan struct{}
	// Workers is how many goroutines generatetoaddress hashes on; 0: one
	// per CPU.
	Workers int
}

// NewMining returns a Mining on the tip of cfg.Chain.
func NewMining(cfg MiningConfig) (*Mining, error) {
	if cfg.Chain == nil || cfg.Pool == nil || cfg.Clock == nil || cfg.Stop == nil {
		return nil, errors.New("server: MiningConfig needs Chain, Pool, Clock and Stop")
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Mining{
		params: cfg.Chain.Params(), chain: cfg.Chain, pool: cfg.Pool, clock: cfg.Clock, stop: cfg.Stop,
		workers: workers, mempoolDelay: longPollMempoolDelay, maxWait: longPollMaxWait,
		tip: cfg.Chain.Tip().Hash, tipCh: make(chan struct{}),
	}, nil
}

// HandleChainNotification is the chain subscription (after the mempool's).
func (m *Mining) HandleChainNotification(n chain.Notification) {
	if n.Type != chain.TipChanged {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tip = n.Hash
	close(m.tipCh)
	m.tipCh = make(chan struct{})
}

// heardTip returns the last tip heard of and a channel closed at the next.
func (m *Mining) heardTip() (wire.Hash, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tip, m.tipCh
}

var errShuttingDown = rpc.NewError(rpc.CodeMiscError, "node is shutting down")

// template builds the template for a child of the tip from the mempool as
// of that tip, and returns the mempool's change number it reflects (at
// least).
func (m *Mining) template(ctx context.Context) (*miner.Template, uint64, error) {
	for {
		heard, next := m.heardTip()
		tip := m.chain.Tip()
		if tip.Hash != heard {
			// The chain moved and the news is on its way to the mempool
			// and to us: wait for it.
			select {
			case <-next:
				continue
			case <-ctx.Done():
				return nil, 0, ctx.Err()
			case <-m.stop:
				return nil, 0, errShuttingDown
			}
		}
		seq, _ := m.pool.Changes()
		descs := m.pool.Template(miner.MaxTxBytes)
		if m.chain.Tip().Hash != tip.Hash {
			continue // moved while we read the mempool
		}
		txs := make([]*wire.Tx, len(descs))
		fees := make([]uint64, len(descs))
		for i, d := range descs {
			txs[i], fees[i] = d.Tx, d.Fee
		}
		return miner.NewTemplate(m.params, tip, txs, fees, m.clock.Now()), seq, nil
	}
}

// Template answers getblocktemplate. With the longpollid of an earlier
// template it first waits until the tip differs from that template's, or
// the mempool changed since it and mempoolDelay has passed since the call
// began, or maxWait passed; it fails if ctx ends or the node stops.
func (m *Mining) Template(ctx context.Context, longPollID string) (*rpc.BlockTemplate, error) {
	if longPollID != "" {
		tip, seq, err := parseLongPollID(longPollID)
		if err != nil {
			return nil, rpc.NewError(rpc.CodeInvalidParameter, "%v", err)
		}
		if err := m.waitForChange(ctx, tip, seq); err != nil {
			return nil, err
		}
	}
	t, seq, err := m.template(ctx)
	if err != nil {
		return nil, err
	}
	return t.RPC(longPollIDOf(t.PrevBlock, seq)), nil
}

func (m *Mining) waitForChange(ctx context.Context, tip wire.Hash, seq uint64) error {
	delay := time.NewTimer(m.mempoolDelay)
	defer delay.Stop()
	maxWait := time.NewTimer(m.maxWait)
	defer maxWait.Stop()
	delayC, delayPassed := delay.C, false
	for {
		heard, tipCh := m.heardTip()
		if heard != tip {
			return nil
		}
		cur, poolCh := m.pool.Changes()
		if cur != seq {
			if delayPassed {
				return nil
			}
			poolCh = nil // changed: only the delay is left to wait for
		}
		select {
		case <-tipCh:
		case <-poolCh:
		case <-delayC:
			delayC, delayPassed = nil, true
		case <-maxWait.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-m.stop:
			return errShuttingDown
		}
	}
}

// A longpollid is the template's parent hash (64 hex digits) followed by
// the mempool's change number in decimal, as in Bitcoin Core.
func longPollIDOf(tip wire.Hash, seq uint64) string {
	return tip.String() + strconv.FormatUint(seq, 10)
}

func parseLongPollID(id string) (wire.Hash, uint64, error) {
	malformed := fmt.Errorf("invalid longpollid %q: pass the longpollid of an earlier template as it came (64 hex digits, then a whole number)", id)
	if len(id) <= 2*wire.HashSize {
		return wire.Hash{}, 0, malformed
	}
	tip, err := wire.ParseHash(id[:2*wire.HashSize])
	if err != nil {
		return wire.Hash{}, 0, malformed
	}
	seq, err := strconv.ParseUint(id[2*wire.HashSize:], 10, 64)
	if err != nil {
		return wire.Hash{}, 0, malformed
	}
	return tip, seq, nil
}

// Generate mines count blocks on this node (generatetoaddress), each from a
// fresh template of the tip and the mempool, and returns their hashes. Work
// stops when ctx ends or the node stops.
func (m *Mining) Generate(ctx context.Context, count int, payTo wire.KeyHash) ([]wire.Hash, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-m.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	var hashes []wire.Hash
	for len(hashes) < count {
		tmpl, _, err := m.template(ctx)
		if err != nil {
			return hashes, err
		}
		blk, err := miner.SolveBlock(ctx, tmpl, payTo, m.workers, nil)
		if err != nil {
			return hashes, err
		}
		res, err := m.chain.ProcessBlock(blk)
		if err != nil {
			return hashes, fmt.Errorf("mined block rejected: %w", err)
		}
		if res.MainChain {
			hashes = append(hashes, blk.BlockHash())
		} // else the tip moved while we mined: mine again on the new tip
	}
	return hashes, nil
}
