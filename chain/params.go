package chain

import (
	"fmt"
	"math/big"
	"time"

	"powchain/wire"
)

// MedianTimeBlocks is how many blocks, ending at the parent, the median time
// past is taken over.
const MedianTimeBlocks = 11

// MaxFutureBlockTime is how far ahead of the node's clock a block timestamp
// may be.
const MaxFutureBlockTime = 2 * time.Hour

// Params are the consensus and network parameters of one network. Values are
// built by LocalParams, RegtestParams and MainParams; a Params is never modified after it
// is built, so it can be shared freely.
type Params struct {
	// Name is the network's name, as given to --network.
	Name string
	// Magic starts every P2P frame, so nodes of different networks can never
	// talk to each other by accident.
	Magic [4]byte
	// DefaultPort, RPCPort and HTTPPort are the default P2P, JSON-RPC and
	// HTTP (REST, events, metrics, explorer) ports.
	DefaultPort uint16
	RPCPort     uint16
	HTTPPort    uint16
	// Seeds are the hard-coded addresses (host:port) of the seed nodes.
	Seeds []string
	// LocalAddrs: the network's nodes share one machine or a private
	// network, so the addresses peers send and relay may be loopback,
	// private or host names (local and regtest). False (main): a node
	// keeps and relays only the routable IP addresses peers send, as
	// Bitcoin Core's address manager (p2p, docs/PROTOCOL.md "Discovery").
	LocalAddrs bool
	// AddressPrefix is the bech32 human-readable part of addresses.
	AddressPrefix string

	// GenesisBlock is the first block; GenesisHash its id.
	GenesisBlock *wire.Block
	GenesisHash  wire.Hash

	// PowLimit is the easiest allowed target; PowLimitBits its compact form.
	PowLimit     *big.Int
	PowLimitBits uint32
	// TargetSpacing is the ideal time between blocks, in seconds.
	TargetSpacing int64
	// AsertHalfLife is aserti3-2d's half-life, in seconds: a chain one
	// half-life ahead of schedule has half the target of one on schedule.
	AsertHalfLife int64
	// NoRetargeting makes every block carry the genesis block's bits
	// (regtest: blocks only when asked for, so there is no schedule).
	NoRetargeting bool

	// CoinbaseMaturity is how many blocks must build on a coinbase's block
	// before its outputs can be spent: spend height - coinbase height >= it.
	CoinbaseMaturity uint64
	// InitialSubsidy is the block reward at height 0, in base units; it
	// halves every SubsidyHalvingInterval blocks.
	InitialSubsidy         uint64
	SubsidyHalvingInterval uint64

	// MinChainWork is the work a header chain must have before the node
	// stores its headers, besides the tip's (nil: none). It is a known
	// lower bound of the honest chain's work, raised with releases as
	// Bitcoin Core's nMinimumChainWork; both networks are too young to
	// have one, so they rely on the tip's work alone.
	MinChainWork *big.Int
}

// Network names.
const (
	LocalNet   = "local"
	RegtestNet = "regtest"
	MainNet    = "main"
)

// ParamsForNetwork returns the parameters of the named network.
func ParamsForNetwork(name string) (*Params, error) {
	switch name {
	case LocalNet:
		return LocalParams(), nil
	case RegtestNet:
		return RegtestParams(), nil
	case MainNet:
		return MainParams(), nil
	}
	return nil, fmt.Errorf("unknown network %q (want %q, %q or %q)", name, LocalNet, RegtestNet, MainNet)
}

// genesisTime is 2026-11-21 00:00:00 UTC, when the genesis blocks were made.
const genesisTime = 1795219200

// LocalParams describes the local test network, the default: a proof-of-work
// limit a laptop meets in milliseconds (2^16 hashes on average), one-second
// spacing and a coinbase maturity of 10 blocks. Its seeds are three loopback
// ports, so a whole network runs on one machine.
//
// Difficulty follows the miners from the network's first block: aserti3-2d
// is anchored at block 1 (see NextBits) with a ten-second half-life, so a
// fresh network at the limit, where one CPU thread finds about a hundred
// blocks a second, needs only tens of blocks to reach one block a second,
// and the target then moves by about 7% per second the chain runs ahead of
// or behind schedule.
func LocalParams() *Params {
	p := &Params{
		Name:                   LocalNet,
		Magic:                  [4]byte{'P', 'O', 'W', 'L'},
		DefaultPort:            19440, // apart from the seeds' ports
		RPCPort:                19443,
		HTTPPort:               19480,
		Seeds:                  []string{"127.0.0.1:19444", "127.0.0.1:19445", "127.0.0.1:19446"},
		LocalAddrs:             true,
		AddressPrefix:          "pcrt",
		PowLimitBits:           0x1f00ffff,
		TargetSpacing:          1,
		AsertHalfLife:          10,
		CoinbaseMaturity:       10,
		InitialSubsidy:         50 * wire.CoinValue,
		SubsidyHalvingInterval: 210_000,
	}
	p.setGenesis(NewGenesisBlock("powchain local genesis", genesisTime, p.PowLimitBits, 66261, p.InitialSubsidy))
	return p
}

