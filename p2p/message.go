package p2p

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"powchain/proto/pb"
	"powchain/wire"
)

// ProtocolVersion is the version of this protocol a node speaks; peers
// below MinProtocolVersion are refused at the handshake.
const (
	ProtocolVersion    = 1
	MinProtocolVersion = 1
)

// Message list and field caps. The lists that carry chain data are derived
// from consensus limits so that anything a valid chain needs fits.
const (
	// MaxHeadersPerMsg is how many headers one headers message carries.
	MaxHeadersPerMsg = 2000
	// MaxInvPerMsg caps inv, getdata and notfound lists. It exceeds
	// wire.MaxTxPerBlock, so every transaction of a block fits one inv.
	MaxInvPerMsg = 50_000
	// MaxLocatorHashes caps a getheaders locator: ten single steps plus
	// doubling steps cover 2^64 blocks with room to spare.
	MaxLocatorHashes = 101
	// MaxAddrPerMsg caps an addr message.
	MaxAddrPerMsg = 1000
	// MaxUserAgentLen, MaxNetworkNameLen and MaxAddressLen cap strings.
	MaxUserAgentLen   = 256
	MaxNetworkNameLen = 64
	MaxAddressLen     = 255
	// MaxRejectReasonLen caps a reject's reason; longer reasons are cut.
	MaxRejectReasonLen = 256
	// MaxAnnounceHeaders caps an announce: a node announces at most this
	// many new blocks by header at once (more fall back to inv).
	MaxAnnounceHeaders = 8
)

// MsgType is the message type byte of a frame header. Values equal the
// field numbers of the Envelope oneof.
type MsgType uint8

// Message types.
const (
	TypeVersion     MsgType = 1
	TypeVerAck      MsgType = 2
	TypePing        MsgType = 3
	TypePong        MsgType = 4
	TypeInv         MsgType = 5
	TypeGetData     MsgType = 6
	TypeNotFound    MsgType = 7
	TypeTx          MsgType = 8
	TypeBlock       MsgType = 9
	TypeGetHeaders  MsgType = 10
	TypeHeaders     MsgType = 11
	TypeGetAddr     MsgType = 12
	TypeAddr        MsgType = 13
	TypeReject      MsgType = 14
	TypeSendHeaders MsgType = 15
	TypeAnnounce    MsgType = 16
	TypeSendCmpct   MsgType = 17
	TypeCmpctBlock  MsgType = 18
	TypeGetBlockTxn MsgType = 19
	TypeBlockTxn    MsgType = 20
)

var typeNames = [...]string{"", "version", "verack", "ping", "pong", "inv", "getdata", "notfound",
	"tx", "block", "getheaders", "headers", "getaddr", "addr", "reject",
	"sendheaders", "announce", "sendcmpct", "cmpctblock", "getblocktxn", "blocktxn"}

func (t MsgType) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Message is one decoded P2P message. Messages are values owned by whoever
// holds them; blocks and transactions inside are shared and never modified.
type Message interface {
	Type() MsgType
}

// MsgVersion opens the handshake.
type MsgVersion struct {
	Network         string
	Genesis         wire.Hash
	ProtocolVersion uint32
	BestHeight      uint64
	UserAgent       string
	ListenAddr      string
	Nonce           uint64
	Timestamp       int64
}

// MsgVerAck acknowledges a version.
type MsgVerAck struct{}

// MsgPing asks for a pong echoing Nonce.
type MsgPing struct{ Nonce uint64 }

// MsgPong answers a ping.
type MsgPong struct{ Nonce uint64 }

// InvType says what an InvVect names.
type InvType uint8

// Inventory types (values of the protobuf enum).
const (
	InvTx    InvType = 1
	InvBlock InvType = 2
	// InvCmpctBlock asks for a block as a compact block (getdata) and
	// says it cannot be served (notfound); never announced.
	InvCmpctBlock InvType = 3
)

// InvVect names a transaction or a block.
type InvVect struct {
	Type InvType
	Hash wire.Hash
}

// MsgInv announces inventory.
type MsgInv struct{ Items []InvVect }

// MsgGetData requests inventory.
type MsgGetData struct{ Items []InvVect }

