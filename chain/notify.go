package chain

import "powchain/wire"

// NotificationType says what a Notification reports.
type NotificationType int

const (
	// BlockConnected: Block was connected to the best chain at Height.
	BlockConnected NotificationType = iota
	// BlockDisconnected: Block was disconnected from the best chain; Height
	// is the height it had.
	BlockDisconnected
	// TipChanged: the best chain now ends at Hash, Height. Sent once per
	// ProcessBlock that changed the tip, after its connects and disconnects.
	TipChanged
)

func (t NotificationType) String() string {
	switch t {
	case BlockConnected:
		return "BlockConnected"
	case BlockDisconnected:
		return "BlockDisconnected"
	case TipChanged:
		return "TipChanged"
	}
	return "NotificationType(?)"
}

// Notification reports a change of the best chain. Block is shared and must
// not be modified.
type Notification struct {
	Type   NotificationType
	Block  *wire.Block // nil for TipChanged
	Hash   wire.Hash
	Height uint64
}

// Subscribe registers fn to receive every notification, in order. fn runs
// on a goroutine that changed the chain, after the chain's lock has been
// released, so it may call the chain's query methods; it must not change
// the chain (ProcessBlock, ProcessHeaders, InvalidateBlock, ...: that would
// wait for its own delivery) and it should return quickly: the next change
// waits for it.
func (c *Chain) Subscribe(fn func(Notification)) {
	c.subsMu.Lock()
	defer c.subsMu.Unlock()
	c.subscribers = append(c.subscribers, fn)
}

// queue records a notification for delivery; caller holds c.mu.
func (c *Chain) queue(n Notification) {
	if c.notifying {
		c.pending = append(c.pending, n)
	}
}

// unlockAndNotify releases c.mu (held for writing) and delivers what the
// change queued. The change's notifications move to the outbox while c.mu
// is still held, so the outbox is in change order; delivery then happens
// under notifyMu alone. c.mu is never held while waiting for notifyMu, so a
// subscriber may query the chain (taking c.mu for reading) without
// deadlocking against a concurrent change. Whoever holds notifyMu delivers
// everything in the outbox, and every change waits for notifyMu before
// returning, so its notifications have been delivered when it returns.
func (c *Chain) unlockAndNotify() {
	c.outboxMu.Lock()
	c.outbox = append(c.outbox, c.pending...)
	c.outboxMu.Unlock()
	c.pending = nil
	c.mu.Unlock()

	c.notifyMu.Lock()
	defer c.notifyMu.Unlock()
	c.outboxMu.Lock()
	batch := c.outbox
	c.outbox = nil
	c.outboxMu.Unlock()
	if len(batch) == 0 {
		return
	}
	c.subsMu.Lock()
	subs := append([]func(Notification){}, c.subscribers...)
	c.subsMu.Unlock()
	for _, n := range batch {
		for _, fn := range subs {
			fn(n)
		}
	}
}
