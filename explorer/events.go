package explorer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"powchain/chain"
	"powchain/mempool"
	"powchain/rpc"
	"powchain/wire"
)

// Event names of the /events stream.
const (
	EventBlock = "block" // a new best-chain tip
	EventReorg = "reorg" // blocks left the best chain (sent before the new tip's block event)
	EventTx    = "tx"    // a transaction entered the mempool
)

// subscriberBuffer is how many events a stream may fall behind before it
// is dropped (the browser's EventSource reconnects by itself).
const subscriberBuffer = 64

// keepAlive is how often an idle stream gets a comment line, so proxies
// and the client see it is alive.
const keepAlive = 15 * time.Second

// BlockEvent is the data of a block event.
type BlockEvent struct {
	Height uint64 `json:"height"`
	Hash   string `json:"hash"`
}

// ReorgEvent is the data of a reorg event: Disconnected blocks left the
// best chain, whose tip is now Height, Hash.
type ReorgEvent struct {
	Disconnected []string `json:"disconnected"`
	Height       uint64   `json:"height"`
	Hash         string   `json:"hash"`
}

// TxEvent is the data of a tx event.
type TxEvent struct {
	TxID    string     `json:"txid"`
	Size    int        `json:"size"`
	Fee     rpc.Amount `json:"fee"`
	FeeRate rpc.Amount `json:"feerate"`
}

type event struct {
	name string
	data []byte
}

// hub fans events out to the /events streams. mu guards subs, closed and
// disconnected; publishing never blocks on a stream: one whose buffer is
// full is dropped.
type hub struct {
	max int

	mu           sync.Mutex
	subs         map[chan event]struct{}
	closed       bool
	disconnected []string // blocks disconnected since the last tip change

	// tipChanged wakes the mempool watcher after a tip change: a
	// reorganisation returns transactions to the pool only when someone
	// next reads it.
	tipChanged chan struct{}
}

func newHub(maxSubs int) *hub {
	return &hub{max: maxSubs, subs: make(map[chan event]struct{}), tipChanged: make(chan struct{}, 1)}
}

var errTooManySubscribers = &apiError{Status: http.StatusServiceUnavailable, Message: "too many event streams are open: try again later"}

// subscribe opens a stream; it fails when the cap is reached or the
// server is shutting down.
func (h *hub) subscribe() (chan event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, &apiError{Status: http.StatusServiceUnavailable, Message: "the server is shutting down"}
	}
	if len(h.subs) >= h.max {
		return nil, errTooManySubscribers
	}
	ch := make(chan event, subscriberBuffer)
	h.subs[ch] = struct{}{}
	return ch, nil
}

// unsubscribe closes a stream's channel unless the hub did already.
func (h *hub) unsubscribe(ch chan event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// close ends every stream and refuses new ones (at shutdown).
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

func (h *hub) publish(name string, v any) {
	data, _ := json.Marshal(v)
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- event{name, data}:
		default: // too slow: drop it rather than hold the chain up
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// onChain turns chain notifications into block and reorg events. It runs
// on the chain's notification goroutine and never blocks.
func (h *hub) onChain(n chain.Notification) {
	switch n.Type {
	case chain.BlockDisconnected:
		h.mu.Lock()
		h.disconnected = append(h.disconnected, n.Hash.String())
		h.mu.Unlock()
	case chain.TipChanged:
		h.mu.Lock()
		gone := h.disconnected
		h.disconnected = nil
		h.mu.Unlock()
		if len(gone) > 0 {
			h.publish(EventReorg, ReorgEvent{Disconnected: gone, Height: n.Height, Hash: n.Hash.String()})
		}
		h.publish(EventBlock, BlockEvent{Height: n.Height, Hash: n.Hash.String()})
		select {
		case h.tipChanged <- struct{}{}:
		default: // the watcher has a wake-up pending already
		}
	}
}

// watchMempool publishes a tx event for every transaction that enters the
// pool (admitted, or back from a disconnected block), until ctx ends. It
// compares the pool with what it saw at the previous change, so a
// transaction admitted and removed between two looks is not reported.
func (h *hub) watchMempool(ctx context.Context, pool *mempool.Pool) {
	_, changed := pool.Changes()
	seen := make(map[wire.Hash]struct{})
	for _, d := range pool.Entries() {
		seen[d.TxID] = struct{}{}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-h.tipChanged:
		}
		_, changed = pool.Changes()
		now := make(map[wire.Hash]struct{}, len(seen))
		for _, d := range pool.Entries() {
			now[d.TxID] = struct{}{}
			if _, old := seen[d.TxID]; !old {
				h.publish(EventTx, TxEvent{TxID: d.TxID.String(), Size: d.Size, Fee: rpc.Amount(d.Fee),
					FeeRate: rpc.Amount(d.Fee * 1000 / uint64(max(d.Size, 1)))})
			}
		}
		seen = now
	}
}

// serveEvents streams events as server-sent events until the client goes
// away, the stream falls behind, or the server shuts down; a HEAD request
// gets the headers alone.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	ch, err := s.hub.subscribe()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer s.hub.unsubscribe(ch)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return // the headers are the whole answer; streaming on would hold the stream until the client hangs up
	}
	write := func(format string, args ...any) bool {
		rc.SetWriteDeadline(s.src.Clock.Now().Add(s.limits.EventWriteTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(": powchain events\n\n") {
		return
	}
	ticker := time.NewTicker(keepAlive)
	defer ticker.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ticker.C:
			if !write(": keep-alive\n\n") {
				return
			}
		case ev, ok := <-ch:
			if !ok || !write("event: %s\ndata: %s\n\n", ev.name, ev.data) {
				return
			}
		}
	}
}
