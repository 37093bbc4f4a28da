package miner

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

// Node is the node a Miner works for: templates with long-polling, and
// block submission. *rpc.Client satisfies it.
type Node interface {
	// GetBlockTemplate returns the current template; with the longpollid
	// of a previous one, it waits until the node has a newer one.
	GetBlockTemplate(ctx context.Context, longPollID string) (*rpc.BlockTemplate, error)
	// SubmitBlock returns "" if the node accepted the block, else its
	// reason.
	SubmitBlock(ctx context.Context, blockHex string) (string, error)
}

// Config configures a Miner.
type Config struct {
	Node  Node         // required
	PayTo wire.KeyHash // every coinbase pays its whole value here
	// Threads is how many goroutines grind nonces (default: every core).
	Threads int
	// Blocks: Run returns after this many blocks were accepted (0: run
	// until the context ends).
	Blocks int
	// Out receives the status lines (nil: discarded).
	Out io.Writer
	// Clock dates the headers (required: nothing below the node reads the
	// wall clock). Headers carry the node's time: the template's curtime
	// plus the time this clock says has passed since it arrived.
	Clock chain.Clock
	// ReportEvery is the period of the hash-rate line (default 5 s; the
	// line is skipped while no work is being done).
	ReportEvery time.Duration
	// RetryMin and RetryMax bound the exponential backoff while the node
	// cannot be reached or refuses templates (default 1 s and 30 s).
	RetryMin, RetryMax time.Duration
	// PollTimeout bounds a template request, long-poll included (default
	// DefaultPollTimeout): a node that has not answered by then is taken
	// as frozen, and its last template is dropped.
	PollTimeout time.Duration
	// SubmitTimeout bounds each attempt to submit a block (default
	// DefaultSubmitTimeout), and so how long a miner being stopped waits
	// to submit the block it has just found.
	SubmitTimeout time.Duration
}

const (
	// DefaultPollTimeout: a node answers a long-poll within a minute (with
	// the same template when nothing changed: rpc/server's
	// longPollMaxWait), any other template request at once; one that has
	// not answered in 90 s has stopped working, and its tip may be stale.
	DefaultPollTimeout = 90 * time.Second
	// DefaultSubmitTimeout: a node checks and connects a block well within
	// this.
	DefaultSubmitTimeout = 10 * time.Second
)

// Miner mines blocks for a node: it keeps a long-poll for templates open,
// grinds the newest template on every thread (dropping stale work as soon
// as a newer template arrives), submits what it finds and reports.
//
// Status lines on Out, one per event, stable for scripts:
//
//	hashrate 12.34 MH/s threads=2 at=1795219200   (at: Unix time of the report)
//	block found height=7 hash=<64 hex> accepted (3/5)
//	block found height=7 hash=<64 hex> rejected: <reason>
//	block found height=7 hash=<64 hex> not submitted: <error>
//	stopping: submitting the block found at height=7 first (at most 10s)
//	node unreachable at <url>: <error>; retrying in 2s
//	node unreachable: <why there is no node to ask>; retrying in 2s
//	node did not answer getblocktemplate within 1m30s: stopped hashing its last template; retrying in 2s
//	node reachable again
type Miner struct {
	cfg    Config
	hashes atomic.Uint64
	// found and accepted count blocks solved and accepted by the node;
	// rate holds the last reported hash rate (float64 bits).
	found, accepted, rate atomic.Uint64
	// extraNonce is the next coinbase extra nonce. It starts at a random
	// value, so that miners paying the same address never grind the same
	// headers.
	extraNonce atomic.Uint64
	slot       workSlot

	outMu sync.Mutex
	// onEvent, when set (tests), hears what the solver does.
	onEvent func(Event)
	// maxNonce, when set (tests), shrinks the nonce space (see Solver).
	maxNonce uint64
}

// Event is something the solver did, for tests.
type Event struct {
	Kind   string    // "work": started on a template; "found": solved a block
	Tmpl   *Template // the template worked on
	Hashes uint64    // hashes tried so far, at the event
	// AfterReplaced ("work"): hashes tried on the previous work after newer
	// work cancelled it, the cost of a late stop.
	AfterReplaced uint64
	Block         *wire.Block
}

