package server_test

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"testing"

	"powchain/chain/chaintest"
	"powchain/rpc"
	"powchain/wire"
)

// getdifficulty, getnetworkhashps and getmininginfo, as Bitcoin Core
// answers them.

// hashRateChain builds a best chain of 25 blocks with irregular
// timestamps, some earlier than their parent's and three equal, ahead of
// aserti3-2d's schedule, so that the blocks have different targets and
// the earliest and latest timestamps of a window are not always its ends.
// It returns every header from the genesis block's on, by height.
func hashRateChain(t *testing.T, e *env) []wire.BlockHeader {
	t.Helper()
	g := e.miner
	headers := []wire.BlockHeader{e.params.GenesisBlock.Header}
	start := e.params.GenesisBlock.Header.Timestamp
	// Seconds after the genesis block; each above the median time past of
	// its parent, as the chain requires. Blocks 13 to 15 share one.
	offsets := []int64{2, 3, 5, 4, 6, 7, 7, 8, 6, 9, 10, 11, 12, 12, 12, 14, 13, 15, 16, 14, 18, 19, 17, 16, 20}
	for i, off := range offsets {
		blk := g.NextBlock(fmt.Sprintf("h%d", i+1), nil, func(b *wire.Block) { b.Header.Timestamp = start + off })
		if _, err := e.chain.ProcessBlock(blk); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
		headers = append(headers, blk.Header)
	}
	if tip := e.chain.Tip(); tip.Height != uint64(len(offsets)) || tip.Hash != headers[len(headers)-1].BlockHash() {
		t.Fatalf("tip %d %s, want the last block built", tip.Height, tip.Hash)
	}
	return headers
}

// wantHashPS computes, from the headers alone, Bitcoin Core's
// getnetworkhashps of the window of nblocks ending at height: the work of
// its blocks (2^256 / (target + 1) each, the targets decoded from the
// bits here) over the span of the timestamps of those blocks and the one
// before them; 0 at height 0 or for an empty span.
func wantHashPS(headers []wire.BlockHeader, nblocks, height int) float64 {
	if height == 0 {
		return 0
	}
	nblocks = min(nblocks, height)
	work := new(big.Int)
	earliest, latest := headers[height].Timestamp, headers[height].Timestamp
	for h := height - nblocks; h <= height; h++ {
		earliest, latest = min(earliest, headers[h].Timestamp), max(latest, headers[h].Timestamp)
		if h == height-nblocks {
			continue // its work is before the window
		}
		bits := headers[h].Bits
		target := new(big.Int).Lsh(big.NewInt(int64(bits&0x007fffff)), 8*uint(bits>>24-3))
		work.Add(work, new(big.Int).Quo(new(big.Int).Lsh(big.NewInt(1), 256), target.Add(target, big.NewInt(1))))
	}
	if earliest == latest {
		return 0
	}
	w, _ := new(big.Float).SetInt(work).Float64()
	return w / float64(latest-earliest)
}

func closeEnough(got, want float64) bool {
	return got == want || math.Abs(got-want) <= 1e-12*math.Abs(want)
}

func TestGetNetworkHashPS(t *testing.T) {
	e := newEnv(t)
	var got float64
	e.must("getnetworkhashps", &got)
	if got != 0 {
		t.Fatalf("at the genesis block: %v, want 0", got)
	}
	headers := hashRateChain(t, e)
	tip := len(headers) - 1
	distinct := map[uint32]bool{}
	for _, h := range headers {
		distinct[h.Bits] = true
	}
	if len(distinct) < 3 {
		t.Fatalf("the test chain has only %d distinct targets: it does not test the work's sum", len(distinct))
	}
	for height := 0; height <= tip; height++ {
		for _, nblocks := range []int{1, 2, 3, 4, 5, 11, 120, tip + 7} {
			e.must("getnetworkhashps", &got, nblocks, height)
			if want := wantHashPS(headers, nblocks, height); !closeEnough(got, want) {
				t.Errorf("getnetworkhashps %d %d = %v, want %v", nblocks, height, got, want)
			}
		}
	}
	// The defaults: 120 blocks, ending at the tip (-1); null leaves one out.
	for _, c := range []struct {
		params          []any
		nblocks, height int
	}{
		{nil, 120, tip},
		{[]any{7}, 7, tip},
		{[]any{7, -1}, 7, tip},
		{[]any{nil, 10}, 120, 10},
		{[]any{nil, nil}, 120, tip},
	} {
		e.must("getnetworkhashps", &got, c.params...)
		if want := wantHashPS(headers, c.nblocks, c.height); !closeEnough(got, want) {
			t.Errorf("getnetworkhashps %v = %v, want %v", c.params, got, want)
		}
	}
	// Blocks 14 and 15 have one timestamp: no span, 0 (Core's answer, not
	// a division by zero); block 16 spans two seconds from block 14.
	if e.must("getnetworkhashps", &got, 1, 15); got != 0 {
		t.Errorf("a window of equal timestamps: %v, want 0", got)
	}
	if e.must("getnetworkhashps", &got, 2, 16); got == 0 {
		t.Errorf("a window of two seconds: 0")
	}
	// Among the windows above, that of 4 blocks ending at 24 has its
	// latest timestamp at block 22, and that of 3 ending at 9 its earliest
	// at block 9: the span is from the earliest to the latest, as Core's,
	// not from one end to the other.
	if headers[22].Timestamp <= headers[24].Timestamp || headers[9].Timestamp >= headers[6].Timestamp {
		t.Fatal("the test chain no longer has windows whose ends are not their extremes")
	}
}

