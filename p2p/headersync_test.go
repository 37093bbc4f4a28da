package p2p

import (
	"fmt"
	"io/fs"
	"math/big"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"powchain/chain"
	"powchain/chain/chaintest"
	"powchain/wire"
)

// lowWorkFork builds n blocks forking from genesis whose headers carry as
// little work as the rules allow: block 2 is stamped gap seconds behind
// schedule (at least a few hundred), which takes the target to the
// proof-of-work limit, and the rest follow one second apart, which keeps
// it there. Forks with different gaps differ from block 2 on.
func lowWorkFork(t testing.TB, params *chain.Params, n int, gap int64) []wire.BlockHeader {
	g := chaintest.NewGenerator(t, params)
	headers := make([]wire.BlockHeader, n)
	for i := range headers {
		var mungers []chaintest.Munger
		if i == 1 {
			mungers = append(mungers, func(b *wire.Block) { b.Header.Timestamp += gap })
		}
		headers[i] = g.NextBlock(fmt.Sprintf("low%d", i+1), nil, mungers...).Header
	}
	if last := headers[n-1].Bits; last != params.PowLimitBits {
		t.Fatalf("fork ends at bits %08x, not the limit %08x", last, params.PowLimitBits)
	}
	return headers
}

// chainWork sums the work of headers.
func chainWork(headers []wire.BlockHeader) *big.Int {
	w := new(big.Int)
	for i := range headers {
		w.Add(w, chain.CalcWork(chain.CompactToBig(headers[i].Bits)))
	}
	return w
}

func dirSize(t testing.TB, dir string) int64 {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			size += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return size
}

func heapAlloc() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// floodHeaders answers each getheaders of the node with the next full
// headers message of fork, then with an empty one, and waits until the
// node has handled it all. It reports whether the node dropped the peer.
func (r *rawPeer) floodHeaders(fork []wire.BlockHeader) (dropped bool) {
	r.t.Helper()
	for len(fork) > 0 {
		select {
		case <-r.closed:
			return true
		default:
		}
		r.expect(TypeGetHeaders)
		n := min(len(fork), MaxHeadersPerMsg)
		r.send(&MsgHeaders{Headers: fork[:n]})
		fork = fork[n:]
	}
	r.expect(TypeGetHeaders)
	r.send(&MsgHeaders{})
	r.send(&MsgPing{Nonce: 7}) // the pong comes after the node handled the headers
	for {
		select {
		case m := <-r.msgs:
			if pong, ok := m.(*MsgPong); ok && pong.Nonce == 7 {
				return false
			}
		case <-r.closed:
			return true
		case <-time.After(30 * time.Second):
			r.t.Fatal("no pong")
		}
	}
}

// floodSetup is a node at height 300 of honest (320 blocks), and a fork
// of n low-work headers with less work than its tip.
func floodSetup(t testing.TB, n int) (target *testNode, honest []*wire.Block, fork []wire.BlockHeader) {
	params := testParams()
	g := chaintest.NewGenerator(t, params)
	honest = buildChain(g, "h", 320)
	fork = lowWorkFork(t, params, n, 50_000)
	target = newNode(t, "target", params, func(c *Config) { c.NoDiscovery = true })
	target.process(honest[:300]...)
	if forkWork, tipWork := chainWork(fork), target.tip().ChainWork; forkWork.Cmp(tipWork) >= 0 {
		t.Fatalf("fork work %v not below the tip's %v", forkWork, tipWork)
	}
	return target, honest, fork
}

// floodGrowth floods target with fork from a raw peer and returns how much
// its heap and data dir grew.
func floodGrowth(t testing.TB, target *testNode, fork []wire.BlockHeader) (heap, disk int64) {
	t.Helper()
	dataDir := filepath.Dir(target.srv.cfg.StateFile)
	heapBefore, diskBefore := heapAlloc(), dirSize(t, dataDir)
	r := dialRaw(t, target)
	r.handshake()
	if r.floodHeaders(fork) {
		t.Fatal("node dropped a peer whose low-work chain is within bounds")
	}
	return heapAlloc() - heapBefore, dirSize(t, dataDir) - diskBefore
}

