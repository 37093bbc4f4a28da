package rpc

import "encoding/json"

// JSON shapes of the RPC methods' parameters and results, shared by the
// server, the typed client and its users. Field names follow Bitcoin Core
// where a Core method exists; docs/RPC.md documents every field.

// BlockchainInfo is the result of getblockchaininfo.
type BlockchainInfo struct {
	Network              string  `json:"network"`
	Blocks               uint64  `json:"blocks"`
	Headers              uint64  `json:"headers"`
	BestBlockHash        string  `json:"bestblockhash"`
	ChainWork            string  `json:"chainwork"`
	Bits                 string  `json:"bits"`
	Difficulty           float64 `json:"difficulty"`
	MedianTime           int64   `json:"mediantime"`
	InitialBlockDownload bool    `json:"initialblockdownload"`
}

// BlockHeaderResult is the verbose result of getblockheader, and the
// header part of getblock.
type BlockHeaderResult struct {
	Hash              string  `json:"hash"`
	Confirmations     int64   `json:"confirmations"` // -1: not on the best chain
	Height            uint64  `json:"height"`
	Version           uint32  `json:"version"`
	MerkleRoot        string  `json:"merkleroot"`
	Time              int64   `json:"time"`
	MedianTime        int64   `json:"mediantime"`
	Nonce             uint32  `json:"nonce"`
	Bits              string  `json:"bits"`
	Difficulty        float64 `json:"difficulty"`
	ChainWork         string  `json:"chainwork"`
	NTx               int     `json:"nTx"` // 0 for a header whose block data the node lacks
	PreviousBlockHash string  `json:"previousblockhash,omitempty"`
	NextBlockHash     string  `json:"nextblockhash,omitempty"`
}

// BlockResult is the result of getblock with verbosity 1 (Tx holds txids)
// or 2 and 3 (Tx holds TxResult objects).
type BlockResult struct {
	BlockHeaderResult
	Size int `json:"size"`
	Tx   any `json:"tx"`
}

// TxInResult is one input of a decoded transaction, in one of two shapes:
// {txid, vout, signature, pubkey} for a spend, or {coinbase, height,
// extranonce} for a coinbase (Coinbase, the hex of its 64-byte data field,
// is set), every field of the shape present, none of the other; a spend
// also has prevout where getblock verbosity 3, getrawtransaction
// verbosity 2 or the REST interface knows it.
type TxInResult struct {
	TxID       string `json:"txid,omitempty"`
	Vout       uint32 `json:"vout"`
	Signature  string `json:"signature,omitempty"`
	PubKey     string `json:"pubkey,omitempty"`
	Coinbase   string `json:"coinbase,omitempty"`
	Height     uint64 `json:"height"`
	ExtraNonce uint64 `json:"extranonce"`
	// Prevout is the output the input spends: getblock verbosity 3 of a
	// best-chain block and getrawtransaction verbosity 2 of a best-chain
	// transaction (as Bitcoin Core's) or of a mempool transaction, and the
	// REST interface, fill it in.
	Prevout *PrevOut `json:"prevout,omitempty"`
}

// PrevOut is the output an input spends.
type PrevOut struct {
	Value    Amount `json:"value"`
	Address  string `json:"address"`
	Height   uint64 `json:"height"` // 0 for an output of a mempool transaction
	Coinbase bool   `json:"coinbase"`
}

// MarshalJSON writes the input's shape: a coinbase or a spend.
func (in TxInResult) MarshalJSON() ([]byte, error) {
	if in.Coinbase != "" {
		return json.Marshal(struct {
			Coinbase   string `json:"coinbase"`
			Height     uint64 `json:"height"`
			ExtraNonce uint64 `json:"extranonce"`
		}{in.Coinbase, in.Height, in.ExtraNonce})
	}
	return json.Marshal(struct {
		TxID      string   `json:"txid"`
		Vout      uint32   `json:"vout"`
		Signature string   `json:"signature"`
		PubKey    string   `json:"pubkey"`
		Prevout   *PrevOut `json:"prevout,omitempty"`
	}{in.TxID, in.Vout, in.Signature, in.PubKey, in.Prevout})
}

