package mempool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"powchain/internal/atomicfile"
	"powchain/proto/pb"
	"powchain/wire"
)

// fileFormatVersion is the layout of the saved pool (proto/mempool.proto).
const fileFormatVersion = 1

// Save writes the pool's transactions to path (protobuf MempoolFile,
// parents before children), atomically: a crash leaves the old file or the
// new one. Orphans are not saved.
func (p *Pool) Save(path string) error {
	p.rlock()
	m := &pb.MempoolFile{FormatVersion: fileFormatVersion}
	for _, e := range p.sortedEntries() {
		m.Txs = append(m.Txs, &pb.MempoolTx{Tx: wire.TxToProto(e.desc.Tx), AddedUnixNano: e.desc.Added.UnixNano()})
	}
	p.mu.RUnlock()
	data, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode mempool: %w", err)
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("save mempool: %w", err)
	}
	return nil
}

// savedTx is a transaction read back from a saved pool.
type savedTx struct {
	tx    *wire.Tx
	txid  wire.Hash
	added time.Time
}

// Load re-admits the transactions saved at path, in order, each fully
// revalidated against the current chain and policy; those that no longer
// fit (mined, conflicting, expired while saved, ...) are dropped. It
// returns how many entered. A missing file is not an error (0, nil); an
// unreadable or corrupt one is.
func (p *Pool) Load(path string) (int, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load mempool: %w", err)
	}
	saved, err := decodeMempoolFile(data)
	if err != nil {
		return 0, fmt.Errorf("mempool file %s is corrupt: %w", path, err)
	}
	valid := p.verifyAll(saved)
	now := p.clock.Now()
	n := 0
	for i, s := range saved {
		if !valid[i] || p.expired(s.added, now) {
			continue
		}
		_, _, err := p.admit(s.tx, s.txid, admitOpts{sigsVerified: true, added: s.added})
		var rerr *RejectError
		switch {
		case err == nil:
			n++
		case !errors.As(err, &rerr):
			return n, fmt.Errorf("load mempool: %w", err)
		}
	}
	return n, nil
}

func decodeMempoolFile(data []byte) ([]savedTx, error) {
	var m pb.MempoolFile
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if v := m.GetFormatVersion(); v != fileFormatVersion {
		return nil, fmt.Errorf("format version %d, want %d", v, fileFormatVersion)
	}
	saved := make([]savedTx, len(m.GetTxs()))
	for i, st := range m.GetTxs() {
		tx, err := wire.TxFromProto(st.GetTx())
		if err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
		saved[i] = savedTx{tx: tx, txid: tx.TxID(), added: time.Unix(0, st.GetAddedUnixNano())}
	}
	return saved, nil
}

// verifyAll verifies the signatures of saved on every core (the file may
// have been tampered with, and one at a time would slow the start) and
// reports which verified. Its goroutines finish before it returns.
func (p *Pool) verifyAll(saved []savedTx) []bool {
	valid := make([]bool, len(saved))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(saved); i += workers {
				valid[i] = p.verifySignatures(saved[i].tx, saved[i].txid) == nil
			}
		}()
	}
	wg.Wait()
	return valid
}
