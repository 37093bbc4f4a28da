package chain

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestGenesisDocTable checks docs/PROTOCOL.md's "Genesis blocks" table, what
// a client needs to handshake (the version's genesis_hash), against every
// network's parameters: the block NewGenesisBlock builds from a row's tag,
// timestamp, bits and nonce is the network's genesis block byte for byte,
// and the row's coinbase txid and block id are its own.
func TestGenesisDocTable(t *testing.T) {
	text, err := os.ReadFile("../docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(text), "\n### Genesis blocks\n")
	if !ok {
		t.Fatal(`PROTOCOL.md has no "Genesis blocks" section`)
	}
	section, _, _ = strings.Cut(section, "\n#")
	rows := map[string][]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 7 || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue
		}
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		rows[cells[0]] = cells[1:]
	}
	for _, p := range []*Params{LocalParams(), RegtestParams(), MainParams()} {
		row, ok := rows[p.Name]
		if !ok {
			t.Errorf("PROTOCOL.md's genesis table has no row for %s", p.Name)
			continue
		}
		if err := checkGenesisRow(p, row); err != nil {
			t.Errorf("%s: PROTOCOL.md's genesis row %q: %v", p.Name, row, err)
		}
	}
	if len(rows) != 3 {
		t.Errorf("PROTOCOL.md's genesis table has %d rows, want 3", len(rows))
	}
}

func checkGenesisRow(p *Params, row []string) error {
	ts, err1 := strconv.ParseInt(row[1], 10, 64)
	bits, err2 := strconv.ParseUint(row[2], 16, 32)
	nonce, err3 := strconv.ParseUint(row[3], 10, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return fmt.Errorf("unparsable: %v %v %v", err1, err2, err3)
	}
	doc := NewGenesisBlock(row[0], ts, uint32(bits), uint32(nonce), p.InitialSubsidy)
	switch g := p.GenesisBlock; {
	case !bytes.Equal(doc.Bytes(), g.Bytes()):
		return fmt.Errorf("builds block %x, the network's genesis is %x", doc.Bytes(), g.Bytes())
	case row[4] != g.Transactions[0].TxID().String():
		return fmt.Errorf("coinbase txid is %s", g.Transactions[0].TxID())
	case row[5] != p.GenesisHash.String():
		return fmt.Errorf("block id is %s", p.GenesisHash)
	}
	return nil
}
