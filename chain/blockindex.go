package chain

import (
	"bytes"
	"encoding/binary"
	"iter"
	"math"
	"sort"

	"powchain/wire"
)

// blockStatus is a bit set of what the node knows about a block. It is
// persisted in the block's index record.
type blockStatus uint32

const (
	// statusDataStored: the block's body is in the store.
	statusDataStored blockStatus = 1 << iota
	// statusValid: the block was connected once, so every rule passed.
	statusValid
	// statusValidateFailed: the block itself broke a consensus rule.
	statusValidateFailed
	// statusInvalidAncestor: an ancestor broke a consensus rule.
	statusInvalidAncestor
)

func (s blockStatus) knownInvalid() bool {
	return s&(statusValidateFailed|statusInvalidAncestor) != 0
}

// blockNode is one block of the block index: a header the node accepted
// (proof of work, target and time checked), linked to its parent.
type blockNode struct {
	hash   wire.Hash
	parent *blockNode
	// firstChild and nextSibling link the blocks that build on this one:
	// firstChild is the last of its children to join the index,
	// nextSibling the child of its parent that joined before it (nil for
	// the first), so a parent's children run newest first.
	firstChild  *blockNode
	nextSibling *blockNode
	height      uint64
	header      wire.BlockHeader
	// workSum is the total work of the chain ending at this block, held
	// in place (uint256: saturates at 2^256-1, which no real chain
	// reaches).
	workSum uint256
	status  blockStatus
	// txCount is the number of the block's transactions once its body is
	// stored (statusDataStored), 0 before: getblockheader's nTx.
	txCount uint32
	// sequence orders blocks by the arrival of their data; on equal work the
	// earlier one wins (first seen). Zero while the data is missing.
	sequence uint64
	// chainTxCount is the number of transactions of the chain ending at
	// this block, its own included, once this block and all its ancestors
	// have their data stored, and 0 until then, as Bitcoin Core's nChainTx
	// (getchaintxstats' txcount). Every block holds a transaction (its
	// coinbase), so it is non-zero exactly when the chain ending here
	// could be connected (fullData): one field serves both, in the 8
	// bytes a flag for the latter took with its padding.
	chainTxCount uint64
	// anchorTime is the timestamp of block 1 of the chain ending here, the
	// anchor of aserti3-2d (Params.NextBits); 0 for the genesis block.
	anchorTime int64
	// medianTime is the median time past of the chain ending here, fixed by
	// the header and its ancestors, so it is computed once, when the node
	// is made: every Tip and BlockInfo reports it, and peers' idle ticks
	// ask for the tip often.
	medianTime int64
}

// newBlockNode returns the node of header h on parent (nil for the genesis
// block), its work summed from its parent's and h's own (headerWork), and
// makes it the parent's newest child.
func newBlockNode(h *wire.BlockHeader, parent *blockNode) *blockNode {
	n := &blockNode{hash: h.BlockHash(), parent: parent, header: *h, workSum: headerWork(h.Bits)}
	if parent != nil {
		n.height = parent.height + 1
		n.workSum = parent.workSum.add(n.workSum)
		n.anchorTime = parent.anchorTime
		if n.height == 1 {
			n.anchorTime = h.Timestamp
		}
		n.nextSibling = parent.firstChild
		parent.firstChild = n
	}
	n.medianTime = n.computeMedianTime()
	return n
}

// fullData reports whether this block and all its ancestors have their
// data stored, so that the chain ending here could be connected.
func (n *blockNode) fullData() bool { return n.chainTxCount != 0 }

// countChainTxs sets n's chainTxCount from its parent's: its parent's
// count (none for the genesis block) plus its own when its data is stored
// and its parent's chain has all its data, else 0. Callers go parents
// first.
func (n *blockNode) countChainTxs() {
	n.chainTxCount = 0
	if n.status&statusDataStored == 0 {
		return
	}
	if n.parent == nil {
		n.chainTxCount = uint64(n.txCount)
	} else if n.parent.fullData() {
		n.chainTxCount = n.parent.chainTxCount + uint64(n.txCount)
	}
}

// ancestor returns the ancestor of n at height, or nil if height > n.height.
func (n *blockNode) ancestor(height uint64) *blockNode {
	if height > n.height {
		return nil
	}
	for n != nil && n.height > height {
		n = n.parent
	}
	return n
}

// medianTimePast is the median timestamp of n and up to ten of its
// ancestors. A child of n must have a strictly greater timestamp.
func (n *blockNode) medianTimePast() int64 { return n.medianTime }

