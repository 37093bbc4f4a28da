//go:build libsecp256k1

package chain_test

import (
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// TestSignatureBackendsAgreeOnChain is the differential test over a
// generated chain: a fan-out block, then 15 blocks of transactions with one
// to three inputs signed by 64 different keys (989 signatures). The chain is
// connected by this build's consensus code (libsecp256k1), then every
// signature is verified by both backends, which must both accept it, and
// again with its signature and its sighash changed by one bit, which both
// must reject.
func TestSignatureBackendsAgreeOnChain(t *testing.T) {
	h := newHarnessWithParams(t, maturityOneParams())
	blocks := generateSignedChain(t, h.g, 15, 64)
	for _, b := range blocks {
		if _, err := h.c.ProcessBlock(b); err != nil {
			t.Fatalf("block %d: %v", h.c.Tip().Height+1, err)
		}
	}
	if got := h.c.Tip().Hash; got != blocks[len(blocks)-1].BlockHash() {
		t.Fatalf("tip %s is not the last generated block", got)
	}
	backends := []wire.SchnorrVerifier{wire.BtcecVerifier{}, wire.LibsecpVerifier{}}
	sigs := 0
	for _, b := range blocks {
		for _, tx := range b.Transactions[1:] {
			msg := tx.SigHash()
			for i, in := range tx.Inputs {
				sigs++
				badSig, badMsg := in.Signature, msg
				badSig[sigs%wire.SignatureSize] ^= 1 << (sigs % 8)
				badMsg[sigs%len(badMsg)] ^= 1 << (sigs % 8)
				for _, v := range backends {
					if !v.Verify(in.PubKey, msg[:], in.Signature) {
						t.Errorf("tx %s input %d: %s rejects a signature the chain accepted", tx.TxID(), i, v.Name())
					}
					if v.Verify(in.PubKey, msg[:], badSig) || v.Verify(in.PubKey, badMsg[:], in.Signature) {
						t.Errorf("tx %s input %d: %s accepts a changed signature or message", tx.TxID(), i, v.Name())
					}
				}
			}
		}
	}
	if sigs < 900 {
		t.Fatalf("checked %d signatures, want at least 900", sigs)
	}
	t.Logf("%d signatures in %d blocks: both backends agree", sigs, len(blocks))
}

// maturityOneParams are test parameters whose coinbases mature in one
// block, so that short chains have much to spend.
func maturityOneParams() *chain.Params {
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	return params
}

// generateSignedChain builds n+1 blocks on g's tip: the first fans its
// parent's coinbase out to keys distinct keys; each of the n next spends
// every output of the block before, in transactions of 1, 2 or 3 inputs
// (each input signed by its output's key) paying two outputs to the next
// keys in turn.
func generateSignedChain(t *testing.T, g *chaintest.Generator, n, keys int) []*wire.Block {
	t.Helper()
	owners := make([]*btcec.PrivateKey, keys)
	for i := range owners {
		owners[i] = chaintest.Key(i + 1)
	}
	blocks := []*wire.Block{g.NextBlock("cb", nil)}
	coins := []chaintest.SpendableOut{g.CoinbaseOut("cb")}
	nextOwner := 0
	for h := range n + 1 {
		outs := 2
		if h == 0 {
			outs = keys
		}
		var txs []*wire.Tx
		var nextCoins []chaintest.SpendableOut
		for len(coins) > 0 {
			k := min(1+len(txs)%3, len(coins))
			tx, spendable := spendTo(g, coins[:k], owners, &nextOwner, outs)
			txs = append(txs, tx)
			nextCoins = append(nextCoins, spendable...)
			coins = coins[k:]
		}
		blocks = append(blocks, g.NextBlock(fmt.Sprintf("s%d", h), txs))
		coins = nextCoins
	}
	return blocks
}

// spendTo returns a transaction, without fee, spending ins and paying outs
// equal outputs to owners in turn (starting at *next), and its outputs.
func spendTo(g *chaintest.Generator, ins []chaintest.SpendableOut, owners []*btcec.PrivateKey, next *int, outs int) (*wire.Tx, []chaintest.SpendableOut) {
	tx := &wire.Tx{Version: 1}
	var total uint64
	signers := make([]*btcec.PrivateKey, len(ins))
	for i, in := range ins {
		tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: in.OutPoint})
		total += in.Amount
		signers[i] = in.Key
	}
	paid := make([]*btcec.PrivateKey, outs)
	for i := range paid {
		paid[i] = owners[*next%len(owners)]
		*next++
		amount := total / uint64(outs)
		if i == 0 {
			amount += total % uint64(outs)
		}
		tx.Outputs = append(tx.Outputs, wire.TxOut{Amount: amount, KeyHash: wire.HashPubKey(wire.XOnlyPubKey(paid[i]))})
	}
	g.Sign(tx, signers...)
	spendable := make([]chaintest.SpendableOut, outs)
	for i := range spendable {
		spendable[i] = chaintest.SpendableOut{
			OutPoint: wire.OutPoint{TxID: tx.TxID(), Index: uint32(i)},
			Amount:   tx.Outputs[i].Amount,
			Key:      paid[i],
		}
	}
	return tx, spendable
}
