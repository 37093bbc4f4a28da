package rpc

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// UnmarshalJSON decodes a getaddresshistory result as encoding/json
// decodes its fields, faster for the form the node writes. A wallet
// decodes its whole history at every command (a miner's, after a day of
// the local network, is 86,400 entries in 87 pages of 360 kB), and
// reflection took most of that time. Text in exactly the node's form (the
// fields in order, no spaces, strings of printable ASCII without escapes,
// plain numbers) decoded into an empty AddressHistory is read directly;
// anything else, and any other destination, goes to encoding/json, so the
// outcome is always encoding/json's (TestAddressHistoryDecodeAsJSON,
// FuzzAddressHistoryDecode).
func (h *AddressHistory) UnmarshalJSON(data []byte) error {
	if h.isZero() {
		d := historyDecoder{data: data, ok: true}
		if v := d.history(); d.ok && d.pos == len(data) {
			*h = v
			return nil
		}
	}
	return json.Unmarshal(data, (*addressHistoryFields)(h))
}

// decodeHistoryResponse decodes a whole response in the node's form,
// {"jsonrpc":"2.0","id":N,"result":R} with R in the form UnmarshalJSON
// reads directly, into h, which must be empty; false (and h untouched)
// for any other text. Such a response is a valid JSON-RPC response
// without an error, whose result decodes to what UnmarshalJSON gives, so
// Call's answer is the same; it only skips encoding/json's pass over the
// whole envelope (validating it, then finding where the result ends),
// which cost more than decoding the result.
func decodeHistoryResponse(raw []byte, h *AddressHistory) bool {
	rest, ok := bytes.CutPrefix(raw, []byte(`{"jsonrpc":"2.0","id":`))
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	if !ok || digits == 0 || (rest[0] == '0' && digits > 1) || !h.isZero() {
		return false
	}
	rest, ok = bytes.CutPrefix(rest[digits:], []byte(`,"result":`))
	if !ok {
		return false
	}
	rest, ok = bytes.CutSuffix(bytes.TrimRight(rest, " \t\r\n"), []byte("}"))
	if !ok {
		return false
	}
	d := historyDecoder{data: rest, ok: true}
	if v := d.history(); d.ok && d.pos == len(rest) {
		*h = v
		return true
	}
	return false
}

// addressHistoryFields is AddressHistory without its UnmarshalJSON.
type addressHistoryFields AddressHistory

func (h *AddressHistory) isZero() bool {
	return h.BestBlock == "" && h.Height == 0 && h.Page == 0 && h.PageSize == 0 && h.Pages == 0 &&
		h.Total == 0 && h.Entries == nil && h.Next == "" && h.Changed == nil
}

// historyDecoder reads the node's form of a getaddresshistory result; ok
// turns false at the first byte that is not in that form.
type historyDecoder struct {
	data []byte
	pos  int
	ok   bool
}

// lit consumes s, if it comes next.
func (d *historyDecoder) lit(s string) bool {
	if d.ok && len(d.data)-d.pos >= len(s) && string(d.data[d.pos:d.pos+len(s)]) == s {
		d.pos += len(s)
		return true
	}
	return false
}

// want consumes s, which must come next.
func (d *historyDecoder) want(s string) {
	if !d.lit(s) {
		d.ok = false
	}
}

// str reads a string of printable ASCII without escapes (which is what
// it decodes to).
func (d *historyDecoder) str() string {
	d.want(`"`)
	if !d.ok {
		return ""
	}
	start := d.pos
	for ; d.pos < len(d.data); d.pos++ {
		switch c := d.data[d.pos]; {
		case c == '"':
			s := string(d.data[start:d.pos])
			d.pos++
			return s
		case c < 0x20 || c > 0x7e || c == '\\':
			d.ok = false
			return ""
		}
	}
	d.ok = false
	return ""
}