// TestLowWorkHeaderFlood feeds a node 20,000 valid headers of a fork from
// genesis at the proof-of-work limit, with less work than its tip: the
// node stores none of them, its memory and data dir barely grow, and it
// still syncs an honest chain afterwards.
func TestLowWorkHeaderFlood(t *testing.T) {
	const n = 20_000
	target, honest, fork := floodSetup(t, n)
	heapGrowth, diskGrowth := floodGrowth(t, target, fork)
	t.Logf("after %d low-work headers: heap %+d KiB, data dir %+d KiB", n, heapGrowth>>10, diskGrowth>>10)
	if heapGrowth > 4<<20 {
		t.Errorf("heap grew by %d KiB, want at most 4 MiB", heapGrowth>>10)
	}
	if diskGrowth > 256<<10 {
		t.Errorf("data dir grew by %d KiB, want at most 256 KiB", diskGrowth>>10)
	}
	if _, ok := target.chain.BlockInfoByHash(fork[n-1].BlockHash()); ok {
		t.Error("low-work header stored")
	}
	if bh := target.chain.BestHeader(); bh.Height != 300 {
		t.Errorf("best header at height %d, want the tip's 300", bh.Height)
	}

	source := newNode(t, "source", target.chain.Params(), func(c *Config) { c.NoDiscovery = true })
	source.process(honest...)
	if _, err := target.srv.AddNode(source.addr()); err != nil {
		t.Fatal(err)
	}
	waitTip(t, 30*time.Second, honest[319].BlockHash(), target)
}

// BenchmarkHeaderFlood measures the heap and data dir growth of a node fed
// 30,000 low-work headers by a peer (heap_KiB, disk_KiB), against the
// growth of the same node's chain storing the same headers, as it did
// before the defence (stored_heap_KiB, stored_disk_KiB), in the same run.
func BenchmarkHeaderFlood(b *testing.B) {
	const n = 30_000
	for range b.N {
		target, _, fork := floodSetup(b, n)
		heap, disk := floodGrowth(b, target, fork)
		dataDir := filepath.Dir(target.srv.cfg.StateFile)
		heapBefore, diskBefore := heapAlloc(), dirSize(b, dataDir)
		for i := 0; i < n; i += MaxHeadersPerMsg {
			if err := target.chain.ProcessHeaders(fork[i:min(n, i+MaxHeadersPerMsg)]); err != nil {
				b.Fatal(err)
			}
		}
		storedHeap, storedDisk := heapAlloc()-heapBefore, dirSize(b, dataDir)-diskBefore
		b.ReportMetric(float64(heap>>10), "heap_KiB")
		b.ReportMetric(float64(disk>>10), "disk_KiB")
		b.ReportMetric(float64(storedHeap>>10), "stored_heap_KiB")
		b.ReportMetric(float64(storedDisk>>10), "stored_disk_KiB")
	}
}

// A fresh node whose network sets a minimum chain work above what the
// first headers message brings presyncs the honest chain, downloads its
// headers again, stores them and syncs to the tip: the defence does not
// stop honest sync.
func TestPresyncHonestChain(t *testing.T) {
	params := testParams()
	g := chaintest.NewGenerator(t, params)
	blocks := buildChain(g, "b", 2100)
	headers := []wire.BlockHeader{params.GenesisBlock.Header}
	for _, b := range blocks[:2050] {
		headers = append(headers, b.Header)
	}
	params.MinChainWork = chainWork(headers) // reached at height 2050
	source := newNode(t, "source", params, func(c *Config) { c.NoDiscovery = true })
	source.process(blocks...)
	fresh := newNode(t, "fresh", params, func(c *Config) { c.Connect = []string{source.addr()} })
	waitTip(t, 60*time.Second, blocks[2099].BlockHash(), fresh)
}

