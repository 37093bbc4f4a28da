package p2p

import (
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// preverifyRecorder is a node's chain that notes every block its Server
// hands to Preverify, and the answer.
type preverifyRecorder struct {
	*chain.Chain
	mu     sync.Mutex
	blocks map[wire.Hash]bool
}

func recordPreverify(n *testNode) (*preverifyRecorder, func(*Config)) {
	r := &preverifyRecorder{Chain: n.chain, blocks: make(map[wire.Hash]bool)}
	return r, func(c *Config) { c.Chain = r }
}

func (r *preverifyRecorder) Preverify(blk *wire.Block) bool {
	ok := r.Chain.Preverify(blk)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blocks[blk.BlockHash()] = ok
	return ok
}

func (r *preverifyRecorder) seen() map[wire.Hash]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.blocks)
}

// spendingChain builds n blocks after b1, each spending every output of a
// fan-out of lanes outputs once.
func spendingChain(t testing.TB, g *chaintest.Generator, lanes, n int) []*wire.Block {
	blocks := []*wire.Block{g.NextBlock("b1", nil)}
	fan := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 0, lanes)
	blocks = append(blocks, g.NextBlock("fan", []*wire.Tx{fan}))
	outs := make([]chaintest.SpendableOut, lanes)
	for i := range outs {
		outs[i] = g.TxOut(fan, uint32(i))
	}
	for k := range n {
		txs := make([]*wire.Tx, lanes)
		for i := range txs {
			txs[i] = g.SpendTx([]chaintest.SpendableOut{outs[i]}, 10, 1)
			outs[i] = g.TxOut(txs[i], 0)
		}
		blocks = append(blocks, g.NextBlock(fmt.Sprintf("s%d", k), txs))
	}
	return blocks
}

// TestSyncPreverifiesRequestedBlocks: a syncing node hands every block it
// downloads to Preverify as it arrives, and the chain takes each.
func TestSyncPreverifiesRequestedBlocks(t *testing.T) {
	params := testParams()
	blocks := spendingChain(t, chaintest.NewGenerator(t, params), 20, 4)
	server := newNode(t, "server", params, func(c *Config) { c.NoDiscovery = true })
	server.process(blocks...)

	late := newNode(t, "late", params, func(c *Config) { c.Listen = ""; c.NoDiscovery = true })
	late.stop()
	rec, useRecorder := recordPreverify(late)
	late.start(t.TempDir(), func(c *Config) { c.Listen = ""; c.Connect = []string{server.addr()}; useRecorder(c) })
	waitTip(t, 30*time.Second, blocks[len(blocks)-1].BlockHash(), late)

	seen := rec.seen()
	for _, b := range blocks {
		if ok, handed := seen[b.BlockHash()]; !handed || !ok {
			t.Errorf("block %s: handed to Preverify %v, taken %v", b.BlockHash(), handed, ok)
		}
	}
	if len(seen) != len(blocks) {
		t.Errorf("%d blocks handed to Preverify, want the %d downloaded", len(seen), len(blocks))
	}
}

// TestUnrequestedBlockNotPreverified: a block a peer sends unasked costs
// no signature check before the event loop has judged it.
func TestUnrequestedBlockNotPreverified(t *testing.T) {
	params := testParams()
	node := newNode(t, "node", params, func(c *Config) { c.NoDiscovery = true })
	node.stop()
	rec, useRecorder := recordPreverify(node)
	node.start(t.TempDir(), func(c *Config) { c.NoDiscovery = true; useRecorder(c) })
	blocks := spendingChain(t, chaintest.NewGenerator(t, params), 20, 1)
	node.process(blocks[:2]...)

	r := dialRawLocal(t, node)
	r.handshake()
	r.send(&MsgBlock{Block: blocks[2]})
	r.send(&MsgPing{Nonce: 7})
	r.expect(TypePong) // the reader has handled the block before the ping
	if seen := rec.seen(); len(seen) != 0 {
		t.Fatalf("unrequested block handed to Preverify: %v", seen)
	}
}

// TestTamperedBlockNotPreverified: a block sent for a requested hash whose
// transactions are not the ones its header commits to is refused by
// Preverify (no signature is checked) and rejected.
func TestTamperedBlockNotPreverified(t *testing.T) {
	params := testParams()
	node := newNode(t, "node", params, func(c *Config) { c.NoDiscovery = true })
	node.stop()
	rec, useRecorder := recordPreverify(node)
	node.start(t.TempDir(), func(c *Config) { c.NoDiscovery = true; useRecorder(c) })
	blocks := spendingChain(t, chaintest.NewGenerator(t, params), 20, 1)
	node.process(blocks[:2]...)
	want := blocks[2]

	r := dialRawLocal(t, node)
	r.handshake()
	r.send(&MsgInv{Items: []InvVect{{Type: InvBlock, Hash: want.BlockHash()}}})
	r.expect(TypeGetHeaders)
	r.send(&MsgHeaders{Headers: []wire.BlockHeader{want.Header}})
	get := r.expect(TypeGetData).(*MsgGetData)
	if len(get.Items) != 1 || get.Items[0].Hash != want.BlockHash() {
		t.Fatalf("getdata %v, want block %s", get.Items, want.BlockHash())
	}
	tampered := *want
	tampered.Transactions = want.Transactions[:len(want.Transactions)-1]
	r.send(&MsgBlock{Block: &tampered})
	r.expectDropped(10 * time.Second)
	if seen := rec.seen(); len(seen) != 1 || seen[want.BlockHash()] {
		t.Fatalf("Preverify saw %v, want block %s refused", seen, want.BlockHash())
	}
}
