//go:build purego

package miner

// stdlibKernel is nil: with the purego tag crypto/sha256 has no assembly
// either, and hashPortable beats the library's Go through its marshalled
// state.
func stdlibKernel() kernel { return nil }
