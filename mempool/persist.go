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

// fileFormatVersion is the layout Save writes (proto/mempool.proto):
// version 2 counts its transactions, so that a file cut short at a
// transaction boundary is detected, and flags the unbroadcast ones. Load
// reads version 1 too (no count, no flags), as written before.
const fileFormatVersion = 2

// Save writes the pool's transactions to path (protobuf MempoolFile,
// parents before children, each flagged if unbroadcast, then their
// count), atomically: a crash leaves the old file or the new one.
// Orphans are not saved.
func (p *Pool) Save(path string) error {
	p.rlock()
	entries := p.sortedEntries()
	m := &pb.MempoolFile{FormatVersion: fileFormatVersion, TxCount: proto.Uint64(uint64(len(entries)))}
	p.unbroadcastMu.Lock()
	for _, e := range entries {
		_, unbroadcast := p.unbroadcast[e.desc.TxID]
		m.Txs = append(m.Txs, &pb.MempoolTx{Tx: wire.TxToProto(e.desc.Tx), AddedUnixNano: e.desc.Added.UnixNano(),
			Unbroadcast: unbroadcast})
	}
	p.unbroadcastMu.Unlock()
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
	tx          *wire.Tx
	txid        wire.Hash
	added       time.Time
	unbroadcast bool
}

// Load re-admits the transactions saved at path, in order, each fully
// revalidated against the current chain and policy; those that no longer
// fit (mined, conflicting, expired while saved, ...) are dropped, and
// those saved unbroadcast that entered are unbroadcast again. It returns
// how many entered. A missing file is not an error (0, nil); an
// unreadable, corrupt or truncated one is, and nothing is loaded from it.
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
		return 0, fmt.Errorf("mempool file %s %w", path, err)
	}
	valid := p.verifyAll(saved)
	now := p.clock.Now()
	n := 0
	var unbroadcast []wire.Hash
	for i, s := range saved {
		if !valid[i] || p.expired(s.added, now) {
			continue
		}
		_, _, err := p.admit(s.tx, s.txid, admitOpts{sigsVerified: true, added: s.added})
		var rerr *RejectError
		switch {
		case err == nil:
			n++
			if s.unbroadcast {
				unbroadcast = append(unbroadcast, s.txid)
			}
		case !errors.As(err, &rerr):
			return n, fmt.Errorf("load mempool: %w", err)
		}
	}
	p.SetUnbroadcast(unbroadcast)
	return n, nil
}

// decodeMempoolFile decodes a saved pool; its errors complete "mempool
// file PATH ": "is corrupt: ...", "is truncated: ...".
func decodeMempoolFile(data []byte) ([]savedTx, error) {
	if len(data) == 0 {
		return nil, errors.New("is truncated: it is empty")
	}
	var m pb.MempoolFile
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("is corrupt: %w", err)
	}
	txs := m.GetTxs()
	switch v := m.GetFormatVersion(); {
	case v == 1:
	case v != fileFormatVersion:
		return nil, fmt.Errorf("is corrupt: format version %d, want %d or 1", v, fileFormatVersion)
	case m.TxCount == nil:
		return nil, fmt.Errorf("is truncated: it ends after %d transactions, before the count of them that ends a whole file", len(txs))
	case m.GetTxCount() > uint64(len(txs)):
		return nil, fmt.Errorf("is truncated: it holds %d of the %d transactions it was saved with", len(txs), m.GetTxCount())
	case m.GetTxCount() < uint64(len(txs)):
		return nil, fmt.Errorf("is corrupt: it holds %d transactions but counts %d", len(txs), m.GetTxCount())
	}
	saved := make([]savedTx, len(txs))
	for i, st := range txs {
		tx, err := wire.TxFromProto(st.GetTx())
		if err != nil {
			return nil, fmt.Errorf("is corrupt: transaction %d: %w", i, err)
		}
		saved[i] = savedTx{tx: tx, txid: tx.TxID(), added: time.Unix(0, st.GetAddedUnixNano()), unbroadcast: st.GetUnbroadcast()}
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
