// Package childproc ties the processes that tests and harnesses start (nodes,
// miners) to the process that started them: when a test binary is killed (a
// timeout, a cancelled CI run, ^C), its nodes go with it instead of living on
// as orphans that hold ports and CPU. On Linux the kernel delivers SIGKILL to
// the child when its parent dies (PR_SET_PDEATHSIG); elsewhere it does
// nothing and the callers' own cleanup is all there is.
//
// It has no state and starts no goroutines.
package childproc