// MsgNotFound lists requested inventory the sender cannot serve.
type MsgNotFound struct{ Items []InvVect }

// MsgTx carries a transaction.
type MsgTx struct{ Tx *wire.Tx }

// MsgBlock carries a block.
type MsgBlock struct{ Block *wire.Block }

// MsgStoredBlock is a block message served from the chain's store as it
// is: Encoded is the block's protobuf encoding (a Block, the message a
// block message's Envelope holds) as the chain stored it, so serving a
// block neither decodes nor re-encodes it. On the wire it is a block
// message and it is received as a MsgBlock. Hash is the block's id.
// Encoded may be the store's own bytes: it is never modified.
//
// The Core answers a request for a whole block with Encoded nil: a
// reference to the stored block, which the driver loads when the
// message's turn to be written comes (LoadStoredBlock: the Server's
// writer, the simulator when it sends), so a queued block costs its
// few dozen bytes (storedBlockRefSize), not its body, until it is
// written. Asked is the inventory type of the request it answers
// (InvBlock, or InvCmpctBlock for a compact request served whole): the
// notfound sent instead if the block can no longer be served carries it.
// A reference cannot be encoded (EncodeFrame fails).
type MsgStoredBlock struct {
	Hash    wire.Hash
	Encoded []byte
	Asked   InvType
}

// MsgGetHeaders asks for headers after the locator, up to Stop (zero: none).
type MsgGetHeaders struct {
	Locator []wire.Hash
	Stop    wire.Hash
}

// MsgHeaders carries consecutive headers.
type MsgHeaders struct{ Headers []wire.BlockHeader }

// MsgGetAddr asks for peer addresses.
type MsgGetAddr struct{}

// NetAddress is a peer address (host:port) and when it was last seen.
type NetAddress struct {
	Addr     string
	LastSeen int64
}

// MsgAddr carries peer addresses.
type MsgAddr struct{ Addrs []NetAddress }

// Reject codes.
const (
	RejectMalformed = 0x01
	RejectInvalid   = 0x10
	RejectObsolete  = 0x11
	RejectDuplicate = 0x12
	RejectPolicy    = 0x40
)

// MsgReject reports a refused message.
type MsgReject struct {
	Message string
	Code    uint32
	Reason  string
	Hash    wire.Hash
}

// MsgSendHeaders asks the peer to announce new blocks with announce
// rather than inv.
type MsgSendHeaders struct{}

// MsgAnnounce announces new blocks by their headers: consecutive headers,
// each the parent of the next, the last the sender's new best block.
type MsgAnnounce struct{ Headers []wire.BlockHeader }

// CompactVersion is the compact block version this node speaks.
const CompactVersion = 1

// MsgSendCmpct says the sender exchanges compact blocks of Version and
// whether it wants them pushed unasked (HighBandwidth).
type MsgSendCmpct struct {
	HighBandwidth bool
	Version       uint64
}

// ShortIDSize is the size of a short transaction id on the wire.
const ShortIDSize = 6

// PrefilledTx is a transaction sent whole in a compact block, with its
// index in the block.
type PrefilledTx struct {
	Index int
	Tx    *wire.Tx
}

// MsgCmpctBlock is a block as its header, the short ids (keyed by the
// header and Nonce, see newShortIDKey) of the transactions the receiver is
// expected to have, in block order, and the others whole. Prefilled
// indexes increase; the block has len(ShortIDs)+len(Prefilled)
// transactions, the short ids filling the indexes not prefilled.
type MsgCmpctBlock struct {
	Header    wire.BlockHeader
	Nonce     uint64
	ShortIDs  []uint64 // each below 2^48
	Prefilled []PrefilledTx
}

// MsgGetBlockTxn asks for the transactions of Block at Indexes
// (increasing).
type MsgGetBlockTxn struct {
	Block   wire.Hash
	Indexes []int
}

// MsgBlockTxn answers a getblocktxn with its transactions, in order.
type MsgBlockTxn struct {
	Block wire.Hash
	Txs   []*wire.Tx
}

