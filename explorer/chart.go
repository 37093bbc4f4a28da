package explorer

import (
	"fmt"
	"math"
	"strings"

	"powchain/rpc"
)

// Sizes of the inline SVG drawings, in SVG user units (they scale with
// the page through viewBox).
const (
	chartWidth  = 600
	chartHeight = 160
	graphSize   = 320
)

// chart draws block intervals (bars) and difficulty (a line) over a run of
// best-chain headers, as inline SVG.
type chart struct {
	Width, Height int
	Bars          []bar
	DiffLine      string // SVG polyline points
	MaxInterval   int64
	MinDiff       float64
	MaxDiff       float64
	From, To      uint64
}

type bar struct {
	X, Y, W, H float64
	Title      string
}

func newChart(headers []rpc.BlockHeaderResult) chart {
	c := chart{Width: chartWidth, Height: chartHeight, MinDiff: math.Inf(1)}
	if len(headers) < 2 {
		c.MinDiff = 0
		return c
	}
	c.From, c.To = headers[1].Height, headers[len(headers)-1].Height
	intervals := make([]int64, len(headers)-1)
	for i := range intervals {
		intervals[i] = max(headers[i+1].Time-headers[i].Time, 0)
		c.MaxInterval = max(c.MaxInterval, intervals[i])
	}
	for _, h := range headers[1:] {
		c.MinDiff = min(c.MinDiff, h.Difficulty)
		c.MaxDiff = max(c.MaxDiff, h.Difficulty)
	}
	w := float64(chartWidth) / float64(len(intervals))
	var points []string
	for i, iv := range intervals {
		hgt := float64(chartHeight-10) * float64(iv) / float64(max(c.MaxInterval, 1))
		c.Bars = append(c.Bars, bar{X: float64(i) * w, Y: chartHeight - hgt, W: math.Max(w-1, 0.5), H: hgt,
			Title: fmt.Sprintf("block %d: %d s after its parent", headers[i+1].Height, iv)})
		y := float64(chartHeight) / 2
		if c.MaxDiff > c.MinDiff {
			y = 5 + float64(chartHeight-10)*(1-(headers[i+1].Difficulty-c.MinDiff)/(c.MaxDiff-c.MinDiff))
		}
		points = append(points, fmt.Sprintf("%.1f,%.1f", float64(i)*w+w/2, y))
	}
	c.DiffLine = strings.Join(points, " ")
	return c
}

// peerGraph draws this node in the middle and its peers around it.
type peerGraph struct {
	Size   int
	Center float64
	Nodes  []graphNode
}

type graphNode struct {
	X, Y    float64
	Label   string
	Inbound bool
}

func newPeerGraph(peers []rpc.PeerInfo) peerGraph {
	g := peerGraph{Size: graphSize, Center: graphSize / 2}
	r := float64(graphSize)/2 - 40
	for i, p := range peers {
		a := 2*math.Pi*float64(i)/float64(len(peers)) - math.Pi/2
		g.Nodes = append(g.Nodes, graphNode{X: g.Center + r*math.Cos(a), Y: g.Center + r*math.Sin(a), Label: p.Addr, Inbound: p.Inbound})
	}
	return g
}
