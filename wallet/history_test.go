package wallet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"powchain/rpc"
	"powchain/wire"
)

func kinds(h []HistoryEntry) string {
	var out []string
	for _, e := range h {
		out = append(out, e.Kind+":"+e.TxID[:8])
	}
	return fmt.Sprint(out)
}

// TestHistory: receives (spent ones too), sends with their change folded
// in and their fee, unconfirmed first, the order stable as sends confirm,
// and a recorded send the node lost shown as missing.
func TestHistory(t *testing.T) {
	w := restored(t)
	node := newNode()
	r0, r1 := addr(t, w, BranchReceive, 0), addr(t, w, BranchReceive, 1)
	old := node.fund(r0, 1e8, "")
	old.Height, old.Confirmations = 5, 96
	node.utxos[0] = old
	cb := node.fund(r1, 50e8, "immature")
	pending := node.fund(r1, 7e8, "mempool")
	to, _ := other(t)

	txid1, txHex1, err := w.Send(t.Context(), node, to, 5e7, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	tx1 := node.accept(t, txHex1)
	if tx1.Inputs[0].PrevOut.TxID.String() != old.TxID {
		t.Fatalf("the send did not spend the old output: %v", tx1.Inputs[0].PrevOut)
	}

	h, err := w.History(t.Context(), node)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]string{
		KindReceive + ":" + pending.TxID[:8], // mempool, by txid
		KindSend + ":" + txid1[:8],
		KindReceive + ":" + cb.TxID[:8],  // height 100
		KindReceive + ":" + old.TxID[:8], // height 5, spent, still listed
	})
	if pending.TxID > txid1 {
		want = fmt.Sprint([]string{KindSend + ":" + txid1[:8], KindReceive + ":" + pending.TxID[:8],
			KindReceive + ":" + cb.TxID[:8], KindReceive + ":" + old.TxID[:8]})
	}
	if got := kinds(h); got != want {
		t.Fatalf("history\n got %v\nwant %v", got, want)
	}
	byKey := map[string]HistoryEntry{}
	for _, e := range h {
		byKey[e.Kind+e.TxID] = e
	}
	if e := byKey[KindSend+txid1]; !e.Mempool || e.Confirmations != 0 || e.Fee != fee(1, 1, 2) || e.Amount != 5e7 ||
		e.Address != to || e.Time != testTime.Unix() || e.Vout != nil {
		t.Errorf("send entry %+v", e)
	}
	if e := byKey[KindReceive+cb.TxID]; !e.Coinbase || !e.Immature || e.Confirmations != 1 || e.Amount != 50e8 || e.Vout == nil || *e.Vout != cb.OutputIndex {
		t.Errorf("coinbase entry %+v", e)
	}
	if e := byKey[KindReceive+pending.TxID]; !e.Mempool || e.Confirmations != 0 || e.Address != r1 {
		t.Errorf("mempool entry %+v", e)
	}
	if e := byKey[KindReceive+old.TxID]; e.Confirmations != 96 || e.Height != 5 || e.Immature {
		t.Errorf("old entry %+v", e)
	}

	// Mined at 101: the send moves there with one confirmation; nothing
	// else changes but confirmations.
	node.confirm(txid1, 101)
	h, err = w.History(t.Context(), node)
	if err != nil {
		t.Fatal(err)
	}
	want = fmt.Sprint([]string{KindReceive + ":" + pending.TxID[:8], KindSend + ":" + txid1[:8],
		KindReceive + ":" + cb.TxID[:8], KindReceive + ":" + old.TxID[:8]})
	if got := kinds(h); got != want {
		t.Fatalf("history after confirmation\n got %v\nwant %v", got, want)
	}
	if e := h[1]; e.Confirmations != 1 || e.Height != 101 || e.Mempool || e.Fee != fee(1, 1, 2) || e.Time != blockTime(101) {
		t.Errorf("confirmed send %+v", e)
	}

	// A second send the node then loses (a reorganisation dropped it).
	txid2, txHex2, err := w.Send(t.Context(), node, to, 3e7, 1, true) // from the confirmed change: the 7 pending coins are someone else's
	if err != nil {
		t.Fatal(err)
	}
	tx2 := node.accept(t, txHex2)
	for _, in := range tx2.Inputs {
		delete(node.spent, in.PrevOut)
	}
	node.utxos = node.utxos[:len(node.utxos)-len(tx2.Outputs)]
	delete(node.txs, txid2)
	h, err = w.History(t.Context(), node)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, e := range h {
		if e.TxID == txid2 {
			lost++
			if !e.Missing || e.Kind != KindSend || e.Amount != 3e7 || e.Confirmations != 0 || e.order != h[0].order {
				t.Fatalf("lost send: %+v", e)
			}
		}
	}
	if lost != 1 || len(h) != 5 {
		t.Fatalf("history with a lost send: %v", kinds(h))
	}
}

