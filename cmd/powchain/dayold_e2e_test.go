package main

import (
	"context"
	"encoding/hex"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/rpc"
	"powchain/wire"
)

// dayEntriesEnv runs TestMinerWalletOfADay with a history of that many
// entries (86400: a miner's wallet after a day of the local network).
const dayEntriesEnv = "POWCHAIN_DAY_ENTRIES"

// TestMinerWalletOfADay (long, outside CI: POWCHAIN_DAY_ENTRIES=86400)
// asks what a developer's miner wallet does after a day of the local
// network, where every block pays it a coinbase: a history of an entry a
// block, and a new block every second. A regtest node (no day of blocks
// can be made in less than a day: timestamps may run at most two hours
// ahead) gives the wallet's address that many outputs through
// transactions of 1,000 outputs each, then makes a block a second while
// `powchain wallet balance` runs ten times; it fails if any fails. Each
// reads the whole history while blocks arrive. The durations go to
// docs/BENCHMARKS.md.
func TestMinerWalletOfADay(t *testing.T) {
	entries, _ := strconv.Atoi(os.Getenv(dayEntriesEnv))
	if entries <= 0 {
		t.Skipf("long: set %s to the history's length (86400: a day at a block a second)", dayEntriesEnv)
	}
	datadir := t.TempDir()
	startNodeArgs(t, datadir, chain.RegtestNet, "--connect", "0")
	client := clientOn(t, datadir, chain.RegtestNet)
	cheapWalletOn(t, datadir, chain.RegtestParams(), "miner")
	wallet := []string{"--datadir", datadir, "--network", chain.RegtestNet, "--wallet", "miner"}
	address := lastLine(mustCLI(t, walletEnv, append([]string{"wallet", "address"}, wallet...)...))
	start := time.Now()
	payOutputs(t, client, address, entries)
	t.Logf("%d outputs paid to the wallet in %s", entries, time.Since(start).Round(time.Second))

	ctx, cancel := context.WithCancel(context.Background())
	pacer := make(chan int)
	go func() { // a block a second, until the commands are done
		n := 0
		defer func() { pacer <- n }()
		for tick := time.NewTicker(time.Second); ; {
			select {
			case <-ctx.Done():
				tick.Stop()
				return
			case <-tick.C:
				if _, err := client.GenerateToAddress(ctx, 1, regtestAddress(wire.KeyHash{9})); err == nil {
					n++
				}
			}
		}
	}()
	var took []time.Duration
	failed := 0
	for range 10 {
		began := time.Now()
		r := runCLI(t, walletEnv, append([]string{"wallet", "balance"}, wallet...)...)
		took = append(took, time.Since(began))
		if r.code != 0 {
			failed++
			t.Logf("wallet balance: exit %d: %s", r.code, r.stderr)
		}
	}
	cancel()
	paced := <-pacer
	slices.Sort(took)
	t.Logf("10 balances of a history of %d entries while %d blocks came: median %s, slowest %s, %d failed",
		entries, paced, took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond), failed)
	if failed > 0 {
		t.Errorf("%d of 10 wallet balance commands failed", failed)
	}
}

// payOutputs pays n outputs to address on a regtest node: coinbases of a
// test key, each split into up to 1,000 outputs, mined until the mempool
// is empty.
func payOutputs(t *testing.T, client *rpc.Client, address string, n int) {
	t.Helper()
	ctx := context.Background()
	params := chain.RegtestParams()
	key := chaintest.Key(1)
	txs := (n + 999) / 1000
	hashes := generate(t, client, txs+int(params.CoinbaseMaturity), regtestAddress(wire.HashPubKey(wire.XOnlyPubKey(key))))
	payTo, err := wire.DecodeAddress(params.AddressPrefix, address)
	if err != nil {
		t.Fatal(err)
	}
	for i := range txs {
		var blk struct{ Tx []string }
		if err := client.Call(ctx, "getblock", []any{hashes[i], 1}, &blk); err != nil {
			t.Fatal(err)
		}
		coinbase, _ := wire.ParseHash(blk.Tx[0])
		tx := &wire.Tx{Version: 1, Inputs: []wire.TxIn{{PrevOut: wire.OutPoint{TxID: coinbase}}}}
		outs := min(1000, n-1000*i)
		for range outs {
			tx.Outputs = append(tx.Outputs, wire.TxOut{Amount: (params.InitialSubsidy - wire.CoinValue) / 1000, KeyHash: payTo})
		}
		if err := wire.SignInputs(tx, []*btcec.PrivateKey{key}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.SendRawTransaction(ctx, hex.EncodeToString(tx.Bytes())); err != nil {
			t.Fatal(err)
		}
	}
	for {
		var info rpc.MempoolInfo
		if err := client.Call(ctx, "getmempoolinfo", nil, &info); err != nil {
			t.Fatal(err)
		}
		if info.Size == 0 {
			return
		}
		generate(t, client, 1, regtestAddress(wire.KeyHash{9}))
	}
}

// regtestAddress is kh's address on regtest.
func regtestAddress(kh wire.KeyHash) string {
	a, _ := wire.EncodeAddress(chain.RegtestParams().AddressPrefix, kh)
	return a
}
