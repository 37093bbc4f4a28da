//go:build !amd64 || purego

package miner

// shaniKernel is nil: SHA-NI is an amd64 instruction set (and the purego
// build tag leaves assembly out).
func shaniKernel() kernel { return nil }
