package sim

import (
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

// TestFloorChargesOneHopPerLink: the floor is the shortest path with one
// serialization per hop; a node with no link is unreachable.
func TestFloorChargesOneHopPerLink(t *testing.T) {
	links, lat := starLinks()
	links = append(links, nil)
	const hop = 4 * time.Millisecond
	ms := time.Millisecond
	got := floor(links, lat, hop, 0)
	want := []time.Duration{0, 34 * ms, 14 * ms, 24 * ms, 33 * ms, -1}
	if !slices.Equal(got, want) {
		t.Fatalf("floor %v, want %v", got, want)
	}
}

// TestIdealPushQueuesOnTheUploadLink: the ideal protocol sends first to
// the peers that gain most (with none reached yet, the nearest), each
// further push waits for the ones before it on the sender's upload link,
// and a peer that already has the block is skipped.
func TestIdealPushQueuesOnTheUploadLink(t *testing.T) {
	links, lat := starLinks()
	const hop = 4 * time.Millisecond
	ms := time.Millisecond
	// Node 0 sends to 2 (done at 4 ms), 3 (8 ms), 1 (12 ms); 3 sends to 4
	// (done at 32 ms) and not back to 0.
	got := idealPush(links, lat, hop, 0)
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
	if got, want := idealPush(tri, triLat, hop, 0), []time.Duration{0, 9 * ms, 18 * ms}; !slices.Equal(got, want) {
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
	if got, want := idealPush(diamond, diamondLat, hop, 0), []time.Duration{0, 5 * ms, 33 * ms, 49 * ms}; !slices.Equal(got, want) {
		t.Fatalf("diamond: ideal %v, want %v", got, want)
	}
}

// TestIdealPushIsTheFloorWithoutUploadCost: with no serialization cost
// there is no queueing, so the ideal protocol reaches every node on its
// shortest path, as the floor does.
func TestIdealPushIsTheFloorWithoutUploadCost(t *testing.T) {
	links, lat := starLinks()
	if got, want := idealPush(links, lat, 0, 0), floor(links, lat, 0, 0); !slices.Equal(got, want) {
		t.Fatalf("ideal %v, floor %v", got, want)
	}
}