// TxOutResult is one output of a decoded transaction.
type TxOutResult struct {
	Value   Amount `json:"value"`
	N       uint32 `json:"n"`
	Address string `json:"address"`
	KeyHash string `json:"keyhash"`
}

// TxResult is a decoded transaction (decoderawtransaction, verbose
// getrawtransaction, getblock verbosity 2 and 3).
type TxResult struct {
	TxID    string        `json:"txid"`
	Hex     string        `json:"hex,omitempty"`
	Size    int           `json:"size"`
	Version uint32        `json:"version"`
	Vin     []TxInResult  `json:"vin"`
	Vout    []TxOutResult `json:"vout"`
	// Fee is set where the outputs the inputs spent are known, as Bitcoin
	// Core sets it where it has the block's undo data (getblock and
	// getrawtransaction verbosity 2 of a best-chain transaction, the REST
	// interface), and for a mempool transaction (getrawtransaction
	// verbosity 2, the REST interface); never for a coinbase.
	Fee       *Amount `json:"fee,omitempty"`
	BlockHash string  `json:"blockhash,omitempty"`
	// Confirmations is set whenever BlockHash is, as in Bitcoin Core: 0
	// for a block off the best chain (or above the tip read with it).
	Confirmations *int64 `json:"confirmations,omitempty"`
	Time          int64  `json:"time,omitempty"`
}

// MempoolAcceptResult is one entry of the testmempoolaccept result.
type MempoolAcceptResult struct {
	TxID         string  `json:"txid"`
	Allowed      bool    `json:"allowed"`
	Fee          *Amount `json:"fee,omitempty"`
	RejectReason string  `json:"reject-reason,omitempty"`
}

// MempoolInfo is the result of getmempoolinfo.
type MempoolInfo struct {
	Size       int    `json:"size"`
	Bytes      int    `json:"bytes"`
	MaxBytes   int    `json:"maxmempool"`
	MinFeeRate Amount `json:"minfeerate"` // coins per 1000 bytes
	// UnbroadcastCount: transactions submitted to the node that no peer
	// has asked for yet.
	UnbroadcastCount int `json:"unbroadcastcount"`
}

// MempoolEntry is the result of getmempoolentry and of verbose
// getrawmempool.
type MempoolEntry struct {
	Size            int      `json:"size"`
	Fee             Amount   `json:"fee"`
	FeeRate         Amount   `json:"feerate"` // coins per 1000 bytes
	Time            int64    `json:"time"`
	Height          uint64   `json:"height"`
	AncestorCount   int      `json:"ancestorcount"`
	AncestorSize    int      `json:"ancestorsize"`
	AncestorFees    Amount   `json:"ancestorfees"`
	DescendantCount int      `json:"descendantcount"`
	DescendantSize  int      `json:"descendantsize"`
	DescendantFees  Amount   `json:"descendantfees"`
	Depends         []string `json:"depends"`
	SpentBy         []string `json:"spentby"`
	Unbroadcast     bool     `json:"unbroadcast"` // submitted to the node, asked for by no peer yet
}

// TxOutInfo is the result of gettxout (null when spent or unknown).
type TxOutInfo struct {
	BestBlock     string `json:"bestblock"`
	Confirmations uint64 `json:"confirmations"` // 0: in the mempool
	Value         Amount `json:"value"`
	Address       string `json:"address"`
	Coinbase      bool   `json:"coinbase"`
}

// TxOutSetInfo is the result of gettxoutsetinfo.
type TxOutSetInfo struct {
	Height         uint64 `json:"height"`
	BestBlock      string `json:"bestblock"`
	TxOuts         uint64 `json:"txouts"`
	TotalAmount    Amount `json:"total_amount"`
	HashSerialized string `json:"hash_serialized"`
}

