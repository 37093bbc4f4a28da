//go:build amd64 && !purego

package miner

import "golang.org/x/sys/cpu"

// sha256dSHANI is the kernel with the SHA-NI instructions
// (sha256d_amd64.s), two lanes interleaved. It needs SHA and SSSE3.
//
//go:noescape
func sha256dSHANI(b *batch)

// cpuid executes CPUID with the given leaf and subleaf (sha256d_amd64.s).
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// haveSHANI: the CPU has the instructions sha256dSHANI uses. Read once at
// start-up and never written again: CPUID is slow (on a virtual machine it
// traps to the hypervisor) and Solve, which runs once per block, would
// otherwise ask on every call; regtest's generatetoaddress spent 14% of its
// CPU time there.
var haveSHANI = hasSHA() && cpu.X86.HasSSSE3

// shaniKernel is sha256dSHANI when the CPU has the instructions it uses,
// else nil.
func shaniKernel() kernel {
	if haveSHANI {
		return sha256dSHANI
	}
	return nil
}

// hasSHA reports the SHA extensions: CPUID leaf 7, subleaf 0, EBX bit 29.
// golang.org/x/sys/cpu reads that leaf but does not export the bit.
func hasSHA() bool {
	if maxLeaf, _, _, _ := cpuid(0, 0); maxLeaf < 7 {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	return ebx&(1<<29) != 0
}
