package p2p

import "math/bits"

// boundedSet remembers up to n uint64 keys; adding beyond n forgets the
// oldest (first added; adding a key already held changes nothing). The
// keys are keyed hashes (knownHashes, Core.addrKey) that nobody outside
// the node can choose.
//
// It is built for size, since a node keeps a few per peer (a simulation
// holds tens of thousands): the keys in the order added (ring), and an
// open-addressing index into it (slots, linear probing) of 4 bytes per
// slot, about 14 bytes per key in all where a Go map beside the ring took
// about 26. Both grow with what the set holds; nothing is allocated up
// front; the zero value is an empty set, held by value in its owner (a
// lookup follows no pointer but the slots' and the ring's). A slot is 0 if empty, else the key's ring position + 1 in its
// low 16 bits and 16 bits of the key's hash in its high ones, so a lookup
// reads the ring only for a slot whose hash bits match.
type boundedSet struct {
	ring  []uint64
	next  int // once the ring holds n keys: the position of the oldest
	slots []uint32
}

// maxBoundedSet is the most keys a boundedSet can hold: ring positions + 1
// fit in a slot's 16 low bits.
const maxBoundedSet = 1<<16 - 1

// Slot occupancy: the index grows (by half) when adding would fill more
// than maxLoadNum/maxLoadDen of it.
const (
	minSlots   = 16
	maxLoadNum = 4
	maxLoadDen = 5
)

// mix spreads a key's bits: the index takes its slot from the high bits
// and the tag from the low ones (Core.addrKey's FNV-1a is weak in both).
func mix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	return k ^ k>>33
}

// home is the first slot a key with mixed hash h probes.
func (s *boundedSet) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(s.slots)))
	return int(hi)
}

func tagOf(h uint64) uint32 { return uint32(h) << 16 }

// find returns the slot holding k, or -1.
func (s *boundedSet) find(k uint64) int {
	if len(s.slots) == 0 {
		return -1
	}
	h := mix(k)
	tag := tagOf(h)
	for i := s.home(h); ; {
		e := s.slots[i]
		if e == 0 {
			return -1
		}
		if e&0xffff0000 == tag && s.ring[e&0xffff-1] == k {
			return i
		}
		if i++; i == len(s.slots) {
			i = 0
		}
	}
}

func (s *boundedSet) has(k uint64) bool { return s.find(k) >= 0 }

func (s *boundedSet) add(k uint64, n int) {
	if n > maxBoundedSet {
		panic("p2p: boundedSet bound over 65535")
	}
	if s.has(k) {
		return
	}
	pos := len(s.ring)
	if pos < n {
		if (pos+1)*maxLoadDen > len(s.slots)*maxLoadNum {
			s.grow()
		}
		s.ring = append(s.ring, k)
	} else {
		pos = s.next
		s.remove(pos)
		s.ring[pos] = k
		s.next = (s.next + 1) % n
	}
	s.insert(k, pos)
}

// insert puts ring position pos, holding k, into the index.
func (s *boundedSet) insert(k uint64, pos int) {
	h := mix(k)
	i := s.home(h)
	for s.slots[i] != 0 {
		if i++; i == len(s.slots) {
			i = 0
		}
	}
	s.slots[i] = tagOf(h) | uint32(pos+1)
}

// remove takes ring position pos out of the index, shifting the entries
// after it back so that every key stays reachable from its home slot
// without tombstones.
func (s *boundedSet) remove(pos int) {
	hole := s.find(s.ring[pos])
	for j := hole; ; {
		if j++; j == len(s.slots) {
			j = 0
		}
		e := s.slots[j]
		if e == 0 {
			break
		}
		// The entry at j may fill the hole unless its home lies
		// cyclically in (hole, j]: then it would become unreachable.
		home := s.home(mix(s.ring[e&0xffff-1]))
		if hole <= j && hole < home && home <= j || hole > j && (hole < home || home <= j) {
			continue
		}
		s.slots[hole] = e
		hole = j
	}
	s.slots[hole] = 0
}

// grow rebuilds the index half as large again (at least minSlots).
func (s *boundedSet) grow() {
	s.slots = make([]uint32, max(minSlots, len(s.slots)*3/2))
	for pos, k := range s.ring {
		s.insert(k, pos)
	}
}
