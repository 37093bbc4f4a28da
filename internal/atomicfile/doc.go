// Package atomicfile writes files so that a crash at any instant leaves
// either the old content or the new, never a mix: the data goes to a
// temporary file in the same directory, is synced, and is renamed over the
// target; the directory is then synced so the rename itself is durable.
//
// It has no state and starts no goroutines.
package atomicfile
