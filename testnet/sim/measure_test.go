package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// A star: node 0 linked to 1, 2 and 3 (latencies 30, 10 and 20 ms), and
// node 3 linked to 4 (5 ms); hop 4 ms.
func starLinks() ([][]int, func(u, v int) time.Duration) {
	links := [][]int{{1, 2, 3}, {0}, {0}, {0, 4}, {3}}
	lat := map[[2]int]time.Duration{{0, 1}: 30, {0, 2}: 10, {0, 3}: 20, {3, 4}: 5}
	return links, func(u, v int) time.Duration {
		if u > v {
			u, v = v, u
		}
		return lat[[2]int{u, v}] * time.Millisecond
	}
}

// TestFloorChargesOneHopPerLink: the floor (the compact form in one
// piece) is the shortest path with one serialization per hop; a node with
// no link is unreachable.
func TestFloorChargesOneHopPerLink(t *testing.T) {
	links, lat := starLinks()
	links = append(links, nil)
	const hop = 4 * time.Millisecond
	ms := time.Millisecond
	got := floor(links, lat, []time.Duration{hop}, 0)
	want := []time.Duration{0, 34 * ms, 14 * ms, 24 * ms, 33 * ms, -1}
	if !slices.Equal(got, want) {
		t.Fatalf("floor %v, want %v", got, want)
	}
}

// TestIdealPushQueuesOnTheUploadLink: the ideal protocol (the compact
// form in one piece: store-and-forward) sends first to
// the peers that gain most (with none reached yet, the nearest), each
// further push waits for the ones before it on the sender's upload link,
// and a peer that already has the block is skipped.
func TestIdealPushQueuesOnTheUploadLink(t *testing.T) {
	links, lat := starLinks()
	const hop = 4 * time.Millisecond
	ms := time.Millisecond
	// Node 0 sends to 2 (done at 4 ms), 3 (8 ms), 1 (12 ms); 3 sends to 4
	// (done at 32 ms) and not back to 0.
	got := idealPush(links, lat, []time.Duration{hop}, 0)
	want := []time.Duration{0, 42 * ms, 14 * ms, 28 * ms, 37 * ms}
	if !slices.Equal(got, want) {
		t.Fatalf("ideal %v, want %v", got, want)
	}
	// A triangle whose long side is beaten by the two short ones: 0 sends
	// to 1 first, then to 2 (arriving at 58 ms), but 1 gets the block to 2
	// at 18 ms.
	tri := [][]int{{1, 2}, {0, 2}, {0, 1}}
	triLat := func(u, v int) time.Duration {
		if u+v == 2 { // the 0-2 link
			return 50 * ms
		}
		return 5 * ms
	}
	if got, want := idealPush(tri, triLat, []time.Duration{hop}, 0), []time.Duration{0, 9 * ms, 18 * ms}; !slices.Equal(got, want) {
		t.Fatalf("triangle: ideal %v, want %v", got, want)
	}
	// Node 1 (reached at 5 ms) serves 3, which has no way yet (gain: an
	// hour less 40 ms), before 2, which already gets it at 38 ms from 0
	// (gain 38 - 20 ms), although 2 is nearer: 3 at 9 + 40 ms, then 2 at
	// 13 + 20 ms.
	diamond := [][]int{{1, 2}, {0, 2, 3}, {0, 1}, {1}}
	diamondLat := func(u, v int) time.Duration {
		return map[[2]int]time.Duration{{0, 1}: 1, {0, 2}: 30, {1, 2}: 20, {1, 3}: 40}[[2]int{min(u, v), max(u, v)}] * ms
	}
	if got, want := idealPush(diamond, diamondLat, []time.Duration{hop}, 0), []time.Duration{0, 5 * ms, 33 * ms, 49 * ms}; !slices.Equal(got, want) {
		t.Fatalf("diamond: ideal %v, want %v", got, want)
	}
}

// TestIdealPushIsTheFloorWithoutUploadCost: with no serialization cost
// there is no queueing, so the ideal protocol reaches every node on its
// shortest path, as the floor does.
func TestIdealPushIsTheFloorWithoutUploadCost(t *testing.T) {
	links, lat := starLinks()
	if got, want := idealPush(links, lat, []time.Duration{0}, 0), floor(links, lat, []time.Duration{0}, 0); !slices.Equal(got, want) {
		t.Fatalf("ideal %v, floor %v", got, want)
	}
}

