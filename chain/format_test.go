package chain_test

import (
	"bytes"
	"cmp"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// addrPair feeds the same blocks to a chain with the address history
// (format 3: no address index) and one without it (format 1: the address
// index), so their address UTXO answers can be compared with each other
// and with a replay of the best chain.
type addrPair struct {
	t                *testing.T
	g                *chaintest.Generator
	with, without    *chain.Chain
	cfgWith, cfgNone chain.Config
}

func newAddrPair(t *testing.T) *addrPair {
	t.Helper()
	params := chaintest.Params(genesisTime)
	clock := chaintest.NewClock(genesisTime.Add(24 * time.Hour))
	p := &addrPair{t: t, g: chaintest.NewGenerator(t, params),
		cfgWith: chain.Config{Params: params, Path: t.TempDir(), Clock: clock}}
	p.cfgNone = chain.WithoutAddressHistory(chain.Config{Params: params, Path: t.TempDir(), Clock: clock})
	p.with, p.without = mustOpen(t, p.cfgWith), mustOpen(t, p.cfgNone)
	t.Cleanup(func() { p.with.Close(); p.without.Close() })
	return p
}

func mustOpen(t *testing.T, cfg chain.Config) *chain.Chain {
	t.Helper()
	c, err := chain.Open(cfg)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.Path, err)
	}
	return c
}

// block builds the named block on the generator's tip with txs and gives
// it to both chains, which must agree on the tip afterwards.
func (p *addrPair) block(name string, txs ...*wire.Tx) {
	p.t.Helper()
	blk := p.g.NextBlock(name, txs)
	for _, c := range []*chain.Chain{p.with, p.without} {
		if _, err := c.ProcessBlock(blk); err != nil {
			p.t.Fatalf("block %s: %v", name, err)
		}
	}
	if p.with.Tip().Hash != p.without.Tip().Hash {
		p.t.Fatalf("after %s the chains' tips differ: %s and %s", name, p.with.Tip().Hash, p.without.Tip().Hash)
	}
}

// check compares both chains' AddressUtxos for every key hash the best
// chain ending at tip ever paid with the unspent outputs of a replay of
// that chain, in (txid, index) order.
func (p *addrPair) check(tip string) {
	p.t.Helper()
	blocks := p.g.BlocksTo(tip)
	if p.with.Tip().Hash != blocks[len(blocks)-1].BlockHash() {
		p.t.Fatalf("tip %s, want %s", p.with.Tip().Hash, tip)
	}
	for kh, want := range unspentByKeyHash(blocks) {
		expectAddressUtxos(p.t, p.with, kh, want, "with the history")
		expectAddressUtxos(p.t, p.without, kh, want, "without the history")
	}
}

// unspentByKeyHash replays blocks and returns, for every key hash they
// ever paid, its unspent outputs in (txid, index) order (none: an empty
// list).
func unspentByKeyHash(blocks []*wire.Block) map[wire.KeyHash][]chain.AddressUtxo {
	out := make(map[wire.KeyHash][]chain.AddressUtxo)
	for kh := range chaintest.ReplayHistory(blocks) {
		out[kh] = []chain.AddressUtxo{}
	}
	for op, e := range chaintest.ReplayUTXOSet(blocks) {
		out[e.KeyHash] = append(out[e.KeyHash], chain.AddressUtxo{OutPoint: op, Entry: e})
	}
	for _, utxos := range out {
		slices.SortFunc(utxos, func(a, b chain.AddressUtxo) int {
			if c := bytes.Compare(a.OutPoint.TxID[:], b.OutPoint.TxID[:]); c != 0 {
				return c
			}
			return cmp.Compare(a.OutPoint.Index, b.OutPoint.Index)
		})
	}
	return out
}

func expectAddressUtxos(t chaintest.TB, c *chain.Chain, kh wire.KeyHash, want []chain.AddressUtxo, which string) {
	t.Helper()
	got, err := c.AddressUtxos(kh)
	if err != nil {
		t.Fatalf("AddressUtxos(%x) %s: %v", kh, which, err)
	}
	if len(got) != len(want) || (len(want) > 0 && !slices.Equal(got, want)) {
		t.Fatalf("AddressUtxos(%x) %s:\n got %d %+v\nwant %d %+v", kh, which, len(got), got, len(want), want)
	}
}

// payTo rewrites tx's outputs listed in outs to pay kh and signs tx again
// with key (the key of every input).
func payTo(g *chaintest.Generator, tx *wire.Tx, key int, kh wire.KeyHash, outs ...int) *wire.Tx {
	for _, i := range outs {
		tx.Outputs[i].KeyHash = kh
	}
	g.Sign(tx, chaintest.Key(key))
	return tx
}

