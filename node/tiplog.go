package node

import (
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// progressInterval is how often initial sync logs its progress line.
const progressInterval = 10 * time.Second

// tipLog turns chain notifications into log lines: while the node is
// behind its best header (initial sync), one progress line every
// progressInterval instead of a line per block; once caught up, one line
// per new tip; and one line per reorganisation. It is driven by explicit
// inputs (notifications, the new tip, the best header, the time), so tests
// replay it deterministically.
//
// Notifications arrive one at a time but from whichever goroutine changed
// the chain; mu orders them. The lock is held while a line is written,
// which only the log handler's own write can delay.
type tipLog struct {
	log *slog.Logger
	// bar, on a terminal, shows initial sync as a progress bar redrawn in
	// place between the progress lines.
	bar progressBar

	mu sync.Mutex
	// The batch of notifications since the last TipChanged.
	connected, disconnected int
	txs                     int       // transactions of the blocks connected
	oldTip                  wire.Hash // the first block disconnected: the tip before a reorganisation
	oldHeight               uint64
	lastBlockTxs            int // transactions of the last block connected
	// Initial sync: since when the rates are counted, and the counts.
	syncing               bool
	since                 time.Time
	sinceBlocks, sinceTxs int
}

// observe takes one notification; for TipChanged, tip is the new tip and
// best the best header.
func (l *tipLog) observe(n chain.Notification, tip, best chain.BlockInfo, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch n.Type {
	case chain.BlockConnected:
		l.connected++
		l.lastBlockTxs = len(n.Block.Transactions)
		l.txs += l.lastBlockTxs
	case chain.BlockDisconnected:
		if l.disconnected == 0 {
			l.oldTip, l.oldHeight = n.Hash, n.Height
		}
		l.disconnected++
	case chain.TipChanged:
		l.tipChanged(tip, best, now)
		l.connected, l.disconnected, l.txs = 0, 0, 0
	}
}

func (l *tipLog) tipChanged(tip, best chain.BlockInfo, now time.Time) {
	if l.disconnected > 0 {
		l.log.Info("chain reorganisation", "fork_height", l.oldHeight-uint64(l.disconnected),
			"old_tip", l.oldTip, "old_height", l.oldHeight, "new_tip", tip.Hash, "new_height", tip.Height,
			"disconnected", l.disconnected, "connected", l.connected)
	}
	if l.syncing {
		l.sinceBlocks += l.connected
		l.sinceTxs += l.txs
	}
	if tip.Height >= best.Height {
		if l.syncing {
			l.bar.clear()
			l.progress(tip, best, now) // the last progress line: caught up
			l.syncing = false
		}
		l.log.Info("new tip", "height", tip.Height, "hash", tip.Hash, "txs", l.lastBlockTxs,
			"time", tip.Header.Timestamp, "chainwork", fmt.Sprintf("%x", tip.ChainWork))
		return
	}
	if !l.syncing {
		l.syncing, l.since, l.sinceBlocks, l.sinceTxs = true, now, 0, 0
		l.log.Info("initial sync", "height", tip.Height, "headers", best.Height, "hash", tip.Hash)
		return
	}
	if now.Sub(l.since) >= progressInterval {
		l.bar.clear()
		l.progress(tip, best, now)
	}
	l.bar.update(tip.Height, best.Height, now)
}

// progress logs how far initial sync is, with the rates since the last
// line, and restarts the rates.
func (l *tipLog) progress(tip, best chain.BlockInfo, now time.Time) {
	blocksPerSec, txPerSec := 0.0, 0.0
	if secs := now.Sub(l.since).Seconds(); secs > 0 {
		blocksPerSec, txPerSec = float64(l.sinceBlocks)/secs, float64(l.sinceTxs)/secs
	}
	etaSecs := -1.0 // unknown: nothing connected since the last line
	if left := best.Height - min(tip.Height, best.Height); blocksPerSec > 0 {
		etaSecs = math.Round(float64(left) / blocksPerSec)
	}
	l.log.Info("sync progress", "height", tip.Height, "headers", best.Height, "hash", tip.Hash,
		"blocks_per_s", round(blocksPerSec, 2), "tx_per_s", round(txPerSec, 2),
		"progress", round(syncProgress(tip.Height, best.Height), 4), "eta_s", etaSecs)
	l.since, l.sinceBlocks, l.sinceTxs = now, 0, 0
}

// round rounds f to the given number of decimals, for readable log lines.
func round(f float64, decimals int) float64 {
	scale := math.Pow10(decimals)
	return math.Round(f*scale) / scale
}

// syncProgress is the fraction of the known headers whose blocks are
// connected.
func syncProgress(blocks, headers uint64) float64 {
	if headers == 0 || blocks >= headers {
		return 1
	}
	return float64(blocks) / float64(headers)
}
