package wallet

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"powchain/rpc"
)

// lostSend makes a send whose answer the node lost before taking it: the
// wallet records it, the node never has it (History's Missing).
func lostSend(t *testing.T, w *Wallet, node *fakeNode, amount uint64) string {
	t.Helper()
	to, _ := other(t)
	node.sendErr = fmt.Errorf("%w at http://127.0.0.1:1/: EOF", rpc.ErrUnreachable)
	defer func() { node.sendErr = nil }()
	txid, _, err := w.Send(t.Context(), node, to, amount, 1, true)
	if !errors.Is(err, ErrMaybeSent) {
		t.Fatalf("send with its answer lost: %v", err)
	}
	return txid
}

func missingSends(t *testing.T, w *Wallet, node *fakeNode) []HistoryEntry {
	t.Helper()
	h, err := w.History(t.Context(), node)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(h, func(e HistoryEntry) bool { return !e.Missing })
}

func TestAbandonForgetsMissingSend(t *testing.T) {
	w, path := restoredFile(t)
	node := newNode()
	node.fund(addr(t, w, BranchReceive, 0), 3e8, "")
	lost := lostSend(t, w, node, 1e8)
	if m := missingSends(t, w, node); len(m) != 1 || m[0].TxID != lost {
		t.Fatalf("missing sends before abandon: %+v", m)
	}

	gone, err := w.Abandon(t.Context(), node, strings.ToUpper(lost))
	if err != nil || !slices.Equal(gone, []string{lost}) {
		t.Fatalf("Abandon = %v, %v; want [%s]", gone, err, lost)
	}
	reopened, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(reopened.st.Sends) != 0 {
		t.Fatalf("sends recorded after abandon: %+v", reopened.st.Sends)
	}
	if m := missingSends(t, reopened, node); len(m) != 0 {
		t.Fatalf("missing sends after abandon: %+v", m)
	}

	// The abandoned send's coin is no longer spent first: the smallest
	// coin that covers the next payment is.
	small := node.fund(addr(t, w, BranchReceive, 1), 2e8, "")
	to, _ := other(t)
	_, txHex, err := reopened.Send(t.Context(), node, to, 1e8, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if in := decodeTx(t, txHex).Inputs; len(in) != 1 || in[0].PrevOut.TxID.String() != small.TxID {
		t.Fatalf("send after abandon spends %+v; want only the 2-coin output %s", in, small.TxID)
	}
}

func TestAbandonTakesSendsSpendingItsChange(t *testing.T) {
	w, path := restoredFile(t)
	node := newNode()
	coin := node.fund(addr(t, w, BranchReceive, 0), 3e8, "")
	node.onSend = func(txHex string) { node.accept(t, txHex) }
	to, _ := other(t)
	first, _, err := w.Send(t.Context(), node, to, 1e8, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := w.Send(t.Context(), node, to, 1e8, 1, true) // spends first's change: the only coin
	if err != nil {
		t.Fatal(err)
	}
	spare := node.fund(addr(t, w, BranchReceive, 1), 2e8, "") // confirmed: spent before unconfirmed change
	unrelated := lostSend(t, w, node, 1e7)

	// The node loses the first two from its mempool (a restart without
	// mempool.dat).
	node = newNode()
	node.utxos = append(node.utxos, coin, spare)
	if m := missingSends(t, w, node); len(m) != 3 {
		t.Fatalf("missing sends: %+v; want the three", m)
	}
	gone, err := w.Abandon(t.Context(), node, first)
	if err != nil || !slices.Equal(gone, []string{first, second}) {
		t.Fatalf("Abandon(first) = %v, %v; want [%s %s]", gone, err, first, second)
	}
	reopened, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(reopened.st.Sends) != 1 || reopened.st.Sends[0].TxID != unrelated {
		t.Fatalf("sends recorded after abandon: %+v; want only %s", reopened.st.Sends, unrelated)
	}
}

func TestAbandonRefusesSendsTheNodeHas(t *testing.T) {
	w, path := restoredFile(t)
	node := newNode()
	node.fund(addr(t, w, BranchReceive, 0), 3e8, "")
	node.onSend = func(txHex string) { node.accept(t, txHex) }
	to, _ := other(t)
	txid, _, err := w.Send(t.Context(), node, to, 1e8, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path)
	check := func(where string) {
		t.Helper()
		_, err := w.Abandon(t.Context(), node, txid)
		if !errors.Is(err, ErrNotAbandonable) || !strings.Contains(err.Error(), txid) || !strings.Contains(err.Error(), where) {
			t.Fatalf("Abandon of a send %s: %v; want ErrNotAbandonable saying where", where, err)
		}
		if string(readFile(t, path)) != string(before) {
			t.Fatal("a refused abandon changed the wallet file")
		}
	}
	check("in the node's mempool")
	node.confirm(txid, 101)
	check("in the block at height 101")

	_, err = w.Abandon(t.Context(), node, strings.Repeat("ab", 32))
	if !errors.Is(err, ErrNoSuchSend) || !strings.Contains(err.Error(), "powchain wallet list") {
		t.Fatalf("Abandon of a txid the wallet never sent: %v; want ErrNoSuchSend", err)
	}
}

func TestHistoryNamesWhatReplacedMissingSend(t *testing.T) {
	w := restored(t)
	node := newNode()
	node.fund(addr(t, w, BranchReceive, 0), 3e8, "")
	lost := lostSend(t, w, node, 1e8)
	if m := missingSends(t, w, node); len(m) != 1 || m[0].ReplacedBy != "" {
		t.Fatalf("a missing send nothing conflicts with: %+v; want no ReplacedBy", m)
	}
	node.onSend = func(txHex string) { node.accept(t, txHex) }
	to, _ := other(t)
	again, _, err := w.Send(t.Context(), node, to, 1e8, 1, true) // spends the missing send's coin
	if err != nil {
		t.Fatal(err)
	}
	m := missingSends(t, w, node)
	if len(m) != 1 || m[0].TxID != lost || m[0].ReplacedBy != again {
		t.Fatalf("missing sends after a conflicting send: %+v; want %s replaced by %s", m, lost, again)
	}
}

// TestReplacedSendsOtherCoinsNotSpentFirst: a missing send of two coins
// that a later send already conflicts with (it spent one of them) holds
// no claim on its other coin: the next send picks its coins as if no
// send were missing.
func TestReplacedSendsOtherCoinsNotSpentFirst(t *testing.T) {
	w := restored(t)
	node := newNode()
	node.fund(addr(t, w, BranchReceive, 0), 1e8, "")
	node.fund(addr(t, w, BranchReceive, 1), 1e8, "")
	lostSend(t, w, node, 15e7) // both coins
	node.onSend = func(txHex string) { node.accept(t, txHex) }
	to, _ := other(t)
	if _, _, err := w.Send(t.Context(), node, to, 5e7, 1, true); err != nil { // one of them: conflicts
		t.Fatal(err)
	}
	fit := node.fund(addr(t, w, BranchReceive, 2), 7e7, "")
	_, txHex, err := w.Send(t.Context(), node, to, 5e7, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if in := decodeTx(t, txHex).Inputs; len(in) != 1 || in[0].PrevOut.TxID.String() != fit.TxID {
		t.Fatalf("the next send spends %+v; want only the smallest coin that covers it, %s", in, fit.TxID)
	}
}
