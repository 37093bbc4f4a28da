package chain

// DisableSyncForBenchmark turns the sync policy off, so a benchmark can
// measure what it costs.
func (c *Chain) DisableSyncForBenchmark() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.noSync = true
}

// DurableFile is the name of the durable-tip record in the database dir.
const DurableFile = durableFile
