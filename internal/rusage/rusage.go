package rusage

import (
	"syscall"
	"time"
)

// Usage is the process's use of the machine at one moment.
type Usage struct {
	CPU     time.Duration // user and system time, all threads
	PeakRSS uint64        // the most resident memory held, in bytes
}

// Self returns the calling process's usage so far. getrusage(2) fails
// only for an unknown "who" or a bad address, neither possible here, so a
// failure is a broken platform and panics.
func Self() Usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic("getrusage: " + err.Error())
	}
	return Usage{
		CPU:     time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		PeakRSS: uint64(ru.Maxrss) << 10, // Linux reports kilobytes
	}
}
