package sim

import (
	"math/rand/v2"
	"time"
)

// LinkConfig describes the links between every pair of nodes.
type LinkConfig struct {
	// MinLatency and MaxLatency bound the one-way base latency of a link,
	// drawn once per pair of nodes (default 5ms and 80ms).
	MinLatency, MaxLatency time.Duration
	// Jitter is the most a message may take beyond its link's base latency,
	// drawn per message (default 20ms). Messages of one connection still
	// arrive in the order they were sent, as over TCP.
	Jitter time.Duration
	// DropRate is the probability that a message is lost (default 0).
	// Connection set-up and teardown are never lost this way; partitions
	// stop them too.
	DropRate float64
	// DialTimeout is how long a dial to an unreachable or unknown address
	// takes to fail (default 5s).
	DialTimeout time.Duration
	// Regions, if set, places every node in a region of the world (see
	// region.go) and draws each link's base latency around the one-way
	// delay between the two regions, instead of uniformly between
	// MinLatency and MaxLatency.
	Regions bool
	// UploadBitsPerSec is every node's upload rate: a message leaves only
	// after the node's earlier messages, to any peer, are serialized, and
	// takes its size over this rate to serialize (default 0: unlimited,
	// messages take no time to send).
	UploadBitsPerSec int64
}

func (c *LinkConfig) setDefaults() {
	if c.MinLatency <= 0 {
		c.MinLatency = 5 * time.Millisecond
	}
	if c.MaxLatency < c.MinLatency {
		c.MaxLatency = max(c.MinLatency, 80*time.Millisecond)
	}
	if c.Jitter < 0 {
		c.Jitter = 0
	} else if c.Jitter == 0 {
		c.Jitter = 20 * time.Millisecond
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
}

// network models the links of n nodes: a base latency per pair, per-message
// jitter and loss from its own random source, and partitions. A partition
// assigns every node a group; a link between two groups delivers nothing.
// It knows nothing of connections or events: the Sim asks it about a link
// each time a message is sent or arrives.
type network struct {
	cfg    LinkConfig
	rng    *rand.Rand
	n      int
	base   []time.Duration // base[a*n+b] == base[b*n+a]
	group  []int           // partition group of each node; all 0 when healed
	region []Region        // each node's region; nil unless cfg.Regions
}

// newNetwork draws every node's region (with cfg.Regions) and every link's
// base latency from rng, in a fixed order.
func newNetwork(n int, cfg LinkConfig, rng *rand.Rand) *network {
	cfg.setDefaults()
	nw := &network{cfg: cfg, rng: rng, n: n, base: make([]time.Duration, n*n), group: make([]int, n)}
	draw := nw.uniformLatency
	if cfg.Regions {
		nw.region = drawRegions(n, rng)
		draw = nw.regionLatency
	}
	for a := range n {
		for b := a + 1; b < n; b++ {
			d := draw(a, b)
			nw.base[a*n+b], nw.base[b*n+a] = d, d
		}
	}
	return nw
}

// uniformLatency draws a base latency between MinLatency and MaxLatency.
func (nw *network) uniformLatency(_, _ int) time.Duration {
	d := nw.cfg.MinLatency
	if span := int64(nw.cfg.MaxLatency - nw.cfg.MinLatency); span > 0 {
		d += time.Duration(nw.rng.Int64N(span + 1))
	}
	return d
}

// regionLatency draws a base latency around the one-way delay between the
// regions of a and b.
func (nw *network) regionLatency(a, b int) time.Duration {
	return regionDelay(nw.region[a], nw.region[b], nw.rng)
}

// serialization is how long an upload of size bytes takes; 0 when the
// upload rate is unlimited.
func (nw *network) serialization(size int) time.Duration {
	if nw.cfg.UploadBitsPerSec <= 0 {
		return 0
	}
	return time.Duration(int64(size) * 8 * int64(time.Second) / nw.cfg.UploadBitsPerSec)
}

// pieceSize is how the cut-through references (floor and idealPush over
// pieces) cut a block's compact form: 1,400 bytes, a TCP segment's
// payload on a 1,500-byte MTU, the last piece shorter. The first piece
// holds the frame header and the block header, whose proof of work can be
// checked on its own, so a node may forward from it on.
const pieceSize = 1400

// pieces is how long the upload of each pieceSize piece of a form of size
// bytes takes.
func (nw *network) pieces(size int) []time.Duration {
	ps := make([]time.Duration, 0, (size+pieceSize-1)/pieceSize)
	for at := 0; at < size; at += pieceSize {
		ps = append(ps, nw.serialization(min(pieceSize, size-at)))
	}
	return ps
}

// latency draws the delay of one message from a to b.
func (nw *network) latency(a, b int) time.Duration {
	d := nw.base[a*nw.n+b]
	if nw.cfg.Jitter > 0 {
		d += time.Duration(nw.rng.Int64N(int64(nw.cfg.Jitter) + 1))
	}
	return d
}

// baseLatency is the link's latency without jitter: connection set-up uses
// it, so a handshake's timing depends only on the pair of nodes.
func (nw *network) baseLatency(a, b int) time.Duration { return nw.base[a*nw.n+b] }

// meanLatency is a message's expected delay from a to b: the base latency
// plus the jitter's mean.
func (nw *network) meanLatency(a, b int) time.Duration { return nw.baseLatency(a, b) + nw.cfg.Jitter/2 }

// lost draws whether one message is lost to the link's drop rate. It
// consumes no randomness when the rate is zero, so turning loss off does
// not shift the rest of the run.
func (nw *network) lost() bool {
	return nw.cfg.DropRate > 0 && nw.rng.Float64() < nw.cfg.DropRate
}

// reachable reports whether the link a-b delivers now.
func (nw *network) reachable(a, b int) bool { return nw.group[a] == nw.group[b] }

// partition splits the nodes into groups; nodes in no group form one more
// group of their own. A node listed twice ends in the last group naming it.
func (nw *network) partition(groups [][]int) {
	for i := range nw.group {
		nw.group[i] = 0
	}
	for g, members := range groups {
		for _, i := range members {
			nw.group[i] = g + 1
		}
	}
}

// heal joins every group again.
func (nw *network) heal() { nw.partition(nil) }

// partitioned reports whether any link is cut.
func (nw *network) partitioned() bool {
	for _, g := range nw.group {
		if g != nw.group[0] {
			return true
		}
	}
	return false
}