func keyHash(i int) wire.KeyHash { return wire.HashPubKey(wire.XOnlyPubKey(chaintest.Key(i))) }

// addrScenario builds, on both chains of p, coinbases, spends paying two
// other key hashes, a spend by one of them, an output spent in the block
// that creates it, and a reorganisation that drops a block of spends and
// spends differently, checking both chains' answers after each step. It
// returns the tip's name.
func addrScenario(p *addrPair) string {
	g := p.g
	for i := range 12 {
		p.block("a" + itoa(i+1))
	}
	p.check("a12")
	alice, bob := keyHash(1), keyHash(2)
	first := payTo(g, g.SpendTx(outs{g.CoinbaseOut("a1")}, 0, 3), 0, alice, 1, 2)
	second := g.SpendTx(outs{g.TxOut(first, 0)}, 0, 2) // spends an output of its own block
	p.block("s1", first, second)
	p.check("s1")
	fromAlice := g.SpendTx(outs{{OutPoint: wire.OutPoint{TxID: first.TxID(), Index: 1}, Amount: first.Outputs[1].Amount, Key: chaintest.Key(1)}}, 0, 2)
	payTo(g, fromAlice, 1, bob, 0)
	p.block("s2", fromAlice, payTo(g, g.SpendTx(outs{g.CoinbaseOut("a2"), g.TxOut(second, 1)}, 0, 2), 0, bob, 1))
	p.check("s2")

	// A longer branch from s1 drops s2 (alice's output 1 is unspent
	// again, bob is paid nothing) and spends a2 to alice instead.
	g.SetTip("s1")
	p.block("r1", payTo(g, g.SpendTx(outs{g.CoinbaseOut("a2")}, 0, 2), 0, alice, 0))
	p.check("s2")
	p.block("r2")
	p.check("r2")
	return "r2"
}

// TestAddressUtxosFromHistoryMatchTheIndex: a chain that serves address
// UTXOs from its history gives the answers, in the same order, that a chain
// with the address index gives, and both equal a replay, through spends
// within a block, coinbases, several key hashes, a reorganisation, a
// reopen and (the history chain) a reindex.
func TestAddressUtxosFromHistoryMatchTheIndex(t *testing.T) {
	p := newAddrPair(t)
	tip := addrScenario(p)
	if n := countKeys(t, p.cfgWith.Path, p.with, 'a'); n != 0 {
		t.Fatalf("the chain with the history wrote %d address index keys", n)
	}
	p.with = mustOpen(t, p.cfgWith)
	if n := countKeys(t, p.cfgNone.Path, p.without, 'a'); n == 0 {
		t.Fatal("the chain without the history wrote no address index")
	}
	p.without = mustOpen(t, p.cfgNone)
	p.check(tip)
	p.with.Close()
	c, err := chain.Reindex(p.cfgWith)
	if err != nil {
		t.Fatal(err)
	}
	p.with = c
	p.check(tip)
	p.block("after", payTo(p.g, p.g.SpendTx(outs{p.g.CoinbaseOut("a3")}, 0, 2), 0, keyHash(2), 1))
	p.check("after")
}

// countKeys closes c and counts the keys of the database at path that
// start with prefix (the caller reopens it).
func countKeys(t *testing.T, path string, c *chain.Chain, prefix byte) int {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	db := openRaw(t, path)
	defer db.Close()
	return len(keysWithPrefix(t, db, prefix))
}

