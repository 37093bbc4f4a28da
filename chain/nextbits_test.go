package chain

import (
	"os"
	"path/filepath"
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
