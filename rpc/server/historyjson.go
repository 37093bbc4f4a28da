package server

import (
	"encoding/json"
	"strconv"

	"powchain/rpc"
)

// appendAddressHistory appends the JSON of h to b: byte for byte what
// json.Marshal(h) gives (TestAddressHistoryJSONAsMarshal), written without
// reflection. A getaddresshistory page of 1,000 entries is 360 kB, and a
// wallet reads its whole history at every command (a miner's, after a
// day of the local network, is 87 pages).
func appendAddressHistory(b []byte, h *rpc.AddressHistory) []byte {
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
func appendHistoryEntries(b []byte, entries []rpc.AddressHistoryEntry) []byte {
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

func appendHistoryEntry(b []byte, e *rpc.AddressHistoryEntry) []byte {
	b = append(b, `{"address":`...)
	b = appendJSONString(b, e.Address)
	b = append(b, `,"txid":`...)
	b = appendJSONString(b, e.TxID)
	b = appendUintField(b, `,"outputIndex":`, uint64(e.OutputIndex))
	b = rpc.AppendCoins(append(b, `,"amount":`...), uint64(e.Amount))
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