// New returns a miner, or an error if cfg lacks its Node or Clock; Run
// starts it.
func New(cfg Config) (*Miner, error) {
	if cfg.Node == nil || cfg.Clock == nil {
		return nil, errors.New("miner: Config needs Node and Clock")
	}
	if cfg.Threads <= 0 {
		cfg.Threads = runtime.NumCPU()
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.ReportEvery <= 0 {
		cfg.ReportEvery = 5 * time.Second
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(30*time.Second, cfg.RetryMin)
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = DefaultPollTimeout
	}
	if cfg.SubmitTimeout <= 0 {
		cfg.SubmitTimeout = DefaultSubmitTimeout
	}
	m := &Miner{cfg: cfg}
	m.extraNonce.Store(rand.Uint64())
	m.slot.changed = make(chan struct{}, 1)
	m.slot.hashes = &m.hashes
	return m, nil
}

// Hashes returns how many headers the miner has hashed so far.
func (m *Miner) Hashes() uint64 { return m.hashes.Load() }

// Stats are a miner's counters (metrics).
type Stats struct {
	Hashes, Found, Accepted uint64
	// HashRate is the rate of the last report (hashes per second); 0
	// before the first.
	HashRate float64
}

// Stats returns the miner's counters so far. Safe for concurrent use.
func (m *Miner) Stats() Stats {
	return Stats{Hashes: m.hashes.Load(), Found: m.found.Load(), Accepted: m.accepted.Load(),
		HashRate: math.Float64frombits(m.rate.Load())}
}

// Run mines until the context ends (it returns nil, after submitting a
// block found as it ended) or Config.Blocks blocks were accepted (nil). It
// never gives up on an unreachable or frozen node: it says so and retries
// with backoff. Every goroutine it starts has stopped when it returns.
func (m *Miner) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		m.poll(ctx)
	}()
	go func() {
		defer wg.Done()
		m.report(ctx)
	}()
	m.mine(ctx)
	cancel()
	wg.Wait()
	return nil
}

func (m *Miner) printf(format string, args ...any) {
	m.outMu.Lock()
	defer m.outMu.Unlock()
	fmt.Fprintf(m.cfg.Out, format+"\n", args...)
}

func (m *Miner) event(e Event) {
	if m.onEvent != nil {
		m.onEvent(e)
	}
}

// work is a template as received, with what is needed to date headers.
type work struct {
	tmpl       *Template
	longPollID string
	// offset is the node's time minus ours when the template arrived.
	offset int64
}

// timestamp is the node's time now, never below the template's minimum.
func (w *work) timestamp(clock chain.Clock) int64 {
	return max(clock.Now().Unix()+w.offset, w.tmpl.MinTime)
}

// workSlot hands the newest work from the poller to the solver. Putting
// new work cancels the solve of the old one at once.
type workSlot struct {
	mu      sync.Mutex
	w       *work // nil: no work (none yet, or the node is unreachable)
	gen     uint64
	cancel  context.CancelFunc // of the solve working on gen
	changed chan struct{}      // capacity 1: "gen moved"
	// hashes is the miner's count; replacedAt is what it was just after
	// put cancelled the last solve.
	hashes     *atomic.Uint64
	replacedAt uint64
}

func (s *workSlot) put(w *work) {
	s.mu.Lock()
	s.w = w
	s.gen++
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
		s.replacedAt = s.hashes.Load() // after the cancel: what follows is the workers' stop
	}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// lastReplacedAt is the miner's hash count just after the last solve was
// cancelled by newer work.
func (s *workSlot) lastReplacedAt() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replacedAt
}

// take waits for work newer than after and returns it with a context that
// is cancelled when newer work arrives (or ctx ends).
func (s *workSlot) take(ctx context.Context, after uint64) (*work, uint64, context.Context, context.CancelFunc, bool) {
	for ctx.Err() == nil {
		s.mu.Lock()
		if s.w != nil && s.gen > after {
			wctx, cancel := context.WithCancel(ctx)
			s.cancel = cancel
			w, gen := s.w, s.gen
			s.mu.Unlock()
			return w, gen, wctx, cancel, true
		}
		s.mu.Unlock()
		select {
		case <-s.changed:
		case <-ctx.Done():
		}
	}
	return nil, 0, nil, nil, false
}

// mine is the solver loop: take the newest work, grind it until it is
// solved or replaced, submit, repeat. Work that was solved is not ground
// again (that would be a competing block at the same height): the next
// template (the node long-polls one as soon as the tip moves) is awaited.
func (m *Miner) mine(ctx context.Context) {
	var done uint64
	for {
		w, gen, wctx, cancel, ok := m.slot.take(ctx, done)
		if !ok {
			return
		}
		hashes := m.hashes.Load() // the last solve has returned: all its workers stopped
		m.event(Event{Kind: "work", Tmpl: w.tmpl, Hashes: hashes, AfterReplaced: hashes - min(m.slot.lastReplacedAt(), hashes)})
		blk := m.solve(wctx, w)
		cancel()
		if blk == nil {
			continue // replaced by newer work (or stopping)
		}
		done = gen
		m.found.Add(1)
		m.event(Event{Kind: "found", Tmpl: w.tmpl, Hashes: m.hashes.Load(), Block: blk})
		if m.submit(ctx, blk, w.tmpl.Height) {
			accepted := m.accepted.Add(1)
			if m.cfg.Blocks > 0 {
				m.printf("block found height=%d hash=%s accepted (%d/%d)", w.tmpl.Height, blk.BlockHash(), accepted, m.cfg.Blocks)
				if accepted >= uint64(m.cfg.Blocks) {
					return
				}
			} else {
				m.printf("block found height=%d hash=%s accepted (%d)", w.tmpl.Height, blk.BlockHash(), accepted)
			}
		}
	}
}

