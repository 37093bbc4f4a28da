package sim

import (
	"math/rand/v2"
	"time"
)

// Region is a part of the world a node sits in (LinkConfig.Regions).
type Region uint8

// Regions.
const (
	NorthAmerica Region = iota
	Europe
	Asia
	SouthAmerica
	Oceania
	numRegions
)

var regionNames = [numRegions]string{"north-america", "europe", "asia", "south-america", "oceania"}

func (r Region) String() string {
	if r < numRegions {
		return regionNames[r]
	}
	return "region?"
}

// regionShare is the share of nodes in each region. It is shaped like the
// public maps of reachable Bitcoin nodes (Europe and North America hold
// most of them, Asia a sizeable minority, South America and Oceania a few
// per cent each); it is a modelling choice, not a measured distribution.
var regionShare = [numRegions]float64{0.30, 0.45, 0.15, 0.05, 0.05}

// regionOneWay is the typical one-way delay between two regions, in
// milliseconds: half the round-trip times between representative cities in
// WonderNetwork's city-to-city ping tables (wondernetwork.com/pings, the
// successor of WonderProxy's "Miles per Millisecond" measurements), e.g.
// New York–Paris about 78 ms, Fremont–Sydney 185 ms, Paris–Sydney 349 ms,
// Paris–Milan 21 ms, Dallas–New York 39 ms, Sydney–Brisbane 33–43 ms,
// and for the pairs that table lacks, the same source's London–Singapore,
// Tokyo–Singapore, Miami–São Paulo and São Paulo–Tokyo pages.
var regionOneWay = [numRegions][numRegions]float64{
	//       NA   EU   AS   SA   OC
	/*NA*/ {20, 45, 80, 65, 90},
	/*EU*/ {45, 12, 100, 95, 150},
	/*AS*/ {80, 100, 35, 140, 55},
	/*SA*/ {65, 95, 140, 20, 155},
	/*OC*/ {90, 150, 55, 155, 15},
}

// Each link's base latency is its regions' delay times a factor drawn
// uniformly from [regionSpreadLo, regionSpreadLo+regionSpread]: cities,
// routes and last miles differ within a region.
const (
	regionSpreadLo = 0.7
	regionSpread   = 0.6
)

// drawRegions places n nodes in regions in the proportions of regionShare.
func drawRegions(n int, rng *rand.Rand) []Region {
	out := make([]Region, n)
	for i := range out {
		u := rng.Float64()
		r := Region(0)
		for ; r < numRegions-1 && u >= regionShare[r]; r++ {
			u -= regionShare[r]
		}
		out[i] = r
	}
	return out
}

// regionDelay draws the base one-way latency of a link between a and b.
func regionDelay(a, b Region, rng *rand.Rand) time.Duration {
	ms := regionOneWay[a][b] * (regionSpreadLo + regionSpread*rng.Float64())
	return time.Duration(ms * float64(time.Millisecond))
}
