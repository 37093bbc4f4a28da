package chain

import (
	"bytes"
	"io"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/storage"
)

// TestTableSizedMemStorage: a table written in pieces reads back whole
// and unchanged once written (a sync then a close, as LevelDB finishes a
// table, or a close alone), and other files pass through as written.
func TestTableSizedMemStorage(t *testing.T) {
	s := newTableSizedMemStorage()
	content := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i*7)
		}
		return b
	}
	files := []struct {
		fd   storage.FileDesc
		data []byte
		sync bool
	}{
		{storage.FileDesc{Type: storage.TypeTable, Num: 5}, content(70_001, 1), true},
		{storage.FileDesc{Type: storage.TypeTable, Num: 6}, content(4_000, 2), false},
		{storage.FileDesc{Type: storage.TypeTable, Num: 7}, nil, true},
		{storage.FileDesc{Type: storage.TypeJournal, Num: 8}, content(10_000, 3), true},
		{storage.FileDesc{Type: storage.TypeManifest, Num: 9}, content(3_000, 4), false},
	}
	for _, f := range files {
		w, err := s.Create(f.fd)
		if err != nil {
			t.Fatalf("create %v: %v", f.fd, err)
		}
		for rest := f.data; len(rest) > 0; {
			n := min(len(rest), 4096)
			if got, err := w.Write(rest[:n]); err != nil || got != n {
				t.Fatalf("write %v: %d, %v", f.fd, got, err)
			}
			rest = rest[n:]
		}
		if f.sync {
			if err := w.Sync(); err != nil {
				t.Fatalf("sync %v: %v", f.fd, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatalf("close %v: %v", f.fd, err)
		}
	}
	for _, f := range files {
		r, err := s.Open(f.fd)
		if err != nil {
			t.Fatalf("open %v: %v", f.fd, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, f.data) {
			t.Fatalf("%v reads back %d bytes (%v), want the %d written", f.fd, len(got), err, len(f.data))
		}
	}
}
