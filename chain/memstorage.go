package chain

import (
	"errors"

	"github.com/syndtr/goleveldb/leveldb/storage"
)

// tableSizedMemStorage is LevelDB's memory storage (Config.InMemory) with
// every table stored in a buffer of its own size. The memory storage keeps
// a file in a bytes.Buffer that the table writer fills a block at a time,
// so a table ends in a buffer that doubled past it: tables of a few tens
// of kilobytes held in about 1.7 times their size, the largest share of a
// simulated node's memory after its peers' known sets. Here a table is
// gathered apart and handed to the storage in one write when the writer
// syncs or closes (LevelDB opens a table only after both), which the
// buffer takes in one allocation of that size. Journals and manifests,
// which stay open and are read back only when a database is reopened (an
// in-memory one never is), go to the storage as written.
type tableSizedMemStorage struct {
	storage.Storage
}

func newTableSizedMemStorage() storage.Storage {
	return tableSizedMemStorage{storage.NewMemStorage()}
}

func (s tableSizedMemStorage) Create(fd storage.FileDesc) (storage.Writer, error) {
	w, err := s.Storage.Create(fd)
	if err != nil || fd.Type != storage.TypeTable {
		return w, err
	}
	return &gatheringWriter{file: w}, nil
}

// gatheringWriter holds what is written to a table until Sync or Close,
// then writes it to the file whole.
type gatheringWriter struct {
	file storage.Writer
	buf  []byte
}

func (w *gatheringWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// flush passes the gathered bytes on in one write.
func (w *gatheringWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.file.Write(w.buf)
	w.buf = nil
	return err
}

func (w *gatheringWriter) Sync() error {
	return errors.Join(w.flush(), w.file.Sync())
}

func (w *gatheringWriter) Close() error {
	return errors.Join(w.flush(), w.file.Close())
}