// presyncHarness is a Core whose network's minimum chain work is far
// above any test chain's, with peer 1 connected and asked for headers.
func presyncHarness(t *testing.T, mod func(*Config)) *coreHarness {
	h := newCoreHarness(t, mod)
	h.params.MinChainWork = new(big.Int).Lsh(big.NewInt(1), 200) // before any input
	h.connect(1, 0)
	return h
}

// receiveHeaders delivers headers from peer 1 and reports whether it was
// disconnected.
func (h *coreHarness) receiveHeaders(headers []wire.BlockHeader) (dropped bool) {
	return hasKind(h.core.Receive(h.now, 1, &MsgHeaders{Headers: headers}), ActDisconnect, 1)
}

func TestPresyncRejects(t *testing.T) {
	params := testParams()
	fork := lowWorkFork(t, params, 4000, 50_000)
	t.Run("bad proof of work bans", func(t *testing.T) {
		h := presyncHarness(t, nil)
		if h.receiveHeaders(fork[:2000]) {
			t.Fatal("dropped for a valid low-work chain")
		}
		bad := slices.Clone(fork[2000:2100])
		target := chain.CompactToBig(bad[99].Bits)
		for chain.HashToBig(bad[99].BlockHash()).Cmp(target) <= 0 {
			bad[99].Nonce++
		}
		if !h.receiveHeaders(bad) || len(h.core.Bans(h.now)) != 1 {
			t.Fatal("a header without its proof of work did not ban")
		}
	})
	t.Run("timestamp before the median time past bans", func(t *testing.T) {
		h := presyncHarness(t, nil)
		h.receiveHeaders(fork[:2000])
		bad := slices.Clone(fork[2000:2001])
		bad[0].Timestamp = fork[1990].Timestamp
		chaintest.Solve(&bad[0])
		if !h.receiveHeaders(bad) || len(h.core.Bans(h.now)) != 1 {
			t.Fatal("a header at the median time past did not ban")
		}
	})
	t.Run("too long a chain disconnects", func(t *testing.T) {
		h := presyncHarness(t, func(c *Config) { c.MaxPresyncHeaders = 3000 })
		if h.receiveHeaders(fork[:2000]) {
			t.Fatal("dropped within the bound")
		}
		if !h.receiveHeaders(fork[2000:4000]) || len(h.core.Bans(h.now)) != 0 {
			t.Fatal("a chain over the bound was not dropped, or was banned")
		}
	})
	t.Run("redownload of another chain disconnects", func(t *testing.T) {
		h := presyncHarness(t, nil)
		genesis := []wire.BlockHeader{params.GenesisBlock.Header}
		h.params.MinChainWork = chainWork(append(genesis, fork[:2050]...))
		if h.receiveHeaders(fork[:2000]) || h.receiveHeaders(fork[2000:4000]) {
			t.Fatal("presync dropped")
		}
		if !h.receiveHeaders(lowWorkFork(t, params, 2000, 60_000)) {
			t.Fatal("redownload of another chain not dropped")
		}
		if bh := h.chain.BestHeader(); bh.Height != 0 {
			t.Fatalf("best header at %d: headers of the other chain stored", bh.Height)
		}
	})
}

// An unrequested block that would leave its chain below the work
// threshold is not stored.
func TestUnrequestedLowWorkBlockDropped(t *testing.T) {
	h := presyncHarness(t, nil)
	g := chaintest.NewGenerator(t, h.params)
	low := g.NextBlock("low", nil) // on genesis
	h.core.Receive(h.now, 1, &MsgBlock{Block: low})
	if _, ok := h.chain.BlockInfoByHash(low.BlockHash()); ok {
		t.Fatal("unrequested low-work block stored")
	}
}
