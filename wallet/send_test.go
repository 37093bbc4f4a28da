package wallet

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"powchain/rpc"
	"powchain/wire"
)

// other is a destination outside the wallet.
func other(t *testing.T) (string, wire.KeyHash) {
	t.Helper()
	kh := wire.KeyHash{1, 2, 3}
	a, err := wire.EncodeAddress("pcrt", kh)
	if err != nil {
		t.Fatal(err)
	}
	return a, kh
}

func fee(rate uint64, nIn, nOut int) uint64 { return rate * uint64(12+132*nIn+28*nOut) }

func TestBalanceCategories(t *testing.T) {
	w := restored(t)
	node := newNode()
	r0, r1, c0 := addr(t, w, BranchReceive, 0), addr(t, w, BranchReceive, 1), addr(t, w, BranchChange, 0)
	node.fund(r0, 100, "")
	node.fund(r0, 200, "coinbase") // mature
	node.fund(r1, 400, "immature")
	node.fund(c0, 800, "mempool")
	node.fund(r1, 1600, "mempool")
	other, _ := other(t)
	node.fund(other, 1<<40, "") // not the wallet's
	b, err := w.Balance(t.Context(), node)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Balance{Confirmed: 300, Unconfirmed: 2400, Immature: 400}); b != want {
		t.Fatalf("balance %+v, want %+v", b, want)
	}
	// Every request asks for the mempool view.
	if len(node.requests) == 0 {
		t.Fatal("no request")
	}
}

func TestBalanceNodeErrorPassesThrough(t *testing.T) {
	w := restored(t)
	node := newNode()
	node.err = fmt.Errorf("%w at http://127.0.0.1:1/: connection refused", rpc.ErrUnreachable)
	if _, err := w.Balance(t.Context(), node); !errors.Is(err, rpc.ErrUnreachable) {
		t.Fatalf("got %v", err)
	}
	if _, err := w.History(t.Context(), node); !errors.Is(err, rpc.ErrUnreachable) {
		t.Fatalf("got %v", err)
	}
	rpcErr := &rpc.Error{Code: -8, Message: "too many addresses"}
	node.err = rpcErr
	var got *rpc.Error
	if _, err := w.Balance(t.Context(), node); !errors.As(err, &got) || got != rpcErr {
		t.Fatalf("got %v", err)
	}
}

