package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/rpc"
	"powchain/wallet"
	"powchain/wire"
)

const walletPass = "correct horse"

var walletEnv = []string{"POWCHAIN_WALLET_PASSPHRASE=" + walletPass}

// cheapWallet creates the wallet name in datadir (local network) with a
// cheap key derivation, so that the many wallet commands of a test do not
// each spend a second in argon2id; the binary opens it with the parameters
// in its header like any wallet. It returns the mnemonic and the wallet.
func cheapWallet(t *testing.T, datadir, name string) (string, *wallet.Wallet) {
	t.Helper()
	return cheapWalletOn(t, datadir, chain.LocalParams(), name)
}

// cheapWalletOn is cheapWallet on the network of params.
func cheapWalletOn(t *testing.T, datadir string, params *chain.Params, name string) (string, *wallet.Wallet) {
	t.Helper()
	path, err := wallet.FilePath(filepath.Join(datadir, params.Name), name)
	if err != nil {
		t.Fatal(err)
	}
	opt := walletOptions(params)
	opt.KDF = &wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}
	w, mnemonic, err := wallet.Create(path, walletPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	return mnemonic, w
}

// generate mines n blocks paying address on the node (setup, not under
// test: no process per call).
func generate(t *testing.T, client *rpc.Client, n int, address string) []string {
	t.Helper()
	hashes, err := client.GenerateToAddress(context.Background(), n, address)
	if err != nil {
		t.Fatal(err)
	}
	return hashes
}

func walletCLI(t *testing.T, datadir, name string, args ...string) string {
	t.Helper()
	return mustCLI(t, walletEnv, append(append([]string{"wallet"}, args...), "--datadir", datadir, "--wallet", name)...)
}

func rpcCLI(t *testing.T, datadir string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(mustCLI(t, nil, append([]string{"rpc", "--datadir", datadir}, args...)...))
}

// localClient is an RPC client of the node serving datadir.
func localClient(t *testing.T, datadir string) *rpc.Client {
	t.Helper()
	return clientOn(t, datadir, chain.LocalNet)
}

// clientOn is an RPC client of the node of network serving datadir.
func clientOn(t *testing.T, datadir, network string) *rpc.Client {
	t.Helper()
	dir := filepath.Join(datadir, network)
	addr, err := rpc.ReadEndpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	user, pass, err := rpc.ReadCookie(filepath.Join(dir, rpc.CookieFile))
	if err != nil {
		t.Fatal(err)
	}
	return rpc.NewClient(addr, user, pass)
}

