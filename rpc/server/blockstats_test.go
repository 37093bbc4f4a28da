package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"powchain/chain/chaintest"
	"powchain/proto/pb"
	"powchain/rpc"
	"powchain/wire"
)

// spentEntry is an output a test's transaction spends, as the test built
// it.
type spentEntry struct {
	amount   uint64
	keyHash  wire.KeyHash
	height   uint64
	coinbase bool
}

// utxoRecordBytes is the size of the UTXO set's database record of an
// output: a prefix byte and the outpoint (32 + 4 bytes) as its key, the
// protobuf encoding of its entry as its value.
func utxoRecordBytes(t *testing.T, e spentEntry) int64 {
	t.Helper()
	val, err := proto.Marshal(&pb.UtxoEntry{Amount: e.amount, KeyHash: e.keyHash[:], Height: e.height, Coinbase: e.coinbase})
	if err != nil {
		t.Fatal(err)
	}
	return int64(1 + 32 + 4 + len(val))
}

// wantBlockStats is getblockstats' answer for blk, computed here from the
// block the test built and what each of its spends spent (spent, by
// transaction), following Bitcoin Core's definitions with sizes for
// weights: written out loop by loop, and the percentiles by another road
// (each transaction's rate repeated once per byte of it, the rate at the
// byte where the share is reached).
func wantBlockStats(t *testing.T, e *env, blk *wire.Block, spent map[*wire.Tx][]spentEntry) rpc.BlockStats {
	t.Helper()
	info, ok := e.chain.BlockInfoByHash(blk.BlockHash())
	if !ok {
		t.Fatal("block unknown")
	}
	w := rpc.BlockStats{BlockHash: blk.BlockHash().String(), Height: info.Height, MedianTime: info.MedianTime,
		Time: blk.Header.Timestamp, Txs: uint64(len(blk.Transactions))}
	var fees, sizes []uint64
	var byteRates []uint64
	var utxoBytes int64
	first := true
	for i, tx := range blk.Transactions {
		w.Outs += uint64(len(tx.Outputs))
		var out uint64
		for _, o := range tx.Outputs {
			out += o.Amount
			utxoBytes += utxoRecordBytes(t, spentEntry{o.Amount, o.KeyHash, info.Height, i == 0})
		}
		if i == 0 {
			continue
		}
		prev, ok := spent[tx]
		if !ok || len(prev) != len(tx.Inputs) {
			t.Fatalf("the test did not record what tx %d spent", i)
		}
		var in uint64
		for _, p := range prev {
			in += p.amount
			utxoBytes -= utxoRecordBytes(t, p)
		}
		fee, size := in-out, uint64(len(tx.Bytes()))
		rate := fee * 1000 / size
		w.Ins += uint64(len(tx.Inputs))
		w.TotalOut += out
		w.TotalFee += fee
		w.TotalSize += size
		fees, sizes = append(fees, fee), append(sizes, size)
		for range size {
			byteRates = append(byteRates, rate)
		}
		if first || fee < w.MinFee {
			w.MinFee = fee
		}
		if first || size < w.MinTxSize {
			w.MinTxSize = size
		}
		if first || rate < w.MinFeeRate {
			w.MinFeeRate = rate
		}
		w.MaxFee, w.MaxTxSize, w.MaxFeeRate = max(w.MaxFee, fee), max(w.MaxTxSize, size), max(w.MaxFeeRate, rate)
		first = false
	}
	w.Subsidy = blk.Transactions[0].Outputs[0].Amount - w.TotalFee // the generator's coinbase pays subsidy and fees
	if n := uint64(len(fees)); n > 0 {
		w.AvgFee, w.AvgTxSize, w.AvgFeeRate = w.TotalFee/n, w.TotalSize/n, w.TotalFee*1000/w.TotalSize
		median := func(v []uint64) uint64 {
			v = slices.Sorted(slices.Values(v))
			if len(v)%2 == 1 {
				return v[len(v)/2]
			}
			return (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		w.MedianFee, w.MedianTxSize = median(fees), median(sizes)
		slices.Sort(byteRates)
		for i, share := range [][2]uint64{{1, 10}, {1, 4}, {1, 2}, {3, 4}, {9, 10}} {
			at := (w.TotalSize*share[0] + share[1] - 1) / share[1] // the first byte where the share is reached, counting from 1
			w.FeeRatePercentiles[i] = byteRates[at-1]
		}
	}
	w.UtxoIncrease = int64(w.Outs) - int64(w.Ins)
	w.UtxoSizeInc = utxoBytes
	w.UtxoIncreaseActual, w.UtxoSizeIncActual = w.UtxoIncrease, w.UtxoSizeInc
	return w
}

// blockStatsOf calls getblockstats with params and decodes the full result.
func (e *env) blockStatsOf(params ...any) rpc.BlockStats {
	e.t.Helper()
	var raw map[string]json.RawMessage
	e.must("getblockstats", &raw, params...)
	var s rpc.BlockStats
	all, _ := json.Marshal(raw)
	if err := json.Unmarshal(all, &s); err != nil {
		e.t.Fatal(err)
	}
	if want := len(jsonFields(rpc.BlockStats{})); len(raw) != want {
		e.t.Fatalf("getblockstats %v has %d fields, want %d: %v", params, len(raw), want, raw)
	}
	return s
}

// jsonFields is v's encoding by key.
func jsonFields(v any) map[string]json.RawMessage {
	raw, _ := json.Marshal(v)
	var fields map[string]json.RawMessage
	json.Unmarshal(raw, &fields)
	return fields
}

// chainedSpent is what chainedSpends' transactions spent, as entries.
func chainedSpent(e *env, f chainedSpends) map[*wire.Tx][]spentEntry {
	out := map[*wire.Tx][]spentEntry{}
	for tx, prevs := range f.spent {
		for _, p := range prevs {
			out[tx] = append(out[tx], spentEntry{uint64(p.Value), e.miner.KeyHash(), p.Height, p.Coinbase})
		}
	}
	return out
}

// TestGetBlockStats: getblockstats of a best-chain block with two chained
// spends, of a block of six spends at several fee rates and sizes (the
// percentiles), of an empty block and of the genesis block, by hash and
// by height, equals what the test computes from the blocks it built; a
// block off the best chain has none (Undo data not available) until a
// reorganisation puts it on, and the block it replaced has none then.
func TestGetBlockStats(t *testing.T) {
	e := newEnv(t)
	g := e.miner
	f := e.chainedSpends()
	spent := chainedSpent(e, f)
	check := func(what string, blk *wire.Block, got rpc.BlockStats) {
		t.Helper()
		if want := wantBlockStats(t, e, blk, spent); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
		}
	}
	spend := f.best
	check("two chained spends", spend, e.blockStatsOf(spend.BlockHash().String()))
	check("two chained spends by height", spend, e.blockStatsOf(g.Height("spend")))
	if s := e.blockStatsOf(spend.BlockHash().String()); s.Ins != 3 || s.Txs != 3 || s.TotalFee != 12_000 || s.MinFee != 5_000 || s.MaxFee != 7_000 {
		t.Errorf("the two spends: ins %d, txs %d, fees %d (min %d, max %d); want 3, 3, 12000 (5000, 7000)", s.Ins, s.Txs, s.TotalFee, s.MinFee, s.MaxFee)
	}
	empty := g.Block("b3")
	check("an empty block", empty, e.blockStatsOf(empty.BlockHash().String()))
	if s := e.blockStatsOf(3); s.Ins != 0 || s.Outs != 1 || s.TotalSize != 0 || s.FeeRatePercentiles != [5]uint64{} || s.UtxoIncrease != 1 || s.UtxoSizeInc <= 0 {
		t.Errorf("the empty block: %+v", s)
	}
	check("the genesis block", e.params.GenesisBlock, e.blockStatsOf(0))

	// Six spends of matured coinbases, at fees and sizes (1 to 3 outputs)
	// chosen so that the rates differ and the percentiles fall on
	// different transactions.
	g.SetTip("spend")
	for _, name := range []string{"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"} {
		e.process(g.NextBlock(name, nil))
	}
	var txs []*wire.Tx
	for _, c := range []struct {
		from string
		fee  uint64
		outs int
	}{{"c1", 100, 1}, {"c2", 50_000, 3}, {"c3", 2_000, 2}, {"c4", 9_000, 1}, {"c5", 300, 3}, {"c6", 1_200, 2}} {
		from := g.CoinbaseOut(c.from)
		tx := g.SpendTx([]chaintest.SpendableOut{from}, c.fee, c.outs)
		txs = append(txs, tx)
		spent[tx] = []spentEntry{{from.Amount, g.KeyHash(), g.Height(c.from), true}}
	}
	rates := g.NextBlock("rates", txs)
	e.process(rates)
	got := e.blockStatsOf(rates.BlockHash().String())
	check("six spends at several rates", rates, got)
	distinct := map[uint64]bool{}
	for _, r := range got.FeeRatePercentiles {
		distinct[r] = true
	}
	if len(distinct) < 4 || !slices.IsSorted(got.FeeRatePercentiles[:]) {
		t.Errorf("percentiles %v: want at least 4 different rates, lowest first", got.FeeRatePercentiles)
	}

	// Off the best chain: the side block with the same spends has no undo
	// record. Once the best block is invalidated the side block is the
	// tip and has its statistics, the same fees; the other has none.
	undoMissing := "Undo data not available (the node keeps it for best-chain blocks only)"
	if err := e.expectCode("getblockstats", rpc.CodeMiscError, f.side.BlockHash().String()); err.Message != undoMissing {
		t.Errorf("side block: %q", err.Message)
	}
	e.must("invalidateblock", nil, spend.BlockHash().String())
	if tip := e.chain.Tip().Hash; tip != f.side.BlockHash() {
		t.Fatalf("the tip is %s, not the side block", tip)
	}
	check("the side block, now the tip", f.side, e.blockStatsOf(f.side.BlockHash().String()))
	check("the side block by height", f.side, e.blockStatsOf(g.Height("side")))
	if err := e.expectCode("getblockstats", rpc.CodeMiscError, spend.BlockHash().String()); err.Message != undoMissing {
		t.Errorf("the block the reorganisation took off: %q", err.Message)
	}
}

// TestGetBlockStatsSelected: with stats, only those fields (each once,
// in key order, as Core's), with the values of the full answer; an empty
// array or null is every field.
func TestGetBlockStatsSelected(t *testing.T) {
	e := newEnv(t)
	f := e.chainedSpends()
	hash := f.best.BlockHash().String()
	full := jsonFields(e.blockStatsOf(hash))
	for _, stats := range [][]string{
		{"minfeerate", "avgfeerate"},
		{"height"},
		{"feerate_percentiles", "utxo_size_inc", "utxo_size_inc_actual", "blockhash", "feerate_percentiles"},
		sortedKeys(full),
	} {
		var raw json.RawMessage
		e.must("getblockstats", &raw, hash, stats)
		var got map[string]json.RawMessage
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]json.RawMessage{}
		for _, s := range stats {
			want[s] = full[s]
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("stats %v: %s, want %v", stats, raw, want)
		}
		if keys := sortedKeys(got); fmt.Sprint(keys) != fmt.Sprint(jsonKeyOrder(t, raw)) {
			t.Errorf("stats %v: keys in the order %v, want %v", stats, jsonKeyOrder(t, raw), keys)
		}
	}
	for _, params := range [][]any{{hash, []string{}}, {hash, nil}} {
		if got := jsonFields(e.blockStatsOf(params...)); !reflect.DeepEqual(got, full) {
			t.Errorf("stats %v: %v, want every field %v", params[1], got, full)
		}
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// jsonKeyOrder lists an object's keys in the order they were sent.
func jsonKeyOrder(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestGetBlockStatsErrors: Bitcoin Core's errors for heights and unknown
// statistics, the node's for blocks it cannot give statistics of, and the
// parameter errors docs/RPC.md lays down.
func TestGetBlockStatsErrors(t *testing.T) {
	e := newEnv(t)
	f := e.chainedSpends()
	g := e.miner
	g.SetTip("spend")
	headerOnly := g.NextBlock("header-only", nil)
	if err := e.chain.ProcessHeaders([]wire.BlockHeader{headerOnly.Header}); err != nil {
		t.Fatal(err)
	}
	tip := g.Height("spend")
	best := `"` + f.best.BlockHash().String() + `"`
	checkParamErrors(t, e, []paramCase{
		{"getblockstats", `[` + best + `]`, 0, ""},
		{"getblockstats", fmt.Sprintf("[%d]", tip), 0, ""},
		{"getblockstats", fmt.Sprintf("[%d]", tip+1), rpc.CodeInvalidParameter, fmt.Sprintf("Target block height %d after current tip %d", tip+1, tip)},
		{"getblockstats", `[-1]`, rpc.CodeInvalidParameter, "Target block height -1 is negative"},
		{"getblockstats", `[1.5]`, rpc.CodeInvalidParameter, fmt.Sprintf("hash_or_height out of range: must be a whole number from 0 to %d", tip)},
		{"getblockstats", `[1e30]`, rpc.CodeInvalidParameter, fmt.Sprintf("hash_or_height out of range: must be a whole number from 0 to %d", tip)},
		{"getblockstats", `[true]`, rpc.CodeTypeError, "Expected type string or number for hash_or_height, got boolean"},
		{"getblockstats", `[{}]`, rpc.CodeTypeError, "Expected type string or number for hash_or_height, got object"},
		{"getblockstats", `["zz"]`, rpc.CodeInvalidParameter, "hash_or_height: hash must be 64 hex digits, got 2 characters"},
		{"getblockstats", `["` + wire.Hash{1}.String() + `"]`, rpc.CodeInvalidAddress, "Block not found"},
		{"getblockstats", `["` + headerOnly.BlockHash().String() + `"]`, rpc.CodeMiscError, "Block not available (header only)"},
		{"getblockstats", `["` + f.side.BlockHash().String() + `"]`, rpc.CodeMiscError, "Undo data not available (the node keeps it for best-chain blocks only)"},
		{"getblockstats", `[]`, rpc.CodeInvalidParams, "missing parameter 1 (hash_or_height)"},
		{"getblockstats", `[null]`, rpc.CodeInvalidParams, "missing parameter 1 (hash_or_height)"},
		{"getblockstats", `[` + best + `, "height"]`, rpc.CodeTypeError, "Expected type array for stats, got string"},
		{"getblockstats", `[` + best + `, [1]]`, rpc.CodeTypeError, "Expected type string for stats, got number"},
		{"getblockstats", `[` + best + `, ["height", "nope"]]`, rpc.CodeInvalidParameter, "Invalid selected statistic 'nope'"},
		// Core's segwit and weight fields are not offered.
		{"getblockstats", `[` + best + `, ["swtxs"]]`, rpc.CodeInvalidParameter, "Invalid selected statistic 'swtxs'"},
		{"getblockstats", `[` + best + `, ["total_weight"]]`, rpc.CodeInvalidParameter, "Invalid selected statistic 'total_weight'"},
		// An unknown statistic is refused before the block is read.
		{"getblockstats", `["` + headerOnly.BlockHash().String() + `", ["nope"]]`, rpc.CodeInvalidParameter, "Invalid selected statistic 'nope'"},
		{"getblockstats", `[` + best + `, [], 1]`, rpc.CodeInvalidParams, "getblockstats takes at most 2 parameters, got 3 (usage: getblockstats hash_or_height ( stats ))"},
	})
}