// A chain 0-1-2-3 (latencies 10, 20 and 30 ms) and a form cut in pieces
// of 3, 3 and 1 ms (7 ms whole).
func chainLinks() ([][]int, func(u, v int) time.Duration, []time.Duration) {
	links := [][]int{{1}, {0, 2}, {1, 3}, {2}}
	lat := func(u, v int) time.Duration { return time.Duration(10*max(u, v)) * time.Millisecond }
	ms := time.Millisecond
	return links, lat, []time.Duration{3 * ms, 3 * ms, 1 * ms}
}

// TestCutThroughOnAChain: forwarding each piece once it is in, a node k
// hops down a chain has the form after the latencies, one serialization
// of the whole form and one piece per hop after the first; when the first
// piece is the largest, that is also the cut-through floor, which no
// schedule can beat. A short first piece (the header alone) cannot be
// followed at its pace: the second piece is not in yet, so each hop costs
// the largest piece, above the floor. Store-and-forward pays the whole
// form per hop.
func TestCutThroughOnAChain(t *testing.T) {
	links, lat, pieces := chainLinks()
	ms := time.Millisecond
	whole := []time.Duration{sum(pieces)}
	// 10 + 7; 30 + 7 + 3; 60 + 7 + 2·3.
	want := []time.Duration{0, 17 * ms, 40 * ms, 73 * ms}
	if got := idealPush(links, lat, pieces, 0); !slices.Equal(got, want) {
		t.Fatalf("cut-through ideal %v, want %v", got, want)
	}
	if got := floor(links, lat, pieces, 0); !slices.Equal(got, want) {
		t.Fatalf("cut-through floor %v, want %v", got, want)
	}
	// Node 1 has the pieces at 11, 14 and 17 ms and sends them on at 12,
	// 17 and 20 ms: the second waits to be in. The floor charges the 1 ms
	// piece per hop: 30 + 2·1 + 6, 60 + 3·1 + 6.
	headerFirst := []time.Duration{1 * ms, 3 * ms, 3 * ms}
	if got := idealPush(links, lat, headerFirst, 0); !slices.Equal(got, want) {
		t.Fatalf("header first: cut-through ideal %v, want %v", got, want)
	}
	if got, want := floor(links, lat, headerFirst, 0), []time.Duration{0, 17 * ms, 38 * ms, 69 * ms}; !slices.Equal(got, want) {
		t.Fatalf("header first: cut-through floor %v, want %v", got, want)
	}
	// 10 + 7; 30 + 2·7; 60 + 3·7.
	storeAndForward := []time.Duration{0, 17 * ms, 44 * ms, 81 * ms}
	if got := idealPush(links, lat, whole, 0); !slices.Equal(got, storeAndForward) {
		t.Fatalf("store-and-forward ideal %v, want %v", got, storeAndForward)
	}
	if got := floor(links, lat, whole, 0); !slices.Equal(got, storeAndForward) {
		t.Fatalf("store-and-forward floor %v, want %v", got, storeAndForward)
	}
}

// TestCutThroughSharesTheUploadLink: a hub one 10 ms hop from the source
// serves four leaves 10 ms away, pieces of 2 ms (4 ms whole). It forwards
// to the first leaf as the pieces come in, and to each further leaf after
// the one before has had every piece: cut-through saves each leaf the 2 ms
// the hub waited for its last piece, and the hub's shared link costs a
// leaf 4 ms per leaf served before it, as it does store-and-forward. The
// floor, which has the hub send to every leaf at once, leaves that out.
func TestCutThroughSharesTheUploadLink(t *testing.T) {
	links := [][]int{{1}, {0, 2, 3, 4, 5}, {1}, {1}, {1}, {1}}
	lat := func(u, v int) time.Duration { return 10 * time.Millisecond }
	ms := time.Millisecond
	pieces := []time.Duration{2 * ms, 2 * ms}
	// The hub has the pieces at 12 and 14 ms.
	if got, want := idealPush(links, lat, pieces, 0), []time.Duration{0, 14 * ms, 26 * ms, 30 * ms, 34 * ms, 38 * ms}; !slices.Equal(got, want) {
		t.Fatalf("cut-through ideal %v, want %v", got, want)
	}
	if got, want := idealPush(links, lat, []time.Duration{4 * ms}, 0), []time.Duration{0, 14 * ms, 28 * ms, 32 * ms, 36 * ms, 40 * ms}; !slices.Equal(got, want) {
		t.Fatalf("store-and-forward ideal %v, want %v", got, want)
	}
	if got, want := floor(links, lat, pieces, 0), []time.Duration{0, 14 * ms, 26 * ms, 26 * ms, 26 * ms, 26 * ms}; !slices.Equal(got, want) {
		t.Fatalf("cut-through floor %v, want %v", got, want)
	}
	// On the star, node 0 has the whole form from the start and sends it
	// to 2, 3 and 1 in turn (the pieces of each done at 2 and 4, 6 and 8,
	// 10 and 12 ms) as store-and-forward would; only 4 gains, as 3
	// forwards to it from 26 ms, when its first piece is in: 35 ms, not
	// 37.
	star, starLat := starLinks()
	if got, want := idealPush(star, starLat, pieces, 0), []time.Duration{0, 42 * ms, 14 * ms, 28 * ms, 35 * ms}; !slices.Equal(got, want) {
		t.Fatalf("star: cut-through ideal %v, want %v", got, want)
	}
}