// solve grinds w, rolling the extra nonce whenever a nonce space runs out,
// until it finds a block (returned) or ctx ends (nil).
func (m *Miner) solve(ctx context.Context, w *work) *wire.Block {
	now := func() int64 { return w.timestamp(m.cfg.Clock) }
	for ctx.Err() == nil {
		blk := NewBlock(w.tmpl, m.cfg.PayTo, m.extraNonce.Add(1), now())
		if (Solver{Workers: m.cfg.Threads, Hashes: &m.hashes, Now: now, maxNonce: m.maxNonce}).Solve(ctx, &blk.Header) {
			return blk
		}
	}
	return nil
}

// submit hands a solved block to the node, retrying a few times while the
// node cannot be reached; true if it accepted the block. Every attempt
// has SubmitTimeout and outlives ctx: a block found as the miner is
// stopped (ctx ended while it was solved or submitted) is still
// submitted, with one last attempt, and the output says so.
func (m *Miner) submit(ctx context.Context, blk *wire.Block, height uint64) bool {
	blockHex := hex.EncodeToString(blk.Bytes())
	delay := m.cfg.RetryMin
	said := false
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil && !said {
			m.printf("stopping: submitting the block found at height=%d first (at most %v)", height, m.cfg.SubmitTimeout)
			said = true
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.SubmitTimeout)
		reason, err := m.cfg.Node.SubmitBlock(actx, blockHex)
		if err != nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("the node did not answer within %v", m.cfg.SubmitTimeout)
		}
		cancel()
		switch {
		case err == nil && reason == "":
			return true
		case err == nil:
			m.printf("block found height=%d hash=%s rejected: %s", height, blk.BlockHash(), reason)
			return false
		case attempt == 3 || ctx.Err() != nil:
			m.printf("block found height=%d hash=%s not submitted: %v", height, blk.BlockHash(), err)
			return false
		}
		m.printf("submitblock failed: %v; retrying in %v", err, delay)
		sleep(ctx, delay) // a stop cuts the wait short: one last attempt follows
		delay = min(2*delay, m.cfg.RetryMax)
	}
}

// poll keeps a long-poll open and puts every new template in the slot.
// While the node cannot be reached, refuses, or does not answer within
// PollTimeout (a node answers a long-poll within a minute), the slot is
// emptied, so no hashing is wasted on work that may be stale, and it
// retries with exponential backoff.
func (m *Miner) poll(ctx context.Context) {
	longPollID := ""
	delay := m.cfg.RetryMin
	failing := false
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, m.cfg.PollTimeout)
		r, err := m.cfg.Node.GetBlockTemplate(pctx, longPollID)
		frozen := errors.Is(pctx.Err(), context.DeadlineExceeded)
		cancel()
		var t *Template
		if err == nil {
			t, err = TemplateFromRPC(r)
			if err != nil {
				err = fmt.Errorf("bad template from node: %w", err)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.slot.put(nil)
			longPollID = ""
			var rpcErr *rpc.Error
			switch {
			case frozen: // connected, but no answer: the node hangs
				m.printf("node did not answer getblocktemplate within %v: stopped hashing its last template; retrying in %v", m.cfg.PollTimeout, delay)
			case errors.As(err, &rpcErr):
				m.printf("getblocktemplate failed: %v; retrying in %v", err, delay)
			case errors.Is(err, rpc.ErrUnreachable): // "node unreachable at URL: cause"
				m.printf("%v; retrying in %v", err, delay)
			default: // no node to ask (no endpoint, no cookie)
				m.printf("node unreachable: %v; retrying in %v", err, delay)
			}
			failing = true
			if !sleep(ctx, delay) {
				return
			}
			delay = min(2*delay, m.cfg.RetryMax)
			continue
		}
		if failing {
			m.printf("node reachable again")
			failing = false
		}
		delay = m.cfg.RetryMin
		if r.LongPollID == longPollID && longPollID != "" {
			continue // the node's long-poll timed out with nothing new
		}
		longPollID = r.LongPollID
		m.slot.put(&work{tmpl: t, longPollID: r.LongPollID, offset: r.CurTime - m.cfg.Clock.Now().Unix()})
	}
}

// report prints the hash rate every ReportEvery while work is done. The
// rate is measured with the injected clock.
func (m *Miner) report(ctx context.Context) {
	ticker := time.NewTicker(m.cfg.ReportEvery)
	defer ticker.Stop()
	last, lastAt := m.hashes.Load(), m.cfg.Clock.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			h, at := m.hashes.Load(), m.cfg.Clock.Now()
			if elapsed := at.Sub(lastAt).Seconds(); elapsed > 0 && h > last {
				m.rate.Store(math.Float64bits(float64(h-last) / elapsed))
				m.printf("hashrate %s threads=%d at=%d", FormatHashRate(float64(h-last)/elapsed), m.cfg.Threads, at.Unix())
			}
			last, lastAt = h, at
		}
	}
}

// FormatHashRate formats hashes per second with an SI prefix, e.g.
// "12.34 MH/s".
func FormatHashRate(perSecond float64) string {
	units := []string{"H/s", "kH/s", "MH/s", "GH/s", "TH/s"}
	i := 0
	for perSecond >= 1000 && i < len(units)-1 {
		perSecond /= 1000
		i++
	}
	return fmt.Sprintf("%.2f %s", perSecond, units[i])
}

// sleep waits d or until ctx ends; false if ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
