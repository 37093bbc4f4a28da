package chain

import (
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Upgrades between the database formats (store.go). A chain that keeps
// the address history (every node) writes format 3; one configured
// without it (a benchmark's baseline) writes format 1.
//
//   - Format 1 (address index, no history) opened by a chain with the
//     history: catchUpIndexes builds the history from the best chain's
//     bodies and undo records; its last batch records version 3, so an
//     interrupted build starts again. Then the address index is dropped
//     as below.
//   - Format 2 (history and address index): dropAddrIndex records version
//     3 first, in a batch of its own, then deletes every 'a' key in
//     batches of deleteBatchKeys. Once the database says 3, no build
//     reads 'a' in it: this one serves addresses from the history, and
//     older ones (which read versions 1 and 2) refuse it. A crash at any
//     point leaves either version 2 with the whole address index, or
//     version 3 with part of it, garbage that the next open deletes
//     (LevelDB replays a prefix of the writes after a crash, never a
//     later write without an earlier one).
//   - Format 2 or 3 opened by a chain configured without the history:
//     refused (it would let the history go stale, and in format 3 it
//     would need the address index rebuilt; no such chain needs either).
//   - A version above 3 was written by a newer build and is refused with
//     that said: nothing here can read it.

// checkFormat decides whether the chain can open a database of version
// s.found (an existing database's; the upgrade itself runs once the chain
// is loaded).
func (s *store) checkFormat() error {
	switch {
	case s.found == s.format:
		return nil
	case s.found > formatVersion:
		return fmt.Errorf("database format version %d was written by a newer powchain (this build reads versions %d to %d); run that version, or move the database away and resync", s.found, formatVersionNoHistory, formatVersion)
	case s.found < formatVersionNoHistory:
		return fmt.Errorf("database format version %d is not supported (this build reads versions %d to %d); move it away and resync", s.found, formatVersionNoHistory, formatVersion)
	case s.format == formatVersionNoHistory:
		return fmt.Errorf("database format version %d keeps the address history, which this chain is configured without; open it with the history or move it away", s.found)
	}
	return nil
}

// announceUpgrade tells Config.FormatUpgrade, if set, that the database
// is about to be upgraded (catchUpIndexes, dropAddrIndex). Caller owns the
// chain (opening).
func (c *Chain) announceUpgrade() {
	if c.formatUpgrade != nil && c.store.found != c.store.format {
		c.formatUpgrade(c.store.found, c.store.format)
	}
}

// dropAddrIndex finishes the move of a database that has the address
// history to format 3: it records version 3 (unless the database says so
// already) and deletes what is left of the address index, then compacts
// its key range so the space is returned and later opens do not step over
// the deletions. A database in the current format without 'a' keys costs
// one seek. Caller owns the chain (opening), after catchUpIndexes.
func (c *Chain) dropAddrIndex() error {
	s := c.store
	if s.format != formatVersion {
		return nil
	}
	if s.found != formatVersion {
		b := new(leveldb.Batch)
		s.putInfo(b, c.params)
		if err := s.write(b); err != nil {
			return err
		}
		s.found = formatVersion
	}
	deleted, err := c.deletePrefix(prefixAddr)
	if err != nil || deleted == 0 {
		return err
	}
	if err := s.db.CompactRange(*util.BytesPrefix([]byte{prefixAddr})); err != nil {
		return fmt.Errorf("compact the dropped address index: %w", err)
	}
	return nil
}