func TestSendExactFeeAndChange(t *testing.T) {
	path := walletPath(t)
	w, err := Restore(path, testPass, testMnemonic, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	node := newNode()
	a, _ := w.NewAddress()
	in := node.fund(a, 10e8, "")
	to, toKH := other(t)

	const rate = 3
	txid, txHex, err := w.Send(t.Context(), node, to, 1e8, rate, true)
	if err != nil {
		t.Fatal(err)
	}
	tx := decodeTx(t, txHex)
	if tx.TxID().String() != txid || len(node.sent) != 1 || node.sent[0] != txHex {
		t.Fatal("txid, hex and broadcast disagree")
	}
	if len(tx.Inputs) != 1 || tx.Inputs[0].PrevOut.TxID.String() != in.TxID || len(tx.Outputs) != 2 {
		t.Fatalf("shape %d in %d out", len(tx.Inputs), len(tx.Outputs))
	}
	if tx.SerializeSize() != 200 || fee(rate, 1, 2) != 600 {
		t.Fatalf("size %d", tx.SerializeSize())
	}
	changeKH := w.keys.cache[keyPath{BranchChange, 0}].keyHash
	if tx.Outputs[0] != (wire.TxOut{Amount: 1e8, KeyHash: toKH}) {
		t.Errorf("payment output %+v", tx.Outputs[0])
	}
	if tx.Outputs[1] != (wire.TxOut{Amount: 10e8 - 1e8 - 600, KeyHash: changeKH}) {
		t.Errorf("change output %+v", tx.Outputs[1])
	}
	if total := checkSigned(t, tx, node, "pcrt"); total-1e8-tx.Outputs[1].Amount != 600 {
		t.Errorf("fee %d", total-1e8-tx.Outputs[1].Amount)
	}

	// Recorded and persisted: the send, and the used change index.
	w2, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	spent := tx.Inputs[0].PrevOut
	want := SendRecord{TxID: txid, To: to, Amount: 1e8, Fee: 600, Time: testTime.Unix(), TipHeight: 100,
		Inputs: []string{fmt.Sprintf("%s:%d", spent.TxID, spent.Index)}}
	if len(w2.st.Sends) != 1 || !reflect.DeepEqual(w2.st.Sends[0], want) {
		t.Fatalf("sends %+v, want %+v", w2.st.Sends, want)
	}
	if w2.st.NextChange != 1 {
		t.Fatalf("next change %d", w2.st.NextChange)
	}

	// The next send's change goes to a new change address.
	node.utxos = nil
	node.fund(a, 5e8, "")
	_, txHex2, err := w2.Send(t.Context(), node, to, 1e8, rate, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeTx(t, txHex2).Outputs[1].KeyHash; got != w2.keys.cache[keyPath{BranchChange, 1}].keyHash {
		t.Fatal("second change did not go to change address 1")
	}
}

func TestSendChangeDust(t *testing.T) {
	for _, c := range []struct {
		extra      uint64 // above amount + fee with change
		wantChange uint64
	}{
		{DustThreshold - 1, 0},
		{DustThreshold, DustThreshold},
		{0, 0},
	} {
		w := restored(t)
		node := newNode()
		const amount, rate = 50_000, 2
		node.fund(addr(t, w, BranchReceive, 0), amount+fee(rate, 1, 2)+c.extra, "")
		to, _ := other(t)
		_, txHex, err := w.Send(t.Context(), node, to, amount, rate, false)
		if err != nil {
			t.Fatal(err)
		}
		tx := decodeTx(t, txHex)
		total := checkSigned(t, tx, node, "pcrt")
		var out uint64
		for _, o := range tx.Outputs {
			out += o.Amount
		}
		if c.wantChange == 0 {
			if len(tx.Outputs) != 1 {
				t.Errorf("extra %d: %d outputs, want no change", c.extra, len(tx.Outputs))
			}
			if total-out != fee(rate, 1, 2)+c.extra {
				t.Errorf("extra %d: fee %d, want the whole excess", c.extra, total-out)
			}
		} else if len(tx.Outputs) != 2 || tx.Outputs[1].Amount != c.wantChange || total-out != fee(rate, 1, 2) {
			t.Errorf("extra %d: outputs %+v", c.extra, tx.Outputs)
		}
	}
	if DustThreshold != 480 {
		t.Fatal(DustThreshold)
	}
}

func TestSendCoinSelection(t *testing.T) {
	to, _ := other(t)
	const rate = 1
	type fund struct {
		amount uint64
		kind   string
	}
	for _, c := range []struct {
		name   string
		funds  []fund
		amount uint64
		want   []uint64 // input amounts, in order
	}{
		{"smallest single that covers", []fund{{5e8, ""}, {3e8, ""}, {2e8, ""}}, 25e7, []uint64{3e8}},
		{"largest first", []fund{{2e8, ""}, {5e8, ""}, {3e8, ""}, {1e8, ""}}, 7e8, []uint64{5e8, 3e8}},
		{"confirmed before unconfirmed change", []fund{{10e8, "change"}, {1e8, ""}}, 5e7, []uint64{1e8}},
		{"unconfirmed change when needed, largest first", []fund{{3e8, "change"}, {1e8, ""}, {10e8, "change"}}, 2e8, []uint64{1e8, 10e8}},
		{"unconfirmed payments from others left out", []fund{{10e8, "mempool"}, {3e8, "change"}, {1e8, ""}}, 2e8, []uint64{1e8, 3e8}},
		{"mature coinbase spendable", []fund{{50e8, "coinbase"}, {50e8, "immature"}}, 10e8, []uint64{50e8}},
		{"uneconomical output skipped", []fund{{100, ""}, {1e6, ""}, {1e6, ""}}, 15e5, []uint64{1e6, 1e6}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := restored(t)
			node := newNode()
			for i, f := range c.funds {
				if f.kind == "change" { // of the wallet's own unconfirmed send
					node.ownSend(addr(t, w, BranchReceive, GapLimit-1), addr(t, w, BranchChange, uint32(i)), f.amount)
					continue
				}
				node.fund(addr(t, w, BranchReceive, uint32(i)), f.amount, f.kind)
			}
			_, txHex, err := w.Send(t.Context(), node, to, c.amount, rate, false)
			if err != nil {
				t.Fatal(err)
			}
			tx := decodeTx(t, txHex)
			checkSigned(t, tx, node, "pcrt")
			var got []uint64
			var total uint64
			for _, in := range tx.Inputs {
				for _, u := range node.utxos {
					if u.TxID == in.PrevOut.TxID.String() {
						got = append(got, uint64(u.Amount))
						total += uint64(u.Amount)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("inputs %v, want %v", got, c.want)
			}
			wantFee := fee(rate, len(tx.Inputs), len(tx.Outputs))
			var out uint64
			for _, o := range tx.Outputs {
				out += o.Amount
			}
			if len(tx.Outputs) != 2 || total-out != wantFee || tx.Outputs[0].Amount != c.amount {
				t.Fatalf("outputs %+v, fee %d, want %d", tx.Outputs, total-out, wantFee)
			}
		})
	}
}

func TestSendInsufficientFunds(t *testing.T) {
	w := restored(t)
	node := newNode()
	node.fund(addr(t, w, BranchReceive, 0), 1e8, "")
	node.fund(addr(t, w, BranchReceive, 1), 50e8, "immature")
	to, _ := other(t)
	// Exactly enough without change: 1e8 - fee(1 in, 1 out) works ...
	if _, _, err := w.Send(t.Context(), node, to, 1e8-fee(2, 1, 1), 2, false); err != nil {
		t.Fatalf("exact amount: %v", err)
	}
	// ... one more base unit does not.
	_, _, err := w.Send(t.Context(), node, to, 1e8-fee(2, 1, 1)+1, 2, false)
	if !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("got %v", err)
	}
	var ife *InsufficientFundsError
	if !errors.As(err, &ife) || ife.Need != 1e8+1 || ife.Have != 1e8 || ife.Immature != 50e8 {
		t.Fatalf("error %+v", ife)
	}
	for _, s := range []string{"sending 0.99999657 coins with a fee of 0.00000344 needs 1.00000001 coins, but only 1.00000000 are spendable",
		"; 50.00000000 more are immature coinbase outputs"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
	}
	// An unconfirmed payment from someone else waits for its confirmation.
	pending, pendingNode := restored(t), newNode()
	pendingNode.fund(addr(t, pending, BranchReceive, 0), 4e8, "mempool")
	pendingNode.fund(addr(t, pending, BranchChange, 0), 1e8, "mempool") // paid to a change address it saw on the chain
	pendingNode.fund(addr(t, pending, BranchReceive, 1), 1e8, "")
	_, _, err = pending.Send(t.Context(), pendingNode, to, 2e8, 1, false)
	if !errors.As(err, &ife) || ife.Pending != 5e8 || ife.Have != 1e8 ||
		!strings.Contains(err.Error(), "; 5.00000000 more are unconfirmed payments to the wallet, spendable once they confirm") {
		t.Fatalf("unconfirmed payment: %v", err)
	}
	// An empty wallet.
	_, _, err = restored(t).Send(t.Context(), newNode(), to, 1e8, 1, false)
	if !errors.Is(err, ErrInsufficientFunds) || !strings.Contains(err.Error(), "but only 0.00000000 are spendable") {
		t.Fatalf("empty wallet: %v", err)
	}
	// At a fee rate where an output costs more to spend than it is worth,
	// the message says so instead of "0 spendable" alone.
	poor, poorNode := restored(t), newNode()
	poorNode.fund(addr(t, poor, BranchReceive, 0), 1000, "") // 1000 <= 8 * 132
	_, _, err = poor.Send(t.Context(), poorNode, to, 500, 8, false)
	if !errors.As(err, &ife) || ife.Uneconomical != 1000 || ife.Have != 0 ||
		!strings.Contains(err.Error(), "; 0.00001000 are in outputs that would cost more in fee than they are worth at 8 base units per byte") {
		t.Fatalf("uneconomical outputs: %v", err)
	}
}

// TestSendFeeCap: a fee above Options.MaxFee is refused before anything
// is signed or sent, whether the fee rate alone exceeds it or the selected
// inputs make it; a higher MaxFee lets the same send through.
func TestSendFeeCap(t *testing.T) {
	node := newNode()
	w := restored(t)
	node.fund(addr(t, w, BranchReceive, 0), 10e8, "")
	to, _ := other(t)
	rate := uint64(DefaultMaxFee/wire.MinTxSize + 1) // even the smallest transaction exceeds the cap
	_, _, err := w.Send(t.Context(), node, to, 1e8, rate, true)
	var fe *FeeTooHighError
	if !errors.As(err, &fe) || fe.Max != DefaultMaxFee || fe.Fee != rate*wire.MinTxSize || len(node.sent) != 0 ||
		!strings.Contains(err.Error(), "exceeds the maximum fee of 0.10000000 coins") || !strings.Contains(err.Error(), "--max-fee") {
		t.Fatalf("fee rate over the cap: %v", err)
	}
	// The actual transaction (one input, two outputs: 200 bytes) is what
	// counts when the smallest one would fit.
	rate = DefaultMaxFee / 200 * 101 / 100
	if _, _, err := w.Send(t.Context(), node, to, 1e8, rate, false); !errors.As(err, &fe) || fe.Size != 200 || fe.Fee != rate*200 {
		t.Fatalf("selected transaction over the cap: %v", err)
	}
	opts := localOpts()
	opts.MaxFee = 10 * wire.CoinValue
	raised, err := Restore(walletPath(t), testPass, testMnemonic, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := raised.Send(t.Context(), node, to, 1e8, rate, true); err != nil {
		t.Fatalf("with a raised cap: %v", err)
	}
}

func TestSendBadArguments(t *testing.T) {
	w := restored(t)
	node := newNode()
	node.fund(addr(t, w, BranchReceive, 0), 10e8, "")
	to, kh := other(t)
	mainAddr, _ := wire.EncodeAddress("pc", kh)
	bech32Addr := "pcrt1qqypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqn8ltfe" // well-formed bech32, wrong checksum kind/length
	for _, c := range []struct {
		name    string
		to      string
		amount  uint64
		rate    uint64
		wantErr error
	}{
		{"malformed", "pcrt1qnotanaddress", 1e8, 1, ErrInvalidAddress},
		{"empty address", "", 1e8, 1, ErrInvalidAddress},
		{"bad checksum", to[:len(to)-1] + "q", 1e8, 1, ErrInvalidAddress},
		{"other encoding", bech32Addr, 1e8, 1, ErrInvalidAddress},
		{"other network", mainAddr, 1e8, 1, wire.ErrAddressNetwork},
		{"zero amount", to, 0, 1, ErrInvalidAmount},
		{"dust amount", to, DustThreshold - 1, 1, ErrInvalidAmount},
		{"above supply", to, wire.MaxMoney + 1, 1, ErrInvalidAmount},
		{"absurd fee rate", to, 1e8, MaxFeeRate + 1, ErrInvalidFeeRate},
	} {
		_, _, err := w.Send(t.Context(), node, c.to, c.amount, c.rate, true)
		if !errors.Is(err, c.wantErr) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.wantErr)
		}
	}
	if len(node.sent) != 0 || len(node.requests) != 0 {
		t.Fatal("bad arguments reached the node")
	}
	// The other-network error says so.
	_, _, err := w.Send(t.Context(), node, mainAddr, 1e8, 1, true)
	if !strings.Contains(err.Error(), "another network") {
		t.Errorf("message: %v", err)
	}
	// Upper-case addresses are the same address.
	if _, _, err := w.Send(t.Context(), node, strings.ToUpper(to), 1e8, 1, false); err != nil {
		t.Errorf("upper case: %v", err)
	}
}

func TestSendNodeErrors(t *testing.T) {
	w, path := restoredFile(t)
	node := newNode()
	node.fund(addr(t, w, BranchReceive, 0), 10e8, "")
	to, _ := other(t)
	before := readFile(t, path)

	node.err = fmt.Errorf("%w at http://127.0.0.1:1/: connection refused", rpc.ErrUnreachable)
	if _, _, err := w.Send(t.Context(), node, to, 1e8, 1, true); !errors.Is(err, rpc.ErrUnreachable) {
		t.Fatalf("unreachable: got %v", err)
	}
	node.err = nil
	for _, code := range []int{rpc.CodeDeserialization, rpc.CodeVerifyError, rpc.CodeVerifyRejected} {
		reject := &rpc.Error{Code: code, Message: "min relay fee not met"}
		node.sendErr = reject
		var got *rpc.Error
		if _, _, err := w.Send(t.Context(), node, to, 1e8, 1, true); !errors.As(err, &got) || got != reject || errors.Is(err, ErrMaybeSent) {
			t.Fatalf("rejected (%d): got %v", code, err)
		}
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("a send the node rejected changed the file")
	}
}

// TestSendAnswerLost: when the node takes the transaction but its answer
// is lost (the connection breaks after the request went out), or answers
// with an error that is no verdict on the transaction, Send cannot know
// whether it was sent. It says so with the txid and records the send, so
// that the user checks before paying again, and History lists it: from
// the node when the node has it, as missing when it never got it.
func TestSendAnswerLost(t *testing.T) {
	to, _ := other(t)
	for _, c := range []struct {
		name    string
		err     error
		reached bool // the node took the transaction
	}{
		{"connection broke after the node took it", fmt.Errorf("%w at http://127.0.0.1:1/: EOF", rpc.ErrUnreachable), true},
		{"node stopping", &rpc.Error{Code: rpc.CodeMiscError, Message: "accepted, but not relayed: p2p server stopped"}, true},
		{"connection broke before", fmt.Errorf("%w at http://127.0.0.1:1/: EOF", rpc.ErrUnreachable), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, path := restoredFile(t)
			node := newNode()
			node.fund(addr(t, w, BranchReceive, 0), 10e8, "")
			node.sendErr = c.err
			node.onSend = func(txHex string) {
				if c.reached {
					node.accept(t, txHex)
				}
			}
			txid, txHex, err := w.Send(t.Context(), node, to, 1e8, 1, true)
			if !errors.Is(err, ErrMaybeSent) || txid == "" || txHex == "" || !strings.Contains(err.Error(), txid) ||
				!strings.Contains(err.Error(), c.err.Error()) || !strings.Contains(err.Error(), "powchain wallet list") {
				t.Fatalf("got txid %q, error %v; want ErrMaybeSent naming the txid and the node's error", txid, err)
			}
			reopened, err := Open(path, testPass, localOpts())
			if err != nil {
				t.Fatal(err)
			}
			if len(reopened.st.Sends) != 1 || reopened.st.Sends[0].TxID != txid || reopened.st.NextChange != 1 {
				t.Fatalf("wallet file after an unanswered send: %+v", reopened.st)
			}
			h, err := reopened.History(t.Context(), node)
			if err != nil {
				t.Fatal(err)
			}
			var send *HistoryEntry
			for i := range h {
				if h[i].Kind == KindSend {
					send = &h[i]
				}
			}
			if send == nil || send.TxID != txid || send.Amount != 1e8 || send.Missing == c.reached || send.Mempool != c.reached {
				t.Fatalf("history %+v", h)
			}
		})
	}
}