// ChainTxStats is the result of getchaintxstats, as Bitcoin Core's: the
// transactions of the best chain up to a block, and over the window of
// blocks ending there. WindowInterval and WindowTxCount are left out for
// an empty window, TxRate also when the interval is 0; TxCount is always
// there (Core leaves it out when unknown, which a best-chain block's
// count never is here).
type ChainTxStats struct {
	Time                   int64    `json:"time"`
	TxCount                uint64   `json:"txcount"`
	WindowFinalBlockHash   string   `json:"window_final_block_hash"`
	WindowFinalBlockHeight uint64   `json:"window_final_block_height"`
	WindowBlockCount       uint64   `json:"window_block_count"`
	WindowInterval         *int64   `json:"window_interval,omitempty"`
	WindowTxCount          *uint64  `json:"window_tx_count,omitempty"`
	TxRate                 *float64 `json:"txrate,omitempty"`
}

// BlockStats is the result of getblockstats, as Bitcoin Core's but for
// its segwit and weight fields (swtotal_size, swtotal_weight, swtxs,
// total_weight), which have no meaning here. Amounts are integers in base
// units and fee rates integers in base units per 1000 bytes (Core: sat
// and sat/vB). With stats selected the result holds only those keys.
type BlockStats struct {
	AvgFee             uint64    `json:"avgfee"`
	AvgFeeRate         uint64    `json:"avgfeerate"`
	AvgTxSize          uint64    `json:"avgtxsize"`
	BlockHash          string    `json:"blockhash"`
	FeeRatePercentiles [5]uint64 `json:"feerate_percentiles"`
	Height             uint64    `json:"height"`
	Ins                uint64    `json:"ins"`
	MaxFee             uint64    `json:"maxfee"`
	MaxFeeRate         uint64    `json:"maxfeerate"`
	MaxTxSize          uint64    `json:"maxtxsize"`
	MedianFee          uint64    `json:"medianfee"`
	MedianTime         int64     `json:"mediantime"`
	MedianTxSize       uint64    `json:"mediantxsize"`
	MinFee             uint64    `json:"minfee"`
	MinFeeRate         uint64    `json:"minfeerate"`
	MinTxSize          uint64    `json:"mintxsize"`
	Outs               uint64    `json:"outs"`
	Subsidy            uint64    `json:"subsidy"`
	Time               int64     `json:"time"`
	TotalOut           uint64    `json:"total_out"`
	TotalSize          uint64    `json:"total_size"`
	TotalFee           uint64    `json:"totalfee"`
	Txs                uint64    `json:"txs"`
	UtxoIncrease       int64     `json:"utxo_increase"`
	UtxoSizeInc        int64     `json:"utxo_size_inc"`
	UtxoIncreaseActual int64     `json:"utxo_increase_actual"`
	UtxoSizeIncActual  int64     `json:"utxo_size_inc_actual"`
}

// AddressUtxosRequest is the parameter of getaddressutxos.
type AddressUtxosRequest struct {
	Addresses []string `json:"addresses"`
	// Mempool adds outputs of mempool transactions (Mempool=true in the
	// result) and leaves out outputs that mempool transactions spend.
	Mempool bool `json:"mempool,omitempty"`
}

// AddressUtxo is one entry of the getaddressutxos result.
type AddressUtxo struct {
	Address       string `json:"address"`
	TxID          string `json:"txid"`
	OutputIndex   uint32 `json:"outputIndex"`
	Amount        Amount `json:"amount"`
	Height        uint64 `json:"height"`        // 0 for mempool outputs
	Confirmations uint64 `json:"confirmations"` // 0 for mempool outputs
	Coinbase      bool   `json:"coinbase"`
	// Mature is false for a coinbase output that cannot be spent yet.
	Mature  bool `json:"mature"`
	Mempool bool `json:"mempool"`
}

// AddressHistoryRequest is the parameter of getaddresshistory.
type AddressHistoryRequest struct {
	Addresses []string `json:"addresses"`
	// Mempool adds outputs of mempool transactions and marks outputs that
	// mempool transactions spend (Mempool=true in either place).
	Mempool bool `json:"mempool,omitempty"`
	// Page (from 0) and PageSize (default 100, at most 1000) select a
	// slice of the entries.
	Page     uint64 `json:"page,omitempty"`
	PageSize uint64 `json:"pagesize,omitempty"`
	// After, instead of Page, asks for the page an answer's Next names:
	// the same answer, read without counting the entries before it again.
	After string `json:"after,omitempty"`
}