// RegtestParams describes regtest, modelled on Bitcoin Core's: a proof of
// work of about two hashes, constant bits (no retargeting), no seeds (peers
// only through --connect and --addnode), a coinbase maturity of 100 blocks
// and a subsidy halving every 150 blocks, so scripts and tests make blocks on
// demand (generatetoaddress) and Core's regtest habits carry over.
func RegtestParams() *Params {
	p := &Params{
		Name:                   RegtestNet,
		Magic:                  [4]byte{'P', 'O', 'W', 'R'},
		DefaultPort:            18444,
		RPCPort:                18443,
		HTTPPort:               18480,
		LocalAddrs:             true,
		AddressPrefix:          "pcrg",
		PowLimitBits:           0x207fffff,
		TargetSpacing:          600,
		NoRetargeting:          true,
		CoinbaseMaturity:       100,
		InitialSubsidy:         50 * wire.CoinValue,
		SubsidyHalvingInterval: 150,
	}
	p.setGenesis(NewGenesisBlock("powchain regtest genesis", genesisTime, p.PowLimitBits, regtestGenesisNonce, p.InitialSubsidy))
	return p
}

// MainParams describes the main network: Bitcoin's proof-of-work limit,
// ten-minute spacing, a two-day aserti3-2d half-life (as Bitcoin Cash), a
// maturity of 100 blocks and 50 coins halving every 210,000 blocks. Like
// local's, its difficulty is anchored at block 1 (see NextBits): the genesis
// block predates the launch, and a schedule counted from it would let the
// first miners mine at the limit, as fast as their hash rate allows, until
// the chain had caught up with the weeks since genesis.
func MainParams() *Params {
	p := &Params{
		Name:                   MainNet,
		Magic:                  [4]byte{'P', 'O', 'W', 'M'},
		DefaultPort:            9444,
		RPCPort:                9443,
		HTTPPort:               9480,
		Seeds:                  []string{"seed1.powchain.org:9444", "seed2.powchain.org:9444", "seed3.powchain.org:9444"},
		AddressPrefix:          "pc",
		PowLimitBits:           0x1d00ffff,
		TargetSpacing:          600,
		AsertHalfLife:          2 * 24 * 3600,
		CoinbaseMaturity:       100,
		InitialSubsidy:         50 * wire.CoinValue,
		SubsidyHalvingInterval: 210_000,
	}
	p.setGenesis(NewGenesisBlock("powchain main genesis 2026-11-21", mainGenesisTime, p.PowLimitBits, mainGenesisNonce, p.InitialSubsidy))
	return p
}

// setGenesis installs the genesis block and derives the proof-of-work limit
// from PowLimitBits.
func (p *Params) setGenesis(g *wire.Block) {
	p.GenesisBlock = g
	p.GenesisHash = g.BlockHash()
	p.PowLimit = CompactToBig(p.PowLimitBits)
}

// NewGenesisBlock builds a genesis block: a lone coinbase at height 0 whose
// tag names the network and which pays subsidy to the all-zero key hash, for
// which no key is known, so the genesis coins can never move.
func NewGenesisBlock(tag string, timestamp int64, bits, nonce uint32, subsidy uint64) *wire.Block {
	var data wire.CoinbaseData
	copy(data.Tag[:], tag)
	cb := wire.NewCoinbaseTx(data, []wire.TxOut{{Amount: subsidy}})
	root, _ := wire.MerkleRoot([]wire.Hash{cb.TxID()})
	return &wire.Block{
		Header: wire.BlockHeader{
			Version:    1,
			MerkleRoot: root,
			Timestamp:  timestamp,
			Bits:       bits,
			Nonce:      nonce,
		},
		Transactions: []*wire.Tx{cb},
	}
}

// CalcBlockSubsidy returns the new coins a block at height may create.
func (p *Params) CalcBlockSubsidy(height uint64) uint64 {
	halvings := height / p.SubsidyHalvingInterval
	if halvings >= 64 {
		return 0
	}
	return p.InitialSubsidy >> halvings
}

// regtestGenesisNonce is the first nonce that solves the regtest genesis
// block.
const regtestGenesisNonce = 1

// The main genesis block's time and nonce: the first nonce spaces of
// genesisTime and genesisTime+1 hold no solution of its 2^32-hash target.
const (
	mainGenesisTime  = genesisTime + 2
	mainGenesisNonce = 114190657
)
