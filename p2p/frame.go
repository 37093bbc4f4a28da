package p2p

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"powchain/proto/pb"
	"powchain/wire"
)

// A frame is
//
//	magic [4]byte | type uint8 | length uint32 (little-endian) | payload [length]byte
//
// where the payload is a protobuf Envelope holding the message of that type.
// The length is checked against the type's maximum before any of the
// payload is read.
const FrameHeaderSize = 4 + 1 + 4

// protoOverhead bounds protobuf's expansion of the canonical encoding: an
// output (28 canonical bytes) takes at most 35, every other element less
// than 5/4 of its canonical size, and nesting adds at most 4 bytes at the
// top. So anything that fits a valid block fits its message.
func protoOverhead(canonical int) int { return canonical + canonical/4 + 64 }

// maxPayload is the largest payload each message type may have. Every
// bound follows from the list caps above and the consensus size limits.
var maxPayload = [...]int{
	TypeVersion:     1024,
	TypeVerAck:      16,
	TypePing:        32,
	TypePong:        32,
	TypeInv:         MaxInvPerMsg*38 + 16,
	TypeGetData:     MaxInvPerMsg*38 + 16,
	TypeNotFound:    MaxInvPerMsg*38 + 16,
	TypeTx:          protoOverhead(wire.MaxTxSize),
	TypeBlock:       protoOverhead(wire.MaxBlockSize),
	TypeGetHeaders:  (MaxLocatorHashes+1)*34 + 16,
	TypeHeaders:     MaxHeadersPerMsg*99 + 16,
	TypeGetAddr:     16,
	TypeAddr:        MaxAddrPerMsg*(3+MaxAddressLen+11+3) + 16,
	TypeReject:      512,
	TypeSendHeaders: 16,
	TypeAnnounce:    MaxAnnounceHeaders*99 + 16,
	TypeSendCmpct:   32,
	// A compact block: a header, a short id per transaction, and at most a
	// block's worth of prefilled transactions, each with its index.
	TypeCmpctBlock:  protoOverhead(maxBlockTxBytes) + wire.MaxTxPerBlock*(ShortIDSize+16) + 256,
	TypeGetBlockTxn: wire.MaxTxPerBlock*5 + 64,
	TypeBlockTxn:    protoOverhead(maxBlockTxBytes) + 64,
}

// MaxPayload returns the largest payload a message of type t may have, or
// 0 if t is not a message type.
func MaxPayload(t MsgType) int {
	if int(t) >= len(maxPayload) {
		return 0
	}
	return maxPayload[t]
}

// ProtocolError is a violation of the protocol by the remote side: the
// connection cannot continue. Ban says whether it proves misbehaviour (a
// node of another network merely speaks another magic).
type ProtocolError struct {
	Reason string
	Ban    bool
}

func (e *ProtocolError) Error() string { return e.Reason }

func violation(ban bool, format string, args ...any) *ProtocolError {
	return &ProtocolError{Reason: fmt.Sprintf(format, args...), Ban: ban}
}

// frameHeader is a decoded frame header.
type frameHeader struct {
	typ    MsgType
	length int
}

// parseFrameHeader checks magic, type and length.
func parseFrameHeader(b []byte, magic [4]byte) (frameHeader, error) {
	if !bytes.Equal(b[:4], magic[:]) {
		return frameHeader{}, violation(false, "wrong network magic %x", b[:4])
	}
	h := frameHeader{typ: MsgType(b[4]), length: int(binary.LittleEndian.Uint32(b[5:9]))}
	max := MaxPayload(h.typ)
	if max == 0 {
		return h, violation(true, "unknown message type %d", b[4])
	}
	if h.length > max {
		return h, violation(true, "%s payload of %d bytes exceeds %d", h.typ, h.length, max)
	}
	return h, nil
}

// decodePayload unmarshals and converts a payload of type t: a canonical
// block straight into its domain type, anything else through protobuf
// once its lists are known to be within their caps (checkListElements).
func decodePayload(t MsgType, payload []byte) (Message, error) {
	if t == TypeBlock {
		if b := decodeBlockPayload(payload); b != nil {
			return &MsgBlock{Block: b}, nil
		}
	}
	if err := checkListElements(t, payload); err != nil {
		return nil, err
	}
	return decodeEnvelope(t, payload)
}

// maxTxListElements is the most list elements a message carrying
// transactions (tx, block, blocktxn, cmpctblock) may hold: a block's worth
// of transactions, or of prefilled transactions, each counting one, and
// their inputs and outputs, each taking at least wire.TxOutSize of the
// block's canonical bytes. Whatever the list caps and wire's size limits
// let through is within it.
const maxTxListElements = wire.MaxTxPerBlock + maxBlockTxBytes/wire.TxOutSize