// AddressHistory is the result of getaddresshistory: one page of the
// outputs ever paid to the addresses.
type AddressHistory struct {
	// BestBlock and Height are the tip the answer reflects: a client
	// reading several pages starts again when it changes, unless the
	// answer carries the read over (Changed).
	BestBlock string                `json:"bestblock"`
	Height    uint64                `json:"height"`
	Page      uint64                `json:"page"`
	PageSize  uint64                `json:"pagesize"`
	Pages     uint64                `json:"pages"`
	Total     uint64                `json:"total"`
	Entries   []AddressHistoryEntry `json:"entries"`
	// Next names the following page (pass it as After); absent on the last.
	Next string `json:"next,omitempty"`
	// Changed is set on an answer to After whose cursor was read at an
	// earlier tip that the node carried the read over from: the entries of
	// the earlier pages that the blocks since spent or brought to
	// maturity, as they are now (empty when none). nil when BestBlock is
	// the cursor's, or when the read could not be carried over (the
	// earlier pages are then to be read again).
	Changed *[]AddressHistoryEntry `json:"changed,omitempty"`
}

// AddressHistoryEntry is one output paid to one of the addresses.
type AddressHistoryEntry struct {
	Address     string `json:"address"`
	TxID        string `json:"txid"`
	OutputIndex uint32 `json:"outputIndex"`
	Amount      Amount `json:"amount"`
	// Height, BlockHash and Time (block timestamp) of the block that
	// created the output; 0 and "" for a mempool output.
	Height        uint64 `json:"height"`
	BlockHash     string `json:"blockhash,omitempty"`
	Time          int64  `json:"time,omitempty"`
	Confirmations uint64 `json:"confirmations"`
	Coinbase      bool   `json:"coinbase"`
	Mature        bool   `json:"mature"`
	Mempool       bool   `json:"mempool"`
	// Spent says which transaction spent the output; null while unspent.
	Spent *AddressSpend `json:"spent"`
}

// AddressSpend is the transaction input that spent an output.
type AddressSpend struct {
	TxID  string `json:"txid"`
	Input uint32 `json:"input"`
	// Height, BlockHash and Time of the spending block; 0 and "" when the
	// spending transaction is in the mempool (Mempool=true).
	Height    uint64 `json:"height"`
	BlockHash string `json:"blockhash,omitempty"`
	Time      int64  `json:"time,omitempty"`
	Mempool   bool   `json:"mempool"`
}

// ChainTip is one entry of the getchaintips result.
type ChainTip struct {
	Height    uint64 `json:"height"`
	Hash      string `json:"hash"`
	BranchLen uint64 `json:"branchlen"`
	// Status: active, valid-fork, valid-headers, headers-only or invalid.
	Status string `json:"status"`
}

// ValidateAddressResult is the result of validateaddress.
type ValidateAddressResult struct {
	IsValid bool   `json:"isvalid"`
	Address string `json:"address,omitempty"`
	KeyHash string `json:"keyhash,omitempty"`
	Error   string `json:"error,omitempty"`
}

// PeerInfo is one entry of the getpeerinfo result.
type PeerInfo struct {
	ID             uint64  `json:"id"`
	Addr           string  `json:"addr"`
	Inbound        bool    `json:"inbound"`
	Version        uint32  `json:"version"`
	SubVer         string  `json:"subver"`
	StartingHeight uint64  `json:"startingheight"`
	SyncedHeaders  int64   `json:"synced_headers"` // -1: unknown
	SyncedBlocks   int64   `json:"synced_blocks"`  // -1: unknown
	BytesSent      uint64  `json:"bytessent"`
	BytesRecv      uint64  `json:"bytesrecv"`
	PingTime       float64 `json:"pingtime"` // seconds
	ConnTime       int64   `json:"conntime"`
	BlocksInFlight int     `json:"inflight"`
	BanScore       int     `json:"banscore"`
	// AddrProcessed and AddrRateLimited count the addresses the peer sent
	// that were processed and that its token bucket dropped.
	AddrProcessed   int `json:"addr_processed"`
	AddrRateLimited int `json:"addr_rate_limited"`
}

