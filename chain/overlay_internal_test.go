package chain

import (
	"bytes"
	"fmt"
	"maps"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"pgregory.net/rapid"
)

// TestPropertyOverlayMatchesMap: a store deferring its writes to the
// overlay, driven by random batches of puts and deletes, random flushes,
// random bounds and random crashes (the overlay dropped), always reads
// (point reads and, after the flush an iterator does, LevelDB itself) as
// a plain map that applies the same writes and, at a crash, goes back to
// its state at the last flush (a write that finds the overlay over its
// limit flushes it before it applies its batch). UTXO-set keys ('u') are put only when
// absent, as the chain does (overlay.go, freshWhenAbsent); history keys
// ('o') are put and deleted freely. The store is openStore's, with a write
// buffer of 16–256 bytes, so most writes are larger than it: with
// goleveldb's large-batch transactions (DisableLargeBatchTransaction
// false) this finds reads of older values within seconds.
func TestPropertyOverlayMatchesMap(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		// The chain's LevelDB, with a write buffer so small that most
		// flushes are larger than it (openStore's comment).
		s, err := openStore(Config{Params: LocalParams(), InMemory: true, WriteBufferSize: rapid.IntRange(16, 256).Draw(rt, "writeBuffer")})
		if err != nil {
			rt.Fatal(err)
		}
		defer s.close()
		s.overlay, s.deferring = newOverlay(rapid.IntRange(1, 2000).Draw(rt, "limit")), true
		var keys []string
		for i := range 6 {
			keys = append(keys, fmt.Sprintf("u%d", i), fmt.Sprintf("o%d", i))
		}
		model, onDisk := map[string]string{}, map[string]string{}
		for step := range rapid.IntRange(1, 60).Draw(rt, "steps") {
			switch rapid.IntRange(0, 9).Draw(rt, "op") {
			case 0:
				if err := s.flush(); err != nil {
					rt.Fatal(err)
				}
			case 1:
				s.overlay = newOverlay(s.overlay.limit) // a crash: the overlay is lost
				model = maps.Clone(onDisk)
			default:
				if s.overlay.full() { // the write flushes the overlay first
					onDisk = maps.Clone(model)
				}
				b := new(leveldb.Batch)
				for range rapid.IntRange(1, 5).Draw(rt, "writes") {
					key := rapid.SampledFrom(keys).Draw(rt, "key")
					_, present := model[key]
					if rapid.Bool().Draw(rt, "put") && (key[0] == 'o' || !present) {
						val := fmt.Sprintf("%s@%d", key, step)
						b.Put([]byte(key), []byte(val))
						model[key] = val
					} else {
						b.Delete([]byte(key))
						delete(model, key)
					}
				}
				if err := s.write(b); err != nil {
					rt.Fatal(err)
				}
			}
			if s.overlay.empty() { // flushed (or everything cancelled): LevelDB holds the model
				onDisk = maps.Clone(model)
			}
			for _, key := range keys {
				raw, found, err := s.getRaw([]byte(key))
				want, present := model[key]
				if err != nil || found != present || !bytes.Equal(raw, []byte(want)) {
					rt.Fatalf("step %d: %s reads %q %v %v, model %q %v", step, key, raw, found, err, want, present)
				}
			}
		}
		got := map[string]string{}
		for _, prefix := range []string{"u", "o"} {
			it, err := s.iterator([]byte(prefix))
			if err != nil {
				rt.Fatal(err)
			}
			for it.Next() {
				got[string(it.Key())] = string(it.Value())
			}
			it.Release()
		}
		if !maps.Equal(got, model) {
			rt.Fatalf("LevelDB after the iterator's flush holds %v, model %v", got, model)
		}
	})
}
