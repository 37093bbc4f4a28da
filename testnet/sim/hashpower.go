package sim

import (
	"math/rand/v2"
	"slices"

	"powchain/wire"
)

// poolShares are the hash power shares of the largest miners, like the
// largest pools of Bitcoin's recent years: a handful of miners find most
// blocks. The rest of the hash power (tailShare) is spread evenly over
// every other node, the long tail of small miners.
var poolShares = []float64{0.26, 0.19, 0.13, 0.10, 0.07, 0.05}

// drawHashPower gives n nodes their hash power, as cumulative shares (the
// last is 1): the pools are nodes chosen at random, the tail shares the
// rest. With no more nodes than pools, the pools' shares are scaled to the
// whole.
func drawHashPower(n int, rng *rand.Rand) []float64 {
	share := make([]float64, n)
	pools := min(n, len(poolShares))
	tail := 1.0
	for k, i := range rng.Perm(n)[:pools] {
		share[i] = poolShares[k]
		tail -= poolShares[k]
	}
	if rest := n - pools; rest > 0 {
		for i := range share {
			if share[i] == 0 {
				share[i] = tail / float64(rest)
			}
		}
	}
	cum := make([]float64, n)
	total := 0.0
	for i, v := range share {
		total += v
		cum[i] = total
	}
	for i := range cum {
		cum[i] /= total
	}
	return cum
}

// HashShare is node i's share of the hash power.
func (s *Sim) HashShare(i int) float64 {
	if i == 0 {
		return s.hashPower[0]
	}
	return s.hashPower[i] - s.hashPower[i-1]
}

// MineWeighted mines a block at a node drawn in proportion to its hash
// power.
func (s *Sim) MineWeighted() (*wire.Block, error) {
	u := s.workRng.Float64()
	i, _ := slices.BinarySearch(s.hashPower, u)
	return s.Mine(min(i, len(s.nodes)-1))
}
