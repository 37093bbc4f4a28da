package chain

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"powchain/wire"
)

// The child and sibling links give what a slice of children per node gave,
// the index's earlier form: descendants visits every block that builds on
// a node once, each before its own descendants, in the order the slice's
// stack walk visited them (a parent's children newest first), and a block
// unlinked as forgetHeaders does leaves its siblings in their order. The
// slices are kept beside the index, in the earlier form's order, as the
// reference.
func TestBlockIndexLinks(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		genesis := newBlockNode(&wire.BlockHeader{Bits: 0x207fffff}, nil)
		nodes := []*blockNode{genesis}
		kids := map[*blockNode][]*blockNode{}
		// stackOrder is the earlier descendants: a stack of children slices.
		stackOrder := func(n *blockNode) []*blockNode {
			var order []*blockNode
			stack := append([]*blockNode(nil), kids[n]...)
			for len(stack) > 0 {
				d := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				order = append(order, d)
				stack = append(stack, kids[d]...)
			}
			return order
		}
		steps := rapid.IntRange(1, 60).Draw(rt, "steps")
		for i := range steps {
			if rapid.IntRange(0, 4).Draw(rt, "unlink") == 0 && len(nodes) > 1 {
				// forgetHeaders takes out headers just added, which have
				// no children of their own: any leaf but genesis.
				var leaves []*blockNode
				for _, n := range nodes[1:] {
					if n.firstChild == nil {
						leaves = append(leaves, n)
					}
				}
				n := rapid.SampledFrom(leaves).Draw(rt, "leaf")
				n.unlink()
				siblings := kids[n.parent]
				kids[n.parent] = slices.Delete(siblings, slices.Index(siblings, n), slices.Index(siblings, n)+1)
				nodes = slices.DeleteFunc(nodes, func(m *blockNode) bool { return m == n })
			} else {
				parent := rapid.SampledFrom(nodes).Draw(rt, "parent")
				h := wire.BlockHeader{PrevBlock: parent.hash, Bits: 0x207fffff, Nonce: uint32(i)}
				n := newBlockNode(&h, parent)
				kids[parent] = append(kids[parent], n)
				nodes = append(nodes, n)
			}
			for _, n := range nodes {
				var got []*blockNode
				n.descendants(func(d *blockNode) { got = append(got, d) })
				if want := stackOrder(n); !slices.Equal(got, want) {
					rt.Fatalf("step %d: descendants of the block at height %d: %d blocks, want %d, or not in the earlier order", i, n.height, len(got), len(want))
				}
				var children []*blockNode
				for c := n.firstChild; c != nil; c = c.nextSibling {
					if c.parent != n {
						rt.Fatalf("step %d: a child of the block at height %d has another parent", i, n.height)
					}
					children = append(children, c)
				}
				slices.Reverse(children)
				if !slices.Equal(children, kids[n]) {
					rt.Fatalf("step %d: the block at height %d has %d children, want %d, or not newest first", i, n.height, len(children), len(kids[n]))
				}
			}
		}
	})
}

// blockIndex answers as a map keyed by the whole hash does, through puts,
// replacements and deletes, when many hashes share their key (the last
// eight bytes), and when the block that held a key goes and another comes.
func TestBlockIndexAsMap(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		// Hashes from a small set, differing in their first byte, their
		// last byte or both: keys are shared by up to four hashes.
		hashGen := rapid.Custom(func(rt *rapid.T) wire.Hash {
			var h wire.Hash
			h[0] = rapid.ByteRange(0, 3).Draw(rt, "first")
			h[31] = rapid.ByteRange(0, 3).Draw(rt, "last")
			return h
		})
		x, want := newBlockIndex(), map[wire.Hash]*blockNode{}
		for i := range rapid.IntRange(1, 80).Draw(rt, "steps") {
			h := hashGen.Draw(rt, "hash")
			switch rapid.IntRange(0, 2).Draw(rt, "op") {
			case 0, 1:
				n := &blockNode{hash: h, height: uint64(i)} // a fresh node: a put may replace one
				x.put(n)
				want[h] = n
			case 2:
				x.delete(h)
				delete(want, h)
			}
			for probe := range 4 {
				for last := range 4 {
					var h wire.Hash
					h[0], h[31] = byte(probe), byte(last)
					if got := x.get(h); got != want[h] {
						rt.Fatalf("step %d: get(%x...%x) = %p, want %p", i, h[0], h[31], got, want[h])
					}
				}
			}
			seen := map[*blockNode]bool{}
			for n := range x.all() {
				if seen[n] || want[n.hash] != n {
					rt.Fatalf("step %d: all yields a node of %x...%x twice or not in the index", i, n.hash[0], n.hash[31])
				}
				seen[n] = true
			}
			if len(seen) != len(want) {
				rt.Fatalf("step %d: all yields %d nodes, want %d", i, len(seen), len(want))
			}
		}
	})
}