func openRaw(t *testing.T, path string) *leveldb.DB {
	t.Helper()
	db, err := leveldb.OpenFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func keysWithPrefix(t *testing.T, db *leveldb.DB, prefix byte) [][]byte {
	t.Helper()
	it := db.NewIterator(util.BytesPrefix([]byte{prefix}), nil)
	defer it.Release()
	var keys [][]byte
	for it.Next() {
		keys = append(keys, bytes.Clone(it.Key()))
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// formatOf reads the format version in the info record of the database at
// path (DatabaseInfo's last field, a one-byte varint here).
func formatOf(t *testing.T, path string) byte {
	t.Helper()
	db := openRaw(t, path)
	defer db.Close()
	info, err := db.Get([]byte("m"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return info[len(info)-1]
}

func setFormat(t *testing.T, db *leveldb.DB, version byte) {
	t.Helper()
	info, err := db.Get([]byte("m"), nil)
	if err != nil {
		t.Fatal(err)
	}
	info[len(info)-1] = version
	if err := db.Put([]byte("m"), info, nil); err != nil {
		t.Fatal(err)
	}
}

// formatTwo makes the history chain's database of p what a build of
// format 2 wrote: the history and, besides it, the address index, copied
// from the chain without the history (the code that writes it), under
// version 2. Both chains are closed; it returns the number of 'a' keys.
func formatTwo(t *testing.T, p *addrPair) int {
	t.Helper()
	p.with.Close()
	p.without.Close()
	none := openRaw(t, p.cfgNone.Path)
	keys := keysWithPrefix(t, none, 'a')
	none.Close()
	db := openRaw(t, p.cfgWith.Path)
	defer db.Close()
	b := new(leveldb.Batch)
	for _, k := range keys {
		b.Put(k, nil)
	}
	if err := db.Write(b, nil); err != nil {
		t.Fatal(err)
	}
	setFormat(t, db, 2)
	if len(keys) == 0 {
		t.Fatal("no address index to copy")
	}
	return len(keys)
}

// expectUpgraded opens the history chain of p and checks that its database
// is in format 3 with no address index left and that it answers as the
// replay of tip (AddressUtxos and the history). The open announces an
// upgrade from format found (0: none, as when only the deletes are left),
// and a second open none.
func expectUpgraded(t *testing.T, p *addrPair, tip string, found uint32) {
	t.Helper()
	var heard [][2]uint32
	cfg := p.cfgWith
	cfg.FormatUpgrade = func(found, to uint32) { heard = append(heard, [2]uint32{found, to}) }
	p.with = mustOpen(t, cfg)
	p.without = mustOpen(t, p.cfgNone)
	p.check(tip)
	blocks := p.g.BlocksTo(tip)
	for kh, want := range chaintest.ReplayHistory(blocks) {
		got, _, err := p.with.AddressHistory(kh, 0, 0)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("history of %x after the upgrade: %+v, %v; want %+v", kh, got, err, want)
		}
	}
	if n := countKeys(t, p.cfgWith.Path, p.with, 'a'); n != 0 {
		t.Fatalf("%d address index keys left after the upgrade", n)
	}
	if v := formatOf(t, p.cfgWith.Path); v != 3 {
		t.Fatalf("format version %d after the upgrade, want 3", v)
	}
	p.with = mustOpen(t, cfg)
	want := [][2]uint32{{found, 3}}
	if found == 0 {
		want = nil
	}
	if !slices.Equal(heard, want) {
		t.Fatalf("FormatUpgrade heard %v, want %v", heard, want)
	}
}

// TestUpgradeFromFormatVersion2: a database with the history and the
// address index opens as version 3 without the address index and answers
// as before; blocks connect and reorganise on it afterwards.
func TestUpgradeFromFormatVersion2(t *testing.T) {
	p := newAddrPair(t)
	tip := addrScenario(p)
	formatTwo(t, p)
	expectUpgraded(t, p, tip, 2)
	p.block("after", payTo(p.g, p.g.SpendTx(outs{p.g.CoinbaseOut("a3")}, 0, 2), 0, keyHash(1), 0))
	p.check("after")
}

// TestReindexFormatVersion2: a reindex of a format 2 database (which an
// upgrade would have been) rebuilds it in format 3, without the address
// index, with the same answers.
func TestReindexFormatVersion2(t *testing.T) {
	p := newAddrPair(t)
	tip := addrScenario(p)
	formatTwo(t, p)
	c, err := chain.Reindex(p.cfgWith)
	if err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, p.cfgWith.Path, c, 'a'); n != 0 {
		t.Fatalf("%d address index keys left after the reindex", n)
	}
	if v := formatOf(t, p.cfgWith.Path); v != 3 {
		t.Fatalf("format version %d after the reindex, want 3", v)
	}
	expectUpgraded(t, p, tip, 0)
}

// batchTouches is a leveldb.BatchReplay that notes whether a batch puts
// the info record and whether it deletes address index keys.
type batchTouches struct{ info, addrDeletes bool }

func (b *batchTouches) Put(key, _ []byte) { b.info = b.info || string(key) == "m" }
func (b *batchTouches) Delete(key []byte) { b.addrDeletes = b.addrDeletes || key[0] == 'a' }

// TestInterruptedUpgradeResumes: an upgrade from format 2 stopped by a
// failed write, before version 3 is recorded or after it with the address
// index still there, or stopped part way through the deletes (what a crash
// between two batches leaves), finishes on the next open with the same
// answers.
func TestInterruptedUpgradeResumes(t *testing.T) {
	fail := errors.New("disk unplugged")
	for _, tc := range []struct {
		name    string
		failing func(batchTouches) bool // the write to fail
		version byte                    // then found in the database
		found   uint32                  // the upgrade announced on the next open
	}{
		{"before version 3", func(b batchTouches) bool { return b.info }, 2, 2},
		{"before the deletes", func(b batchTouches) bool { return b.addrDeletes }, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newAddrPair(t)
			tip := addrScenario(p)
			n := formatTwo(t, p)
			failed := false
			_, err := chain.Open(chain.WithWriteHook(p.cfgWith, func(b *leveldb.Batch) error {
				var touched batchTouches
				if err := b.Replay(&touched); err != nil {
					return err
				}
				if tc.failing(touched) {
					failed = true
					return fail
				}
				return nil
			}))
			if !failed || !errors.Is(err, fail) {
				t.Fatalf("open with the write failing: %v (failed %v)", err, failed)
			}
			if v := formatOf(t, p.cfgWith.Path); v != tc.version {
				t.Fatalf("format version %d after the failure, want %d", v, tc.version)
			}
			db := openRaw(t, p.cfgWith.Path)
			left := len(keysWithPrefix(t, db, 'a'))
			db.Close()
			if left != n {
				t.Fatalf("%d address index keys after the failure, want all %d", left, n)
			}
			expectUpgraded(t, p, tip, tc.found)
		})
	}
	t.Run("part of the deletes", func(t *testing.T) {
		p := newAddrPair(t)
		tip := addrScenario(p)
		formatTwo(t, p)
		db := openRaw(t, p.cfgWith.Path)
		keys := keysWithPrefix(t, db, 'a')
		b := new(leveldb.Batch)
		for _, k := range keys[:len(keys)/2] {
			b.Delete(k)
		}
		if err := db.Write(b, nil); err != nil {
			t.Fatal(err)
		}
		setFormat(t, db, 3)
		db.Close()
		expectUpgraded(t, p, tip, 0)
	})
}

// TestUpgradeFromFormatVersion1: a database written without the history
// (format version 1: the address index, no 'o' or 'n' records) opens with
// the history built from its blocks, the transaction index too when asked
// for, and the address index dropped: version 3.
func TestUpgradeFromFormatVersion1(t *testing.T) {
	p := newAddrPair(t)
	tip := addrScenario(p)
	p.with.Close()
	p.without.Close()
	if v := formatOf(t, p.cfgNone.Path); v != 1 {
		t.Fatalf("a chain without the history wrote format version %d, want 1", v)
	}
	// From now on "with" is the old database of "without", upgraded, and
	// "without" a copy of it that stays in format 1.
	p.cfgWith.Path, p.cfgNone.Path = p.cfgNone.Path, t.TempDir()
	copyDatabase(t, p.cfgWith.Path, p.cfgNone.Path)
	p.cfgWith.TxIndex = true
	expectUpgraded(t, p, tip, 1)
	h := &harness{t: t, g: p.g, c: p.with, cfg: p.cfgWith}
	h.expectIndexes(tip, "s2")
	p.block("after", payTo(p.g, p.g.SpendTx(outs{p.g.CoinbaseOut("a3")}, 0, 2), 0, keyHash(2), 1))
	p.check("after")
	h.c = p.with
	h.expectIndexes("after", "s2")
}

// copyDatabase copies every key of the database at from into a new one at to.
func copyDatabase(t *testing.T, from, to string) {
	t.Helper()
	src, dst := openRaw(t, from), openRaw(t, to)
	defer src.Close()
	defer dst.Close()
	it := src.NewIterator(nil, nil)
	defer it.Release()
	b := new(leveldb.Batch)
	for it.Next() {
		b.Put(it.Key(), it.Value())
	}
	if err := dst.Write(b, nil); err != nil {
		t.Fatal(err)
	}
}

// TestChainWithoutHistoryRefusesHistoryDatabase: a chain configured
// without the history cannot keep a database that has it (format 2 or 3)
// up to date, and says so rather than letting the history go stale.
func TestChainWithoutHistoryRefusesHistoryDatabase(t *testing.T) {
	p := newAddrPair(t)
	p.with.Close()
	for _, version := range []byte{3, 2} {
		db := openRaw(t, p.cfgWith.Path)
		setFormat(t, db, version)
		db.Close()
		_, err := chain.Open(chain.WithoutAddressHistory(p.cfgWith))
		if err == nil || !strings.Contains(err.Error(), "keeps the address history, which this chain is configured without") {
			t.Fatalf("open a format %d database without the history: %v", version, err)
		}
	}
	p.with = mustOpen(t, p.cfgWith)
}