// Type implementations.
func (*MsgVersion) Type() MsgType     { return TypeVersion }
func (*MsgVerAck) Type() MsgType      { return TypeVerAck }
func (*MsgPing) Type() MsgType        { return TypePing }
func (*MsgPong) Type() MsgType        { return TypePong }
func (*MsgInv) Type() MsgType         { return TypeInv }
func (*MsgGetData) Type() MsgType     { return TypeGetData }
func (*MsgNotFound) Type() MsgType    { return TypeNotFound }
func (*MsgTx) Type() MsgType          { return TypeTx }
func (*MsgBlock) Type() MsgType       { return TypeBlock }
func (*MsgStoredBlock) Type() MsgType { return TypeBlock }
func (*MsgGetHeaders) Type() MsgType  { return TypeGetHeaders }
func (*MsgHeaders) Type() MsgType     { return TypeHeaders }
func (*MsgGetAddr) Type() MsgType     { return TypeGetAddr }
func (*MsgAddr) Type() MsgType        { return TypeAddr }
func (*MsgReject) Type() MsgType      { return TypeReject }
func (*MsgSendHeaders) Type() MsgType { return TypeSendHeaders }
func (*MsgAnnounce) Type() MsgType    { return TypeAnnounce }
func (*MsgSendCmpct) Type() MsgType   { return TypeSendCmpct }
func (*MsgCmpctBlock) Type() MsgType  { return TypeCmpctBlock }
func (*MsgGetBlockTxn) Type() MsgType { return TypeGetBlockTxn }
func (*MsgBlockTxn) Type() MsgType    { return TypeBlockTxn }

// toEnvelope converts m to its protobuf form; block messages are encoded
// without one (frameParts).
func toEnvelope(m Message) *pb.Envelope {
	env := &pb.Envelope{}
	switch m := m.(type) {
	case *MsgVersion:
		env.Msg = &pb.Envelope_Version{Version: &pb.Version{
			Network: m.Network, GenesisHash: bytes.Clone(m.Genesis[:]), ProtocolVersion: m.ProtocolVersion,
			BestHeight: m.BestHeight, UserAgent: m.UserAgent, ListenAddress: m.ListenAddr,
			Nonce: m.Nonce, Timestamp: m.Timestamp,
		}}
	case *MsgVerAck:
		env.Msg = &pb.Envelope_Verack{Verack: &pb.VerAck{}}
	case *MsgPing:
		env.Msg = &pb.Envelope_Ping{Ping: &pb.Ping{Nonce: m.Nonce}}
	case *MsgPong:
		env.Msg = &pb.Envelope_Pong{Pong: &pb.Pong{Nonce: m.Nonce}}
	case *MsgInv:
		env.Msg = &pb.Envelope_Inv{Inv: invToProto(m.Items)}
	case *MsgGetData:
		env.Msg = &pb.Envelope_Getdata{Getdata: invToProto(m.Items)}
	case *MsgNotFound:
		env.Msg = &pb.Envelope_Notfound{Notfound: invToProto(m.Items)}
	case *MsgTx:
		env.Msg = &pb.Envelope_Tx{Tx: wire.TxToProto(m.Tx)}
	case *MsgGetHeaders:
		gh := &pb.GetHeaders{Stop: bytes.Clone(m.Stop[:])}
		for _, h := range m.Locator {
			gh.Locator = append(gh.Locator, bytes.Clone(h[:]))
		}
		env.Msg = &pb.Envelope_Getheaders{Getheaders: gh}
	case *MsgHeaders:
		env.Msg = &pb.Envelope_Headers{Headers: headersToProto(m.Headers)}
	case *MsgSendHeaders:
		env.Msg = &pb.Envelope_Sendheaders{Sendheaders: &pb.SendHeaders{}}
	case *MsgAnnounce:
		env.Msg = &pb.Envelope_Announce{Announce: headersToProto(m.Headers)}
	case *MsgSendCmpct:
		env.Msg = &pb.Envelope_Sendcmpct{Sendcmpct: &pb.SendCompact{HighBandwidth: m.HighBandwidth, Version: m.Version}}
	case *MsgCmpctBlock:
		env.Msg = &pb.Envelope_Cmpctblock{Cmpctblock: cmpctBlockToProto(m)}
	case *MsgGetBlockTxn:
		env.Msg = &pb.Envelope_Getblocktxn{Getblocktxn: &pb.GetBlockTxn{
			BlockHash: bytes.Clone(m.Block[:]), IndexDeltas: deltaEncode(m.Indexes)}}
	case *MsgBlockTxn:
		bt := &pb.BlockTxn{BlockHash: bytes.Clone(m.Block[:]), Txs: make([]*pb.Tx, len(m.Txs))}
		for i, tx := range m.Txs {
			bt.Txs[i] = wire.TxToProto(tx)
		}
		env.Msg = &pb.Envelope_Blocktxn{Blocktxn: bt}
	case *MsgGetAddr:
		env.Msg = &pb.Envelope_Getaddr{Getaddr: &pb.GetAddr{}}
	case *MsgAddr:
		a := &pb.Addr{Addresses: make([]*pb.NetAddress, len(m.Addrs))}
		for i, na := range m.Addrs {
			a.Addresses[i] = &pb.NetAddress{Address: na.Addr, LastSeen: na.LastSeen}
		}
		env.Msg = &pb.Envelope_Addr{Addr: a}
	case *MsgReject:
		r := &pb.Reject{Message: m.Message, Code: m.Code, Reason: m.Reason}
		if !m.Hash.IsZero() {
			r.Hash = bytes.Clone(m.Hash[:])
		}
		env.Msg = &pb.Envelope_Reject{Reject: r}
	}
	return env
}