// NetworkInfo is the result of getnetworkinfo.
type NetworkInfo struct {
	Network         string `json:"network"`
	SubVersion      string `json:"subversion"`
	ProtocolVersion uint32 `json:"protocolversion"`
	Connections     int    `json:"connections"`
	ConnectionsIn   int    `json:"connections_in"`
	ConnectionsOut  int    `json:"connections_out"`
	ListenAddress   string `json:"listenaddress"`
}

// NetTotals is the result of getnettotals: the bytes received from and
// sent to peers since the node started, closed connections included, and
// the node's time. Bitcoin Core's uploadtarget is left out: the node has
// no upload target.
type NetTotals struct {
	TotalBytesRecv uint64 `json:"totalbytesrecv"`
	TotalBytesSent uint64 `json:"totalbytessent"`
	TimeMillis     int64  `json:"timemillis"` // Unix milliseconds
}

// BannedInfo is one entry of the listbanned result.
type BannedInfo struct {
	Address     string `json:"address"`
	BannedUntil int64  `json:"banned_until"`
	BanReason   string `json:"ban_reason"`
}

// BlockTemplateRequest is the optional parameter of getblocktemplate.
type BlockTemplateRequest struct {
	// Mode is "template" (the default) or "proposal" (BIP 23: check Data,
	// a block, against every rule but proof of work).
	Mode string `json:"mode,omitempty"`
	// Data is the proposed block's canonical encoding in hex (proposal).
	Data string `json:"data,omitempty"`
	// LongPollID, from a previous template, makes the call wait until the
	// tip changes, or the mempool changed and a few seconds passed.
	LongPollID string `json:"longpollid,omitempty"`
}

// BlockTemplate is the result of getblocktemplate: what the next block
// must be. Amounts are integers in base units, as in Bitcoin Core.
type BlockTemplate struct {
	Version           uint32 `json:"version"`
	PreviousBlockHash string `json:"previousblockhash"`
	Bits              string `json:"bits"`    // compact target, 8 hex digits
	CurTime           int64  `json:"curtime"` // the node's time, at least MinTime
	MinTime           int64  `json:"mintime"` // median time past + 1
	Height            uint64 `json:"height"`
	// CoinbaseValue is the subsidy plus the fees of Transactions.
	CoinbaseValue uint64            `json:"coinbasevalue"`
	Transactions  []BlockTemplateTx `json:"transactions"`
	Target        string            `json:"target"` // 64 hex digits
	// LongPollID names this template's tip and mempool state; pass it back
	// to wait for the next change.
	LongPollID string `json:"longpollid"`
}

// BlockTemplateTx is one transaction of a block template, in block order.
type BlockTemplateTx struct {
	Hex  string `json:"hex"`
	TxID string `json:"txid"`
	Fee  uint64 `json:"fee"` // base units
}

// MiningInfo is the result of getmininginfo, as Bitcoin Core's (29 and
// later) where the node has the notion: the tip's height, bits,
// difficulty and target, the network's hash rate over the last 120
// blocks, the mempool's size, the network's name and the next block's
// target. Core's currentblockweight, currentblocktx, blockmintxfee,
// signet_challenge and warnings are left out (see docs/RPC.md).
type MiningInfo struct {
	Blocks        uint64        `json:"blocks"`
	Bits          string        `json:"bits"` // compact target, 8 hex digits
	Difficulty    float64       `json:"difficulty"`
	Target        string        `json:"target"` // 64 hex digits
	NetworkHashPS float64       `json:"networkhashps"`
	PooledTx      int           `json:"pooledtx"`
	Chain         string        `json:"chain"`
	Next          NextBlockInfo `json:"next"`
}

// NextBlockInfo is getmininginfo's next: the height and target of the
// block that would extend the tip.
type NextBlockInfo struct {
	Height     uint64  `json:"height"`
	Bits       string  `json:"bits"`
	Difficulty float64 `json:"difficulty"`
	Target     string  `json:"target"`
}