// maxListElements is the most elements the lists of messages (repeated
// message fields, at any depth) of a payload of type t may hold in all.
func maxListElements(t MsgType) int {
	switch t {
	case TypeInv, TypeGetData, TypeNotFound:
		return MaxInvPerMsg
	case TypeHeaders:
		return MaxHeadersPerMsg
	case TypeAnnounce:
		return MaxAnnounceHeaders
	case TypeAddr:
		return MaxAddrPerMsg
	case TypeTx, TypeBlock, TypeBlockTxn, TypeCmpctBlock:
		return maxTxListElements
	}
	return 0
}

// checkListElements counts, on the wire, the elements of the repeated
// message fields of a payload of type t and refuses it if they exceed
// maxListElements(t), before protobuf allocates anything: proto.Unmarshal
// builds every element before the list caps can be checked, and an empty
// element takes 2 bytes on the wire but about a hundred in memory, so an
// inv frame of 950,000 empty items cost 121 MB to refuse. The other lists
// (locator hashes, getblocktxn indexes, short ids) are scalars or bytes in
// payloads of at most 29 KB. A payload that does not parse is left to
// protobuf, which refuses it with its own error, having built no more
// elements than were counted before the fault.
func checkListElements(t MsgType, payload []byte) error {
	env := (*pb.Envelope)(nil).ProtoReflect().Descriptor().Fields()
	var shapes [len(maxPayload)]*listShape // by Envelope field, built when met
	n, limit := 0, maxListElements(t)
	for b := payload; len(b) > 0; {
		num, body, rest, ok := nextField(b)
		if !ok {
			return nil
		}
		b = rest
		if body == nil || int(num) >= len(shapes) || env.ByNumber(num) == nil {
			continue
		}
		if shapes[num] == nil {
			shapes[num] = listShapeOf(env.ByNumber(num).Message())
		}
		if !shapes[num].count(body, &n, limit) {
			break
		}
	}
	if n > limit {
		return violation(true, "malformed %s: its lists hold more than %d elements in all", t, limit)
	}
	return nil
}

// listShape is where the lists of messages are inside a message type:
// its fields that are such lists (each occurrence an element) or that
// hold messages with lists inside. A nil listShape has none.
type listShape struct {
	fields []listField
}

type listField struct {
	num   protowire.Number
	list  bool       // a repeated message field: each occurrence counts
	inner *listShape // the lists inside the field's messages, if any
}

// listShapeOf reads md's lists of messages from its descriptor.
func listShapeOf(md protoreflect.MessageDescriptor) *listShape {
	var s listShape
	for i, fields := 0, md.Fields(); i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Message() == nil {
			continue
		}
		if inner := listShapeOf(fd.Message()); fd.IsList() || inner != nil {
			s.fields = append(s.fields, listField{num: fd.Number(), list: fd.IsList(), inner: inner})
		}
	}
	if len(s.fields) == 0 {
		return nil
	}
	return &s
}

// count adds to *n the list elements in b, an encoding of s's message.
// It stops, reporting false, once *n exceeds limit or at a field that does
// not parse. Fields that hold no list (unknown ones too, which decoding
// discards) are skipped unread.
func (s *listShape) count(b []byte, n *int, limit int) bool {
	for s != nil && len(b) > 0 {
		num, body, rest, ok := nextField(b)
		if !ok {
			return false
		}
		b = rest
		i := slices.IndexFunc(s.fields, func(f listField) bool { return f.num == num })
		if i < 0 || body == nil {
			continue
		}
		if s.fields[i].list {
			if *n++; *n > limit {
				return false
			}
		}
		if !s.fields[i].inner.count(body, n, limit) {
			return false
		}
	}
	return true
}

// nextField splits the first field off b: its number, its body if it is
// length-delimited (nil otherwise), and the rest of b; ok is false if b
// does not start with a field.
func nextField(b []byte) (num protowire.Number, body, rest []byte, ok bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, nil, nil, false
	}
	m := protowire.ConsumeFieldValue(num, typ, b[n:])
	if m < 0 {
		return 0, nil, nil, false
	}
	if typ == protowire.BytesType {
		body, _ = protowire.ConsumeBytes(b[n : n+m])
		if body == nil {
			body = []byte{}
		}
	}
	return num, body, b[n+m:], true
}

// decodeEnvelope unmarshals a payload of type t into its Envelope and
// converts that: the general path, for every type.
func decodeEnvelope(t MsgType, payload []byte) (Message, error) {
	env := &pb.Envelope{}
	if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(payload, env); err != nil {
		return nil, violation(true, "malformed %s: %v", t, err)
	}
	m, err := fromEnvelope(t, env)
	if err != nil {
		return nil, violation(true, "invalid %s: %v", t, err)
	}
	return m, nil
}

