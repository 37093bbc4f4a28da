package p2p

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/wire"
)

// TestGetDataServesStoredBytes: a getdata for a block is answered with a
// reference to the block as stored, which costs the send budget its own
// size, not the block's; loaded (LoadStoredBlock, as the writer does when
// its turn comes) it is the block's encoding as the chain stored it, not
// decoded and encoded again; its frame is byte for byte the frame of the
// block message, and decodes to the same block. A block the node lacks is
// not found.
func TestGetDataServesStoredBytes(t *testing.T) {
	h := newCoreHarness(t, nil)
	h.connect(1, 0)
	g := chaintest.NewGenerator(t, h.params)
	blocks := buildChain(g, "b", 3)
	tx := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut("b1")}, 1000, 2)
	blocks = append(blocks, g.NextBlock("spend", []*wire.Tx{tx})) // a block with more than its coinbase
	for _, b := range blocks {
		if _, err := h.chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, blk := range blocks {
		hash := blk.BlockHash()
		ref, ok := only[*MsgStoredBlock](t, sent(h.core.Receive(h.now, 1, &MsgGetData{Items: []InvVect{{Type: InvBlock, Hash: hash}}}), 1))
		if !ok {
			return
		}
		if ref.Hash != hash || ref.Encoded != nil || ref.Asked != InvBlock || sizeHint(ref) != storedBlockRefSize {
			t.Fatalf("block %s answered with %s, %d bytes, asked %d, counted %d: want a reference",
				hash, ref.Hash, len(ref.Encoded), ref.Asked, sizeHint(ref))
		}
		m, ok := LoadStoredBlock(h.chain, ref).(*MsgStoredBlock)
		if !ok || ref.Encoded != nil {
			t.Fatalf("block %s: loaded as %T, or the reference modified", hash, m)
		}
		stored, err := h.chain.BlockBytes(hash)
		if err != nil {
			t.Fatal(err)
		}
		if m.Hash != hash || !bytes.Equal(m.Encoded, stored) {
			t.Fatalf("served block %s: hash %s and %d bytes, want the %d stored bytes", hash, m.Hash, len(m.Encoded), len(stored))
		}
		frame, got := frameTrip(t, h.params.Magic, m)
		want, err := EncodeFrame(h.params.Magic, &MsgBlock{Block: blk})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(frame, want) {
			t.Errorf("block %s: stored block's frame differs from the block message's (%d and %d bytes)", hash, len(frame), len(want))
		}
		if b, ok := got.(*MsgBlock); !ok || !bytes.Equal(b.Block.Bytes(), blk.Bytes()) {
			t.Errorf("block %s: the stored block's frame decodes to %T, not the block", hash, got)
		}
		if sizeHint(m) < len(frame) {
			t.Errorf("block %s: send budget counts %d bytes for a %d-byte frame", hash, sizeHint(m), len(frame))
		}
	}
	missing := wire.Hash{1}
	if _, ok := only[*MsgNotFound](t, sent(h.core.Receive(h.now, 1, &MsgGetData{Items: []InvVect{{Type: InvBlock, Hash: missing}}}), 1)); !ok {
		t.Error("a block the node lacks is not answered with notfound")
	}
}

// bodyCounter is a Chain that counts the block bodies read from it
// (BlockBytes) and fails to read those in unreadable (set before use).
type bodyCounter struct {
	Chain
	reads      atomic.Int64
	unreadable map[wire.Hash]bool
}

func (c *bodyCounter) BlockBytes(h wire.Hash) ([]byte, error) {
	c.reads.Add(1)
	if c.unreadable[h] {
		return nil, errors.New("unreadable")
	}
	return c.Chain.BlockBytes(h)
}