// TestCutThroughFloorBoundsEveryPush: on random graphs, random latencies
// and random cuts of the form, no node has the form under the ideal push
// before its floor, with the form whole or in pieces, and the cut-through
// floor lies below the store-and-forward one by at most one serialization
// of the rest of the form (all but its first piece) per hop after the
// first (the floor's path has at most n-1 hops).
func TestCutThroughFloorBoundsEveryPush(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 0))
	for round := range 200 {
		n := 2 + rng.IntN(30)
		links := make([][]int, n)
		lats := make(map[[2]int]time.Duration)
		for u := range n {
			for v := u + 1; v < n; v++ {
				if rng.IntN(4) == 0 {
					links[u], links[v] = append(links[u], v), append(links[v], u)
					lats[[2]int{u, v}] = time.Duration(1+rng.IntN(200)) * time.Millisecond
				}
			}
		}
		lat := func(u, v int) time.Duration { return lats[[2]int{min(u, v), max(u, v)}] }
		pieces := make([]time.Duration, 1+rng.IntN(25))
		for j := range pieces {
			pieces[j] = time.Duration(1+rng.IntN(2000)) * time.Microsecond
		}
		whole := []time.Duration{sum(pieces)}
		src := rng.IntN(n)
		cutFloor, cutIdeal := floor(links, lat, pieces, src), idealPush(links, lat, pieces, src)
		wholeFloor, wholeIdeal := floor(links, lat, whole, src), idealPush(links, lat, whole, src)
		rest := sum(pieces[1:])
		for v := range n {
			if (cutFloor[v] < 0) != (wholeFloor[v] < 0) || (cutIdeal[v] < 0) != (wholeFloor[v] < 0) || (wholeIdeal[v] < 0) != (wholeFloor[v] < 0) {
				t.Fatalf("round %d, node %d: reachability differs: floors %v %v, ideals %v %v",
					round, v, cutFloor[v], wholeFloor[v], cutIdeal[v], wholeIdeal[v])
			}
			if cutIdeal[v] < cutFloor[v] || wholeIdeal[v] < wholeFloor[v] {
				t.Fatalf("round %d, node %d: ideal push below its floor: cut-through %v < %v, whole %v < %v",
					round, v, cutIdeal[v], cutFloor[v], wholeIdeal[v], wholeFloor[v])
			}
			if cutFloor[v] > wholeFloor[v] || cutFloor[v] < wholeFloor[v]-time.Duration(max(n-2, 0))*rest {
				t.Fatalf("round %d, node %d: cut-through floor %v, store-and-forward %v, rest of the form %v",
					round, v, cutFloor[v], wholeFloor[v], rest)
			}
		}
	}
}

// TestPiecesCutTheForm: the pieces are pieceSize bytes but the last, and
// take as long together as the whole form.
func TestPiecesCutTheForm(t *testing.T) {
	nw := testNetwork(2, LinkConfig{UploadBitsPerSec: 10_000_000}, 1)
	size := 2*pieceSize + 200
	got := nw.pieces(size)
	want := []time.Duration{nw.serialization(pieceSize), nw.serialization(pieceSize), nw.serialization(200)}
	if !slices.Equal(got, want) || sum(got) != nw.serialization(size) {
		t.Fatalf("pieces of %d bytes: %v, want %v adding up to %v", size, got, want, nw.serialization(size))
	}
}
