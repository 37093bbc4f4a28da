package chaintest

import (
	"slices"

	"github.com/btcsuite/btcd/btcec/v2"

	"powchain/chain"
	"powchain/wire"
)

// TB is the part of testing.TB the generator needs; *testing.T and
// *rapid.T both provide it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// SpendableOut is an output the generator knows the key of.
type SpendableOut struct {
	OutPoint wire.OutPoint
	Amount   uint64
	Key      *btcec.PrivateKey
}

// Munger changes a block after the generator built it and before it fixes
// the merkle root (unless the munger set one) and solves the proof of work.
type Munger func(*wire.Block)

// Generator builds named blocks, as btcd's fullblocktests do: each block
// extends the current tip (SetTip moves it), its coinbase pays subsidy plus
// fees to the generator's key, its bits follow aserti3-2d and its timestamp
// is one target spacing after its parent's, so a generated chain stays on
// schedule.
type Generator struct {
	t       TB
	params  *chain.Params
	key     *btcec.PrivateKey
	keyHash wire.KeyHash
	blocks  map[string]*wire.Block
	heights map[string]uint64
	parents map[string]string
	anchors map[string]int64 // timestamp of block 1 of the chain ending at the named block
	fees    map[wire.Hash]uint64
	tipName string
	nonce   uint64 // extra nonce: keeps every coinbase distinct
}

// NewGenerator returns a generator whose tip is the genesis block, named
// "genesis".
func NewGenerator(t TB, params *chain.Params) *Generator {
	g := &Generator{
		t: t, params: params, key: Key(0), keyHash: wire.HashPubKey(wire.XOnlyPubKey(Key(0))),
		blocks:  map[string]*wire.Block{"genesis": params.GenesisBlock},
		heights: map[string]uint64{"genesis": 0},
		parents: map[string]string{},
		anchors: map[string]int64{"genesis": 0},
		fees:    make(map[wire.Hash]uint64),
		tipName: "genesis",
	}
	return g
}

// KeyHash is the key hash every generated output pays to.
func (g *Generator) KeyHash() wire.KeyHash { return g.keyHash }

// Params returns the generator's parameters.
func (g *Generator) Params() *chain.Params { return g.params }

// Block returns the block called name.
func (g *Generator) Block(name string) *wire.Block {
	g.t.Helper()
	b, ok := g.blocks[name]
	if !ok {
		g.t.Fatalf("chaintest: no block named %q", name)
	}
	return b
}

// Height returns the height of the block called name.
func (g *Generator) Height(name string) uint64 {
	g.t.Helper()
	g.Block(name)
	return g.heights[name]
}

// TipName is the name of the block the next block will extend.
func (g *Generator) TipName() string { return g.tipName }

// SetTip makes the block called name the parent of the next block.
func (g *Generator) SetTip(name string) {
	g.t.Helper()
	g.Block(name)
	g.tipName = name
}

// NextBlock builds, registers and returns a block called name on the tip,
// with txs after the coinbase, and makes it the tip.
func (g *Generator) NextBlock(name string, txs []*wire.Tx, mungers ...Munger) *wire.Block {
	g.t.Helper()
	if _, dup := g.blocks[name]; dup {
		g.t.Fatalf("chaintest: block name %q used twice", name)
	}
	parent := g.Block(g.tipName)
	height := g.heights[g.tipName] + 1
	var fees uint64
	for _, tx := range txs {
		fees += g.fees[tx.TxID()]
	}
	g.nonce++
	cb := wire.NewCoinbaseTx(wire.CoinbaseData{Height: height, ExtraNonce: g.nonce}, []wire.TxOut{{
		Amount:  g.params.CalcBlockSubsidy(height) + fees,
		KeyHash: g.keyHash,
	}})
	b := &wire.Block{
		Header: wire.BlockHeader{
			Version:   1,
			PrevBlock: parent.BlockHash(),
			Timestamp: parent.Header.Timestamp + g.params.TargetSpacing,
			Bits:      g.params.NextBits(g.heights[g.tipName], parent.Header.Timestamp, g.anchors[g.tipName]),
		},
		Transactions: append([]*wire.Tx{cb}, txs...),
	}
	b.Header.MerkleRoot, _ = wire.MerkleRoot(b.TxIDs())
	rootBefore := b.Header.MerkleRoot
	for _, m := range mungers {
		m(b)
	}
	if b.Header.MerkleRoot == rootBefore {
		b.Header.MerkleRoot, _ = wire.MerkleRoot(b.TxIDs())
	}
	Solve(&b.Header)
	g.blocks[name], g.heights[name], g.parents[name] = b, height, g.tipName
	g.anchors[name] = g.anchors[g.tipName]
	if height == 1 {
		g.anchors[name] = b.Header.Timestamp
	}
	g.tipName = name
	return b
}

