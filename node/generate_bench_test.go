package node

import (
	"context"
	"testing"
	"time"

	"powchain/chain"
	"powchain/wire"
)

// BenchmarkRegtestGenerate measures `generatetoaddress 1000` through the
// RPC server of a fresh regtest node against its ceiling, measured in the
// same iteration: a fresh chain processing the same 1,000 blocks in process
// (chain.ProcessBlock, the node's chain configuration). It reports
// generate_ratio = generate time / process time (the target is at most 1.3)
// and both times per block.
func BenchmarkRegtestGenerate(b *testing.B) {
	const blocks = 1000
	params := chain.RegtestParams()
	addr, err := wire.EncodeAddress(params.AddressPrefix, wire.KeyHash{7})
	if err != nil {
		b.Fatal(err)
	}
	var generate, process time.Duration
	for range b.N {
		n, _ := startNode(b, Config{DataDir: b.TempDir(), Network: chain.RegtestNet,
			RPCListen: "127.0.0.1:0", Listen: "127.0.0.1:0", NoDiscovery: true})
		client := clientOf(b, n)
		start := time.Now()
		hashes, err := client.GenerateToAddress(context.Background(), blocks, addr)
		generate += time.Since(start)
		if err != nil || len(hashes) != blocks {
			b.Fatalf("generatetoaddress: %d blocks, %v", len(hashes), err)
		}
		process += processBlocks(b, n, hashes)
	}
	b.ReportMetric(float64(generate)/float64(process), "generate_ratio")
	b.ReportMetric(float64(generate.Microseconds())/float64(b.N*blocks), "generate_µs/block")
	b.ReportMetric(float64(process.Microseconds())/float64(b.N*blocks), "process_µs/block")
}

// processBlocks reads the blocks n generated and times a fresh chain, set
// up as the node sets up its own, processing them.
func processBlocks(b *testing.B, n *Node, hashes []string) time.Duration {
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
	c, err := chain.Open(chain.Config{Params: n.params, Path: b.TempDir(), Clock: SystemClock{}, SigCache: chain.NewSigCache(100_000)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	for _, blk := range blks {
		if res, err := c.ProcessBlock(blk); err != nil || !res.MainChain {
			b.Fatalf("process: %+v, %v", res, err)
		}
	}
	return time.Since(start)
}