func headersToProto(headers []wire.BlockHeader) *pb.Headers {
	hs := &pb.Headers{Headers: make([]*pb.BlockHeader, len(headers))}
	for i := range headers {
		hs.Headers[i] = wire.HeaderToProto(&headers[i])
	}
	return hs
}

func invToProto(items []InvVect) *pb.Inventory {
	inv := &pb.Inventory{Items: make([]*pb.InvVector, len(items))}
	for i, iv := range items {
		inv.Items[i] = &pb.InvVector{Type: pb.InvType(iv.Type), Hash: bytes.Clone(iv.Hash[:])}
	}
	return inv
}

// fromEnvelope converts and checks env, which the frame header said holds
// a message of type t. Every list is checked against its cap before
// anything is allocated for it.
func fromEnvelope(t MsgType, env *pb.Envelope) (Message, error) {
	switch t {
	case TypeVersion:
		return versionFromProto(env.GetVersion())
	case TypeVerAck:
		return present(env.GetVerack(), &MsgVerAck{})
	case TypePing:
		return present(env.GetPing(), &MsgPing{Nonce: env.GetPing().GetNonce()})
	case TypePong:
		return present(env.GetPong(), &MsgPong{Nonce: env.GetPong().GetNonce()})
	case TypeInv:
		items, err := invFromProto(env.GetInv(), false)
		return &MsgInv{Items: items}, err
	case TypeGetData:
		items, err := invFromProto(env.GetGetdata(), true)
		return &MsgGetData{Items: items}, err
	case TypeNotFound:
		items, err := invFromProto(env.GetNotfound(), true)
		return &MsgNotFound{Items: items}, err
	case TypeSendCmpct:
		return present(env.GetSendcmpct(), &MsgSendCmpct{
			HighBandwidth: env.GetSendcmpct().GetHighBandwidth(), Version: env.GetSendcmpct().GetVersion()})
	case TypeCmpctBlock:
		return cmpctBlockFromProto(env.GetCmpctblock())
	case TypeGetBlockTxn:
		return getBlockTxnFromProto(env.GetGetblocktxn())
	case TypeBlockTxn:
		return blockTxnFromProto(env.GetBlocktxn())
	case TypeTx:
		tx, err := wire.TxFromProto(env.GetTx())
		return &MsgTx{Tx: tx}, err
	case TypeBlock:
		b, err := wire.BlockFromProto(env.GetBlock())
		return &MsgBlock{Block: b}, err
	case TypeGetHeaders:
		return getHeadersFromProto(env.GetGetheaders())
	case TypeHeaders:
		hs, err := headersFromProto(env.GetHeaders(), MaxHeadersPerMsg)
		return &MsgHeaders{Headers: hs}, err
	case TypeSendHeaders:
		return present(env.GetSendheaders(), &MsgSendHeaders{})
	case TypeAnnounce:
		hs, err := headersFromProto(env.GetAnnounce(), MaxAnnounceHeaders)
		if err == nil && len(hs) == 0 {
			err = fmt.Errorf("announce has no headers")
		}
		return &MsgAnnounce{Headers: hs}, err
	case TypeGetAddr:
		return present(env.GetGetaddr(), &MsgGetAddr{})
	case TypeAddr:
		return addrFromProto(env.GetAddr())
	case TypeReject:
		return rejectFromProto(env.GetReject())
	}
	return nil, fmt.Errorf("unknown message type %d", t)
}

