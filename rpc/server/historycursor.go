package server

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"powchain/chain"
	"powchain/rpc"
	"powchain/wire"
)

// historyCursor is getaddresshistory's "next": where the following page
// starts, so that reading it costs that page's entries only instead of
// counting every entry before it again. It is only a shortcut: it names
// the page it asks for, and an answer to it is the answer to that page
// number; the place and count it carries are used while the chain's tip is
// the one they were read at, and the node counts again otherwise.
type historyCursor struct {
	request   [8]byte   // what it was given for: requestDigest
	tip       wire.Hash // the tip confirmed and place were read at
	confirmed uint64    // confirmed entries at tip
	page      uint64    // the page it asks for
	hasPlace  bool      // place is the last confirmed entry before page
	place     chain.HistoryPlace
}

const (
	historyCursorVersion = 1
	historyCursorSize    = 1 + 8 + wire.HashSize + 8 + 8 + 1 + 8 + wire.HashSize + 4
)

// requestDigest names a request's addresses, mempool flag and page size,
// so that a cursor is never applied to another request.
func requestDigest(req *rpc.AddressHistoryRequest) [8]byte {
	h := sha256.New()
	for _, a := range req.Addresses {
		h.Write([]byte(a + "\n"))
	}
	h.Write([]byte(strconv.FormatBool(req.Mempool) + " " + strconv.FormatUint(req.PageSize, 10)))
	var d [8]byte
	copy(d[:], h.Sum(nil))
	return d
}

func (c *historyCursor) encode() string {
	b := make([]byte, 0, historyCursorSize)
	b = append(b, historyCursorVersion)
	b = append(b, c.request[:]...)
	b = append(b, c.tip[:]...)
	b = binary.BigEndian.AppendUint64(b, c.confirmed)
	b = binary.BigEndian.AppendUint64(b, c.page)
	var has byte
	if c.hasPlace {
		has = 1
	}
	b = append(b, has)
	b = binary.BigEndian.AppendUint64(b, c.place.Height)
	b = append(b, c.place.OutPoint.TxID[:]...)
	b = binary.BigEndian.AppendUint32(b, c.place.OutPoint.Index)
	return hex.EncodeToString(b)
}

var errNotACursor = errors.New("not a cursor this node gave (pass the previous answer's next unchanged)")

// decodeHistoryCursor reads s, given for the request whose digest is want.
// It takes only what encode writes (lower-case hex of the one size), so a
// cursor has one spelling, and a string of another length is refused
// before anything is decoded.
func decodeHistoryCursor(s string, want [8]byte) (*historyCursor, error) {
	if len(s) != 2*historyCursorSize || strings.ContainsAny(s, "ABCDEF") {
		return nil, errNotACursor
	}
	b, err := hex.DecodeString(s)
	if err != nil || b[0] != historyCursorVersion || b[1+8+wire.HashSize+16] > 1 {
		return nil, errNotACursor
	}
	var c historyCursor
	b = b[1:]
	copy(c.request[:], b)
	if c.request != want {
		return nil, errors.New("the cursor was given for another request (addresses, mempool and pagesize must be those of the first page)")
	}
	b = b[8:]
	copy(c.tip[:], b)
	b = b[wire.HashSize:]
	c.confirmed = binary.BigEndian.Uint64(b)
	c.page = binary.BigEndian.Uint64(b[8:])
	c.hasPlace = b[16] == 1
	b = b[17:]
	c.place.Height = binary.BigEndian.Uint64(b)
	copy(c.place.OutPoint.TxID[:], b[8:])
	c.place.OutPoint.Index = binary.BigEndian.Uint32(b[8+wire.HashSize:])
	return &c, nil
}