// uint reads a JSON integer that fits in max.
func (d *historyDecoder) uint(max uint64) uint64 {
	if !d.ok || d.pos >= len(d.data) {
		d.ok = false
		return 0
	}
	if d.data[d.pos] == '0' {
		d.pos++
		return 0
	}
	var v uint64
	start := d.pos
	for ; d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9'; d.pos++ {
		digit := uint64(d.data[d.pos] - '0')
		if v > (max-digit)/10 {
			d.ok = false
			return 0
		}
		v = v*10 + digit
	}
	if d.pos == start {
		d.ok = false
	}
	return v
}

// int reads a JSON integer that fits in an int64.
func (d *historyDecoder) int() int64 {
	if d.lit("-") {
		v := d.uint(1 << 63)
		return int64(-v) // -(1<<63) wraps to itself: math.MinInt64
	}
	return int64(d.uint(math.MaxInt64))
}

func (d *historyDecoder) bool() bool {
	if d.lit("true") {
		return true
	}
	d.want("false")
	return false
}

// amount reads a number of the form digits[.digits] as Amount's
// UnmarshalJSON reads it.
func (d *historyDecoder) amount() Amount {
	if !d.ok {
		return 0
	}
	start := d.pos
	d.uint(math.MaxUint64)
	if d.lit(".") {
		digits := d.pos
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
		}
		if d.pos == digits {
			d.ok = false
		}
	}
	if !d.ok {
		return 0
	}
	var a Amount
	if err := a.UnmarshalJSON(d.data[start:d.pos]); err != nil {
		d.ok = false // encoding/json says why
	}
	return a
}

func (d *historyDecoder) history() AddressHistory {
	var h AddressHistory
	d.want(`{"bestblock":`)
	h.BestBlock = d.str()
	d.want(`,"height":`)
	h.Height = d.uint(math.MaxUint64)
	d.want(`,"page":`)
	h.Page = d.uint(math.MaxUint64)
	d.want(`,"pagesize":`)
	h.PageSize = d.uint(math.MaxUint64)
	d.want(`,"pages":`)
	h.Pages = d.uint(math.MaxUint64)
	d.want(`,"total":`)
	h.Total = d.uint(math.MaxUint64)
	d.want(`,"entries":`)
	h.Entries = d.entries()
	if d.lit(`,"next":`) {
		h.Next = d.str()
	}
	if d.lit(`,"changed":`) {
		changed := d.entries()
		h.Changed = &changed
	}
	d.want(`}`)
	return h
}

// entries reads a list of entries (never null: a nil list is left to
// encoding/json); an empty list is empty, not nil, as encoding/json has
// it.
func (d *historyDecoder) entries() []AddressHistoryEntry {
	d.want("[")
	entries := []AddressHistoryEntry{}
	if d.lit("]") {
		return entries
	}
	for d.ok {
		entries = append(entries, d.entry())
		if !d.lit(",") {
			break
		}
	}
	d.want("]")
	return entries
}

func (d *historyDecoder) entry() AddressHistoryEntry {
	var e AddressHistoryEntry
	d.want(`{"address":`)
	e.Address = d.str()
	d.want(`,"txid":`)
	e.TxID = d.str()
	d.want(`,"outputIndex":`)
	e.OutputIndex = uint32(d.uint(math.MaxUint32))
	d.want(`,"amount":`)
	e.Amount = d.amount()
	d.want(`,"height":`)
	e.Height = d.uint(math.MaxUint64)
	e.BlockHash, e.Time = d.block()
	d.want(`,"confirmations":`)
	e.Confirmations = d.uint(math.MaxUint64)
	d.want(`,"coinbase":`)
	e.Coinbase = d.bool()
	d.want(`,"mature":`)
	e.Mature = d.bool()
	d.want(`,"mempool":`)
	e.Mempool = d.bool()
	d.want(`,"spent":`)
	if !d.lit("null") {
		s := new(AddressSpend)
		d.want(`{"txid":`)
		s.TxID = d.str()
		d.want(`,"input":`)
		s.Input = uint32(d.uint(math.MaxUint32))
		d.want(`,"height":`)
		s.Height = d.uint(math.MaxUint64)
		s.BlockHash, s.Time = d.block()
		d.want(`,"mempool":`)
		s.Mempool = d.bool()
		d.want(`}`)
		e.Spent = s
	}
	d.want(`}`)
	return e
}

