package p2p

import (
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

// recordingNode is a node whose Server hands blocks to a
// preverifyRecorder; mod adjusts its configuration.
func recordingNode(t *testing.T, name string, params *chain.Params, mod func(*Config)) (*testNode, *preverifyRecorder) {
	n := newNode(t, name, params, func(c *Config) { c.Listen = ""; c.NoDiscovery = true })
	n.stop()
	rec := &preverifyRecorder{Chain: n.chain, blocks: make(map[wire.Hash]bool)}
	n.start(t.TempDir(), func(c *Config) {
		c.Chain = rec
		mod(c)
	})
	return n, rec
}

// TestSyncPreverifiesRequestedBlocks: a syncing node hands every block it
// downloads to Preverify as it arrives, and the chain takes each.
func TestSyncPreverifiesRequestedBlocks(t *testing.T) {
	params := testParams()
	blocks, _ := chaintest.LaneChain(chaintest.NewGenerator(t, params), 20, 4)
	server := newNode(t, "server", params, func(c *Config) { c.NoDiscovery = true })
	server.process(blocks...)
	late, rec := recordingNode(t, "late", params, func(c *Config) { c.Listen = ""; c.Connect = []string{server.addr()} })
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

// rawSetup is a node holding chaintest.LaneChain's first two blocks and a raw peer,
// handshaken, that has the third.
func rawSetup(t *testing.T) (*preverifyRecorder, *rawPeer, *wire.Block) {
	params := testParams()
	node, rec := recordingNode(t, "node", params, func(c *Config) { c.Listen = "127.0.0.1:0" })
	blocks, _ := chaintest.LaneChain(chaintest.NewGenerator(t, params), 20, 1)
	node.process(blocks[:2]...)
	r := dialRawLocal(t, node)
	r.handshake()
	return rec, r, blocks[2]
}

// TestUnrequestedBlockNotPreverified: a block a peer sends unasked costs
// no signature check before the event loop has judged it.
func TestUnrequestedBlockNotPreverified(t *testing.T) {
	rec, r, blk := rawSetup(t)
	r.send(&MsgBlock{Block: blk})
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
	rec, r, want := rawSetup(t)
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