// TestRestoreCountsSpentAddressesAsUsed: 40 receive addresses in a row
// were paid and spent, then address 45 was paid. A restored wallet finds
// 45 (the gap limit counts unused addresses), its balance and its history.
func TestRestoreCountsSpentAddressesAsUsed(t *testing.T) {
	w := restored(t)
	node := newNode()
	for i := range uint32(40) {
		u := node.fund(addr(t, w, BranchReceive, i), 1e8, "")
		id, _ := wire.ParseHash(u.TxID)
		node.spent[wire.OutPoint{TxID: id, Index: u.OutputIndex}] = &rpc.AddressSpend{TxID: fmt.Sprintf("%064x", i), Height: 50}
	}
	last := node.fund(addr(t, w, BranchReceive, 45), 3e8, "")
	for i := range 40 {
		node.txs[fmt.Sprintf("%064x", i)] = &rpc.TxResult{Vin: make([]rpc.TxInResult, 1), Vout: []rpc.TxOutResult{{Value: 1e8 - 200, Address: "pcrt1elsewhere"}}}
	}
	b, err := w.Balance(t.Context(), node)
	if err != nil {
		t.Fatal(err)
	}
	if b.Confirmed != 3e8 || w.st.NextReceive != 46 {
		t.Fatalf("balance %+v, next receive %d; want 3 coins and 46", b, w.st.NextReceive)
	}
	h, err := w.History(t.Context(), node)
	if err != nil {
		t.Fatal(err)
	}
	var receives, sends int
	for _, e := range h {
		switch e.Kind {
		case KindReceive:
			receives++
		case KindSend:
			sends++
			if e.Fee != 200 || e.Amount != 1e8-200 {
				t.Errorf("send %+v", e)
			}
		}
	}
	if receives != 41 || sends != 40 || h[0].TxID == last.TxID {
		t.Fatalf("%d receives and %d sends, want 41 and 40 (sends at height 50 first): %v", receives, sends, kinds(h))
	}
}

// TestHistoryPagesAndTipChanges: the wallet reads every page, and starts
// again when a block arrives between pages.
func TestHistoryPagesAndTipChanges(t *testing.T) {
	w := restored(t)
	node := newNode()
	node.pageSize = 3
	for i := range uint32(7) {
		node.fund(addr(t, w, BranchReceive, i), 1e8, "")
	}
	b, err := w.Balance(t.Context(), node)
	if err != nil || b.Confirmed != 7e8 {
		t.Fatalf("paged balance %+v, %v; want 7 coins", b, err)
	}
	changes := 0
	node.betweenPages = func() {
		if changes < 2 {
			changes++
			node.bestBlock = fmt.Sprint(changes)
		}
	}
	if b, err = w.Balance(t.Context(), node); err != nil || b.Confirmed != 7e8 {
		t.Fatalf("balance across tip changes %+v, %v", b, err)
	}
	node.betweenPages = func() { changes++; node.bestBlock = fmt.Sprint(changes) }
	if _, err := w.Balance(t.Context(), node); err == nil {
		t.Fatal("a tip that never settles: no error")
	}

	// The mempool loses a transaction while the wallet reads (evicted, or
	// replaced), at the same tip: the page the first answer named is past
	// the end of the shorter history, and the wallet reads it again
	// instead of failing.
	node.betweenPages = nil
	for i := range uint32(3) {
		node.fund(addr(t, w, BranchReceive, 7+i), 1e8, "mempool")
	}
	served := 0
	node.betweenPages = func() {
		if served++; served == 3 {
			node.utxos = node.utxos[:len(node.utxos)-3] // pages 0 to 3 become 0 to 2
		}
	}
	if b, err = w.Balance(t.Context(), node); err != nil || b.Confirmed != 7e8 || b.Unconfirmed != 0 {
		t.Fatalf("balance when the mempool shrank between pages: %+v, %v; want 7 coins confirmed, none unconfirmed", b, err)
	}
}