func TestSendNoBroadcastChangesNothing(t *testing.T) {
	path := walletPath(t)
	w, err := Restore(path, testPass, testMnemonic, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	node := newNode()
	// Funds past the recorded indexes: a broadcasting send or Balance would
	// advance and persist them.
	node.fund(addr(t, w, BranchReceive, 7), 10e8, "")
	node.fund(addr(t, w, BranchChange, 4), 1e8, "mempool")
	to, _ := other(t)
	before := readFile(t, path)
	st := w.st

	txid, txHex, err := w.Send(t.Context(), node, to, 3e8, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("--no-broadcast changed the file")
	}
	if len(node.sent) != 0 {
		t.Fatal("--no-broadcast broadcast")
	}
	if fmt.Sprint(st) != fmt.Sprint(w.st) {
		t.Fatal("--no-broadcast changed the wallet's state")
	}
	tx := decodeTx(t, txHex)
	if tx.TxID().String() != txid {
		t.Fatal("txid")
	}
	checkSigned(t, tx, node, "pcrt")
	// The change goes past the used change index 4.
	if tx.Outputs[1].KeyHash != w.keys.cache[keyPath{BranchChange, 5}].keyHash {
		t.Fatal("change address is not the first unused one")
	}
	// The same send broadcast afterwards yields the same transaction
	// (deterministic signatures) and now records it.
	txid2, txHex2, err := w.Send(t.Context(), node, to, 3e8, 1, true)
	if err != nil || txid2 != txid || txHex2 != txHex {
		t.Fatalf("broadcast differs: %v", err)
	}
	if w.st.NextReceive != 8 || w.st.NextChange != 6 || len(w.st.Sends) != 1 {
		t.Fatalf("state after broadcast %+v", w.st)
	}
}

// TestSendFileChangedDuringBroadcast: another process writes the wallet
// file while Send waits for the node (here: hands out an address). The
// transaction is sent, so the error must say so and must not be
// ErrModified, whose "run the command again" would pay a second time.
func TestSendFileChangedDuringBroadcast(t *testing.T) {
	for _, sendErr := range []error{nil, fmt.Errorf("%w at http://127.0.0.1:1/: EOF", rpc.ErrUnreachable)} {
		w, path := restoredFile(t)
		node := newNode()
		node.fund(addr(t, w, BranchReceive, 0), 10e8, "")
		to, _ := other(t)
		node.sendErr = sendErr
		sent := 0
		node.onSend = func(string) {
			sent++
			other, err := Open(path, testPass, localOpts())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.NewAddress(); err != nil {
				t.Fatal(err)
			}
		}
		txid, _, err := w.Send(t.Context(), node, to, 1e8, 1, true)
		if err == nil || errors.Is(err, ErrModified) || strings.Contains(err.Error(), "run the command again") ||
			!strings.Contains(err.Error(), txid) || !strings.Contains(err.Error(), "another process changed it") ||
			!strings.Contains(err.Error(), "powchain wallet list") || sent != 1 || txid == "" {
			t.Errorf("node error %v: send with the file changed meanwhile: txid %q, error %v", sendErr, txid, err)
		}
	}
}

// TestSendAgainConflictsWithMissingSend: a send that is missing (here the
// node never answered and never got it, ErrMaybeSent) may still be alive
// elsewhere, e.g. on peers of a node that relayed it and then lost its
// mempool in a crash. A send made again while it is missing must spend
// one of its coins, so that at most one of the two can confirm, even when
// a coin that arrived since would be chosen otherwise.
func TestSendAgainConflictsWithMissingSend(t *testing.T) {
	w := restored(t)
	node := newNode()
	node.fund(addr(t, w, BranchReceive, 0), 3e8, "")
	to, _ := other(t)
	node.sendErr = fmt.Errorf("%w at http://127.0.0.1:1/: EOF", rpc.ErrUnreachable)
	_, lostHex, err := w.Send(t.Context(), node, to, 1e8, 1, true)
	if !errors.Is(err, ErrMaybeSent) {
		t.Fatalf("send with its answer lost: %v", err)
	}
	node.sendErr = nil
	node.fund(addr(t, w, BranchReceive, 1), 2e8, "") // arrived since: the smallest coin that covers the payment
	_, againHex, err := w.Send(t.Context(), node, to, 1e8, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	lost, again := decodeTx(t, lostHex), decodeTx(t, againHex)
	if !slices.ContainsFunc(again.Inputs, func(in wire.TxIn) bool { return in.PrevOut == lost.Inputs[0].PrevOut }) {
		t.Fatalf("the send made again spends none of the missing send's coin %+v: both can confirm", lost.Inputs[0].PrevOut)
	}
}
