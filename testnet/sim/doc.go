// Package sim is a deterministic discrete-event simulator of a powchain
// network: N full nodes in one process, one simulated clock, a simulated
// network whose links delay, lose and partition messages, and seeded random
// sources, so that a whole run is a function of its seed and a failing run
// replays exactly.
//
// What it owns:
//
//   - Nodes (node.go). Each is a real chain.Chain (LevelDB in memory, or
//     in its own directory under Config.Dir; with a 16 KiB write buffer;
//     in memory also without LevelDB's buffer pool, with a 128 KiB block
//     cache and 64 KiB tables each held in a buffer of its size,
//     chain.Config.InMemory),
//     a real mempool.Pool and a p2p.Core, driven directly: no TCP, no
//     p2p.Server, no goroutine per peer. Every node's chain and pool share
//     one signature cache (chain.NewSharedSigCache): an entry says that a
//     transaction's signatures verify, which holds for every node alike,
//     so the network checks each signature once instead of once per node.
//     The Core sees the chain through meteredChain, which charges the
//     validation model and records when the node first had each block.
//     The chain and the pool read the simulated clock through
//     chain.Clock; the Core is given the time with every input. Chain notifications reach the pool and the Core
//     through the same glue as in a real node (node.FollowChain, then
//     p2p.ChainEvents): the transactions of disconnected blocks are
//     collected and, after the input that changed the tip, passed to
//     Core.ChainChanged; transactions a node accepts locally are passed to
//     Core.AnnounceTxs.
//   - The event queue (queue.go): events ordered by (time, sequence
//     number), the number given when the event is scheduled, so
//     simultaneous events run in scheduling order.
//   - The network (network.go, conn.go). Each pair of nodes has a base
//     latency drawn from the seed (uniformly, or from the region model); each message adds jitter, may be lost
//     (LinkConfig.DropRate) and is cut by a partition, both when sent and
//     when it would arrive. Connections behave like TCP otherwise: each
//     direction is FIFO; a dial reaches the target after one base latency
//     (Connected, inbound) and completes after two (Connected, outbound),
//     or fails after DialTimeout if nobody listens there or the link is
//     cut; a close reaches the other end after the data sent before it
//     (Disconnected), and a message that reaches a closed end resets the
//     sender's end. A connection across a partition stays open but carries
//     nothing, so the Cores' own timeouts (stall, idle) decide its fate.
//     Messages cross the real frame codec (p2p.EncodeFrame, DecodeFrame).
//     A block a Core serves whole by reference (p2p.MsgStoredBlock) is
//     loaded from the sending node's chain when it is sent
//     (p2p.LoadStoredBlock, as p2p.Server's writer loads it).
//   - Work (work.go). Mine builds a block on a node's own tip from its
//     pool's template (miner.NewTemplate, miner.NewBlock; chaintest's
//     trivial proof of work) and processes it locally; the node relays it.
//     InjectTx spends coins the node sees (mature outputs on its chain or
//     outputs of its pool's transactions, all paying to chaintest keys) and
//     submits the transaction to its pool, as a wallet would.
//   - Scenarios (scenario.go): random mining at random nodes, random
//     transactions, random partitions and heals, then convergence.
//   - Measurement runs (propagation.go, measure.go, and the command
//     cmd/simnet, which prints one JSON object): blocks mined at
//     exponential intervals by nodes drawn by hash power, and for every
//     block the times until 50%, 95% and 100% of the nodes had it, its
//     floor, and the stale rate beside the estimate 1 − e^(−τ/T).
//
// Models. Off by default (the scenario tests run without them); cmd/simnet
// turns them all on.
//
//   - Latency (region.go, LinkConfig.Regions): each node sits in one of
//     five regions (North America 30%, Europe 45%, Asia 15%, South America
//     5%, Oceania 5%) and a link's base latency is its regions' one-way
//     delay (half of WonderNetwork's city-to-city round trips, 12 to
//     155 ms) times a factor in [0.7, 1.3] drawn per link.
//   - Bandwidth (conn.go, LinkConfig.UploadBitsPerSec): each node has one
//     upload link shared by all its connections, first come first served.
//     A message enters the queue when it is ready, leaves when the messages
//     before it are out and its bytes (its real frame plus any virtual
//     payload) are serialized at the upload rate, and arrives its link's
//     latency (plus jitter) later: arrival = latency + queueing +
//     size/bandwidth. Downloads are not limited. Connection set-up and
//     teardown take no bandwidth. A compact block pushed unasked is
//     decided only when its turn on the link comes (an evUpload event): if
//     its peer has shown meanwhile that it has the block (a message from it
//     arrived, p2p.ShownBlocks), it is dropped, as p2p.Server's writer
//     drops it, and the messages behind it move up; if its connection
//     closed, it is not sent. With no push dropped the schedule is the one
//     of a plain FIFO link (each message's loss and jitter are drawn when
//     it is sent, in sending order).
//   - Validation (cpu.go, Config.ValidationPerTx): a node is one thread.
//     Every block its Core hands the chain costs ValidationPerTx per
//     transaction (cmd/simnet: 12 µs, BenchmarkConnectBlock's cached case,
//     docs/BENCHMARKS.md); the Core's synchronous call returns at once and
//     the Sim puts the time back afterwards: the node is busy until now +
//     cost, inputs that reach it meanwhile wait (in order), and the
//     messages the input and the ChainChanged after it send enter the
//     upload queue when validation ends. Compact blocks pushed in BIP 152's
//     high-bandwidth mode leave before validation: the Core returns
//     ActValidate after the pushes instead of validating, the Sim sends
//     the pushes at once, then calls Core.Validate and charges the
//     validation, and what Validate returns waits for it. A node's own
//     mined block and transactions cost nothing.
//   - Block size (payload.go, Config.BlockSize): real transactions at a
//     modest rate, plus a declared number of virtual transactions per
//     block (200 bytes each) that make it BlockSize bytes and that every
//     node is taken to hold already. Bandwidth charges them (a full block:
//     their bytes; a compact block: 6 bytes each; blocktxn: nothing, no
//     node misses one) and so does validation (per transaction). Left
//     out: their relay before the block (which would take a steady share
//     of every upload link), pools that miss some of them, and their
//     memory and real CPU cost.
//   - Hash power (hashpower.go): six nodes drawn at random are large
//     miners with 26, 19, 13, 10, 7 and 5% of the hash power; every other
//     node shares the remaining 20% evenly. MineWeighted draws the miner
//     by these shares (MineRandom, used by scenarios, stays uniform).
//
// Measurements (measure.go). A node has a block when its Core has handed
// the whole block and each of its ancestors to the chain (after any wait
// for the node to be free, before validation): a node on the losing side
// of a fork that receives a block before the parent it lacks cannot use it
// yet. The miner has it when it is mined. The floor of a block at
// a node is the shortest path to it from the miner over the connections
// open when the block was mined, each hop costing the link's base latency
// and one serialization of the block's compact form at the sender's upload
// rate: no queueing, no validation, no round trips. Every node has every
// block no earlier than its floor (tested). Beside it the ideal push time
// (idealPush) adds only queueing on the upload links: each node pushes the
// compact form at once to its peers one after another, those that gain most first,
// skipping peers that have it or will get it sooner elsewhere; it shows
// what fan-out on a finite upload rate costs a protocol that wastes
// nothing else. Both are also computed with cut-through forwarding, the
// compact form cut in 1,400-byte pieces (pieceSize), each forwarded once
// it is in and the sender's link is free (as FIBRE relays): the
// cut-through floor charges the first piece per hop and the rest of the
// form once, the limit of any schedule in which each node gets the form
// from one sender (tested), and the cut-through ideal push shows how far
// such a relay, wasting nothing else, could bring the 95% time below the
// store-and-forward ideal; computed again with the jitter's mean added to
// every link, it shows about what the jitter, which every real message
// pays and the floors leave out, adds to it. Report times are means over
// the measured blocks (those on the final best chain); ratio_p95 is the
// mean 95% time over the mean 95% floor; τ is the mean over blocks of the
// delay to each node weighted by its hash power, the time the network
// keeps mining on the old tip. Each arrival also remembers the message
// that completed the block (its sender, and when it was ready, started
// and finished uploading), so the path a block took to a node can be
// walked back to the miner and its delay split into waiting at senders
// (validation, announcements, requests), upload queueing, serialization,
// base latency, the rest (jitter, waiting for the receiver to finish
// validating) and, for a block that arrived before an ancestor, the wait
// for that ancestor (parent); the parts add up to the delay (tested). The report gives
// this split for the node at the 95% mark (p95_path).
//
// Invariants. After every input to a node: its tip, if it changed, is a
// stored, fully validated block on its best chain and has at least the
// work of its previous tip; the node holds no more connections than
// MaxPeers; no node bans another (every node is honest, so a ban is a
// bug); no Core logs an error; every frame encodes and decodes. Every
// CheckInterval of simulated time, on every node: the node can produce its
// tip's block and the tip is its best chain's block at that height; the
// Core's peers are within MaxPeers and the inbound share and all have open
// connections; no two pool transactions spend the same output, every pool
// input is an unspent chain output (mature, if a coinbase's) or an output
// of another pool transaction, and no pool transaction is confirmed. At the
// end of a scenario (after the last heal, a few blocks mined apart and a
// quiet period): every node has the same tip, no node knows a header with
// more work, the tip has the most work any node's tip ever had, and every
// node's UTXO set hashes the same (chain.UTXOSetInfo). The first broken
// invariant stops the run and is returned as a *Failure naming the seed,
// the simulated time and the node.
//
// Determinism. Everything the run decides comes from the seed, through
// independent streams (topology and Core seeds, network, work, scenario,
// hash power),
// so that a change in one consumer does not shift the others. Nothing
// reads the wall clock, iterates a map where order matters or depends on
// goroutine scheduling: the Core walks its maps in sorted order, and the
// Sim sorts what the pool returns unordered. Where the databases live (in
// memory or on disk) changes nothing either. The shared signature cache,
// when full, evicts an arbitrary entry; that decides only whether a
// signature already known to verify is checked again, never an outcome. Digest is SHA-256 over every
// input every node received (time, kind, node, connection, frame bytes)
// and every block mined and transaction injected, so tests compare whole
// runs. Two things outside the Sim are kept out of reach: the mempool
// evicts an arbitrary orphan transaction when its orphan pool is full
// (Config.MaxOrphanTxs raises the limit), and the chain's orphan block
// pool breaks ties between equally old orphans by map order (the Core
// requests only blocks whose headers it has, so no orphan blocks arise).
//
// Replaying. Tests run with a fixed seed each and print it with every
// failure; POWCHAIN_SIM_SEED=N runs them with seed N instead, e.g.
//
//	POWCHAIN_SIM_SEED=42 go test ./testnet/sim -run '^TestScenario$' -v
//
// POWCHAIN_SIM_LOG=1 sends every Core's debug log to stderr. CI runs the
// short scenario (12 nodes, 120 blocks, two partitions); the full one
// (50 nodes, 500 blocks, five partitions) runs with
//
//	POWCHAIN_SIM_LONG=1 go test ./testnet/sim -run '^TestScenarioLong$' -v
//
// and the 1,000-node baseline of issue 13, which reports what it costs
// (CPU seconds, peak heap and resident memory), with
//
//	POWCHAIN_SIM_SCALE=1 go test ./testnet/sim -run '^TestScaleBaseline$' -v
//
// Concurrency. A Sim runs on the goroutine that calls it and is not safe
// for concurrent use. Several Sims may run in parallel: the package has no
// mutable state. The only other goroutines are those of the libraries
// below (LevelDB's background work, the chain's signature worker of one
// block connection, joined before it returns); none of them feeds back
// into a decision.
package sim
