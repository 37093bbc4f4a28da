package node

import (
	"context"
	"testing"
	"time"

	"powchain/chain"
	"powchain/internal/rusage"
	"powchain/wire"
)

// BenchmarkRegtestGenerate measures generatetoaddress through the RPC server
// of a fresh regtest node against its ceiling: a fresh chain, set up as the
// node sets up its own, processing the same blocks in process
// (chain.ProcessBlock). Each iteration makes 1,000 blocks in ten calls of
// 100, each followed at once by processing its 100 blocks, so both sides
// run under the same load on a shared machine. A second running node's
// chain (with the node's subscribers: mempool, mining, p2p, tip log)
// processes them too, which separates the cost of the mining path from the
// cost of being a node. Reported:
//
//   - generate_ratio: generate wall time / bare chain's wall time (the
//     issue's target: at most 1.3);
//   - generate_cpu_ratio: the same in CPU time (user + system, all
//     goroutines), which other load on the machine disturbs much less;
//   - node_ratio: generate wall time / the second node's wall time;
//   - the wall times per block.
func BenchmarkRegtestGenerate(b *testing.B) {
	const rounds, perRound = 10, 100
	params := chain.RegtestParams()
	addr, err := wire.EncodeAddress(params.AddressPrefix, wire.KeyHash{7})
	if err != nil {
		b.Fatal(err)
	}
	regtestNode := func() *Node {
		n, _ := startNode(b, Config{DataDir: b.TempDir(), Network: chain.RegtestNet,
			RPCListen: "127.0.0.1:0", Listen: "127.0.0.1:0", NoDiscovery: true})
		return n
	}
	var gen, bare, node, genCPU, bareCPU time.Duration
	for range b.N {
		n, other := regtestNode(), regtestNode()
		client := clientOf(b, n)
		ceiling, err := chain.Open(chain.Config{Params: params, Path: b.TempDir(), Clock: SystemClock{}, SigCache: chain.NewSigCache(100_000)})
		if err != nil {
			b.Fatal(err)
		}
		for range rounds {
			wall, cpu := time.Now(), rusage.Self().CPU
			hashes, err := client.GenerateToAddress(context.Background(), perRound, addr)
			gen, genCPU = gen+time.Since(wall), genCPU+rusage.Self().CPU-cpu
			if err != nil || len(hashes) != perRound {
				b.Fatalf("generatetoaddress: %d blocks, %v", len(hashes), err)
			}
			blks := storedBlocks(b, n, hashes)
			wall, cpu = time.Now(), rusage.Self().CPU
			processAll(b, ceiling, blks)
			bare, bareCPU = bare+time.Since(wall), bareCPU+rusage.Self().CPU-cpu
			wall = time.Now()
			processAll(b, other.chain, blks)
			node += time.Since(wall)
		}
		ceiling.Close()
	}
	blocks := float64(b.N * rounds * perRound)
	b.ReportMetric(float64(gen)/float64(bare), "generate_ratio")
	b.ReportMetric(float64(genCPU)/float64(bareCPU), "generate_cpu_ratio")
	b.ReportMetric(float64(gen)/float64(node), "node_ratio")
	b.ReportMetric(float64(gen.Microseconds())/blocks, "generate_µs/block")
	b.ReportMetric(float64(bare.Microseconds())/blocks, "chain_µs/block")
	b.ReportMetric(float64(node.Microseconds())/blocks, "node_µs/block")
}

// storedBlocks reads the blocks n generated from its chain.
func storedBlocks(b *testing.B, n *Node, hashes []string) []*wire.Block {
	blks := make([]*wire.Block, len(hashes))
	for i, h := range hashes {
		hash, err := wire.ParseHash(h)
		if err != nil {
			b.Fatal(err)
		}
		if blks[i], err = n.chain.BlockByHash(hash); err != nil {
			b.Fatal(err)
		}
	}
	return blks
}

// processAll submits blks to c, each of which must extend the best chain.
func processAll(b *testing.B, c *chain.Chain, blks []*wire.Block) {
	for _, blk := range blks {
		if res, err := c.ProcessBlock(blk); err != nil || !res.MainChain {
			b.Fatalf("process: %+v, %v", res, err)
		}
	}
}
