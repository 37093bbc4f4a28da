package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/internal/rusage"
	"powchain/rpc/server"
	"powchain/wallet"
	"powchain/wire"
)

// walletDayEntries is a miner's wallet after a day of the local network:
// a coinbase a second (docs/BENCHMARKS.md, "A miner's wallet after a day").
const walletDayEntries = 86_400

// BenchmarkWalletReadsDayHistory is what every `powchain wallet balance`
// (and send, list) of a miner's wallet after a day costs the node and the
// wallet together: a wallet's Balance against the node's RPC server over
// loopback HTTP (rpc.Client), reading the 86,400 entries of its one used
// address page by page (1,000 a page, by next) and decoding them as the
// wallet does (scan, readHistory, toOwned, utxos). The history is made as
// TestMinerWalletOfADay makes it: transactions of 1,000 outputs each, one
// a block, all unspent. ns/entry is a Balance's time over the entries;
// cpu-ns/entry the process's CPU time (node, wallet, garbage collector)
// over them, which a busy machine disturbs less.
func BenchmarkWalletReadsDayHistory(b *testing.B) {
	e := newEnvChain(b, false, func(*server.Server) {}, func(*env, *server.Backend) {})
	k := wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1} // cheap: the file is not what is measured
	w, err := wallet.Restore(filepath.Join(b.TempDir(), "wallets", "day.wallet"), "pass",
		strings.TrimSpace(strings.Repeat("abandon ", 23))+" art",
		wallet.Options{Network: "chaintest", AddressPrefix: e.params.AddressPrefix, CoinType: wallet.CoinTypeTest, KDF: &k,
			Now: func() time.Time { return genesisTime }})
	if err != nil {
		b.Fatal(err)
	}
	addr, err := w.NewAddress()
	if err != nil {
		b.Fatal(err)
	}
	kh, err := wire.DecodeAddress(e.params.AddressPrefix, addr)
	if err != nil {
		b.Fatal(err)
	}
	payOutputsTo(b, e, kh, walletDayEntries)
	ctx := context.Background()
	cpu := rusage.Self().CPU
	for b.Loop() {
		bal, err := w.Balance(ctx, e.client)
		if err != nil {
			b.Fatal(err)
		}
		if bal.Confirmed == 0 {
			b.Fatalf("balance %+v", bal)
		}
	}
	cpu = rusage.Self().CPU - cpu
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*walletDayEntries), "ns/entry")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*walletDayEntries), "cpu-ns/entry")
}

// payOutputsTo gives kh n outputs on e's chain: coinbases of e.miner, each
// spent into up to 1,000 outputs to kh, a transaction a block.
func payOutputsTo(b *testing.B, e *env, kh wire.KeyHash, n int) {
	g := e.miner
	txs := (n + 999) / 1000
	mine := func(name string, txs ...*wire.Tx) {
		if _, err := e.chain.ProcessBlock(g.NextBlock(name, txs)); err != nil {
			b.Fatal(err)
		}
	}
	for i := range txs + int(e.params.CoinbaseMaturity) {
		mine(fmt.Sprintf("c%d", i))
	}
	for i := range txs {
		out := g.CoinbaseOut(fmt.Sprintf("c%d", i))
		tx := g.SpendTx([]chaintest.SpendableOut{out}, 0, min(1000, n-1000*i))
		for j := range tx.Outputs {
			tx.Outputs[j].KeyHash = kh
		}
		g.Sign(tx, out.Key)
		mine(fmt.Sprintf("p%d", i), tx)
	}
}
