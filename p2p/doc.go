// Package p2p is powchain's peer-to-peer layer: the framed protobuf wire
// protocol (frame.go, message.go; specified in docs/PROTOCOL.md), and a node's
// conduct towards its peers — handshake and liveness, address discovery
// through hard-coded seeds, inventory relay, block announcements (by inv
// or, for peers that ask with sendheaders, by header, which saves a round
// trip per hop), compact block relay after BIP152 (compact.go, siphash.go:
// short transaction ids, blocks rebuilt from the mempool, high-bandwidth
// peers that push blocks before validating them), headers-first block
// download from several peers at once, and defences against misbehaving
// peers. Config.Relay says what the node asks its peers for (compact
// blocks, header announcements or inv); it serves each peer what that peer
// asked for.
//
// It is built like etcd's raft: a deterministic Core plus a thin driver.
//
//   - Core (core.go, relay.go, addrrelay.go, sync.go, compact.go,
//     headersync.go, addrbook.go, eviction.go) is a state machine with no
//     goroutines, locks, clock or I/O. Its inputs are method calls that
//     carry the time: Start, Connected, DialFailed, Disconnected, Receive,
//     ProtocolViolation, Tick, ChainChanged, AnnounceTxs, Validate and the
//     administrative calls. Its outputs are Actions: send a message, dial
//     an address, disconnect a peer, save the address book, call Validate.
//     It calls the chain and the mempool synchronously through the Chain
//     (what it reads, ChainReader, and what it submits, ChainSubmitter)
//     and TxPool interfaces, which *chain.Chain and *mempool.Pool
//     implement; the package imports neither the mempool nor anything
//     above it. Randomness (version nonce, ping nonces, address picks,
//     compact block nonces) comes from a PCG source seeded with
//     Config.RandSeed, and every map is walked in sorted order (or, where
//     the order cannot matter, documented so), so the same inputs give the
//     same actions: a simulator can drive many Cores in simulated time and
//     replay a run.
//   - Server (server.go, conn.go) drives one Core over TCP.
//
// Goroutines of a Server, and who owns them:
//
//   - the event loop: the goroutine that called Run. It alone touches the
//     Core and the connection table, and carries out the actions. It stops
//     when Run's context is cancelled.
//   - the acceptor (one, if listening), the dialers (one per ActDial, for
//     one dial), and per connection a reader and a writer. Run starts them
//     all, tracks them in one WaitGroup, and before returning closes the
//     listener and every connection and waits for all of them. None blocks
//     the loop: they hand events to it over one bounded channel (256
//     slots, shared), and give up when the loop has stopped.
//   - per connection, one turn (conn.turn, a one-slot channel) for the
//     messages it receives: the reader takes the turn before posting a
//     decoded message, and the loop gives it back once it has handled that
//     message and queued what the Core sent in answer. A reader waiting
//     for its turn gives up when its connection closes or the loop stops.
//     So a peer's messages take at most one of the channel's slots, a busy
//     loop stops its reader after one more, and the events that need no
//     turn (accepted, dialed, violation, closed) never wait for one; they
//     wait only for a free slot, as before.
//   - per connection, a pause (conn.paused, an atomic, and conn.drained, a
//     one-signal channel): with its turn taken, the reader posts nothing
//     more while over a quarter of MaxSendQueueBytes waits to be written
//     to the peer, and the writer wakes it once a write brings the queue
//     down to that, as Bitcoin Core stops processing the messages of a
//     peer whose send buffer is full (fPauseSend). A peer that asks faster
//     than it reads is held back by TCP's flow control instead of
//     disconnected; a paused reader gives up when its connection closes
//     or the loop stops, and a peer that reads nothing at all is closed
//     by its writer's WriteTimeout.
//   - ActDisconnect hangs a connection up rather than closing it: its
//     writer writes what is queued (within hangUpTimeout, 5 s, or
//     WriteTimeout if shorter), then closes it, so the close never
//     overtakes the messages the Core sent before dropping the peer (the
//     reject that explains a ban). Until then its reader reads on,
//     pre-verifying nothing, and the Core, which has forgotten the peer,
//     ignores what it posts. The Core no longer counts such a connection
//     against MaxPeers, so it may hold little: one with more than
//     hangUpMaxBytes (64 KiB) queued is closed at once, its queue dropped.
//     (A peer whose send queue overflows is closed at once too.)
//   - per connection, the blocks the peer showed it has (conn.shown, a
//     ShownBlocks under conn.shownMu, held only to note or look up): the
//     reader notes each message it decodes, before posting it, and the
//     writer, when a compact block pushed unasked (Action.Push) comes up,
//     drops it if the peer has since shown it has the block: the peer got
//     it elsewhere while the push waited behind earlier messages. The
//     Core is not told; it already counts the block as known to the peer.
//   - a connection's writer reads from the chain: a block served whole is
//     queued as a reference and loaded (Config.Chain's BlockInfoByHash and
//     BlockBytes) by the writer when its turn comes, see "Serving blocks"
//     below. *chain.Chain is safe for concurrent use (chain's doc:
//     BlockInfoByHash holds its RWMutex for reading; BlockBytes is one
//     LevelDB read, which needs no lock), so the writers read while the
//     loop queries and changes the chain; a writer holds no lock of the
//     Server's while it reads, and Run waits for the writers before it
//     returns, so none reads from a chain the node has closed.

