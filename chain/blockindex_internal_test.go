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
