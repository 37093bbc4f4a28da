package chain

import (
	"time"

	"powchain/wire"
)

// DefaultSyncInterval is how long, during initial sync, connected blocks
// may stay in the operating system's cache before the chain syncs them.
const DefaultSyncInterval = 2 * time.Second

// caughtUpAge: a chain whose tip is younger than this and whose best header
// is its tip is caught up, as Bitcoin Core's initial-block-download test
// has it; then every new tip is synced before it is announced.
const caughtUpAge = 24 * time.Hour

// LostBlocks describes blocks the database no longer has although the
// chain had recorded them as durable: the storage lost writes it had
// acknowledged as synced (a torn journal, a disk that lied). The chain is
// consistent at its reopened tip; the lost blocks are simply fetched again.
type LostBlocks struct {
	From, To    uint64    // heights of the durable chain now missing
	DurableHash wire.Hash // the tip that had been recorded as durable (at To)
}

// LostOnOpen reports whether opening found the database behind its last
// durable record, and which heights it lost.
func (c *Chain) LostOnOpen() (LostBlocks, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.lost == nil {
		return LostBlocks{}, false
	}
	return *c.lost, true
}

// checkDurable compares the reopened tip with the durable record and
// remembers any loss; it then records the reopened tip as durable, so a
// loss is reported once. The recorded block is lost if the database does
// not have it connected once: a block on the best chain, or one marked
// valid (its connect batch, written before the sync, is there) that a
// reorganisation took off it since, as a kill in the middle of one leaves
// it, is not. Caller owns the chain (opening).
func (c *Chain) checkDurable() error {
	hash, height, found, err := c.store.durableTip()
	if err != nil || !found {
		return err
	}
	if n := c.index.get(hash); n != nil && (c.onBestChain(n) || n.status&statusValid != 0) {
		return nil
	}
	c.lost = &LostBlocks{From: min(c.tip().height+1, height), To: height, DurableHash: hash}
	return c.syncNow()
}

// settleTip ends a change of the chain: if the tip moved, it makes the new
// tip durable when the sync policy says so, then queues TipChanged. Once
// caught up every new tip is synced before it is announced; during initial
// sync the chain syncs when syncInterval has passed since the last sync
// (and the node calls Sync on a timer, for stalls). Caller holds c.mu.
func (c *Chain) settleTip(before *blockNode) error {
	tip := c.tip()
	if tip == before {
		return nil
	}
	c.unsynced = true
	if c.caughtUp() || !c.clock.Now().Before(c.lastSync.Add(c.syncInterval)) {
		if err := c.syncNow(); err != nil {
			return err
		}
	}
	c.queue(Notification{Type: TipChanged, Hash: tip.hash, Height: tip.height})
	return nil
}

// caughtUp reports whether the chain has the best header it knows and a
// recent tip; caller holds c.mu.
func (c *Chain) caughtUp() bool {
	tip := c.tip()
	return tip == c.bestHeader && c.clock.Now().Sub(tip.header.Time()) < caughtUpAge
}

// syncNow makes every write so far durable and records the tip as the
// durable one; caller holds c.mu.
func (c *Chain) syncNow() error {
	if c.noSync {
		return nil
	}
	if err := c.store.syncTip(c.tip()); err != nil {
		return err
	}
	c.lastSync = c.clock.Now()
	c.unsynced = false
	return nil
}

// Sync makes the chain's writes so far durable if any tip change is not
// yet. The node calls it every few seconds, so that a stall during initial
// sync does not leave connected blocks unsynced; Close calls it too.
func (c *Chain) Sync() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.unsynced {
		return nil
	}
	return c.syncNow()
}
