package chain

import (
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestNextBitsVectors checks Params.NextBits, the anchoring of aserti3-2d at
// block 1, against vectors recomputed from docs/PROTOCOL.md by an independent
// implementation (testdata/nextbits/recompute.py: Python integers, no code
// shared with CalcASERT). The vectors pin the networks' parameters too: a
// change of half-life, spacing or limit breaks them.
func TestNextBitsVectors(t *testing.T) {
	for _, params := range []*Params{LocalParams(), MainParams()} {
		t.Run(params.Name, func(t *testing.T) {
			path := filepath.Join("testdata", "nextbits", params.Name)
			headers, lines, err := readVectorFile(path)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if headers["network"] != params.Name {
				t.Fatalf("%s: network %q", path, headers["network"])
			}
			block1Time, err := strconv.ParseInt(headers["block 1 time"], 10, 64)
			if err != nil {
				t.Fatalf("%s: block 1 time: %v", path, err)
			}
			distinct := map[uint32]bool{}
			for _, l := range lines {
				distinct[l.bits] = true
				if got := params.NextBits(l.height, l.time, block1Time); got != l.bits {
					t.Errorf("%s:%d: parent height %d time %d: got %#08x, want %#08x",
						path, l.lineNo, l.height, l.time, got, l.bits)
				}
			}
			// The vectors must exercise the formula, not just the limit.
			if len(distinct) < 20 {
				t.Errorf("%s: only %d distinct bits values", path, len(distinct))
			}
		})
	}
}

// TestNextBitsRegtest: regtest never retargets.
func TestNextBitsRegtest(t *testing.T) {
	p := RegtestParams()
	g := p.GenesisBlock.Header
	if g.Bits != p.PowLimitBits || !p.NoRetargeting {
		t.Fatalf("regtest genesis bits %#08x, limit %#08x, no retargeting %v", g.Bits, p.PowLimitBits, p.NoRetargeting)
	}
	for _, tc := range []struct {
		height           uint64
		time, block1Time int64
	}{{0, g.Timestamp, 0}, {1, g.Timestamp + 1, g.Timestamp + 1}, {5000, g.Timestamp + 1, g.Timestamp + 1}, {2, g.Timestamp + 1e8, g.Timestamp}} {
		if got := p.NextBits(tc.height, tc.time, tc.block1Time); got != g.Bits {
			t.Errorf("NextBits(%d, %d, %d) = %#08x, want %#08x", tc.height, tc.time, tc.block1Time, got, g.Bits)
		}
	}
}

// TestReadVectorFileCountsLines: a vector file with fewer data lines than
// its iterations header, or misnumbered lines, is refused.
func TestReadVectorFileCountsLines(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"short":       "## iterations: 3\n1 1 0 0x1d00ffff\n2 2 600 0x1d00ffff\n",
		"misnumbered": "## iterations: 2\n1 1 0 0x1d00ffff\n3 2 600 0x1d00ffff\n",
		"no header":   "1 1 0 0x1d00ffff\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := readVectorFile(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestLocalPaceSimulated drives local's difficulty with a simulated miner
// of constant hash rate (a seeded random source, simulated time, no wall
// clock): block intervals drawn from the exponential distribution of the
// current target, timestamps as a miner sets them (its clock, raised above
// the median time past). After a minute of warm-up every two-minute window
// must hold the one-second spacing within ±30%, and no timestamp may run
// more than 10 s ahead of the miner's clock, for hash rates from a slow
// thread to many cores. The same conditions are measured through the binary
// by testnet's TestLocalPace.
func TestLocalPaceSimulated(t *testing.T) {
	p := LocalParams()
	limitHashes, _ := new(big.Float).Quo(new(big.Float).SetInt(oneLsh256), new(big.Float).SetInt(p.PowLimit)).Float64()
	for _, blocksPerSecondAtLimit := range []float64{10, 100, 1000} {
		t.Run(strconv.Itoa(int(blocksPerSecondAtLimit)), func(t *testing.T) {
			hashRate := blocksPerSecondAtLimit * limitHashes
			rng := rand.New(rand.NewPCG(7, uint64(blocksPerSecondAtLimit)))
			const start = 1_800_000_000.3
			const minutes = 30
			now := start
			times := []int64{p.GenesisBlock.Header.Timestamp}
			var arrivals []float64 // wall time of each block (index = height-1)
			maxAhead := 0.0
			for now < start+minutes*60 {
				h := uint64(len(times) - 1)
				anchor := int64(0)
				if h >= 1 {
					anchor = times[1]
				}
				target := CompactToBig(p.NextBits(h, times[h], anchor))
				hashes, _ := new(big.Float).Quo(new(big.Float).SetInt(oneLsh256), new(big.Float).SetInt(target)).Float64()
				now += rng.ExpFloat64() * hashes / hashRate
				ts := max(int64(now), medianOf(times)+1)
				times = append(times, ts)
				arrivals = append(arrivals, now)
				if now > start+60 {
					maxAhead = max(maxAhead, float64(ts)-now)
				}
			}
			worst := 0.0
			for w := start + 60; w+120 <= now; w += 120 {
				n := 0
				for _, a := range arrivals {
					if a >= w && a < w+120 {
						n++
					}
				}
				dev := 120/float64(max(n, 1)) - 1
				worst = max(worst, dev, -dev)
			}
			t.Logf("%v blocks/s at the limit: %d blocks in %d min; largest window deviation %.1f%%; timestamps at most %.1f s ahead",
				blocksPerSecondAtLimit, len(arrivals), minutes, worst*100, maxAhead)
			if worst > 0.3 {
				t.Errorf("a two-minute window's mean interval is %.0f%% off the spacing", worst*100)
			}
			if maxAhead > 10 {
				t.Errorf("a timestamp ran %.1f s ahead of the miner's clock", maxAhead)
			}
		})
	}
}

// medianOf is the median time past of the chain whose timestamps are times:
// the median of the last MedianTimeBlocks of them.
func medianOf(times []int64) int64 {
	last := slices.Clone(times[max(0, len(times)-MedianTimeBlocks):])
	slices.Sort(last)
	return last[len(last)/2]
}
