package chain_test

import (
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// FuzzCheckSanity: context-free validation of any decodable block or
// transaction returns nil or a RuleError, and never panics.
func FuzzCheckSanity(f *testing.F) {
	params := chaintest.Params(genesisTime)
	g := chaintest.NewGenerator(f, params)
	g.NextBlock("b1", nil)
	blk := g.NextBlock("b2", []*wire.Tx{g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1, 2)})
	f.Add(blk.Bytes())
	f.Add(blk.Transactions[1].Bytes())
	f.Add(params.GenesisBlock.Bytes())
	now := genesisTime.Add(time.Hour)
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := wire.DecodeBlock(data); err == nil {
			if err := chain.CheckBlockSanity(b, params, now); err != nil {
				expectRuleError(t, err)
			}
		}
		if tx, err := wire.DecodeTx(data); err == nil {
			if err := chain.CheckTransactionSanity(tx); err != nil {
				expectRuleError(t, err)
			}
		}
	})
}

// FuzzProcessBlock feeds arbitrary blocks to a live chain. The proof of work
// of the test parameters is easy enough that mutated blocks often pass it
// and reach the deeper rules. Any outcome but a panic, a non-rule error or a
// broken UTXO set is fine.
func FuzzProcessBlock(f *testing.F) {
	params := chaintest.Params(genesisTime)
	params.CoinbaseMaturity = 1
	g := chaintest.NewGenerator(f, params)
	c, err := chain.Open(chain.Config{Params: params, Path: f.TempDir(), Clock: chaintest.NewClock(genesisTime.Add(time.Hour))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	for i := 1; i <= 3; i++ {
		if _, err := c.ProcessBlock(g.NextBlock("b"+itoa(i), nil)); err != nil {
			f.Fatal(err)
		}
	}
	spend := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 5, 2)
	f.Add(g.NextBlock("next", []*wire.Tx{spend}).Bytes())
	g.SetTip("b2")
	f.Add(g.NextBlock("side", nil).Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := wire.DecodeBlock(data)
		if err != nil {
			return
		}
		if _, err := c.ProcessBlock(b); err != nil {
			expectRuleError(t, err)
		}
		info, err := c.UTXOSetInfo()
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := chaintest.BestChainBlocks(c)
		if err != nil {
			t.Fatal(err)
		}
		if n, total, hash := chaintest.ReplayUTXOSet(blocks).Info(); n != info.TxOuts || total != info.TotalAmount || hash != info.HashSerialized {
			t.Fatalf("UTXO set diverged from a replay of the best chain")
		}
	})
}

func expectRuleError(t *testing.T, err error) {
	t.Helper()
	if _, ok := chain.ErrorCodeOf(err); !ok {
		t.Fatalf("non-rule error: %v", err)
	}
}
