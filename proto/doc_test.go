package proto_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"powchain/proto/pb"
)

// TestProtocolDocFieldTables: docs/PROTOCOL.md's field tables list, for
// every message a peer exchanges (everything reachable from Envelope), and
// for no other, exactly the fields of the compiled schema: numbers, names
// and types; and the InvType table lists exactly its values.
func TestProtocolDocFieldTables(t *testing.T) {
	text, err := os.ReadFile("../docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := fieldTables(t, string(text))

	want := map[string][]string{}
	var visit func(md protoreflect.MessageDescriptor)
	visit = func(md protoreflect.MessageDescriptor) {
		name := string(md.Name())
		if _, seen := want[name]; seen {
			return
		}
		want[name] = []string{}
		fields := md.Fields()
		for i := range fields.Len() {
			f := fields.Get(i)
			want[name] = append(want[name], strconv.Itoa(int(f.Number()))+" "+string(f.Name())+" "+fieldType(f))
			if f.Message() != nil {
				visit(f.Message())
			}
		}
	}
	visit((&pb.Envelope{}).ProtoReflect().Descriptor())

	for name, fields := range want {
		got, ok := doc[name]
		if !ok {
			t.Errorf("PROTOCOL.md has no field table for %s", name)
			continue
		}
		if strings.Join(got, "\n") != strings.Join(fields, "\n") {
			t.Errorf("%s: PROTOCOL.md says\n  %s\nthe schema says\n  %s", name, strings.Join(got, "\n  "), strings.Join(fields, "\n  "))
		}
	}
	for name := range doc {
		if _, ok := want[name]; !ok {
			t.Errorf("PROTOCOL.md has a field table for %s, which no peer message uses", name)
		}
	}

	enum := pb.InvType(0).Descriptor().Values()
	var values []string
	for i := range enum.Len() {
		values = append(values, strconv.Itoa(int(enum.Get(i).Number()))+" "+string(enum.Get(i).Name()))
	}
	rows := regexp.MustCompile("(?m)^\\| (\\d+) \\| `(INV_TYPE_\\w+)` \\|$").FindAllStringSubmatch(string(text), -1)
	var docValues []string
	for _, r := range rows {
		docValues = append(docValues, r[1]+" "+r[2])
	}
	if strings.Join(docValues, ",") != strings.Join(values, ",") {
		t.Errorf("InvType: PROTOCOL.md says %v, the schema %v", docValues, values)
	}
}

// fieldTables reads the "#### `Message`" sections under "### Field
// tables": each row "| number | `name` | type | limit |" as "number name
// type"; a message with "No fields." has none.
func fieldTables(t *testing.T, text string) map[string][]string {
	start := strings.Index(text, "### Field tables")
	if start < 0 {
		t.Fatal("PROTOCOL.md has no Field tables section")
	}
	text = text[start:]
	if end := strings.Index(text, "\n## "); end >= 0 {
		text = text[:end]
	}
	heading := regexp.MustCompile("(?m)^#### `(\\w+)`$")
	row := regexp.MustCompile("(?m)^\\| (\\d+) \\| `(\\w+)` \\| ([\\w ]+) \\|")
	out := map[string][]string{}
	locs := heading.FindAllStringSubmatchIndex(text, -1)
	for i, loc := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		name := text[loc[2]:loc[3]]
		out[name] = []string{}
		for _, r := range row.FindAllStringSubmatch(text[loc[1]:end], -1) {
			out[name] = append(out[name], r[1]+" "+r[2]+" "+strings.TrimSpace(r[3]))
		}
	}
	return out
}

// fieldType is a field's type as the tables write it: "uint32", "bytes",
// "repeated TxIn", an enum or message by name.
func fieldType(f protoreflect.FieldDescriptor) string {
	typ := f.Kind().String()
	switch {
	case f.Message() != nil:
		typ = string(f.Message().Name())
	case f.Enum() != nil:
		typ = string(f.Enum().Name())
	}
	if f.IsList() {
		typ = "repeated " + typ
	}
	return typ
}