func TestGetMiningInfo(t *testing.T) {
	e := newEnv(t)
	headers := hashRateChain(t, e)
	g := e.miner
	tx := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("h1")}, 5000, 1)
	e.must("sendrawtransaction", nil, hex.EncodeToString(tx.Bytes()))

	var info rpc.MiningInfo
	e.must("getmininginfo", &info)
	tip := headers[len(headers)-1]
	var hashps, difficulty float64
	e.must("getnetworkhashps", &hashps)
	e.must("getdifficulty", &difficulty)
	var chainInfo rpc.BlockchainInfo
	e.must("getblockchaininfo", &chainInfo)
	wantTarget := fmt.Sprintf("%064x", new(big.Int).Lsh(big.NewInt(int64(tip.Bits&0x007fffff)), 8*uint(tip.Bits>>24-3)))
	if info.Blocks != uint64(len(headers)-1) || info.Bits != fmt.Sprintf("%08x", tip.Bits) || info.Target != wantTarget ||
		info.Difficulty != difficulty || difficulty != chainInfo.Difficulty || info.NetworkHashPS != hashps ||
		!closeEnough(hashps, wantHashPS(headers, 120, len(headers)-1)) || info.PooledTx != 1 || info.Chain != "chaintest" {
		t.Fatalf("getmininginfo %+v; want blocks %d, bits %08x, target %s, difficulty %v (getblockchaininfo's %v), networkhashps %v, pooledtx 1, chain chaintest",
			info, len(headers)-1, tip.Bits, wantTarget, difficulty, chainInfo.Difficulty, hashps)
	}
	// The tip's difficulty is the proof-of-work limit over its target.
	limit, _ := new(big.Float).SetInt(e.params.PowLimit).Float64()
	target, _ := new(big.Int).SetString(wantTarget, 16)
	tf, _ := new(big.Float).SetInt(target).Float64()
	if !closeEnough(difficulty, limit/tf) {
		t.Errorf("getdifficulty %v, want %v", difficulty, limit/tf)
	}

	// next is the target the chain then requires of the next block.
	next := info.Next
	blk := g.NextBlock("after", []*wire.Tx{tx})
	if _, err := e.chain.ProcessBlock(blk); err != nil {
		t.Fatal(err)
	}
	nextTarget := new(big.Int).Lsh(big.NewInt(int64(blk.Header.Bits&0x007fffff)), 8*uint(blk.Header.Bits>>24-3))
	if next.Height != info.Blocks+1 || next.Bits != fmt.Sprintf("%08x", blk.Header.Bits) || next.Target != fmt.Sprintf("%064x", nextTarget) {
		t.Fatalf("getmininginfo's next %+v; the next block has bits %08x", next, blk.Header.Bits)
	}
	if next.Bits == info.Bits {
		t.Fatalf("the next block's bits are the tip's (%s): the test does not tell next from the tip", next.Bits)
	}
	var after rpc.MiningInfo
	e.must("getmininginfo", &after)
	if after.Blocks != next.Height || after.Bits != next.Bits || after.Difficulty != next.Difficulty || after.Target != next.Target || after.PooledTx != 0 {
		t.Fatalf("after the next block: %+v; it said next %+v", after, next)
	}
}

// TestWatchMethodsParameterErrors: getnetworkhashps, getmininginfo and
// getdifficulty refuse bad parameters with Bitcoin Core's codes and
// messages (Core's own where it has one), in the user's terms.
func TestWatchMethodsParameterErrors(t *testing.T) {
	e := newEnv(t)
	var hashes []string
	e.must("generatetoaddress", &hashes, 3, e.address(e.miner.KeyHash()))
	const positive = "Invalid nblocks. Must be a positive whole number."
	const noBlock = "Block does not exist at specified height"
	checkParamErrors(t, e, []paramCase{
		{"getnetworkhashps", `[0]`, rpc.CodeInvalidParameter, positive},
		{"getnetworkhashps", `[-2]`, rpc.CodeInvalidParameter, positive},
		{"getnetworkhashps", `[1.5]`, rpc.CodeInvalidParameter, positive},
		{"getnetworkhashps", `[1e30]`, rpc.CodeInvalidParameter, positive},
		{"getnetworkhashps", `[-1]`, rpc.CodeInvalidParameter, "Invalid nblocks. -1 (the blocks since the last difficulty change) is not offered: the difficulty changes at every block (aserti3-2d), or never (regtest). Give a positive number of blocks."},
		{"getnetworkhashps", `["120"]`, rpc.CodeTypeError, "Expected type number for nblocks, got string"},
		{"getnetworkhashps", `[true]`, rpc.CodeTypeError, "Expected type number for nblocks, got boolean"},
		{"getnetworkhashps", `[5, -2]`, rpc.CodeInvalidParameter, noBlock},
		{"getnetworkhashps", `[5, 4]`, rpc.CodeInvalidParameter, noBlock}, // above the tip
		{"getnetworkhashps", `[5, 1.5]`, rpc.CodeInvalidParameter, noBlock},
		{"getnetworkhashps", `[5, 1e30]`, rpc.CodeInvalidParameter, noBlock},
		{"getnetworkhashps", `[5, "3"]`, rpc.CodeTypeError, "Expected type number for height, got string"},
		{"getnetworkhashps", `[5, 3, 1]`, rpc.CodeInvalidParams, "getnetworkhashps takes at most 2 parameters, got 3 (usage: getnetworkhashps ( nblocks height ))"},
		{"getnetworkhashps", `[5, 3]`, 0, ""},
		{"getnetworkhashps", `[9223372036854775807, 0]`, 0, ""},
		{"getmininginfo", `[1]`, rpc.CodeInvalidParams, "getmininginfo takes no parameters, got 1"},
		{"getdifficulty", `[true]`, rpc.CodeInvalidParams, "getdifficulty takes no parameters, got 1"},
	})
}
