package mempool

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"powchain/proto/pb"
	"powchain/wire"
)

// save saves the harness's pool to mempool.dat in a new temporary folder
// and returns the file's path and content.
func (h *harness) save() (string, []byte) {
	h.t.Helper()
	path := filepath.Join(h.t.TempDir(), "mempool.dat")
	if err := h.pool.Save(path); err != nil {
		h.t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	return path, data
}

// TestUnbroadcastSavedAndLoaded: the unbroadcast set holds the pool
// transactions marked and not cleared, loses those that leave the pool,
// and comes back from a saved pool with the transactions that come back.
// Before, the set lived in the p2p layer only, so a restart forgot it and
// a payment that never left the node was never announced again.
func TestUnbroadcastSavedAndLoaded(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	a := h.spend(1000, 2, h.cb(1))
	b := h.spend(1000, 2, h.cb(2))
	m := h.spend(1000, 2, h.cb(3))
	other := h.spend(1000, 2, h.cb(4)) // in the pool, never marked
	for _, tx := range []*wire.Tx{a, b, m, other} {
		h.accept(tx)
	}
	notInPool := h.spend(1000, 2, h.cb(5)).TxID()
	h.pool.SetUnbroadcast([]wire.Hash{a.TxID(), b.TxID(), m.TxID(), notInPool})
	h.pool.ClearUnbroadcast(b.TxID()) // a peer asked for it
	sorted := func(ids ...wire.Hash) []wire.Hash {
		return slices.SortedFunc(slices.Values(ids), func(x, y wire.Hash) int { return bytes.Compare(x[:], y[:]) })
	}
	if got, want := h.pool.Unbroadcast(), sorted(a.TxID(), m.TxID()); !slices.Equal(got, want) {
		t.Fatalf("unbroadcast %v, want %v", got, want)
	}
	h.mine(m) // m leaves the pool, and the set
	if got, want := h.pool.Unbroadcast(), []wire.Hash{a.TxID()}; !slices.Equal(got, want) {
		t.Fatalf("unbroadcast after m was mined: %v, want %v", got, want)
	}
	checkInvariants(t, h.pool)

	path, _ := h.save()
	fresh := h.newPool()
	if n, err := fresh.Load(path); n != 3 || err != nil {
		t.Fatalf("Load = %d, %v; want 3", n, err)
	}
	if got, want := fresh.Unbroadcast(), []wire.Hash{a.TxID()}; !slices.Equal(got, want) {
		t.Fatalf("unbroadcast after a restart: %v, want %v", got, want)
	}
	checkInvariants(t, fresh)
}

// TestTruncatedFileRefused: a saved pool cut short at any transaction
// boundary (empty, the version alone, some of the transactions, all of
// them but not their count) is refused as truncated, naming the file, and
// nothing is loaded from it; the whole file loads, and so does a file of
// version 1 (no count). Before, such a prefix loaded without a word, and
// the transactions cut off were lost.
func TestTruncatedFileRefused(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	a := h.spend(1000, 2, h.cb(1))
	ac := h.spend(1000, 2, h.out(a, 0))
	b := h.spend(1000, 2, h.cb(2))
	for _, tx := range []*wire.Tx{a, ac, b} {
		h.accept(tx)
	}
	path, data := h.save()
	// The boundaries: the file's start, and the start and end of every
	// transaction field, whatever order the fields were written in.
	cuts := []int{0}
	for off := 0; off < len(data); {
		num, typ, n := protowire.ConsumeTag(data[off:])
		size := protowire.ConsumeFieldValue(num, typ, data[off+n:])
		if n < 0 || size < 0 {
			t.Fatalf("saved file does not parse at %d", off)
		}
		if num == 2 {
			cuts = append(cuts, off, off+n+size)
		}
		off += n + size
	}
	if len(cuts) != 7 {
		t.Fatalf("%d cuts in the saved file, want 7 (3 transactions)", len(cuts))
	}
	for _, cut := range cuts {
		if err := os.WriteFile(path, data[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		fresh := h.newPool()
		n, err := fresh.Load(path)
		if err == nil || !strings.Contains(err.Error(), path+" is truncated") || n != 0 || fresh.Info().Size != 0 {
			t.Fatalf("file cut at byte %d of %d: Load = %d, %v, pool of %d; want an error saying it is truncated and nothing loaded",
				cut, len(data), n, err, fresh.Info().Size)
		}
	}

	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := h.newPool().Load(path); n != 3 || err != nil {
		t.Fatalf("whole file: Load = %d, %v; want 3", n, err)
	}
	v1 := &pb.MempoolFile{FormatVersion: 1}
	for _, tx := range []*wire.Tx{a, ac, b} {
		v1.Txs = append(v1.Txs, &pb.MempoolTx{Tx: wire.TxToProto(tx), AddedUnixNano: h.clock.Now().UnixNano()})
	}
	old, err := proto.Marshal(v1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := h.newPool().Load(path); n != 3 || err != nil {
		t.Fatalf("version 1 file: Load = %d, %v; want 3", n, err)
	}
}