// bigBlocks extends h's chain by n blocks of about size bytes each (a
// transaction with many outputs, spending the coinbase two blocks down)
// and returns them.
func bigBlocks(t *testing.T, h *coreHarness, n, size int) []*wire.Block {
	t.Helper()
	g := chaintest.NewGenerator(t, h.params)
	blocks := buildChain(g, "b", 2)
	names := []string{"b1", "b2"}
	for i := range n {
		tx := g.SpendTx([]chaintest.SpendableOut{g.CoinbaseOut(names[i])}, 1000, size/wire.TxOutSize)
		name := fmt.Sprint("big", i)
		blocks = append(blocks, g.NextBlock(name, []*wire.Tx{tx}))
		names = append(names, name)
	}
	for _, b := range blocks {
		if _, err := h.chain.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	return blocks[2:]
}

// getDataOf asks for blocks, each of type typ.
func getDataOf(typ InvType, blocks ...*wire.Block) *MsgGetData {
	m := &MsgGetData{}
	for _, b := range blocks {
		m.Items = append(m.Items, InvVect{Type: typ, Hash: b.BlockHash()})
	}
	return m
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestGetDataQueuesNoBlockBodies: a peer that asks for many blocks and
// reads nothing makes the node hold a reference per block, not the
// block: the event loop reads no block body (the Core reads none from the
// chain), and the peer's send queue counts a few dozen bytes a block.
// Before, the Core read every body on the loop and the queue held them
// all until the peer read them (up to MaxSendQueueBytes, 32 MiB, per
// peer; here 64 blocks of 50 kB, 3.2 MB). Hung up, the connection drops
// the references unread.
func TestGetDataQueuesNoBlockBodies(t *testing.T) {
	var chain *bodyCounter
	h := newCoreHarness(t, func(c *Config) {
		chain = &bodyCounter{Chain: c.Chain}
		c.Chain = chain
	})
	blocks := bigBlocks(t, h, 64, 50_000)
	h.connect(1, 0)
	s, c, _ := connServer(t, time.Minute) // nothing is read at the far end
	s.cfg.Chain = chain
	c.maxBytes = int64(h.core.cfg.MaxSendQueueBytes)

	before := heapInUse()
	reads := chain.reads.Load()
	s.apply(h.core.Receive(h.now, 1, getDataOf(InvBlock, blocks...)))
	held := int64(heapInUse()) - int64(before)
	t.Logf("%d blocks of %d bytes asked for: %d bytes queued, heap grew %d bytes", len(blocks), blocks[0].SerializeSize(), c.queued.Load(), held)
	if n := chain.reads.Load() - reads; n != 0 {
		t.Errorf("the Core read %d block bodies to answer the getdata, want none", n)
	}
	if len(c.queue) != len(blocks) {
		t.Fatalf("%d messages queued, want a block for each of %d", len(c.queue), len(blocks))
	}
	if q := c.queued.Load(); q > int64(len(blocks)*storedBlockRefSize) {
		t.Errorf("%d bytes queued for %d blocks, want at most %d each", q, len(blocks), storedBlockRefSize)
	}

	reads = chain.reads.Load()
	s.apply([]Action{{Kind: ActDisconnect, Peer: c.id, Cause: CauseBanned}})
	s.wg.Add(1)
	go s.writeLoop(c)
	s.wg.Wait()
	if n := chain.reads.Load() - reads; n != 0 || c.queued.Load() != 0 {
		t.Errorf("hung up: %d block bodies read, %d bytes still counted as queued; want none", n, c.queued.Load())
	}
}

// TestStoredBlocksWrittenIntact: blocks served by reference reach a peer
// that reads them intact, each as the block message of the block, loaded
// by the connection's writer; nothing stays counted as queued.
func TestStoredBlocksWrittenIntact(t *testing.T) {
	h := newCoreHarness(t, nil)
	blocks := bigBlocks(t, h, 4, 50_000)
	h.connect(1, 0)
	s, c, far := connServer(t, time.Minute)
	s.cfg.Chain = h.chain
	s.apply(h.core.Receive(h.now, 1, getDataOf(InvBlock, blocks...)))
	s.wg.Add(1)
	go s.writeLoop(c)
	for _, b := range blocks {
		m, _, err := ReadMessage(far, s.magic)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := m.(*MsgBlock)
		if !ok || !bytes.Equal(got.Block.Bytes(), b.Bytes()) {
			t.Fatalf("read %s, want block %s intact", m.Type(), b.BlockHash())
		}
	}
	c.close()
	s.wg.Wait()
	if q := c.queued.Load(); q != 0 {
		t.Fatalf("%d bytes still counted as queued, want 0", q)
	}
}

// TestStoredBlockUnreadableAtItsTurn: a block the Core answered with, but
// that the writer cannot read when its turn comes, is answered in its
// place with the notfound the Core would have sent (of the type asked:
// a compact request for a deep block is served whole), so every item of
// the getdata is still answered.
func TestStoredBlockUnreadableAtItsTurn(t *testing.T) {
	h := newCoreHarness(t, nil)
	blocks := bigBlocks(t, h, maxCompactDepth+6, 1_000)
	h.connect(1, 0)
	s, c, far := connServer(t, time.Minute)
	gone, deep := blocks[1].BlockHash(), blocks[2].BlockHash()
	s.cfg.Chain = &bodyCounter{Chain: h.chain, unreadable: map[wire.Hash]bool{gone: true, deep: true}}
	acts := h.core.Receive(h.now, 1, getDataOf(InvBlock, blocks[:2]...))
	acts = append(acts, h.core.Receive(h.now, 1, getDataOf(InvCmpctBlock, blocks[2:4]...))...)
	s.apply(acts)
	s.wg.Add(1)
	go s.writeLoop(c)
	want := []string{
		"block " + blocks[0].BlockHash().String(),
		fmt.Sprint("notfound ", []InvVect{{Type: InvBlock, Hash: gone}}),
		fmt.Sprint("notfound ", []InvVect{{Type: InvCmpctBlock, Hash: deep}}),
		"block " + blocks[3].BlockHash().String(),
	}
	for _, w := range want {
		m, _, err := ReadMessage(far, s.magic)
		if err != nil {
			t.Fatalf("read: %v, want %s", err, w)
		}
		var got string
		switch m := m.(type) {
		case *MsgBlock:
			got = "block " + m.Block.BlockHash().String()
		case *MsgNotFound:
			got = fmt.Sprint("notfound ", m.Items)
		default:
			got = m.Type().String()
		}
		if got != w {
			t.Fatalf("read %s, want %s", got, w)
		}
	}
	c.close()
	s.wg.Wait()
}

// storedBlockWrite returns a writer's side of a connection (writing into
// io.Discard) and a loaded stored block of about 1 MB: write puts the
// block on the wire through writeFrame, as the connection's writer does.
func storedBlockWrite(tb testing.TB) (m *MsgStoredBlock, write func()) {
	enc := make([]byte, wire.MaxBlockSize-64)
	for i := range enc {
		enc[i] = byte(i)
	}
	s := &Server{magic: testParams().Magic}
	c := newConn(1, nil, 1<<30)
	w := bufio.NewWriterSize(io.Discard, 64<<10)
	m = &MsgStoredBlock{Hash: wire.Hash{1}, Encoded: enc, Asked: InvBlock}
	return m, func() {
		c.queued.Add(int64(sizeHint(m)))
		if err := s.writeFrame(c, w, outgoing{msg: m}); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestWriteStoredBlockCopiesNothing: the writer puts a stored block's bytes
// on the wire as they are; it allocated two copies of each block it served
// (the Envelope, then the frame), 2 MB a block of churn during initial sync.
func TestWriteStoredBlockCopiesNothing(t *testing.T) {
	m, write := storedBlockWrite(t)
	write() // the bufio.Writer's first use
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const blocks = 10
	for range blocks {
		write()
	}
	runtime.ReadMemStats(&after)
	if perBlock := (after.TotalAlloc - before.TotalAlloc) / blocks; perBlock > uint64(len(m.Encoded))/100 {
		t.Fatalf("writing a stored block of %d bytes allocated %d bytes", len(m.Encoded), perBlock)
	}
}

// BenchmarkWriteStoredBlock measures what the connection's writer spends
// to put one stored block of about 1 MB on the wire (writeFrame into a
// bufio.Writer over io.Discard), against copy_ns, the time of one plain
// copy of the block's bytes (the fastest of five) in the same run.
func BenchmarkWriteStoredBlock(b *testing.B) {
	m, write := storedBlockWrite(b)
	dst := make([]byte, len(m.Encoded))
	copyTime := time.Duration(math.MaxInt64)
	for range 5 {
		start := time.Now()
		copy(dst, m.Encoded)
		copyTime = min(copyTime, time.Since(start))
	}
	b.ReportAllocs()
	for b.Loop() {
		write()
	}
	b.ReportMetric(float64(copyTime.Nanoseconds()), "copy_ns")
}
