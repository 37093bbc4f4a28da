package wallet

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"powchain/rpc"
	"powchain/wire"
)

// testMnemonic is BIP39's all-zero-entropy 24-word vector.
var testMnemonic = strings.TrimSpace(strings.Repeat("abandon ", 23)) + " art"

const testPass = "correct horse battery staple"

var testTime = time.Unix(1_800_000_000, 0)

// cheapKDF keeps tests fast; never use it for real wallets.
var cheapKDF = KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func localOpts() Options {
	k := cheapKDF
	return Options{Network: "local", AddressPrefix: "pcrt", CoinType: CoinTypeTest, KDF: &k,
		Now: func() time.Time { return testTime }}
}

func mainOpts() Options {
	o := localOpts()
	o.Network, o.AddressPrefix, o.CoinType = "main", "pc", CoinTypeMain
	return o
}

func walletPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "wallets", "default.wallet")
}

// restored returns a wallet restored from testMnemonic in a fresh dir.
func restored(t *testing.T) *Wallet {
	t.Helper()
	w, _ := restoredFile(t)
	return w
}

// restoredFile is restored, with the wallet file's path.
func restoredFile(t *testing.T) (*Wallet, string) {
	t.Helper()
	path := walletPath(t)
	w, err := Restore(path, testPass, testMnemonic, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	return w, path
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// addr returns the wallet's address at branch/index.
func addr(t *testing.T, w *Wallet, branch, index uint32) string {
	t.Helper()
	k, err := w.keys.key(keyPath{branch, index})
	if err != nil {
		t.Fatal(err)
	}
	return k.address
}

// fakeNode answers getaddresshistory from a list of outputs (utxos, spent
// when spent names their spender), getrawtransaction from the transactions
// it was sent or given, and records what is sent.
type fakeNode struct {
	utxos   []rpc.AddressUtxo
	spent   map[wire.OutPoint]*rpc.AddressSpend
	txs     map[string]*rpc.TxResult
	tip     uint64
	err     error // returned by every call when set
	sendErr error // returned by SendRawTransaction when set
	// onSend, when set, runs on every transaction SendRawTransaction gets
	// before it returns sendErr.
	onSend   func(txHex string)
	sent     []string
	requests [][]string
	pageSize uint64 // pages of getaddresshistory (0: all in one)
	// betweenPages, when set, runs after a page is served.
	betweenPages func()
	bestBlock    string
	// carry, when set, makes an answer to after at another tip than the
	// previous answer's carry the read over as the node does: changed
	// lists the entries of the earlier pages that differ from what was
	// served (confirmations aside). Entries only ever join at the end.
	carry      bool
	served     []rpc.AddressHistoryEntry // this read's pages so far
	servedBest string                    // the tip the last page was served at
}

var _ Node = (*fakeNode)(nil)

func (n *fakeNode) GetAddressHistory(_ context.Context, req rpc.AddressHistoryRequest) (*rpc.AddressHistory, error) {
	if n.err != nil {
		return nil, n.err
	}
	n.requests = append(n.requests, req.Addresses)
	var all []rpc.AddressHistoryEntry
	for _, u := range n.utxos {
		if !slices.Contains(req.Addresses, u.Address) || (!req.Mempool && u.Mempool) {
			continue
		}
		e := rpc.AddressHistoryEntry{Address: u.Address, TxID: u.TxID, OutputIndex: u.OutputIndex, Amount: u.Amount,
			Height: u.Height, Confirmations: u.Confirmations, Coinbase: u.Coinbase, Mature: u.Mature, Mempool: u.Mempool}
		id, _ := wire.ParseHash(u.TxID)
		if s := n.spent[wire.OutPoint{TxID: id, Index: u.OutputIndex}]; s != nil && (req.Mempool || !s.Mempool) {
			e.Spent = s
		}
		all = append(all, e)
	}
	size := n.pageSize
	if size == 0 {
		size = uint64(max(len(all), 1))
	}
	pages := max((uint64(len(all))+size-1)/size, 1)
	page := req.Page
	if req.After != "" { // this fake's cursor is the page number
		page, _ = strconv.ParseUint(req.After, 10, 64)
	}
	if page >= pages { // as the node answers a page past the end
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "page %d is out of range: %d entries fill pages 0 to %d at pagesize %d", page, len(all), pages-1, size)
	}
	from := min(page*size, uint64(len(all)))
	to := min(from+size, uint64(len(all)))
	h := &rpc.AddressHistory{BestBlock: n.bestBlock, Height: n.tip, Page: page, PageSize: size, Pages: pages,
		Total: uint64(len(all)), Entries: all[from:to]}
	if page == 0 {
		n.served = nil
	} else if n.carry && n.bestBlock != n.servedBest {
		changed := []rpc.AddressHistoryEntry{}
		for i, was := range n.served {
			now := all[i]
			was.Confirmations = now.Confirmations
			if !reflect.DeepEqual(was, now) {
				changed = append(changed, now)
			}
		}
		h.Changed = &changed
	}
	n.served, n.servedBest = append(n.served, h.Entries...), n.bestBlock
	if page+1 < pages {
		h.Next = strconv.FormatUint(page+1, 10)
	}
	if n.betweenPages != nil {
		n.betweenPages()
	}
	return h, nil
}

func (n *fakeNode) GetRawTransaction(_ context.Context, txid, _ string) (*rpc.TxResult, error) {
	if n.err != nil {
		return nil, n.err
	}
	tx, ok := n.txs[txid]
	if !ok {
		return nil, rpc.NewError(rpc.CodeInvalidAddress, "No such mempool or blockchain transaction")
	}
	return tx, nil
}

// accept models the node taking tx (hex) into its mempool: the wallet's
// outputs it spends are marked spent, its outputs (to any address) are
// added as mempool outputs, and getrawtransaction knows it.
func (n *fakeNode) accept(t *testing.T, txHex string) *wire.Tx {
	t.Helper()
	tx := decodeTx(t, txHex)
	txid := tx.TxID()
	res := &rpc.TxResult{TxID: txid.String(), Vin: make([]rpc.TxInResult, len(tx.Inputs))}
	for i, in := range tx.Inputs {
		n.spent[in.PrevOut] = &rpc.AddressSpend{TxID: txid.String(), Input: uint32(i), Mempool: true}
	}
	for i, o := range tx.Outputs {
		a, err := wire.EncodeAddress("pcrt", o.KeyHash)
		if err != nil {
			t.Fatal(err)
		}
		res.Vout = append(res.Vout, rpc.TxOutResult{Value: rpc.Amount(o.Amount), N: uint32(i), Address: a})
		n.utxos = append(n.utxos, rpc.AddressUtxo{Address: a, TxID: txid.String(), OutputIndex: uint32(i),
			Amount: rpc.Amount(o.Amount), Mempool: true, Mature: true})
	}
	n.txs[txid.String()] = res
	return tx
}

// blockTime is the fake chain's timestamp of the block at height.
func blockTime(height uint64) int64 { return 1_790_000_000 + int64(height)*600 }

// confirm models txid being mined at height (the new tip).
func (n *fakeNode) confirm(txid string, height uint64) {
	n.tip = height
	for i := range n.utxos {
		u := &n.utxos[i]
		if u.TxID == txid {
			u.Mempool, u.Height = false, height
		}
		if !u.Mempool {
			u.Confirmations = height - u.Height + 1
		}
	}
	for _, s := range n.spent {
		if s.TxID == txid {
			s.Mempool, s.Height, s.BlockHash, s.Time = false, height, fmt.Sprintf("%064x", height), blockTime(height)
		}
	}
}

func (n *fakeNode) SendRawTransaction(_ context.Context, txHex string) (string, error) {
	if n.err != nil {
		return "", n.err
	}
	if n.onSend != nil {
		n.onSend(txHex)
	}
	if n.sendErr != nil {
		return "", n.sendErr
	}
	b, err := hex.DecodeString(txHex)
	if err != nil {
		return "", err
	}
	tx, err := wire.DecodeTx(b)
	if err != nil {
		return "", err
	}
	n.sent = append(n.sent, txHex)
	return tx.TxID().String(), nil
}

func (n *fakeNode) GetBlockCount(context.Context) (uint64, error) {
	if n.err != nil {
		return 0, n.err
	}
	return n.tip, nil
}

var txCounter int

// fund adds an output of amount to address. kind: "" (confirmed),
// "mempool", "coinbase" (mature), "immature".
func (n *fakeNode) fund(address string, amount uint64, kind string) rpc.AddressUtxo {
	txCounter++
	id := wire.DoubleSHA256(fmt.Appendf(nil, "fake tx %d", txCounter))
	u := rpc.AddressUtxo{
		Address: address, TxID: id.String(), OutputIndex: uint32(txCounter % 3),
		Amount: rpc.Amount(amount), Height: 10, Confirmations: n.tip - 9, Mature: true,
	}
	switch kind {
	case "mempool":
		u.Height, u.Confirmations, u.Mempool = 0, 0, true
	case "coinbase":
		u.Coinbase = true
	case "immature":
		u.Coinbase, u.Mature = true, false
		u.Height = n.tip
		u.Confirmations = 1
	}
	n.utxos = append(n.utxos, u)
	return u
}

// ownSend adds an unconfirmed output of amount to address made by a send of
// the wallet's own: its transaction spends a confirmed output of the wallet
// at from.
func (n *fakeNode) ownSend(from, address string, amount uint64) rpc.AddressUtxo {
	in := n.fund(from, amount+1000, "")
	out := n.fund(address, amount, "mempool")
	id, _ := wire.ParseHash(in.TxID)
	n.spent[wire.OutPoint{TxID: id, Index: in.OutputIndex}] = &rpc.AddressSpend{TxID: out.TxID, Mempool: true}
	return out
}

func newNode() *fakeNode {
	return &fakeNode{tip: 100, spent: map[wire.OutPoint]*rpc.AddressSpend{}, txs: map[string]*rpc.TxResult{}}
}

// decodeTx decodes a hex transaction.
func decodeTx(t *testing.T, s string) *wire.Tx {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := wire.DecodeTx(b)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// checkSigned verifies every input of tx against the outputs it spends:
// the signature checks with the input's key against the sighash, and the
// key hashes to the spent output's key hash. It returns the input total.
func checkSigned(t *testing.T, tx *wire.Tx, n *fakeNode, prefix string) uint64 {
	t.Helper()
	msg := tx.SigHash()
	var total uint64
	for i, in := range tx.Inputs {
		var spent *rpc.AddressUtxo
		for j := range n.utxos {
			u := &n.utxos[j]
			if u.TxID == in.PrevOut.TxID.String() && u.OutputIndex == in.PrevOut.Index {
				spent = u
			}
		}
		if spent == nil {
			t.Fatalf("input %d spends unknown output %v", i, in.PrevOut)
		}
		if !wire.VerifySchnorr(in.PubKey, msg, in.Signature) {
			t.Errorf("input %d: signature does not verify", i)
		}
		kh, err := wire.DecodeAddress(prefix, spent.Address)
		if err != nil {
			t.Fatal(err)
		}
		if wire.HashPubKey(in.PubKey) != kh {
			t.Errorf("input %d: public key does not hash to the spent output's key hash", i)
		}
		total += uint64(spent.Amount)
	}
	return total
}
