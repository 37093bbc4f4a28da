package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrTrailingBytes is returned when an encoding continues after a complete
// value: every value has exactly one canonical encoding.
var ErrTrailingBytes = errors.New("trailing bytes after value")

// decoder reads the canonical encoding. It remembers the first error so that
// callers can read a whole structure and check once.
type decoder struct {
	buf []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

// take returns the next n bytes, or nil after recording an error.
func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.buf)-d.off {
		d.fail("%s: need %d bytes at offset %d, have %d", what, n, d.off, len(d.buf)-d.off)
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

func (d *decoder) uint32(what string) uint32 {
	if b := d.take(4, what); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) uint64(what string) uint64 {
	if b := d.take(8, what); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) hash(what string) (h Hash) {
	copy(h[:], d.take(HashSize, what))
	return h
}

// count reads a list length and checks it against max and against the bytes
// left (each element needs at least minElem bytes) before anything is
// allocated for the list.
func (d *decoder) count(what string, max, minElem int) int {
	n := d.uint32(what + " count")
	if d.err != nil {
		return 0
	}
	if uint64(n) > uint64(max) {
		d.fail("%s count %d exceeds limit %d", what, n, max)
		return 0
	}
	if uint64(n)*uint64(minElem) > uint64(len(d.buf)-d.off) {
		d.fail("%s count %d needs more bytes than the %d left", what, n, len(d.buf)-d.off)
		return 0
	}
	return int(n)
}

// finish returns the first error, or ErrTrailingBytes if input remains.
func (d *decoder) finish() error {
	if d.err == nil && d.off != len(d.buf) {
		return fmt.Errorf("%w: %d bytes", ErrTrailingBytes, len(d.buf)-d.off)
	}
	return d.err
}

func appendUint32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func appendUint64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
