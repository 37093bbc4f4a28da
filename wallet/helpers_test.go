package wallet

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	w, err := Restore(walletPath(t), testPass, testMnemonic, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	return w
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

// fakeNode answers getaddressutxos from a fixed list and records what is
// sent.
type fakeNode struct {
	utxos    []rpc.AddressUtxo
	tip      uint64
	err      error // returned by every call when set
	sendErr  error // returned by SendRawTransaction when set
	sent     []string
	requests [][]string
}

var _ Node = (*fakeNode)(nil)

func (n *fakeNode) GetAddressUtxos(_ context.Context, req rpc.AddressUtxosRequest) ([]rpc.AddressUtxo, error) {
	if n.err != nil {
		return nil, n.err
	}
	n.requests = append(n.requests, req.Addresses)
	var out []rpc.AddressUtxo
	for _, u := range n.utxos {
		if slices.Contains(req.Addresses, u.Address) && (req.Mempool || !u.Mempool) {
			out = append(out, u)
		}
	}
	return out, nil
}

func (n *fakeNode) SendRawTransaction(_ context.Context, txHex string) (string, error) {
	if n.err != nil {
		return "", n.err
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

func newNode() *fakeNode { return &fakeNode{tip: 100} }

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
