//go:build !purego

package miner

import "testing"

// TestStdlibKernelLoads: crypto/sha256 hashes through its marshalled state
// exactly as hashPortable does, so CPUs without SHA-NI get the library's
// assembly. A Go release that changes the state format fails here (the
// solver would fall back to hashPortable).
func TestStdlibKernelLoads(t *testing.T) {
	if stdlibKernel() == nil {
		t.Fatal("the kernel through crypto/sha256 did not load")
	}
}