// present returns m if the envelope held its protobuf message p.
func present[P comparable](p P, m Message) (Message, error) {
	var zero P
	if p == zero {
		return nil, fmt.Errorf("envelope does not hold a %s", m.Type())
	}
	return m, nil
}

func hashFromBytes(b []byte, what string) (wire.Hash, error) {
	var h wire.Hash
	if len(b) != wire.HashSize {
		return h, fmt.Errorf("%s must be %d bytes, got %d", what, wire.HashSize, len(b))
	}
	copy(h[:], b)
	return h, nil
}

func versionFromProto(v *pb.Version) (Message, error) {
	if v == nil {
		return nil, fmt.Errorf("envelope does not hold a version")
	}
	switch {
	case len(v.GetNetwork()) > MaxNetworkNameLen:
		return nil, fmt.Errorf("network name longer than %d bytes", MaxNetworkNameLen)
	case len(v.GetUserAgent()) > MaxUserAgentLen:
		return nil, fmt.Errorf("user agent longer than %d bytes", MaxUserAgentLen)
	case len(v.GetListenAddress()) > MaxAddressLen:
		return nil, fmt.Errorf("listen address longer than %d bytes", MaxAddressLen)
	}
	g, err := hashFromBytes(v.GetGenesisHash(), "genesis hash")
	if err != nil {
		return nil, err
	}
	return &MsgVersion{
		Network: v.GetNetwork(), Genesis: g, ProtocolVersion: v.GetProtocolVersion(),
		BestHeight: v.GetBestHeight(), UserAgent: v.GetUserAgent(), ListenAddr: v.GetListenAddress(),
		Nonce: v.GetNonce(), Timestamp: v.GetTimestamp(),
	}, nil
}

// invFromProto converts an inventory; compact says whether
// INV_TYPE_CMPCT_BLOCK may appear (getdata, notfound) or not (inv).
func invFromProto(inv *pb.Inventory, compact bool) ([]InvVect, error) {
	if inv == nil {
		return nil, fmt.Errorf("envelope does not hold an inventory")
	}
	if len(inv.GetItems()) > MaxInvPerMsg {
		return nil, fmt.Errorf("inventory has %d items, limit %d", len(inv.GetItems()), MaxInvPerMsg)
	}
	items := make([]InvVect, len(inv.GetItems()))
	for i, it := range inv.GetItems() {
		t := InvType(it.GetType())
		if t != InvTx && t != InvBlock && (t != InvCmpctBlock || !compact) {
			return nil, fmt.Errorf("inventory item %d has unknown type %d", i, it.GetType())
		}
		h, err := hashFromBytes(it.GetHash(), "inventory hash")
		if err != nil {
			return nil, err
		}
		items[i] = InvVect{Type: t, Hash: h}
	}
	return items, nil
}

func getHeadersFromProto(gh *pb.GetHeaders) (Message, error) {
	if gh == nil {
		return nil, fmt.Errorf("envelope does not hold a getheaders")
	}
	if len(gh.GetLocator()) > MaxLocatorHashes {
		return nil, fmt.Errorf("locator has %d hashes, limit %d", len(gh.GetLocator()), MaxLocatorHashes)
	}
	m := &MsgGetHeaders{Locator: make([]wire.Hash, len(gh.GetLocator()))}
	for i, b := range gh.GetLocator() {
		h, err := hashFromBytes(b, "locator hash")
		if err != nil {
			return nil, err
		}
		m.Locator[i] = h
	}
	if len(gh.GetStop()) > 0 {
		stop, err := hashFromBytes(gh.GetStop(), "stop hash")
		if err != nil {
			return nil, err
		}
		m.Stop = stop
	}
	return m, nil
}

