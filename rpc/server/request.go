package server

import (
	"encoding/json"

	"powchain/rpc"
)

// request is a JSON-RPC request as the server decodes it: the positional
// parameters are split out in the same pass, so each parameter's JSON is
// scanned once here and once by its method.
type request struct {
	// JSONRPC is the "jsonrpc" member as sent (nil when absent), which
	// jsonrpcVersion reads.
	JSONRPC json.RawMessage   `json:"jsonrpc"`
	ID      json.RawMessage   `json:"id"`
	Method  string            `json:"method"`
	Params  []json.RawMessage `json:"params"`
	// paramsErr is set, and Params empty, when params is not an array.
	paramsErr *rpc.Error
}

// decodeRequest decodes one request. A request in the plain form clients
// send is read by scanRequest in one pass over its bytes, its id and params
// left in place; any other (escapes, nested params, unusual keys, invalid
// JSON) is decoded by encoding/json, and one that does not decode is
// decoded again with params left raw, to tell a request that is not a
// request object (the error returned) from one whose params are not an
// array (req.paramsErr, with the request's id and method).
func decodeRequest(raw []byte) (req request, err *rpc.Error) {
	if req, ok := scanRequest(raw); ok {
		return req, nil
	}
	if json.Unmarshal(raw, &req) == nil {
		return req, nil
	}
	var loose struct {
		JSONRPC json.RawMessage `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  string          `json:"method"`
	}
	if json.Unmarshal(raw, &loose) != nil {
		return request{}, requestError(raw)
	}
	return request{JSONRPC: loose.JSONRPC, ID: loose.ID, Method: loose.Method,
		paramsErr: rpc.NewError(rpc.CodeInvalidParams, "params must be an array of positional parameters")}, nil
}

// scanRequest reads a request object in the plain form: each of the keys
// "jsonrpc", "id", "method" and "params" at most once and spelled exactly
// so; jsonrpc and method printable ASCII strings; id a scalar (a string,
// number, boolean or null); params an array of scalars; strings without
// escapes. Such a request decodes with encoding/json to exactly what
// scanRequest returns (FuzzScanRequest checks it), but in one pass and
// without copying: ID and Params are slices of raw. ok is false for any
// other input, valid JSON or not, which is then left to encoding/json.
func scanRequest(raw []byte) (req request, ok bool) {
	s := scanner{b: raw}
	if !s.eat('{') {
		return req, false
	}
	var seen [4]bool
	for {
		key, ok := s.plainString()
		field := requestField(key)
		if !ok || !s.eat(':') || field < 0 || seen[field] {
			return req, false
		}
		seen[field] = true
		switch field {
		case 0:
			s.skipSpace()
			start := s.i
			_, ok = s.asciiString()
			req.JSONRPC = s.b[start:s.i]
		case 1:
			req.ID, ok = s.scalar()
		case 2:
			req.Method, ok = s.asciiString()
		case 3:
			req.Params, ok = s.scalarArray()
		}
		if !ok {
			return req, false
		}
		if s.eat('}') {
			break
		}
		if !s.eat(',') {
			return req, false
		}
	}
	s.skipSpace()
	return req, s.i == len(raw)
}

// jsonrpcVersion reads a request's "jsonrpc" member as Bitcoin Core (v28)
// does: "2.0" is JSON-RPC 2.0 (v2); none, null or "1.0" (which old
// examples send) is JSON-RPC 1.x, where a request without an id is still
// answered (no notifications); any other value is refused.
func jsonrpcVersion(raw json.RawMessage) (v2 bool, err *rpc.Error) {
	switch string(raw) { // the usual spellings, without decoding
	case `"2.0"`:
		return true, nil
	case "", "null", `"1.0"`:
		return false, nil
	}
	var version string
	if json.Unmarshal(raw, &version) != nil {
		return false, rpc.NewError(rpc.CodeInvalidRequest, "Invalid Request object: jsonrpc must be a string, got %s", rawKind(raw))
	}
	if version == "2.0" || version == "1.0" { // spelt with escapes
		return version == "2.0", nil
	}
	return false, rpc.NewError(rpc.CodeInvalidRequest, `JSON-RPC version not supported: jsonrpc must be "2.0", or "1.0" (or left out) for JSON-RPC 1.x`)
}

// requestField numbers the keys of a request object (-1 for any other).
func requestField(key []byte) int {
	switch string(key) {
	case "jsonrpc":
		return 0
	case "id":
		return 1
	case "method":
		return 2
	case "params":
		return 3
	}
	return -1
}

// scanner reads JSON values of the plain form (see scanRequest) from b,
// from offset i. Its methods skip leading white space and report false on
// anything else, leaving i where it stopped.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// eat consumes c.
func (s *scanner) eat(c byte) bool {
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// plainString reads a string without escapes and returns its text.
func (s *scanner) plainString() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	for j := s.i; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			text := s.b[s.i:j]
			s.i = j + 1
			return text, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// asciiString reads a plain string of printable ASCII (text that decodes
// to itself: encoding/json replaces invalid UTF-8 in a Go string).
func (s *scanner) asciiString() (string, bool) {
	text, ok := s.plainString()
	for _, c := range text {
		if c >= 0x7f {
			return "", false
		}
	}
	return string(text), ok
}

// scalar reads a plain string, a number, true, false or null and returns
// its JSON text.
func (s *scanner) scalar() ([]byte, bool) {
	s.skipSpace()
	start := s.i
	if s.i >= len(s.b) {
		return nil, false
	}
	ok := false
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok = s.plainString()
	case c == 't':
		ok = s.literal("true")
	case c == 'f':
		ok = s.literal("false")
	case c == 'n':
		ok = s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		ok = s.number()
	}
	return s.b[start:s.i], ok
}

// scalarArray reads an array of scalars.
func (s *scanner) scalarArray() ([]json.RawMessage, bool) {
	if !s.eat('[') {
		return nil, false
	}
	values := make([]json.RawMessage, 0, 4)
	if s.eat(']') {
		return values, true
	}
	for {
		v, ok := s.scalar()
		if !ok {
			return nil, false
		}
		values = append(values, v)
		if s.eat(']') {
			return values, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if i = digits(b, i+1); b[i-1] == '.' {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		if i = digits(b, i); i == start {
			return false
		}
	}
	s.i = i
	return true
}

// digits returns the offset of the first byte at or after i that is not a
// decimal digit.
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}