// TestHistoryReadCarriedOverBlocks: when blocks arrive between pages and
// the node carries the read over, the wallet applies what they changed on
// the pages it read and goes on, reading each page once: it used to start
// again at every block, so a history read longer than a block interval
// (a miner's, on a network of a block a second) failed after five.
func TestHistoryReadCarriedOverBlocks(t *testing.T) {
	w := restored(t)
	node := newNode()
	node.pageSize, node.carry = 3, true
	for i := range uint32(7) {
		node.fund(addr(t, w, BranchReceive, i), 1e8, "")
	}
	first := node.utxos[0]
	firstID, _ := wire.ParseHash(first.TxID)
	served := 0
	node.betweenPages = func() {
		served++
		node.tip++
		node.bestBlock = fmt.Sprint(node.tip)
		if served == 1 { // a block spends an output of page 0 and pays another
			node.spent[wire.OutPoint{TxID: firstID, Index: first.OutputIndex}] = &rpc.AddressSpend{TxID: first.TxID, Height: node.tip}
			node.fund(addr(t, w, BranchReceive, 7), 2e8, "")
		}
	}
	b, err := w.Balance(t.Context(), node)
	if err != nil || b.Confirmed != 8e8 {
		t.Fatalf("balance read across %d blocks: %+v, %v; want 8 coins (7 - 1 spent + 2)", served, b, err)
	}
	// Three pages, then one for the receive addresses past the one the
	// scan found used.
	if served != 4 {
		t.Fatalf("%d pages served for a history of 3 pages and one of the new gap: the read started again", served)
	}
	// A block between every two pages: without carrying over, no read
	// ever completes.
	node.carry = false
	if _, err := w.Balance(t.Context(), node); err == nil || !strings.Contains(err.Error(), "try again") {
		t.Fatalf("a block between every two pages, not carried over: %v; want the wallet to give up", err)
	}
}

// TestOpensWalletFromBeforeHistory: a wallet file written by the wallet
// before the address history (testdata/before-history.wallet: restored from
// testMnemonic with the cheap KDF, receive addresses 0..2 handed out, one
// send of 0.5 coins at testTime from an output of 2 coins on address 1)
// opens with its indexes and send record, and its history shows the send
// with the recorded time while unconfirmed, then from the chain.
func TestOpensWalletFromBeforeHistory(t *testing.T) {
	const (
		sendHex  = "0100000001000000887d907f301bb0a1f4e18ef83466e74255276335df38e617d15bd9f2221650f20100000044ba99195a6f33e853b0759e4cb5fa5b01a065b8a161ea5e613648c41d0a066bddd2d3b5a2cb32bb151fdf30e3f8658d5876a1206c151b149559aa21bd458ecbf8a90ddccc764818e07463305edd137b7f5a3cdf65fdd0c270c2e6877f08dbc20200000080f0fa02000000000102030000000000000000000000000000000000b8d0f008000000004a2b844c61eea25ffc0929d6db6a98fa21d72be5"
		fundTxID = "887d907f301bb0a1f4e18ef83466e74255276335df38e617d15bd9f2221650f2"
		sendTxID = "eedb1dcf9a13816212fcfba1ff043a0f1f0f77ae4c4429f06312e064ebcc91fa"
	)
	path := walletPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, readFile(t, "testdata/before-history.wallet"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path, testPass, localOpts())
	if err != nil {
		t.Fatal(err)
	}
	if w.st.NextReceive != 3 || w.st.NextChange != 1 || len(w.st.Sends) != 1 || w.st.Sends[0].TxID != sendTxID || w.st.Sends[0].Time != testTime.Unix() {
		t.Fatalf("state of the old file: %+v", w.st)
	}
	node := newNode()
	node.utxos = append(node.utxos, rpc.AddressUtxo{Address: addr(t, w, BranchReceive, 1), TxID: fundTxID, OutputIndex: 1,
		Amount: 2e8, Height: 10, Confirmations: 91, Mature: true})
	node.accept(t, sendHex)
	h, err := w.History(t.Context(), node)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].TxID != sendTxID || h[0].Time != testTime.Unix() || !h[0].Mempool || h[0].Amount != 5e7 || h[0].Fee != fee(1, 1, 2) ||
		h[1].TxID != fundTxID || h[1].Amount != 2e8 {
		t.Fatalf("history of the old wallet: %+v", h)
	}
	node.confirm(sendTxID, 101)
	if h, err = w.History(t.Context(), node); err != nil || h[0].Confirmations != 1 || h[0].Mempool || h[0].Time != blockTime(101) {
		t.Fatalf("after confirmation: %+v, %v", h, err)
	}
}