// headersFromProto converts the headers of a headers or announce message,
// at most max of them.
func headersFromProto(hs *pb.Headers, max int) ([]wire.BlockHeader, error) {
	if hs == nil {
		return nil, fmt.Errorf("envelope does not hold headers")
	}
	if len(hs.GetHeaders()) > max {
		return nil, fmt.Errorf("message has %d headers, limit %d", len(hs.GetHeaders()), max)
	}
	out := make([]wire.BlockHeader, len(hs.GetHeaders()))
	for i, h := range hs.GetHeaders() {
		var err error
		if out[i], err = wire.HeaderFromProto(h); err != nil {
			return nil, fmt.Errorf("header %d: %w", i, err)
		}
	}
	return out, nil
}

func addrFromProto(a *pb.Addr) (Message, error) {
	if a == nil {
		return nil, fmt.Errorf("envelope does not hold an addr")
	}
	if len(a.GetAddresses()) > MaxAddrPerMsg {
		return nil, fmt.Errorf("addr has %d addresses, limit %d", len(a.GetAddresses()), MaxAddrPerMsg)
	}
	m := &MsgAddr{Addrs: make([]NetAddress, len(a.GetAddresses()))}
	for i, na := range a.GetAddresses() {
		if len(na.GetAddress()) > MaxAddressLen {
			return nil, fmt.Errorf("address %d longer than %d bytes", i, MaxAddressLen)
		}
		m.Addrs[i] = NetAddress{Addr: na.GetAddress(), LastSeen: na.GetLastSeen()}
	}
	return m, nil
}

func rejectFromProto(r *pb.Reject) (Message, error) {
	if r == nil {
		return nil, fmt.Errorf("envelope does not hold a reject")
	}
	if len(r.GetMessage()) > 16 || len(r.GetReason()) > MaxRejectReasonLen {
		return nil, fmt.Errorf("reject message or reason too long")
	}
	m := &MsgReject{Message: r.GetMessage(), Code: r.GetCode(), Reason: r.GetReason()}
	if len(r.GetHash()) > 0 {
		h, err := hashFromBytes(r.GetHash(), "reject hash")
		if err != nil {
			return nil, err
		}
		m.Hash = h
	}
	return m, nil
}

// maxBlockTxBytes is the most canonical bytes the transactions of a valid
// block take: the block size less the header and the transaction count.
const maxBlockTxBytes = wire.MaxBlockSize - wire.HeaderSize - 4

// deltaEncode writes increasing indexes as differences: each index less
// the previous one plus one (the first as is).
func deltaEncode(indexes []int) []uint32 {
	out := make([]uint32, len(indexes))
	next := 0
	for i, idx := range indexes {
		out[i] = uint32(idx - next)
		next = idx + 1
	}
	return out
}

// deltaDecode reverses deltaEncode; every index must be below limit.
func deltaDecode(deltas []uint32, limit int) ([]int, error) {
	out := make([]int, len(deltas))
	next := 0
	for i, d := range deltas {
		idx := int64(next) + int64(d)
		if idx >= int64(limit) {
			return nil, fmt.Errorf("index %d out of range (limit %d)", idx, limit)
		}
		out[i] = int(idx)
		next = int(idx) + 1
	}
	return out, nil
}

func cmpctBlockToProto(m *MsgCmpctBlock) *pb.CompactBlock {
	cb := &pb.CompactBlock{Header: wire.HeaderToProto(&m.Header), Nonce: m.Nonce,
		ShortIds: make([]byte, 0, len(m.ShortIDs)*ShortIDSize)}
	for _, id := range m.ShortIDs {
		cb.ShortIds = binary.LittleEndian.AppendUint64(cb.ShortIds, id)[:len(cb.ShortIds)+ShortIDSize]
	}
	indexes := make([]int, len(m.Prefilled))
	for i, pt := range m.Prefilled {
		indexes[i] = pt.Index
	}
	for i, d := range deltaEncode(indexes) {
		cb.Prefilled = append(cb.Prefilled, &pb.PrefilledTx{IndexDelta: d, Tx: wire.TxToProto(m.Prefilled[i].Tx)})
	}
	return cb
}

