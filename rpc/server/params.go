package server

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	"powchain/rpc"
)

// Parameter decoding. Every error names the parameter in the user's terms
// with Bitcoin Core's codes: -3 when the JSON type is wrong ("Expected
// type number for height, got boolean"), -8 when the value is of the right
// type but out of range, -32602 (JSON-RPC's invalid params) when a
// required one is missing or there are more than the method takes. No Go
// type name ever reaches the client.

// tooManyParams is the error of a call of name with got parameters, more
// than the most it takes.
func tooManyParams(name string, most, got int) *rpc.Error {
	if most == 0 {
		return rpc.NewError(rpc.CodeInvalidParams, "%s takes no parameters, got %d", name, got)
	}
	plural := "s"
	if most == 1 {
		plural = ""
	}
	return rpc.NewError(rpc.CodeInvalidParams, "%s takes at most %d parameter%s, got %d (usage: %s %s)", name, most, plural, got, name, methodDocs[name].args)
}

// given reports whether parameter i is there: present and not null (a
// null stands for a parameter left out, as in Bitcoin Core).
func given(params []json.RawMessage, i int) bool {
	return i < len(params) && string(params[i]) != "null"
}

// required decodes positional parameter i, called name, into v.
func required(params []json.RawMessage, i int, name string, v any) error {
	if !given(params, i) {
		return rpc.NewError(rpc.CodeInvalidParams, "missing parameter %d (%s)", i+1, name)
	}
	return decodeParam(params[i], name, v)
}

// requiredObject is required for an object parameter, decoded into v (a
// pointer to a struct), that refuses a key the struct has no field for, as
// Bitcoin Core refuses unexpected keys: a misspelt key would otherwise be
// dropped without a word ({"address": [...]} found no coins).
func requiredObject(params []json.RawMessage, i int, name string, v any) error {
	if err := required(params, i, name, v); err != nil {
		return err
	}
	var sent map[string]json.RawMessage
	json.Unmarshal(params[i], &sent) // an object: it decoded into v
	var keys []string
	for f := range reflect.TypeOf(v).Elem().Fields() {
		keys = append(keys, strings.Split(f.Tag.Get("json"), ",")[0])
	}
	for _, k := range slices.Sorted(maps.Keys(sent)) {
		if !slices.Contains(keys, k) {
			return rpc.NewError(rpc.CodeInvalidParameter, "%s: unknown key %q (the keys are %s)", name, k, strings.Join(keys, ", "))
		}
	}
	return nil
}

// wholeNumber decodes parameter i, a whole number from lo to hi, into v;
// an optional one (need false) not given leaves v alone. A number outside
// the range, or not whole, is -8 naming the range: the method's, not that
// of the type holding it.
func wholeNumber(params []json.RawMessage, i int, name string, need bool, lo, hi int64, v *int64) error {
	decode := optional
	if need {
		decode = required
	}
	err := decode(params, i, name, v)
	var rpcErr *rpc.Error
	if errors.As(err, &rpcErr) && rpcErr.Code != rpc.CodeInvalidParameter {
		return err // missing, or not a number
	}
	if err != nil || *v < lo || *v > hi {
		return rpc.NewError(rpc.CodeInvalidParameter, "%s out of range: must be a whole number from %d to %d", name, lo, hi)
	}
	return nil
}

// verbosityParam decodes parameter i, a verbosity: a whole number from 0 to
// most, or a boolean (false: 0, true: 1), as Bitcoin Core and btcd take
// either for getblock and getrawtransaction; not given, it is def.
func verbosityParam(params []json.RawMessage, i int, name string, def, most int64) (int64, error) {
	if given(params, i) {
		switch kind := rawKind(params[i]); kind {
		case "boolean":
			if string(bytes.TrimSpace(params[i])) == "true" {
				return 1, nil
			}
			return 0, nil
		case "number":
		default:
			return 0, rpc.NewError(rpc.CodeTypeError, "Expected type number or boolean for %s, got %s", name, kind)
		}
	}
	err := wholeNumber(params, i, name, false, 0, most, &def)
	return def, err
}

// optional decodes parameter i into v when given, else leaves v alone.
func optional(params []json.RawMessage, i int, name string, v any) error {
	if !given(params, i) {
		return nil
	}
	return decodeParam(params[i], name, v)
}

func decodeParam(raw json.RawMessage, name string, v any) error {
	want, got := jsonKind(reflect.TypeOf(v).Elem()), rawKind(raw)
	if want != "" && want != got {
		return rpc.NewError(rpc.CodeTypeError, "Expected type %s for %s, got %s", want, name, got)
	}
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		return rpc.NewError(rpc.CodeTypeError, "%s is not valid JSON", name)
	}
	field := name
	if typeErr.Field != "" {
		field = name + "." + typeErr.Field
	}
	gotKind, _, _ := strings.Cut(typeErr.Value, " ") // "number -1" -> "number"
	if gotKind == "bool" {
		gotKind = "boolean"
	}
	wantKind := jsonKind(typeErr.Type)
	if gotKind == "number" && wantKind == "number" {
		return rpc.NewError(rpc.CodeInvalidParameter, "%s out of range: %s", field, numberRange(typeErr.Type))
	}
	return rpc.NewError(rpc.CodeTypeError, "Expected type %s for %s, got %s", wantKind, field, gotKind)
}

// jsonKind is the JSON type a Go type decodes from, or "" for any.
func jsonKind(t reflect.Type) string {
	if t == reflect.TypeFor[json.RawMessage]() {
		return ""
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return ""
}

// rawKind is the JSON type of a JSON value.
func rawKind(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return "nothing"
	}
	switch s[0] {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case '[':
		return "array"
	case '{':
		return "object"
	case 'n':
		return "null"
	}
	return "number"
}

// numberRange describes the whole numbers a numeric Go type holds.
func numberRange(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("must be a whole number from 0 to %d", uint64(math.MaxUint64)>>(64-t.Bits()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		limit := int64(math.MaxInt64) >> (64 - t.Bits())
		return fmt.Sprintf("must be a whole number from %d to %d", -limit-1, limit)
	}
	return "must be a finite number"
}

// hexParam decodes a string parameter holding hex; failed begins the
// message of hex that does not decode, as Bitcoin Core words it ("TX
// decode failed"). A JSON string
// without escapes is its own text, so its hex is decoded straight from the
// JSON (a transaction or block is most of a request: this spares decoding
// it as a JSON string first).
func hexParam(params []json.RawMessage, i int, name, failed string) ([]byte, error) {
	if i < len(params) {
		if digits, ok := plainString(params[i]); ok {
			if raw, err := hex.AppendDecode(nil, digits); err == nil {
				return raw, nil
			}
		}
	}
	var s string
	if err := required(params, i, name, &s); err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, rpc.NewError(rpc.CodeDeserialization, "%s: %s is not an even number of hexadecimal digits", failed, name)
	}
	return raw, nil
}

// plainString returns the text of a JSON string that has no escapes.
func plainString(raw json.RawMessage) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	text := raw[1 : len(raw)-1]
	return text, bytes.IndexByte(text, '\\') < 0
}
