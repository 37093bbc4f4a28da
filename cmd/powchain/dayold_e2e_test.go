package main

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"powchain/chain"
)

// dayBlocksEnv runs TestMinerWalletOfADay with a chain of that many blocks
// paying the miner's wallet (86400: a day of the local network).
const dayBlocksEnv = "POWCHAIN_DAY_BLOCKS"

// TestMinerWalletOfADay (long, outside CI: POWCHAIN_DAY_BLOCKS=86400) asks
// what a developer's miner wallet does after a day of the local network: a
// regtest node whose chain pays every coinbase to the wallet's address, so
// that its history has an entry a block, and a new block every second
// meanwhile (the local network's pace). It runs `powchain wallet balance` ten times
// and fails if any fails; each takes as long as reading the whole history,
// and blocks arrive while it reads. The durations go to docs/BENCHMARKS.md.
func TestMinerWalletOfADay(t *testing.T) {
	blocks, _ := strconv.Atoi(os.Getenv(dayBlocksEnv))
	if blocks <= 0 {
		t.Skipf("long: set %s to the chain's length (86400: a day at a block a second)", dayBlocksEnv)
	}
	// regtest: the local network's difficulty keeps its blocks a second
	// apart, so a day of them would take a day to make.
	datadir := t.TempDir()
	startNodeArgs(t, datadir, chain.RegtestNet, "--connect", "0")
	client := clientOn(t, datadir, chain.RegtestNet)
	cheapWalletOn(t, datadir, chain.RegtestParams(), "miner")
	wallet := []string{"--datadir", datadir, "--network", chain.RegtestNet, "--wallet", "miner"}
	address := lastLine(mustCLI(t, walletEnv, append([]string{"wallet", "address"}, wallet...)...))
	start := time.Now()
	for mined := 0; mined < blocks; mined += 10_000 {
		generate(t, client, min(10_000, blocks-mined), address)
	}
	t.Logf("%d blocks mined in %s", blocks, time.Since(start).Round(time.Second))

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
				if _, err := client.GenerateToAddress(ctx, 1, address); err == nil {
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
	t.Logf("10 balances of a history of %d+ entries while %d blocks came: median %s, slowest %s, %d failed",
		blocks, paced, took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond), failed)
	if failed > 0 {
		t.Errorf("%d of 10 wallet balance commands failed", failed)
	}
}