// CoinbaseOut returns output 0 of the coinbase of the block called name.
func (g *Generator) CoinbaseOut(name string) SpendableOut {
	g.t.Helper()
	cb := g.Block(name).Transactions[0]
	return SpendableOut{
		OutPoint: wire.OutPoint{TxID: cb.TxID(), Index: 0},
		Amount:   cb.Outputs[0].Amount,
		Key:      g.key,
	}
}

// SpendTx builds a transaction, signed with the outputs' keys, that spends
// outs and pays their total minus fee in nOut equal outputs (the first
// takes the remainder) to the generator's key. The generator remembers the
// fee for the coinbase of the block that includes it.
func (g *Generator) SpendTx(outs []SpendableOut, fee uint64, nOut int) *wire.Tx {
	g.t.Helper()
	var total uint64
	tx := &wire.Tx{Version: 1}
	keys := make([]*btcec.PrivateKey, len(outs))
	for i, o := range outs {
		total += o.Amount
		tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: o.OutPoint})
		keys[i] = o.Key
	}
	if fee > total || nOut < 1 {
		g.t.Fatalf("chaintest: cannot pay fee %d from %d in %d outputs", fee, total, nOut)
	}
	pay := total - fee
	kh := g.keyHash
	for i := range nOut {
		amt := pay / uint64(nOut)
		if i == 0 {
			amt += pay % uint64(nOut)
		}
		tx.Outputs = append(tx.Outputs, wire.TxOut{Amount: amt, KeyHash: kh})
	}
	g.Sign(tx, keys...)
	g.fees[tx.TxID()] = fee
	return tx
}

// Sign (re)signs every input of tx; keys[i] signs input i (a single key
// signs them all). Call it after changing a transaction in a munger.
func (g *Generator) Sign(tx *wire.Tx, keys ...*btcec.PrivateKey) {
	g.t.Helper()
	if len(keys) == 1 && len(tx.Inputs) > 1 {
		for len(keys) < len(tx.Inputs) {
			keys = append(keys, keys[0])
		}
	}
	if err := wire.SignInputs(tx, keys); err != nil {
		g.t.Fatalf("chaintest: sign: %v", err)
	}
}

// TxOut returns output i of tx as a spendable output of the generator's key.
func (g *Generator) TxOut(tx *wire.Tx, i uint32) SpendableOut {
	return SpendableOut{OutPoint: wire.OutPoint{TxID: tx.TxID(), Index: i}, Amount: tx.Outputs[i].Amount, Key: g.key}
}

// Unsolve changes the nonce until the block id is above its target.
func Unsolve(h *wire.BlockHeader) {
	target := chain.CompactToBig(h.Bits)
	for chain.HashToBig(h.BlockHash()).Cmp(target) <= 0 {
		h.Nonce++
	}
}

// BlocksTo returns the chain of generated blocks ending at the block called
// name, genesis first.
func (g *Generator) BlocksTo(name string) []*wire.Block {
	g.t.Helper()
	blocks := []*wire.Block{g.Block(name)}
	for n := name; n != "genesis"; {
		n = g.parents[n]
		blocks = append(blocks, g.blocks[n])
	}
	slices.Reverse(blocks)
	return blocks
}