// decodeBlockPayload decodes a block message's payload with
// wire.UnmarshalCanonicalBlock, without building the Envelope's messages,
// when the Envelope is the block field alone (as frameParts writes it)
// and the block is in the canonical encoding and valid; it returns nil
// otherwise, and the payload then takes the general path, which gives the
// same block or the error. Both paths give the same result: the
// Envelope's only field is its Block, and wire.UnmarshalCanonicalBlock,
// where it decodes, equals proto.Unmarshal and wire.BlockFromProto.
func decodeBlockPayload(payload []byte) *wire.Block {
	num, typ, n := protowire.ConsumeTag(payload)
	if n < 0 || num != protowire.Number(TypeBlock) || typ != protowire.BytesType {
		return nil
	}
	enc, m := protowire.ConsumeBytes(payload[n:])
	if m < 0 || n+m != len(payload) {
		return nil
	}
	return wire.UnmarshalCanonicalBlock(enc)
}

// EncodeFrame returns the frame carrying m.
func EncodeFrame(magic [4]byte, m Message) ([]byte, error) {
	head, body, err := frameParts(magic, m)
	if err != nil {
		return nil, err
	}
	return append(append(make([]byte, 0, len(head)+len(body)), head...), body...), nil
}

// frameParts returns the frame carrying m in two parts, head then body,
// without copying a block's encoding: for a block message, head is the
// frame header and the Envelope's tag and length of the block field, and
// body the block's encoding (a stored block's own bytes, which are never
// modified, or wire.MarshalBlock's, without building the protobuf
// message); for any other message, head is the frame header and body the
// Envelope. A stored block not loaded yet (see MsgStoredBlock) is an
// error.
func frameParts(magic [4]byte, m Message) (head, body []byte, err error) {
	var prefix []byte
	switch m := m.(type) {
	case *MsgStoredBlock:
		if m.Encoded == nil {
			return nil, nil, fmt.Errorf("stored block %s not loaded (LoadStoredBlock)", m.Hash)
		}
		prefix, body = blockFieldPrefix(len(m.Encoded)), m.Encoded
	case *MsgBlock:
		body = wire.MarshalBlock(m.Block)
		prefix = blockFieldPrefix(len(body))
	default:
		if body, err = proto.Marshal(toEnvelope(m)); err != nil {
			return nil, nil, err
		}
	}
	size := len(prefix) + len(body)
	if size > MaxPayload(m.Type()) {
		return nil, nil, fmt.Errorf("%s payload of %d bytes exceeds %d", m.Type(), size, MaxPayload(m.Type()))
	}
	head = make([]byte, FrameHeaderSize, FrameHeaderSize+len(prefix))
	copy(head, magic[:])
	head[4] = byte(m.Type())
	binary.LittleEndian.PutUint32(head[5:], uint32(size))
	return append(head, prefix...), body, nil
}

// blockFieldPrefix is what precedes a block's encoding of n bytes in a
// block message's Envelope, as proto.Marshal writes the field: its tag
// and length.
func blockFieldPrefix(n int) []byte {
	b := protowire.AppendTag(nil, protowire.Number(TypeBlock), protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

// DecodeFrame decodes one complete frame from b, which must hold exactly
// one frame.
func DecodeFrame(b []byte, magic [4]byte) (Message, error) {
	if len(b) < FrameHeaderSize {
		return nil, violation(true, "short frame")
	}
	h, err := parseFrameHeader(b[:FrameHeaderSize], magic)
	if err != nil {
		return nil, err
	}
	if len(b)-FrameHeaderSize != h.length {
		return nil, violation(true, "frame length %d, payload %d bytes", h.length, len(b)-FrameHeaderSize)
	}
	return decodePayload(h.typ, b[FrameHeaderSize:])
}

// smallPayload is the size up to which a payload buffer is allocated at
// once; larger payloads grow with the bytes that actually arrive, so a peer
// that announces a large frame and stalls holds little memory.
const smallPayload = 64 << 10

// ReadMessage reads one frame from r. It returns the message and the number
// of bytes read, those of a frame cut short included. A *ProtocolError
// means the peer broke the protocol; other errors come from r.
func ReadMessage(r io.Reader, magic [4]byte) (Message, int, error) {
	var hdr [FrameHeaderSize]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, n, err
	}
	h, err := parseFrameHeader(hdr[:], magic)
	if err != nil {
		return nil, FrameHeaderSize, err
	}
	payload, err := readPayload(r, h.length)
	n := FrameHeaderSize + len(payload)
	if err != nil {
		return nil, n, err
	}
	m, err := decodePayload(h.typ, payload)
	return m, n, err
}

// readPayload reads a payload of n bytes; cut short, it returns what
// arrived.
func readPayload(r io.Reader, n int) ([]byte, error) {
	if n <= smallPayload {
		b := make([]byte, n)
		got, err := io.ReadFull(r, b)
		return b[:got], unexpected(err)
	}
	var buf bytes.Buffer
	buf.Grow(smallPayload)
	_, err := io.CopyN(&buf, r, int64(n))
	return buf.Bytes(), unexpected(err)
}

// unexpected turns a clean EOF inside a frame into ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
