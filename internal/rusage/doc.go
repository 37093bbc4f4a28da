// Package rusage reads what this process has used of the machine so far:
// its CPU time and its peak resident memory, as benchmarks and the
// simulator report them.
//
// It owns no state: every call asks the kernel (getrusage(2) for the
// calling process), so it is safe from any goroutine.
package rusage
