package p2p

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

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

// decodePayload unmarshals and converts a payload of type t.
func decodePayload(t MsgType, payload []byte) (Message, error) {
	if t == TypeBlock {
		if b := decodeBlockPayload(payload); b != nil {
			return &MsgBlock{Block: b}, nil
		}
	}
	return decodeEnvelope(t, payload)
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
// wire.UnmarshalBlock, without building the Envelope's messages, when the
// Envelope is the block field alone (as blockPayload writes it) and the
// block is valid; it returns nil otherwise, and the payload then takes the
// general path, which gives the same block or the error. Both paths give
// the same result: the Envelope's only field is its Block, and
// wire.UnmarshalBlock equals proto.Unmarshal and wire.BlockFromProto.
func decodeBlockPayload(payload []byte) *wire.Block {
	num, typ, n := protowire.ConsumeTag(payload)
	if n < 0 || num != protowire.Number(TypeBlock) || typ != protowire.BytesType {
		return nil
	}
	enc, m := protowire.ConsumeBytes(payload[n:])
	if m < 0 || n+m != len(payload) {
		return nil
	}
	b, err := wire.UnmarshalBlock(enc)
	if err != nil {
		return nil
	}
	return b
}

// EncodeFrame returns the frame carrying m.
func EncodeFrame(magic [4]byte, m Message) ([]byte, error) {
	payload, err := encodePayload(m)
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxPayload(m.Type()) {
		return nil, fmt.Errorf("%s payload of %d bytes exceeds %d", m.Type(), len(payload), MaxPayload(m.Type()))
	}
	frame := make([]byte, FrameHeaderSize, FrameHeaderSize+len(payload))
	copy(frame, magic[:])
	frame[4] = byte(m.Type())
	binary.LittleEndian.PutUint32(frame[5:], uint32(len(payload)))
	return append(frame, payload...), nil
}

// encodePayload returns the Envelope carrying m, encoded. A block
// message's Envelope is that field's tag and length followed by the
// block's encoding, as proto.Marshal would write it: a stored block is
// that encoding already, and any other block is written by
// wire.MarshalBlock, without building its protobuf message.
func encodePayload(m Message) ([]byte, error) {
	switch m := m.(type) {
	case *MsgStoredBlock:
		return blockPayload(m.Encoded), nil
	case *MsgBlock:
		return blockPayload(wire.MarshalBlock(m.Block)), nil
	}
	return proto.Marshal(toEnvelope(m))
}

// blockPayload returns the Envelope holding the encoded block enc.
func blockPayload(enc []byte) []byte {
	b := make([]byte, 0, protowire.SizeTag(protowire.Number(TypeBlock))+protowire.SizeBytes(len(enc)))
	b = protowire.AppendTag(b, protowire.Number(TypeBlock), protowire.BytesType)
	return protowire.AppendBytes(b, enc)
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
// of bytes read. A *ProtocolError means the peer broke the protocol; other
// errors come from r.
func ReadMessage(r io.Reader, magic [4]byte) (Message, int, error) {
	var hdr [FrameHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, err
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

func readPayload(r io.Reader, n int) ([]byte, error) {
	if n <= smallPayload {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, unexpected(err)
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