// TestWalletRestoreFindsEveryCoin: a wallet uses 40 receive addresses in a
// row, spends from every one (40 sends, each with change), then receives on
// address 45. Restored from its mnemonic into a fresh wallet file, it shows
// the same balance and the same history, entry for entry, through the
// binary.
func TestWalletRestoreFindsEveryCoin(t *testing.T) {
	datadir := t.TempDir()
	startNode(t, datadir)
	client := localClient(t, datadir)
	mnemonic, alice := cheapWallet(t, datadir, "alice")
	cheapWallet(t, datadir, "payer")
	bob, _ := wire.EncodeAddress(chain.LocalParams().AddressPrefix, wire.KeyHash{0xb0, 0xb})
	miner, _ := wire.EncodeAddress(chain.LocalParams().AddressPrefix, wire.KeyHash{0x1a})

	// Addresses 0..45 handed out (in process: one key derivation), a
	// coinbase of 50 coins on each of 0..39, then 10 blocks to mature them.
	const used = 40
	addrs := make([]string, 0, 46)
	for range 46 {
		a, err := alice.NewAddress()
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
	}
	payer := lastLine(walletCLI(t, datadir, "payer", "address"))
	for _, a := range addrs[:used] {
		generate(t, client, 1, a)
	}
	generate(t, client, 1, payer)
	generate(t, client, 10, miner)
	// 40 sends of 49 coins (in process, like the address hand-out: the
	// binary's part is the restore below): each spends one coinbase (the
	// smallest confirmed output that covers it) and leaves change.
	for range used {
		if _, _, err := alice.Send(context.Background(), client, bob, 49e8, 1, true); err != nil {
			t.Fatal(err)
		}
	}
	generate(t, client, 1, miner)
	walletCLI(t, datadir, "payer", "send", "--to", addrs[45], "--amount", "7")
	generate(t, client, 1, miner)

	// Every one of the 40 addresses was paid and spent from.
	hist, err := client.GetAddressHistory(context.Background(), rpc.AddressHistoryRequest{Addresses: addrs, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	spentFrom := map[string]bool{}
	for _, e := range hist.Entries {
		if e.Spent != nil {
			spentFrom[e.Address] = true
		}
	}
	for i, a := range addrs[:used] {
		if !spentFrom[a] {
			t.Fatalf("address %d was not spent from", i)
		}
	}

	list := walletCLI(t, datadir, "alice", "list", "--json", "--limit", "0")
	bal := walletCLI(t, datadir, "alice", "balance", "--json")
	mfile := filepath.Join(t.TempDir(), "mnemonic")
	if err := os.WriteFile(mfile, []byte(mnemonic+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	walletCLI(t, datadir, "restored", "create", "--restore", "--mnemonic-file", mfile)
	restoredBal := walletCLI(t, datadir, "restored", "balance", "--json")
	restoredList := walletCLI(t, datadir, "restored", "list", "--json", "--limit", "0")
	if restoredBal != bal {
		t.Fatalf("restored balance %s, original %s", restoredBal, bal)
	}
	var orig, rest []wallet.HistoryEntry
	if err := json.Unmarshal([]byte(list), &orig); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(restoredList), &rest); err != nil {
		t.Fatal(err)
	}
	if len(rest) != len(orig) {
		t.Fatalf("restored history has %d entries, original %d", len(rest), len(orig))
	}
	for i := range orig {
		if r, o := jsonOf(rest[i]), jsonOf(orig[i]); r != o {
			t.Fatalf("entry %d differs:\nrestored %s\noriginal %s", i, r, o)
		}
	}
	var receives, sends int
	var b balance
	json.Unmarshal([]byte(bal), &b)
	for _, e := range orig {
		switch {
		case e.Kind == wallet.KindSend && e.Amount == 49e8 && e.Fee > 0 && e.Confirmations == 2:
			sends++
		case e.Kind == wallet.KindReceive && e.Coinbase:
			receives++
		case e.Kind == wallet.KindReceive && e.Address == addrs[45] && e.Amount == 7e8:
			receives++
		}
	}
	if receives != used+1 || sends != used || len(orig) != 2*used+1 {
		t.Fatalf("history: %d receives, %d sends of 49 coins, %d entries; want %d, %d, %d", receives, sends, len(orig), used+1, used, 2*used+1)
	}
	if b.Confirmed < 7e8 || b.Immature != 0 || b.Unconfirmed != 0 {
		t.Fatalf("balance %+v: the 7 coins on address 45 are missing", b)
	}
	t.Logf("restore: %d addresses used in a row and spent from, address 45 paid; %d history entries (%d receives, %d sends) and balance %+v identical after restore",
		used, len(orig), receives, sends, b)
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// historyOf returns the wallet's history through the binary.
func historyOf(t *testing.T, datadir, name string) []wallet.HistoryEntry {
	t.Helper()
	var h []wallet.HistoryEntry
	if err := json.Unmarshal([]byte(walletCLI(t, datadir, name, "list", "--json", "--limit", "0")), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func entryOf(t *testing.T, h []wallet.HistoryEntry, kind, txid string) wallet.HistoryEntry {
	t.Helper()
	for _, e := range h {
		if e.Kind == kind && e.TxID == txid {
			return e
		}
	}
	t.Fatalf("no %s entry for %s in %+v", kind, txid, h)
	return wallet.HistoryEntry{}
}

// TestWalletHistoryAcrossReorg: a send confirmed in a block that a
// reorganisation takes away goes back to unconfirmed; when the new chain
// makes it invalid (its coinbase input is immature again) it is shown as
// missing and its coins come back; the history follows each step.
func TestWalletHistoryAcrossReorg(t *testing.T) {
	datadir := t.TempDir()
	startNode(t, datadir)
	client := localClient(t, datadir)
	cheapWallet(t, datadir, "alice")
	miner, _ := wire.EncodeAddress(chain.LocalParams().AddressPrefix, wire.KeyHash{0x1a})
	bob, _ := wire.EncodeAddress(chain.LocalParams().AddressPrefix, wire.KeyHash{0xb0, 0xb})
	a0 := lastLine(walletCLI(t, datadir, "alice", "address"))
	generate(t, client, 1, a0)
	generate(t, client, 9, miner) // tip 10: the coinbase of 1 can go in block 11
	txid := strings.TrimSpace(walletCLI(t, datadir, "alice", "send", "--to", bob, "--amount", "20"))
	block11 := generate(t, client, 1, miner)[0]
	if e := entryOf(t, historyOf(t, datadir, "alice"), wallet.KindSend, txid); e.Confirmations != 1 || e.Height != 11 || e.Mempool || e.Amount != 20e8 {
		t.Fatalf("confirmed send: %+v", e)
	}

	rpcCLI(t, datadir, "invalidateblock", block11)
	if e := entryOf(t, historyOf(t, datadir, "alice"), wallet.KindSend, txid); !e.Mempool || e.Confirmations != 0 || e.Missing {
		t.Fatalf("send after its block was disconnected: %+v", e)
	}

	block10 := rpcCLI(t, datadir, "getblockhash", "10")
	rpcCLI(t, datadir, "invalidateblock", strings.Trim(block10, "\""))
	h := historyOf(t, datadir, "alice")
	if e := entryOf(t, h, wallet.KindSend, txid); !e.Missing || e.Mempool {
		t.Fatalf("send dropped by the reorganisation: %+v", e)
	}
	if b := walletBalanceOf(t, walletEnv, datadir, "alice"); b.Immature != 50e8 || b.Confirmed != 0 {
		t.Fatalf("balance with the send dropped and the coinbase immature again: %+v", b)
	}
	// Another address: the same template at the same second would be the
	// invalidated block again.
	other, _ := wire.EncodeAddress(chain.LocalParams().AddressPrefix, wire.KeyHash{0x2b})
	generate(t, client, 3, other)
	if e := entryOf(t, historyOf(t, datadir, "alice"), wallet.KindReceive, entryCoinbase(t, h)); e.Immature || e.Confirmations != 12 {
		t.Fatalf("coinbase on the new chain: %+v", e)
	}
	if b := walletBalanceOf(t, walletEnv, datadir, "alice"); b.Confirmed != 50e8 {
		t.Fatalf("balance on the new chain: %+v", b)
	}
}

func entryCoinbase(t *testing.T, h []wallet.HistoryEntry) string {
	t.Helper()
	for _, e := range h {
		if e.Coinbase {
			return e.TxID
		}
	}
	t.Fatal("no coinbase receive")
	return ""
}

// expectIndexesMatchBlocks checks, over RPC, the node's address history
// and transaction index against a replay of its best chain's blocks.
func expectIndexesMatchBlocks(t *testing.T, datadir string) (tip uint64, entries int) {
	t.Helper()
	ctx := context.Background()
	client := localClient(t, datadir)
	height, err := client.GetBlockCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*wire.Block
	for h := uint64(0); h <= height; h++ {
		hash, err := client.GetBlockHash(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := client.GetBlockHex(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := hex.DecodeString(raw)
		blk, err := wire.DecodeBlock(b)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, blk)
	}
	prefix := chain.LocalParams().AddressPrefix
	for kh, want := range chaintest.ReplayHistory(blocks) {
		a, _ := wire.EncodeAddress(prefix, kh)
		got, err := client.GetAddressHistory(ctx, rpc.AddressHistoryRequest{Addresses: []string{a}, PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if got.Height != height || int(got.Total) != len(want) || got.Pages != 1 {
			t.Fatalf("history of %s: %d entries at height %d, replay has %d at %d", a, got.Total, got.Height, len(want), height)
		}
		for i, w := range want {
			e := got.Entries[i]
			spentOK := (e.Spent == nil) == !w.Spent
			if w.Spent && e.Spent != nil {
				spentOK = e.Spent.TxID == w.SpentBy.String() && e.Spent.Input == w.SpentInput && e.Spent.Height == w.SpentHeight
			}
			if e.TxID != w.OutPoint.TxID.String() || e.OutputIndex != w.OutPoint.Index || e.Height != w.Height ||
				uint64(e.Amount) != w.Amount || e.Coinbase != w.Coinbase || !spentOK {
				t.Fatalf("history of %s, entry %d: %+v (spent %+v), replay %+v", a, i, e, e.Spent, w)
			}
		}
		entries += len(want)
	}
	for h, blk := range blocks {
		for _, tx := range blk.Transactions {
			r, err := client.GetRawTransaction(ctx, tx.TxID().String(), "")
			if err != nil || r.BlockHash != blk.BlockHash().String() {
				t.Fatalf("getrawtransaction %s (height %d) without a block hash: %+v, %v", tx.TxID(), h, r, err)
			}
		}
	}
	return height, entries
}

// TestIndexesSurviveKillAndReindex: the history and transaction indexes
// match the blocks after the node is killed (-9) while it mines blocks with
// wallet transactions, and again after --reindex.
func TestIndexesSurviveKillAndReindex(t *testing.T) {
	datadir := t.TempDir()
	node := startNode(t, datadir)
	cheapWallet(t, datadir, "alice")
	a0 := lastLine(walletCLI(t, datadir, "alice", "address"))
	bob, _ := wire.EncodeAddress(chain.LocalParams().AddressPrefix, wire.KeyHash{0xb0, 0xb})
	generate(t, localClient(t, datadir), 12, a0)
	for range 3 {
		walletCLI(t, datadir, "alice", "send", "--to", bob, "--amount", "10")
	}
	client := localClient(t, datadir)
	// Mine in the background and kill the node part way.
	go client.Call(context.Background(), "generatetoaddress", []any{200, a0}, nil)
	waitFor(t, time.Minute, "blocks being mined", func() bool {
		n, err := client.GetBlockCount(context.Background())
		return err == nil && n >= 20
	})
	node.cmd.Process.Signal(syscall.SIGKILL)
	node.exit(t)

	node = startNode(t, datadir)
	tip, entries := expectIndexesMatchBlocks(t, datadir)
	if tip < 20 {
		t.Fatalf("tip %d after the kill, below the 20 blocks seen before it", tip)
	}
	var before rpc.AddressHistory
	must := func(v any, args ...any) {
		if err := localClient(t, datadir).Call(context.Background(), "getaddresshistory", args, v); err != nil {
			t.Fatal(err)
		}
	}
	must(&before, rpc.AddressHistoryRequest{Addresses: []string{a0, bob}, PageSize: 1000})
	mustCLI(t, nil, "rpc", "--datadir", datadir, "stop")
	if code := node.exit(t); code != 0 {
		t.Fatalf("stop: exit %d", code)
	}

	startNodeArgs(t, datadir, chain.LocalNet, "--connect", "0", "--reindex")
	if tip2, entries2 := expectIndexesMatchBlocks(t, datadir); tip2 != tip || entries2 != entries {
		t.Fatalf("after --reindex: tip %d with %d entries; before %d with %d", tip2, entries2, tip, entries)
	}
	var after rpc.AddressHistory
	must(&after, rpc.AddressHistoryRequest{Addresses: []string{a0, bob}, PageSize: 1000})
	if !slices.EqualFunc(before.Entries, after.Entries, func(x, y rpc.AddressHistoryEntry) bool { return jsonOf(x) == jsonOf(y) }) {
		t.Fatal("getaddresshistory differs after --reindex")
	}
	t.Logf("after kill -9 and after --reindex: tip %d, %d history entries match a replay of the blocks", tip, entries)
}

// TestWalletRestoreWiderGap: a wallet handed out 25 addresses and only the
// last was paid. Restored from its mnemonic, the default gap of 20 unpaid
// addresses does not reach it; the restore says how to widen the search,
// --gap-limit finds the coins, and from then on the default does too.
func TestWalletRestoreWiderGap(t *testing.T) {
	datadir := t.TempDir()
	startNode(t, datadir)
	mnemonic, alice := cheapWallet(t, datadir, "alice")
	var last string
	for range 25 {
		a, err := alice.NewAddress()
		if err != nil {
			t.Fatal(err)
		}
		last = a
	}
	generate(t, localClient(t, datadir), 1, last)
	mfile := filepath.Join(t.TempDir(), "mnemonic")
	if err := os.WriteFile(mfile, []byte(mnemonic+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := walletCLI(t, datadir, "restored", "create", "--restore", "--mnemonic-file", mfile); !strings.Contains(out, "--gap-limit") {
		t.Fatalf("restore does not say how to search further: %q", out)
	}
	if b := walletBalanceOf(t, walletEnv, datadir, "restored"); b.Immature != 0 {
		t.Fatalf("the default gap reached address 24: %+v", b)
	}
	if r := runCLI(t, walletEnv, "wallet", "balance", "--datadir", datadir, "--wallet", "restored", "--gap-limit", "0"); r.code == 0 ||
		!strings.Contains(r.stderr, "--gap-limit 0: want 1 to 10000 addresses") {
		t.Fatalf("--gap-limit 0: exit %d, stderr %q", r.code, r.stderr)
	}
	wide := walletCLI(t, datadir, "restored", "balance", "--json", "--gap-limit", "25")
	if b := walletBalanceOf(t, walletEnv, datadir, "restored"); !strings.Contains(wide, `"immature":5000000000`) || b.Immature != 50e8 {
		t.Fatalf("balance with --gap-limit 25: %s; then with the default gap: %+v", wide, b)
	}
}

// TestWalletRestoreWordsOnLines: a mnemonic file written one word per line
// (as a paper backup is copied out), with CRLF line ends and leading
// spaces, restores the same wallet.
func TestWalletRestoreWordsOnLines(t *testing.T) {
	datadir := t.TempDir()
	mnemonic, orig := cheapWallet(t, datadir, "orig")
	want, err := orig.NewAddress()
	if err != nil {
		t.Fatal(err)
	}
	mfile := filepath.Join(t.TempDir(), "mnemonic")
	if err := os.WriteFile(mfile, []byte("  "+strings.Join(strings.Fields(mnemonic), "\r\n  ")+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	walletCLI(t, datadir, "restored", "create", "--restore", "--mnemonic-file", mfile)
	if got := lastLine(walletCLI(t, datadir, "restored", "address")); got != want {
		t.Fatalf("restored from words on lines: first address %s, want %s", got, want)
	}
}