// computeMedianTime computes medianTimePast from the timestamps; the
// ancestors' headers never change, so newBlockNode does it once.
func (n *blockNode) computeMedianTime() int64 {
	times := make([]int64, 0, MedianTimeBlocks)
	for it := n; it != nil && len(times) < MedianTimeBlocks; it = it.parent {
		times = append(times, it.header.Timestamp)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2]
}

// betterThan is the fork-choice order: more work wins; on equal work the
// block whose data arrived first (a header without data comes after every
// block with data: it cannot displace a tip); the hash settles the rest, so
// the order is total and never depends on map iteration.
func (n *blockNode) betterThan(o *blockNode) bool {
	if c := n.workSum.cmp(o.workSum); c != 0 {
		return c > 0
	}
	if a, b := n.arrival(), o.arrival(); a != b {
		return a < b
	}
	return bytes.Compare(n.hash[:], o.hash[:]) < 0
}

// arrival is the tie-break rank of n's data: its sequence, or the largest
// value while the data is missing.
func (n *blockNode) arrival() uint64 {
	if n.status&statusDataStored == 0 {
		return math.MaxUint64
	}
	return n.sequence
}

// unlink takes n out of its parent's children (forgetHeaders); the other
// children keep their order.
func (n *blockNode) unlink() {
	link := &n.parent.firstChild
	for *link != n {
		link = &(*link).nextSibling
	}
	*link, n.nextSibling = n.nextSibling, nil
}

// descendants calls fn for every block that builds on n (not n itself),
// depth first, each block before its descendants and children newest
// first. It walks the child and parent links, so it needs no memory of its
// own; fn must not change those links.
func (n *blockNode) descendants(fn func(*blockNode)) {
	for d := n.firstChild; d != nil; {
		fn(d)
		if d.firstChild != nil {
			d = d.firstChild
			continue
		}
		for d.nextSibling == nil {
			if d = d.parent; d == n {
				return
			}
		}
		d = d.nextSibling
	}
}

// findFork returns the last block that a and b have in common.
func findFork(a, b *blockNode) *blockNode {
	for a.height > b.height {
		a = a.parent
	}
	for b.height > a.height {
		b = b.parent
	}
	for a != b {
		a, b = a.parent, b.parent
	}
	return a
}

// blockIndex finds a block's node by its hash. A map keyed by the whole
// hash would hold each hash twice, in the key and in the node; this one is
// keyed by the hash's last eight bytes (indexKey: the first bytes of a
// block's hash are the zeros its proof of work put there, the last are as
// good as random), and the node's own hash completes the match, so an entry
// takes 16 bytes instead of 40. A block whose key another block holds
// (chance: about one in 2^64 for each pair, or an attacker's grinding) is
// kept in collided, keyed by its whole hash, so a lookup is always exact.
// The zero value is not ready: newBlockIndex makes one.
type blockIndex struct {
	byKey    map[uint64]*blockNode
	collided map[wire.Hash]*blockNode // nil until needed
}

func newBlockIndex() blockIndex {
	return blockIndex{byKey: make(map[uint64]*blockNode)}
}

// indexKey is the key of hash in blockIndex.byKey.
func indexKey(hash wire.Hash) uint64 { return binary.LittleEndian.Uint64(hash[24:]) }

// get returns the node of the block hash, or nil if the index has none.
func (x *blockIndex) get(hash wire.Hash) *blockNode {
	if n := x.byKey[indexKey(hash)]; n != nil && n.hash == hash {
		return n
	}
	return x.collided[hash]
}

// put adds n, or replaces the node of the same hash.
func (x *blockIndex) put(n *blockNode) {
	k := indexKey(n.hash)
	if held := x.byKey[k]; held != nil && held.hash != n.hash {
		if x.collided == nil {
			x.collided = make(map[wire.Hash]*blockNode)
		}
		x.collided[n.hash] = n
		return
	}
	x.byKey[k] = n
	delete(x.collided, n.hash) // it may have waited there while its key was taken
}

// delete takes the block hash out of the index, if it is there.
func (x *blockIndex) delete(hash wire.Hash) {
	k := indexKey(hash)
	if n := x.byKey[k]; n != nil && n.hash == hash {
		delete(x.byKey, k)
		return
	}
	delete(x.collided, hash)
}

// all yields every node of the index, in no particular order (as a map's).
func (x *blockIndex) all() iter.Seq[*blockNode] {
	return func(yield func(*blockNode) bool) {
		for _, n := range x.byKey {
			if !yield(n) {
				return
			}
		}
		for _, n := range x.collided {
			if !yield(n) {
				return
			}
		}
	}
}
