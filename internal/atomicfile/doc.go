// Package atomicfile writes files so that a crash at any instant leaves
// either the old content or the new, never a mix: the data goes to a
// temporary file in the same directory ("."+name+".tmp" and a random
// number), is synced, and is renamed over the target; the directory is
// then synced so the rename itself is durable. WriteNew creates a file
// the same way but never replaces one: the temporary file is hard-linked
// to the target, which fails if the target exists, then removed.
//
// The last step, syncing the directory, comes after the file is in place:
// when it fails, WriteFile and WriteNew return an error that errors.Is
// ErrDirNotSynced (and its cause), so a caller can tell "written, but a
// crash may undo it" (a new wallet's only copy of its mnemonic is then
// still to be shown to the user) from "not written".
//
// A crash before the rename (or the removal) leaves the temporary file
// behind. RemoveTemps removes those of one target; only the target's
// owner calls it, holding the lock that every writer of the target takes
// (the node its data dir's lock, at start; a wallet the wallets
// directory's flock, before each write, its creation included), so a
// temporary file it removes is never one a live writer is still filling.
//
// It has no state and starts no goroutines.
package atomicfile