// block reads the optional fields blockhash and time.
func (d *historyDecoder) block() (hash string, time int64) {
	if d.lit(`,"blockhash":`) {
		hash = d.str()
	}
	if d.lit(`,"time":`) {
		time = d.int()
	}
	return hash, time
}

// AppendJSON appends the JSON of h to b: byte for byte what
// json.Marshal(h) gives (TestAddressHistoryJSONAsMarshal), written without
// reflection. The node writes getaddresshistory's answer with it: a page
// of 1,000 entries is 360 kB, and a wallet reads its whole history at
// every command (a miner's, after a day of the local network, is 87
// pages).
func (h *AddressHistory) AppendJSON(b []byte) []byte {
	b = append(b, `{"bestblock":`...)
	b = appendJSONString(b, h.BestBlock)
	b = appendUintField(b, `,"height":`, h.Height)
	b = appendUintField(b, `,"page":`, h.Page)
	b = appendUintField(b, `,"pagesize":`, h.PageSize)
	b = appendUintField(b, `,"pages":`, h.Pages)
	b = appendUintField(b, `,"total":`, h.Total)
	b = append(b, `,"entries":`...)
	b = appendHistoryEntries(b, h.Entries)
	if h.Next != "" {
		b = append(b, `,"next":`...)
		b = appendJSONString(b, h.Next)
	}
	if h.Changed != nil {
		b = append(b, `,"changed":`...)
		b = appendHistoryEntries(b, *h.Changed)
	}
	return append(b, '}')
}

// appendHistoryEntries appends the JSON array of entries (null when nil,
// as json.Marshal).
func appendHistoryEntries(b []byte, entries []AddressHistoryEntry) []byte {
	if entries == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHistoryEntry(b, &entries[i])
	}
	return append(b, ']')
}

func appendHistoryEntry(b []byte, e *AddressHistoryEntry) []byte {
	b = append(b, `{"address":`...)
	b = appendJSONString(b, e.Address)
	b = append(b, `,"txid":`...)
	b = appendJSONString(b, e.TxID)
	b = appendUintField(b, `,"outputIndex":`, uint64(e.OutputIndex))
	b = AppendCoins(append(b, `,"amount":`...), uint64(e.Amount))
	b = appendUintField(b, `,"height":`, e.Height)
	b = appendBlock(b, e.BlockHash, e.Time)
	b = appendUintField(b, `,"confirmations":`, e.Confirmations)
	b = appendBoolField(b, `,"coinbase":`, e.Coinbase)
	b = appendBoolField(b, `,"mature":`, e.Mature)
	b = appendBoolField(b, `,"mempool":`, e.Mempool)
	b = append(b, `,"spent":`...)
	if s := e.Spent; s == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"txid":`...)
		b = appendJSONString(b, s.TxID)
		b = appendUintField(b, `,"input":`, uint64(s.Input))
		b = appendUintField(b, `,"height":`, s.Height)
		b = appendBlock(b, s.BlockHash, s.Time)
		b = appendBoolField(b, `,"mempool":`, s.Mempool)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendBlock appends the fields blockhash and time, each omitted when
// empty (omitempty).
func appendBlock(b []byte, hash string, time int64) []byte {
	if hash != "" {
		b = append(b, `,"blockhash":`...)
		b = appendJSONString(b, hash)
	}
	if time != 0 {
		b = strconv.AppendInt(append(b, `,"time":`...), time, 10)
	}
	return b
}

func appendUintField(b []byte, name string, v uint64) []byte {
	return strconv.AppendUint(append(b, name...), v, 10)
}

func appendBoolField(b []byte, name string, v bool) []byte {
	return strconv.AppendBool(append(b, name...), v)
}

// appendJSONString appends s as json.Marshal writes a string: as it is
// between quotes when it holds only printable ASCII that needs no escape
// (hex, addresses, cursors), through json.Marshal otherwise.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string: cannot fail
			return append(b, q...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}
