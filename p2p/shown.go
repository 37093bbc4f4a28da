package p2p

import "powchain/wire"

// shownKept is how many blocks a ShownBlocks remembers: a push waits in a
// send queue for a few blocks' time at most, so only the newest matter.
const shownKept = 8

// ShownBlocks remembers the last few blocks a peer showed it has by what it
// sent: a compact block, a block, a blocktxn answer, a block announced by
// header or by inv. A driver keeps one per connection, fed with every
// message its reader decodes before the Core has seen it (the Core may be
// busy validating), and drops a compact block pushed unasked (Action.Push)
// to that peer if, when the push's turn to leave comes, the peer has shown
// it has the block: it got it from someone else while the push waited
// behind earlier messages, and would only discard it.
//
// The zero value is empty. A ShownBlocks is not safe for concurrent use.
type ShownBlocks struct {
	recent [shownKept]wire.Hash
	next   int
}

// Note records the blocks m shows its sender has.
func (s *ShownBlocks) Note(m Message) {
	switch m := m.(type) {
	case *MsgCmpctBlock:
		s.add(m.Header.BlockHash())
	case *MsgBlock:
		s.add(m.Block.BlockHash())
	case *MsgBlockTxn:
		s.add(m.Block)
	case *MsgAnnounce:
		for i := range m.Headers {
			s.add(m.Headers[i].BlockHash())
		}
	case *MsgInv:
		for _, iv := range m.Items {
			if iv.Type == InvBlock {
				s.add(iv.Hash)
			}
		}
	}
}

func (s *ShownBlocks) add(h wire.Hash) {
	if s.Has(h) {
		return
	}
	s.recent[s.next] = h
	s.next = (s.next + 1) % shownKept
}

// Has reports whether the peer showed it has block h (among the last
// shownKept blocks it showed).
func (s *ShownBlocks) Has(h wire.Hash) bool {
	for _, r := range s.recent {
		if r == h && h != (wire.Hash{}) {
			return true
		}
	}
	return false
}

// Stale reports whether m, the message of a push (Action.Push), is no
// longer worth sending: a compact block whose block the peer has shown
// it has.
func (s *ShownBlocks) Stale(m Message) bool {
	cb, ok := m.(*MsgCmpctBlock)
	return ok && s.Has(cb.Header.BlockHash())
}