// Pipelined block download: the Core connects blocks on the event loop, one
// after another, but their signatures are checked ahead of that. When the
// loop sends a getdata, the Server records in the connection which of its
// blocks have headers in the chain's index (so their proof of work is
// checked); when that peer's reader decodes one of them it hands it, once,
// to Chain.Preverify before waiting for its turn and posting it to the
// loop, so its signatures are checked while the peer's previous message
// waits in the queue. The chain's
// pre-verification workers (owned and stopped by the chain, see its doc)
// then check the block's signatures on the other cores while the loop
// connects the blocks before it, and connecting the block finds them in the
// SigCache. A block a peer sends unasked, under a hash not requested from
// that peer, or whose transactions do not match its header costs no
// signature check before the Core has judged it; what one peer can make
// the node pre-verify is bounded by what the node asked it for. The Core
// knows nothing of this: it stays deterministic, and the simulator, which
// drives Cores without a Server, does not pre-verify.
//
// Serving blocks: the Core answers a getdata for a block with the body as
// the chain stored it (ChainReader.BlockBytes, MsgStoredBlock: the
// protobuf Block a block message's Envelope holds, written after the
// frame header and the Envelope's field prefix as it is, not copied:
// frameParts), so a node serving initial sync neither decodes, re-encodes
// nor copies the blocks it sends; the peer receives an ordinary block
// message. Only blocks the node has connected (so valid) are served whole
// (servedWhole): a peer bans the sender of an invalid whole block, and the
// node keeps bodies it never validated or found invalid. A block marked
// invalid (by the operator's invalidateblock too) is served in no form
// (servedAtAll).
//
// The body is read late: the Core answers with a reference (a
// MsgStoredBlock holding the block's hash and the inventory type asked,
// Encoded nil; it reads no body on the event loop), and the driver loads
// it when the message's turn to be written comes (LoadStoredBlock): the
// Server's writer, on its own goroutine, just before encoding it, so a
// queued block costs storedBlockRefSize (64 bytes) against the send budget
// and in memory until it is written, and a writer holds at most one
// loaded block (read, framed and written before it takes the next
// message). servedWhole is checked again
// then; a block that cannot be served by then (unreadable from the store)
// is answered in its place with the notfound the Core would have sent
// (of the type asked), so every item of a getdata is still answered, in
// order. A connection that has been hung up loads none: its references
// are dropped. The simulator loads them as it sends (from the sending
// node's chain), so what its links carry is as before.
//
// Invariants and bounds:
//
//   - A frame's length is checked against its type's maximum before the
//     payload is read; payloads over 64 KiB are buffered as they arrive.
//     Every list has a cap derived from consensus limits (never stricter),
//     enforced before anything is allocated for it: the elements of a
//     payload's lists of messages, at any depth, are counted on the wire
//     before protobuf builds them (checkListElements; an empty element is
//     2 bytes there and a hundred in memory), and conversion to domain
//     types uses the strict wire.*FromProto functions.
//   - A peer can make the node hold little: at most two of its messages
//     are held on its behalf before the Core has judged them, one queued
//     for the loop and one its reader is reading or decoding (or has
//     decoded and holds until its turn); TCP backpressure does the rest.
//     Each is at most its type's MaxPayload on the wire (the largest, an
//     inv, getdata or notfound of MaxInvPerMsg items, is 1.9 MB; a block
//     1.25 MB), so a peer holds at most about 3.8 MB of frames, plus the
//     reader's 64 KiB buffer, in the node, however busy the loop; its send queue is bounded in bytes and count: a peer's
//     requests wait while a quarter of it is full (the pause above), and
//     a peer whose queue overflows all the same (what the node sends it
//     unasked) is disconnected rather than waited for (the queue
//     holds at most MaxSendQueueBytes, 4 MiB by default, of messages in
//     memory, and maxQueuedMsgs of them: blocks served whole wait there as
//     64-byte references and are read from the chain only as they are
//     written, so a peer that asks for blocks and reads nothing makes the
//     node hold neither their bodies nor, since the writer reads a block
//     only once the one before it is written, more than one of them); its
//     known inventory and addresses, block and transaction requests, and
//     the blocks served per getdata are bounded (peer.go; and what one
//     getdata is answered with from memory, by half the send budget);
//     orphan transactions
//     are bounded per peer by the mempool. A transaction one announcer
//     fails to deliver is asked of the next that announced it meanwhile,
//     outbound peers first (txFailed; at most maxTxInFlight such
//     announcements per peer), so a peer that announces first and never
//     delivers cannot keep it from the node; one the new tip's block holds
//     is asked of no one else (forgetConfirmed).
//   - A transaction submitted to the node (AnnounceTxs) is announced
//     again every Config.RebroadcastInterval (plus up to half of it) to
//     the peers not told of it, until a peer asks for it or it leaves the
//     pool (TxPool.Unbroadcast, as Bitcoin Core's unbroadcast set, kept by
//     the pool and saved with it), so one submitted while the node had no
//     peers, or before a restart, still leaves it.
//   - Address relay is bounded as Bitcoin Core bounds it (addrrelay.go,
//     docs/PROTOCOL.md "Address relay"): an address the node passes on goes
//     to at most two peers, picked by a keyed hash of the address, the day
//     and the peer, so the same ones all day; and each peer's addresses
//     pass through a token bucket (0.1 a second, at most 1,000, plus a
//     getaddr's answer), the excess dropped unprocessed and counted. So an
//     address costs a network of N nodes O(N) messages, not O(N·peers).
//   - A getaddr is answered once per inbound connection (never one from a
//     peer the node dialed, as Core), without banned addresses; off local
//     networks from a cache as Bitcoin Core's (getAddrCache): one per
//     network the peer came over and IP of the node on the connection (the
//     driver says it in Connected), 23% of the addresses the node would
//     share (at most 1,000), kept 21 to 27 hours, not saved; so
//     reconnecting peers learn no more of the book than one answer, and
//     cannot link the node's addresses by their answers. Local networks
//     answer each getaddr with a fresh sample of up to 1,000: their nodes
//     find each other so as they start. An answer with nothing to share
//     is no addr at all (Bitcoin Core sends none empty).
//   - Idle costs stay flat: a Tick of a node in sync with its outbound
//     slots full builds no address sets and plans no downloads
//     (maintainOutbound and fillDownloads return first), and the chain
//     keeps each block's median time past, so asking for the tip is cheap.
//   - One operator cannot fill the address book or every outbound slot
//     from its own addresses (addrbook.go, spreadGroup): the book keeps at
//     most maxBookPerSource addresses learned from one address group and,
//     full, evicts from the group that gave the most; discovery dials one
//     outbound peer per group (dialGroup: configured addresses in none).
//     Every host name is one group; local and private addresses are
//     exempt.
//   - Off local networks (chain.Params.LocalAddrs false: main) the node
//     keeps, relays and shares only routable IP addresses from peers
//     (shareable, routable: Bitcoin Core's IsRoutable ranges, no host
//     names, docs/PROTOCOL.md "Discovery"), in addr messages and an
//     inbound peer's listen address alike, so a stranger cannot point its
//     dials or its peers' at loopback, private hosts or names of its
//     choice; configured addresses are dialed whatever they are, but
//     shared only if routable, and a restored book drops what no peer
//     could have given. Local networks (local, regtest, the simulator's)
//     keep any address: their nodes find each other through them.
//   - Inbound slots cannot be held forever: when they are full, a newcomer
//     evicts one inbound peer, chosen deterministically (eviction.go)
//     after protecting the most useful, diverse and oldest peers.
//   - Headers reach the chain's index (and disk) only as part of a chain
//     with at least the tip's work (and the network's minimum): a peer's
//     lower-work chain is presynced keeping one hash per 1,000 headers,
//     then downloaded again and stored in chunks matched against those
//     hashes (headersync.go). A presync holds 32 bytes per 1,000 headers
//     and at most MaxPresyncHeaders of them; a redownload holds at most
//     1,000 headers. Unrequested blocks that would store a low-work header
//     are dropped.
//   - Nothing is announced to a peer that is known to have it, or twice.
//     A peer's known inventory holds 8-byte SipHash keys of the hashes
//     under the node's secret key (knownHashes, peer.go), as Bitcoin
//     Core's rolling filters hold hashes rather than inventory: a false
//     match (two hashes sharing a key, about 1 in 2^64 per lookup and not
//     choosable by a peer) only suppresses a redundant announcement, or
//     announces a block by header or compact block to a peer that then
//     asks for the parent it lacks, as after any missed announcement.
//     The txids the pool refused recently are held the same way. These
//     sets, and a peer's known addresses, are boundedSets (keyset.go):
//     first in, first out, about 14 bytes per key (the keys in order and
//     a 4-byte-per-slot index into them), grown with use.
//   - Compact blocks: at most three peers are asked to push them; one
//     rebuild per peer is held (its transactions at most a block's); a
//     block is fetched from at most three peers at once (the one asked,
//     and high-bandwidth peers that pushed it while it was being fetched,
//     asked for its missing transactions; the last place only to an
//     outbound peer unless one fetches it already); the
//     transactions kept beside the pool for rebuilding are at most 100
//     of at most 100,000 bytes each
//     (a block off the tip, a fork's other branch, also looks at the tip
//     block's). The last 13 blocks near the tip that were pushed, served
//     or rebuilt from in compact form, or whose transactions were served,
//     are kept decoded with their compact form (recentBlocks, at most 13
//     blocks' memory), so that asking for them again costs no read or
//     decode of a block; blocks more than 2 above the tip (initial sync
//     stores them before their parents) are served only whole, once
//     validated, so the 13 hold every block of the best chain served that
//     way (forks' blocks, which cost proof of work, can displace them).
//     Only blocks near the tip (at most 2 above it, 5 below) are fetched
//     or rebuilt in compact form.
//     Rebuilding looks at every pool transaction whatever their order, so
//     its outcome does not depend on the pool's map order. A block pushed
//     to high-bandwidth peers before validation is held (at most one per
//     input) until the driver, having queued the pushes, carries out
//     ActValidate by calling Validate: the Server's writers send the
//     compact blocks while its event loop validates. An invalid block that
//     came as a compact block bans nobody (it may have been pushed
//     unvalidated).
//   - No panic is reachable from the network: decoding never panics on any
//     input (fuzzed), handlers check what they index, and a reader that
//     panics anyway recovers, logs and closes its connection.
//   - Peers that break consensus (invalid block, header or transaction as
//     the mempool classifies it), the framing, the encoding or a list cap,
//     or that flood unrequested data, are banned by IP for BanDuration;
//     bans are saved in the address book file (atomically) and survive
//     restarts: the operator's at once, those for misbehaviour with the
//     book (every SaveInterval, and at shutdown), so a stranger banned
//     from one fresh address after another does not have the node write
//     the whole file once per connection, and at most maxMisbehaviourBans
//     of those are kept (the one ending first makes way; the operator's
//     are not counted); a file NewServer cannot read
//     stops it, left as it is (an
//     empty book would be saved over it). A wrong magic or network, a
//     timeout or a stall only disconnects. A local (loopback) address is
//     never banned for misbehaviour, only disconnected and logged: every
//     process on the machine shares it. Such bans found in the file are dropped on load;
//     an operator's setban of a local address is kept.
//
// Lock order: the Core has no locks. A connection's expectMu guards its
// expected blocks and is held only for a map operation, by the loop or the
// reader. A writer loading a stored block calls the chain holding no
// lock. A connection's turn is no lock: the reader waits for it holding
// nothing, and the loop gives it back without waiting (the reader filled
// it before posting the message the loop took). ChainEvents (the glue
// every driver of a Core uses between a chain subscription and Core.ChainChanged) guards
// the tip-changed flag and the disconnected transactions with its own
// mutex; its callback may run on the event loop itself (inside
// ProcessBlock), so it never blocks: it appends under the mutex and signals
// a one-slot channel. No lock is held while calling the chain or the pool.
//
// Public methods of Server (Peers, AddNode, SetBan, ...) are safe for
// concurrent use: they run as closures on the event loop and wait for it.
// They block until Run has started and return ErrStopped after it ended;
// Totals, which reads two atomic counters, waits for nothing.
package p2p