// cmpctBlockFromProto converts a compact block: a header, whole 6-byte
// short ids, and prefilled transactions at increasing indexes inside the
// block, which has between 1 and MaxTxPerBlock transactions whose
// prefilled part fits a block.
func cmpctBlockFromProto(cb *pb.CompactBlock) (Message, error) {
	if cb == nil {
		return nil, fmt.Errorf("envelope does not hold a compact block")
	}
	hdr, err := wire.HeaderFromProto(cb.GetHeader())
	if err != nil {
		return nil, err
	}
	ids, pre := cb.GetShortIds(), cb.GetPrefilled()
	if len(ids)%ShortIDSize != 0 {
		return nil, fmt.Errorf("short ids take %d bytes, not a multiple of %d", len(ids), ShortIDSize)
	}
	total := len(ids)/ShortIDSize + len(pre)
	if total == 0 || total > wire.MaxTxPerBlock {
		return nil, fmt.Errorf("compact block has %d transactions, want 1 to %d", total, wire.MaxTxPerBlock)
	}
	m := &MsgCmpctBlock{Header: hdr, Nonce: cb.GetNonce(), ShortIDs: make([]uint64, len(ids)/ShortIDSize),
		Prefilled: make([]PrefilledTx, len(pre))}
	for i := range m.ShortIDs {
		var b [8]byte
		copy(b[:], ids[i*ShortIDSize:(i+1)*ShortIDSize])
		m.ShortIDs[i] = binary.LittleEndian.Uint64(b[:])
	}
	deltas := make([]uint32, len(pre))
	for i, pt := range pre {
		deltas[i] = pt.GetIndexDelta()
	}
	indexes, err := deltaDecode(deltas, total)
	if err != nil {
		return nil, fmt.Errorf("prefilled transaction: %w", err)
	}
	size := 0
	for i, pt := range pre {
		tx, err := wire.TxFromProto(pt.GetTx())
		if err != nil {
			return nil, fmt.Errorf("prefilled transaction %d: %w", i, err)
		}
		if size += tx.SerializeSize(); size > maxBlockTxBytes {
			return nil, fmt.Errorf("prefilled transactions exceed the block size")
		}
		m.Prefilled[i] = PrefilledTx{Index: indexes[i], Tx: tx}
	}
	return m, nil
}

func getBlockTxnFromProto(g *pb.GetBlockTxn) (Message, error) {
	if g == nil {
		return nil, fmt.Errorf("envelope does not hold a getblocktxn")
	}
	if len(g.GetIndexDeltas()) > wire.MaxTxPerBlock {
		return nil, fmt.Errorf("getblocktxn has %d indexes, limit %d", len(g.GetIndexDeltas()), wire.MaxTxPerBlock)
	}
	h, err := hashFromBytes(g.GetBlockHash(), "block hash")
	if err != nil {
		return nil, err
	}
	indexes, err := deltaDecode(g.GetIndexDeltas(), wire.MaxTxPerBlock)
	if err != nil {
		return nil, err
	}
	return &MsgGetBlockTxn{Block: h, Indexes: indexes}, nil
}

func blockTxnFromProto(bt *pb.BlockTxn) (Message, error) {
	if bt == nil {
		return nil, fmt.Errorf("envelope does not hold a blocktxn")
	}
	if len(bt.GetTxs()) > wire.MaxTxPerBlock {
		return nil, fmt.Errorf("blocktxn has %d transactions, limit %d", len(bt.GetTxs()), wire.MaxTxPerBlock)
	}
	h, err := hashFromBytes(bt.GetBlockHash(), "block hash")
	if err != nil {
		return nil, err
	}
	m := &MsgBlockTxn{Block: h, Txs: make([]*wire.Tx, len(bt.GetTxs()))}
	size := 0
	for i, t := range bt.GetTxs() {
		if m.Txs[i], err = wire.TxFromProto(t); err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
		if size += m.Txs[i].SerializeSize(); size > maxBlockTxBytes {
			return nil, fmt.Errorf("blocktxn transactions exceed the block size")
		}
	}
	return m, nil
}
