package explorer_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"powchain/chain/chaintest"
	"powchain/explorer"
	"powchain/mempool/mempooltest"
)

// BenchmarkHomePage10k renders the home page (and its REST twin
// /rest/blocks.json) on a chain of 10,000 blocks, against the floor of
// reading what the page shows straight from the chain: the tip's 10 block
// bodies and the chart's 100 headers. The ratio page/floor is what
// rendering and the rest of the page (mempool, peers, template) cost on
// top of the data.
func BenchmarkHomePage10k(b *testing.B) {
	params := chaintest.Params(genesisTime)
	c, pool := mempooltest.Open(b, params, chaintest.NewClock(genesisTime.Add(24*time.Hour)), nil)
	g := chaintest.NewGenerator(b, params)
	const blocks = 10_000
	for i := range blocks {
		if _, err := c.ProcessBlock(g.NextBlock("b"+itoa(i), nil)); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := explorer.New(explorer.Config{Source: explorer.Source{Chain: c, Mempool: pool, Net: fakeNet{}, Clock: wallClock{}},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	get := func(b *testing.B, path string) {
		for b.Loop() {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: %d", path, rec.Code)
			}
		}
	}
	b.Run("page", func(b *testing.B) { get(b, "/") })
	b.Run("rest_blocks", func(b *testing.B) { get(b, "/rest/blocks.json") })
	b.Run("floor", func(b *testing.B) {
		for b.Loop() {
			tip := c.Tip().Height
			for h := tip; h > tip-10; h-- {
				hash, _ := c.HashByHeight(h)
				if blk, err := c.BlockByHash(hash); err != nil || blk == nil {
					b.Fatal(err)
				}
			}
			for h := tip - explorer.ChartBlocks + 1; h <= tip; h++ {
				hash, _ := c.HashByHeight(h)
				c.BlockInfoByHash(hash)
			}
		}
	})
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
