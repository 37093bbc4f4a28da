package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/mempool"
	"powchain/mempool/mempooltest"
	"powchain/miner"
	"powchain/rpc"
	"powchain/wire"
)

// miningGenesis starts the test chains of the mining tests.
var miningGenesis = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// miningEnv is a chain on test parameters with a manual clock, a mempool
// and a Mining, wired as the node wires them (the mempool hears of chain
// changes first).
type miningEnv struct {
	t      *testing.T
	params *chain.Params
	clock  *chaintest.Clock
	chain  *chain.Chain
	pool   *mempool.Pool
	mining *Mining
	stop   chan struct{}
	gen    *chaintest.Generator
	blocks int
}

func newMiningEnv(t *testing.T, clockAt time.Time) *miningEnv {
	t.Helper()
	params := chaintest.Params(miningGenesis)
	params.CoinbaseMaturity = 1
	clock := chaintest.NewClock(clockAt)
	c, pool := mempooltest.Open(t, params, clock, nil)
	e := &miningEnv{t: t, params: params, clock: clock, chain: c, pool: pool, stop: make(chan struct{}), gen: chaintest.NewGenerator(t, params)}
	var err error
	if e.mining, err = NewMining(MiningConfig{Chain: c, Pool: pool, Clock: clock, Stop: e.stop, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	c.Subscribe(e.mining.HandleChainNotification) // after the pool's
	return e
}

// mineGen connects the generator's next block (paying the generator's key).
func (e *miningEnv) mineGen(txs ...*wire.Tx) *wire.Block {
	e.t.Helper()
	e.blocks++
	b := e.gen.NextBlock(fmt.Sprintf("b%d", e.blocks), txs)
	if res, err := e.chain.ProcessBlock(b); err != nil || !res.MainChain {
		e.t.Fatalf("block %d: %+v %v", e.blocks, res, err)
	}
	return b
}

type pollResult struct {
	t   *rpc.BlockTemplate
	err error
	at  time.Time
}

func (e *miningEnv) longPoll(ctx context.Context, id string) <-chan pollResult {
	ch := make(chan pollResult, 1)
	go func() {
		t, err := e.mining.Template(ctx, id)
		ch <- pollResult{t, err, time.Now()}
	}()
	return ch
}

// TestGetBlockTemplate: the template's fields; a long-poll returns when
// the tip changes, when the mempool changed and the delay passed (not
// before), after the maximum wait with the same longpollid, and fails
// when the request is cancelled or the node stops.
func TestGetBlockTemplate(t *testing.T) {
	e := newMiningEnv(t, miningGenesis.Add(time.Hour))
	ctx := context.Background()
	t0, err := e.mining.Template(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	g := e.params.GenesisBlock.Header
	want := &rpc.BlockTemplate{Version: miner.BlockVersion, PreviousBlockHash: e.params.GenesisHash.String(),
		Bits: fmt.Sprintf("%08x", e.params.NextBits(0, g.Timestamp, 0)), CurTime: e.clock.Now().Unix(), MinTime: g.Timestamp + 1,
		Height: 1, CoinbaseValue: e.params.CalcBlockSubsidy(1), Transactions: []rpc.BlockTemplateTx{},
		Target: fmt.Sprintf("%064x", chain.CompactToBig(e.params.NextBits(0, g.Timestamp, 0))), LongPollID: e.params.GenesisHash.String() + "0"}
	if fmt.Sprint(t0) != fmt.Sprint(want) {
		t.Fatalf("template\n%+v\nwant\n%+v", t0, want)
	}

	// A new tip ends the long-poll with a template on it.
	poll := e.longPoll(ctx, t0.LongPollID)
	b1 := e.mineGen()
	r := <-poll
	if r.err != nil || r.t.PreviousBlockHash != b1.BlockHash().String() || r.t.Height != 2 {
		t.Fatalf("after a new tip: %+v %v", r.t, r.err)
	}
	// A longpollid of an older tip returns at once.
	if r := <-e.longPoll(ctx, t0.LongPollID); r.err != nil || r.t.Height != 2 {
		t.Fatalf("stale longpollid: %+v %v", r.t, r.err)
	}

	// A mempool change ends it once the delay passed since the call.
	e.mining.mempoolDelay = 300 * time.Millisecond
	t1 := r.t
	start := time.Now()
	poll = e.longPoll(ctx, t1.LongPollID)
	tx := e.gen.SpendTx([]chaintest.SpendableOut{e.gen.CoinbaseOut("b1")}, 5000, 1)
	if _, _, err := e.pool.ProcessTransaction(tx, false, 0); err != nil {
		t.Fatal(err)
	}
	r = <-poll
	if r.err != nil || len(r.t.Transactions) != 1 || r.t.Transactions[0].TxID != tx.TxID().String() || r.t.Transactions[0].Fee != 5000 ||
		r.t.CoinbaseValue != e.params.CalcBlockSubsidy(2)+5000 || r.t.LongPollID == t1.LongPollID {
		t.Fatalf("after a mempool change: %+v %v", r.t, r.err)
	}
	if waited := r.at.Sub(start); waited < e.mining.mempoolDelay {
		t.Fatalf("returned %v after a mempool change, before the %v delay", waited, e.mining.mempoolDelay)
	}
	// The template's transactions are valid in a block on its tip.
	tmpl, err := miner.TemplateFromRPC(r.t)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := miner.SolveBlock(ctx, tmpl, wire.KeyHash{1}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := e.chain.ProcessBlock(blk); err != nil || !res.MainChain {
		t.Fatalf("block from the template: %+v %v", res, err)
	}
	// That block took the tx out of the mempool.
	t2, err := e.mining.Template(ctx, "")
	if err != nil || len(t2.Transactions) != 0 || t2.Height != 3 {
		t.Fatalf("after mining the tx: %+v %v", t2, err)
	}

	// Nothing changes: the maximum wait returns the same template id.
	e.mining.maxWait = 100 * time.Millisecond
	if r := <-e.longPoll(ctx, t2.LongPollID); r.err != nil || r.t.LongPollID != t2.LongPollID {
		t.Fatalf("after the maximum wait: %+v %v", r.t, r.err)
	}
	e.mining.maxWait = time.Hour

	// Cancelled request; malformed id; node stopping.
	cctx, cancel := context.WithCancel(ctx)
	poll = e.longPoll(cctx, t2.LongPollID)
	cancel()
	if r := <-poll; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled long-poll: %v", r.err)
	}
	// A malformed longpollid is -8 in the user's terms (no strconv text).
	for _, bad := range []string{"x", strings.Repeat("0", 64), t2.LongPollID[:64] + "-1", t2.LongPollID[:64] + "x",
		t2.LongPollID[:64] + "99999999999999999999999", strings.Repeat("z", 64) + "1"} {
		var rpcErr *rpc.Error
		want := fmt.Sprintf("invalid longpollid %q: pass the longpollid of an earlier template as it came (64 hex digits, then a whole number)", bad)
		if _, err := e.mining.Template(ctx, bad); !errors.As(err, &rpcErr) || rpcErr.Code != rpc.CodeInvalidParameter || rpcErr.Message != want {
			t.Errorf("longpollid %q: %v, want -8 %q", bad, err, want)
		}
	}
	poll = e.longPoll(ctx, t2.LongPollID)
	close(e.stop)
	if r := <-poll; !errors.Is(r.err, errShuttingDown) {
		t.Fatalf("long-poll at shutdown: %v", r.err)
	}
}

// TestDifficultyFollowsASERT: on a chain on aserti3-2d's schedule, blocks
// mined from the node's templates faster than the target spacing make
// the target harder block after block, and slower blocks make it easier;
// every template's bits are exactly what aserti3-2d gives for its parent,
// and the chain accepts every block.
func TestDifficultyFollowsASERT(t *testing.T) {
	e := newMiningEnv(t, miningGenesis)
	ctx := context.Background()
	mine := func(blocks int, step time.Duration) []uint32 {
		var bits []uint32
		for range blocks {
			e.clock.Advance(step)
			tip := e.chain.Tip()
			r, err := e.mining.Template(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			tmpl, err := miner.TemplateFromRPC(r)
			if err != nil {
				t.Fatal(err)
			}
			if want := e.params.NextBits(tip.Height, tip.Header.Timestamp, tip.AnchorTime); tmpl.Bits != want {
				t.Fatalf("height %d: bits %08x, aserti3-2d says %08x", tmpl.Height, tmpl.Bits, want)
			}
			blk, err := miner.SolveBlock(ctx, tmpl, wire.KeyHash{1}, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res, err := e.chain.ProcessBlock(blk); err != nil || !res.MainChain {
				t.Fatalf("height %d: %+v %v", tmpl.Height, res, err)
			}
			bits = append(bits, tmpl.Bits)
		}
		return bits
	}
	target := func(bits uint32) string { return fmt.Sprintf("%064x", chain.CompactToBig(bits)) } // compares like the number
	start := e.params.GenesisBlock.Header.Bits

	// Forty blocks in two seconds (the spacing is one second).
	fast := mine(40, 50*time.Millisecond)
	for i := 1; i < len(fast); i++ {
		if target(fast[i]) > target(fast[i-1]) {
			t.Fatalf("fast blocks: target rose at block %d: %08x -> %08x", i+1, fast[i-1], fast[i])
		}
	}
	if last := fast[len(fast)-1]; target(last) >= target(start) {
		t.Fatalf("forty fast blocks left the target at %08x (genesis %08x): not harder", last, start)
	}
	// Then forty blocks ten seconds apart.
	slow := mine(40, 10*time.Second)
	for i := 1; i < len(slow); i++ {
		if target(slow[i]) < target(slow[i-1]) {
			t.Fatalf("slow blocks: target fell at block %d: %08x -> %08x", i+1, slow[i-1], slow[i])
		}
	}
	if last, before := slow[len(slow)-1], fast[len(fast)-1]; target(last) <= target(before) {
		t.Fatalf("forty slow blocks left the target at %08x (was %08x): not easier", last, before)
	}
	t.Logf("bits: genesis %08x, after fast blocks %08x, after slow blocks %08x", start, fast[len(fast)-1], slow[len(slow)-1])
}
