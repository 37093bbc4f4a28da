package explorer

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"powchain/chain"
	"powchain/mempool"
	"powchain/rpc"
	"powchain/rpc/server"
	"powchain/wire"
)

// Bounds of the paging parameters and of the work one request may cause.
const (
	// MaxHeaders is the most headers /rest/headers returns (as Core).
	MaxHeaders = 2000
	// MaxBlocks is the most block summaries /rest/blocks.json returns.
	MaxBlocks = 100
	// MaxPage is the most entries of a paged list (mempool, address, a
	// block's transactions).
	MaxPage = 500
	// TxScanDepth is how many blocks below the tip a txid given without
	// its block is looked for: the node keeps no transaction index.
	TxScanDepth = 1000
	defaultPage = 50
)

// Network is the peer-to-peer view the explorer shows; the node adapts its
// p2p server to it. Every method fails once the network layer has stopped.
type Network interface {
	Peers() ([]rpc.PeerInfo, error)
	Info() (rpc.NetworkInfo, error)
	ListBanned() ([]rpc.BannedInfo, error)
	// PeersBestHeight is the highest block any peer has shown.
	PeersBestHeight() (uint64, error)
}

// Source is what the explorer reads. It never changes anything through it.
type Source struct {
	Chain   *chain.Chain
	Mempool *mempool.Pool
	Net     Network
	Clock   chain.Clock
}

// apiError is a request the explorer cannot answer: Status is 400 (the
// request is malformed) or 404 (nothing by that name), Message says why in
// the user's terms.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return e.Message }

func badRequest(format string, args ...any) error {
	return &apiError{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

// statusOf is the HTTP status an error of a data function maps to: 500
// for anything but an apiError (a storage failure).
func statusOf(err error) int {
	var e *apiError
	if errors.As(err, &e) {
		return e.Status
	}
	return http.StatusInternalServerError
}

// ---- parameters ----

func parseHash(what, s string) (wire.Hash, error) {
	h, err := wire.ParseHash(s)
	if err != nil {
		return h, badRequest("%q is not a %s: want 64 hexadecimal digits", s, what)
	}
	return h, nil
}

func parseHeight(s string) (uint64, error) {
	h, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, badRequest("%q is not a block height: want a whole number from 0", s)
	}
	return h, nil
}

// pageParam reads a non-negative integer query parameter, def when absent,
// refusing values above maxVal.
func pageParam(r *http.Request, name string, def, maxVal int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, badRequest("%s=%q: want a whole number from 0", name, s)
	}
	if v > maxVal {
		return 0, badRequest("%s=%d is too large: at most %d", name, v, maxVal)
	}
	return v, nil
}

// page is the offset/limit window of a list.
type page struct{ offset, limit int }

func pageParams(r *http.Request) (page, error) {
	offset, err := pageParam(r, "offset", 0, 1<<30)
	if err != nil {
		return page{}, err
	}
	limit, err := pageParam(r, "limit", defaultPage, MaxPage)
	return page{offset, limit}, err
}

func window[T any](items []T, p page) []T {
	start := min(p.offset, len(items))
	return items[start:min(start+p.limit, len(items))]
}

// ---- chain ----

func (s *Source) prefix() string { return s.Chain.Params().AddressPrefix }

// ChainInfo is getblockchaininfo's result.
func (s *Source) ChainInfo() *rpc.BlockchainInfo {
	best, err := s.Net.PeersBestHeight()
	if err != nil {
		best = 0 // the network layer stopped: no peer is ahead
	}
	return server.ChainInfo(s.Chain, s.Clock.Now(), best)
}

// Block is a block with a window of its transactions decoded as the
// transaction endpoint shows them (Bitcoin Core's getblock verbosity 3);
// its other fields describe the whole block.
type Block struct {
	rpc.BlockHeaderResult
	Size int  `json:"size"`
	Tx   []Tx `json:"tx"`
	// Fees are the fees of its transactions; Reward what its coinbase
	// claims (subsidy plus fees). Fees are known on the best chain only.
	Fees   *rpc.Amount `json:"fees,omitempty"`
	Reward rpc.Amount  `json:"reward"`
}

// blockWithSpent returns a block the node has the body of, with the
// outputs it spent (none off the best chain).
func (s *Source) blockWithSpent(hash wire.Hash) (chain.BlockInfo, *wire.Block, []chain.UtxoEntry, error) {
	info, ok := s.Chain.BlockInfoByHash(hash)
	if !ok {
		return info, nil, nil, notFound("no block %s is known to this node", hash)
	}
	blk, err := s.Chain.BlockByHash(hash)
	if err != nil {
		return info, nil, nil, err
	}
	if blk == nil {
		return info, nil, nil, notFound("block %s: this node has its header but not its transactions", hash)
	}
	spent, _, err := s.Chain.SpentOutputs(hash)
	return info, blk, spent, err
}

// Block returns the block hash with the window p of its transactions (a
// limit of wire.MaxTxPerBlock: all of them). Its size, transaction count,
// fees and reward are the whole block's: the fees take every
// transaction's previous outputs from the undo record, in block order,
// but only the window's transactions are decoded for display.
func (s *Source) Block(hash wire.Hash, p page) (*Block, error) {
	if p.limit < 1 {
		return nil, badRequest("limit=%d: want 1 to %d transactions a page", p.limit, MaxPage)
	}
	info, blk, spent, err := s.blockWithSpent(hash)
	if err != nil {
		return nil, err
	}
	txs := blk.Transactions
	if p.offset >= len(txs) {
		return nil, badRequest("offset=%d is past the block's last transaction: it has %d (offsets 0 to %d)", p.offset, len(txs), len(txs)-1)
	}
	out := &Block{BlockHeaderResult: server.HeaderResult(s.Chain, info), Size: blk.SerializeSize(), Tx: make([]Tx, 0, len(window(txs, p)))}
	out.NTx = len(txs)
	var fees uint64
	tip := s.Chain.Tip().Height
	for i, tx := range txs {
		prev := server.TakeSpent(tx, &spent)
		if i >= p.offset && i-p.offset < p.limit {
			out.Tx = append(out.Tx, s.confirmedTx(tx, info, tip, prev))
		}
		if fee, ok := server.TxFee(tx, prev); ok {
			fees += fee
		}
	}
	for _, o := range blk.Transactions[0].Outputs {
		out.Reward += rpc.Amount(o.Amount)
	}
	if info.MainChain {
		out.Fees = amountPtr(fees)
	}
	return out, nil
}

func amountPtr(v uint64) *rpc.Amount {
	a := rpc.Amount(v)
	return &a
}

// BlockHashByHeight returns the best chain's block at height.
func (s *Source) BlockHashByHeight(height uint64) (wire.Hash, error) {
	hash, ok := s.Chain.HashByHeight(height)
	if !ok {
		return hash, notFound("no block at height %d: the best chain ends at height %d", height, s.Chain.Tip().Height)
	}
	return hash, nil
}

// Headers returns up to count headers of the best chain starting at hash
// (Core's /rest/headers), or none when hash is not on the best chain.
func (s *Source) Headers(hash wire.Hash, count int) ([]rpc.BlockHeaderResult, error) {
	if count < 1 || count > MaxHeaders {
		return nil, badRequest("count=%d: want 1 to %d headers", count, MaxHeaders)
	}
	info, ok := s.Chain.BlockInfoByHash(hash)
	if !ok {
		return nil, notFound("no block %s is known to this node", hash)
	}
	out := []rpc.BlockHeaderResult{server.HeaderResult(s.Chain, info)}
	if !info.MainChain {
		return out, nil
	}
	for h := info.Height + 1; len(out) < count; h++ {
		next, ok := s.Chain.HashByHeight(h)
		if !ok {
			break
		}
		if info, ok = s.Chain.BlockInfoByHash(next); !ok {
			break // the chain moved under us; what we have is consistent
		}
		out = append(out, server.HeaderResult(s.Chain, info))
	}
	return out, nil
}

// BlockSummary is one line of a list of blocks.
type BlockSummary struct {
	Height     uint64     `json:"height"`
	Hash       string     `json:"hash"`
	Time       int64      `json:"time"`
	Interval   int64      `json:"interval"` // seconds since its parent's timestamp
	Difficulty float64    `json:"difficulty"`
	NTx        int        `json:"nTx"`
	Size       int        `json:"size"`
	Reward     rpc.Amount `json:"reward"`
}

// Blocks summarises count best-chain blocks from height start down.
func (s *Source) Blocks(start uint64, count int) ([]BlockSummary, error) {
	if count < 1 || count > MaxBlocks {
		return nil, badRequest("count=%d: want 1 to %d blocks", count, MaxBlocks)
	}
	tip := s.Chain.Tip().Height
	if start > tip {
		return nil, notFound("no block at height %d: the best chain ends at height %d", start, tip)
	}
	out := make([]BlockSummary, 0, count)
	for h := int64(start); h >= 0 && len(out) < count; h-- {
		sum, err := s.blockSummary(uint64(h))
		if err != nil {
			return nil, err
		}
		if sum == nil {
			break // a reorg shortened the chain meanwhile
		}
		out = append(out, *sum)
	}
	return out, nil
}

func (s *Source) blockSummary(height uint64) (*BlockSummary, error) {
	hash, ok := s.Chain.HashByHeight(height)
	if !ok {
		return nil, nil
	}
	info, ok := s.Chain.BlockInfoByHash(hash)
	if !ok {
		return nil, nil
	}
	blk, err := s.Chain.BlockByHash(hash)
	if err != nil || blk == nil {
		return nil, err
	}
	sum := &BlockSummary{Height: height, Hash: hash.String(), Time: info.Header.Timestamp, NTx: len(blk.Transactions),
		Size: blk.SerializeSize(), Difficulty: server.Difficulty(info.Header.Bits, s.Chain.Params())}
	for _, o := range blk.Transactions[0].Outputs {
		sum.Reward += rpc.Amount(o.Amount)
	}
	if parent, ok := s.Chain.BlockInfoByHash(info.Header.PrevBlock); ok && height > 0 {
		sum.Interval = info.Header.Timestamp - parent.Header.Timestamp
	}
	return sum, nil
}

// ---- transactions ----

// Tx is a decoded transaction with what the node knows about it: each
// input's previous output (prevout), its fee (TxResult's, nil for a
// coinbase or when a previous output is unknown) and fee rate, and where
// it is.
type Tx struct {
	rpc.TxResult
	FeeRate *rpc.Amount `json:"feerate,omitempty"` // coins per 1000 bytes, set with Fee
	Height  *uint64     `json:"height,omitempty"`  // height of its block when confirmed
	// InMempool: unconfirmed, waiting in this node's mempool.
	InMempool bool `json:"in_mempool"`
}

// confirmedTx decodes tx of the block info, with the best chain ending at
// height tip; prev are the outputs its inputs spent (server.TakeSpent),
// nil when unknown.
func (s *Source) confirmedTx(tx *wire.Tx, info chain.BlockInfo, tip uint64, prev []chain.UtxoEntry) Tx {
	height := info.Height
	out := Tx{TxResult: server.ConfirmedTxResult(tx, info, tip, s.prefix()), Height: &height}
	server.AddSpent(&out.TxResult, tx, prev, s.prefix(), true)
	if out.Fee != nil {
		out.FeeRate = amountPtr(uint64(*out.Fee) * 1000 / uint64(max(out.Size, 1)))
	}
	return out
}

// Tx finds a transaction: in the given block when block is not nil, else
// in the mempool, then through the transaction index when the node keeps
// one; without it, through its unspent outputs, then in the last
// TxScanDepth blocks.
func (s *Source) Tx(txid wire.Hash, block *wire.Hash) (*Tx, error) {
	if block != nil {
		return s.txInBlock(txid, *block)
	}
	if desc, ok := s.Mempool.Get(txid); ok {
		return s.mempoolTx(desc)
	}
	if s.Chain.TxIndexEnabled() {
		_, info, found, err := s.Chain.FindTransaction(txid)
		switch {
		case err != nil:
			return nil, err
		case !found:
			return nil, notFound("transaction %s is neither in the mempool nor in a block of the best chain", txid)
		}
		return s.txInBlock(txid, info.Hash)
	}
	if height, ok, err := s.utxoHeight(txid); err != nil || ok {
		if err != nil {
			return nil, err
		}
		if hash, ok := s.Chain.HashByHeight(height); ok {
			if tx, err := s.txInBlock(txid, hash); statusOf(err) != http.StatusNotFound {
				return tx, err
			}
		}
	}
	tip := s.Chain.Tip().Height
	for h := int64(tip); h >= 0 && h > int64(tip)-TxScanDepth; h-- {
		hash, ok := s.Chain.HashByHeight(uint64(h))
		if !ok {
			continue
		}
		blk, err := s.Chain.BlockByHash(hash)
		if err != nil {
			return nil, err
		}
		if blk != nil && slices.Contains(blk.TxIDs(), txid) {
			return s.txInBlock(txid, hash)
		}
	}
	return nil, notFound("transaction %s is not in the mempool, has no unspent output and is not in the last %d blocks "+
		"(the node keeps no transaction index: give its block as ?block=<hash>)", txid, TxScanDepth)
}

// utxoHeight is the height of txid's block when one of its first outputs
// is still unspent (a cheap lookup that finds most recent transactions).
func (s *Source) utxoHeight(txid wire.Hash) (uint64, bool, error) {
	for i := range uint32(2) {
		e, err := s.Chain.FetchUtxo(wire.OutPoint{TxID: txid, Index: i})
		if err != nil || e != nil {
			return heightOf(e), e != nil, err
		}
	}
	return 0, false, nil
}

func heightOf(e *chain.UtxoEntry) uint64 {
	if e == nil {
		return 0
	}
	return e.Height
}

func (s *Source) txInBlock(txid, hash wire.Hash) (*Tx, error) {
	info, blk, spent, err := s.blockWithSpent(hash)
	if err != nil {
		return nil, err
	}
	tx, prev, found := server.BlockTxSpent(blk, spent, txid)
	if !found {
		return nil, notFound("block %s has no transaction %s", hash, txid)
	}
	out := s.confirmedTx(tx, info, s.Chain.Tip().Height, prev)
	return &out, nil
}

// mempoolTx decodes a mempool transaction with its fee and its inputs'
// previous outputs (server.AddMempoolSpent: in the UTXO set or outputs of
// its mempool parents).
func (s *Source) mempoolTx(desc *mempool.TxDesc) (*Tx, error) {
	res := server.TxResult(desc.Tx, s.prefix())
	res.Time = desc.Added.Unix()
	if err := server.AddMempoolSpent(&res, s.Chain, s.Mempool, desc, s.prefix()); err != nil {
		return nil, err
	}
	return &Tx{TxResult: res, InMempool: true, FeeRate: amountPtr(desc.Fee * 1000 / uint64(max(desc.Size, 1)))}, nil
}

// ---- mempool ----

// MempoolTx is one line of the mempool list.
type MempoolTx struct {
	TxID    string     `json:"txid"`
	Size    int        `json:"size"`
	Fee     rpc.Amount `json:"fee"`
	FeeRate rpc.Amount `json:"feerate"` // coins per 1000 bytes
	Time    int64      `json:"time"`
}

// FeeLevels are fee rates (coins per 1000 bytes) across the mempool.
type FeeLevels struct {
	Min    rpc.Amount `json:"min"`
	Median rpc.Amount `json:"median"`
	Max    rpc.Amount `json:"max"`
}

// Mempool is a page of the mempool, highest fee rate first.
type Mempool struct {
	Info   rpc.MempoolInfo `json:"info"`
	Levels *FeeLevels      `json:"feerate_levels,omitempty"` // nil when empty
	Total  int             `json:"total"`
	Offset int             `json:"offset"`
	Txs    []MempoolTx     `json:"txs"`
}

// MempoolInfo is getmempoolinfo's result.
func (s *Source) MempoolInfo() rpc.MempoolInfo { return server.MempoolInfo(s.Mempool) }

// MempoolPage lists the window p of the mempool by fee rate.
func (s *Source) MempoolPage(p page) *Mempool {
	entries := s.Mempool.Entries()
	txs := make([]MempoolTx, len(entries))
	for i, d := range entries {
		txs[i] = MempoolTx{TxID: d.TxID.String(), Size: d.Size, Fee: rpc.Amount(d.Fee),
			FeeRate: rpc.Amount(d.Fee * 1000 / uint64(max(d.Size, 1))), Time: d.Added.Unix()}
	}
	slices.SortFunc(txs, func(a, b MempoolTx) int {
		return cmp.Or(cmp.Compare(b.FeeRate, a.FeeRate), strings.Compare(a.TxID, b.TxID))
	})
	out := &Mempool{Info: s.MempoolInfo(), Total: len(txs), Offset: p.offset, Txs: window(txs, p)}
	if n := len(txs); n > 0 {
		out.Levels = &FeeLevels{Min: txs[n-1].FeeRate, Median: txs[n/2].FeeRate, Max: txs[0].FeeRate}
	}
	return out
}

// ---- addresses ----

// Address is what the node knows of an address: its unspent outputs and
// every output ever paid to it (both from the address history index), and
// the mempool transactions that pay to it or spend from it.
type Address struct {
	Address string `json:"address"`
	// Balance is the sum of the confirmed unspent outputs; Unconfirmed the
	// change mempool transactions make to it (negative when they spend).
	Balance     rpc.Amount        `json:"balance"`
	Unconfirmed string            `json:"unconfirmed"` // signed, coins
	UtxoCount   int               `json:"utxo_count"`
	Offset      int               `json:"offset"`
	Utxos       []rpc.AddressUtxo `json:"utxos"`
	MempoolTxs  []string          `json:"mempool_txids"`
	// HistoryCount counts every output ever paid to the address on the
	// best chain; History is the same window of them as Utxos, newest
	// first, each with what spent it.
	HistoryCount int            `json:"history_count"`
	History      []HistoryEntry `json:"history"`
}

// HistoryEntry is one output paid to an address, and what spent it.
type HistoryEntry struct {
	TxID        string     `json:"txid"`
	OutputIndex uint32     `json:"output_index"`
	Amount      rpc.Amount `json:"amount"`
	Height      uint64     `json:"height"`
	Coinbase    bool       `json:"coinbase"`
	// SpentBy and SpentHeight are empty while the output is unspent.
	SpentBy     string `json:"spent_by,omitempty"`
	SpentHeight uint64 `json:"spent_height,omitempty"`
}

// Address describes addr, with the window p of its unspent outputs
// (newest first).
func (s *Source) Address(addr string, p page) (*Address, error) {
	kh, err := wire.DecodeAddress(s.prefix(), addr)
	if err != nil {
		return nil, badRequest("%q is not an address of the %s network: %v", addr, s.Chain.Params().Name, err)
	}
	utxos, err := s.Chain.AddressUtxos(kh)
	if err != nil {
		return nil, err
	}
	tip := s.Chain.Tip().Height
	out := &Address{Address: addr, UtxoCount: len(utxos), Offset: p.offset, MempoolTxs: []string{}}
	list := make([]rpc.AddressUtxo, len(utxos))
	var delta int64
	for i, u := range utxos {
		out.Balance += rpc.Amount(u.Entry.Amount)
		list[i] = server.AddressUtxo(addr, u, tip, s.Chain.Params())
		if _, spent := s.Mempool.Spender(u.OutPoint); spent {
			delta -= int64(u.Entry.Amount)
		}
	}
	slices.SortStableFunc(list, func(a, b rpc.AddressUtxo) int { return cmp.Compare(b.Height, a.Height) })
	out.Utxos = window(list, p)
	if err := s.addressHistory(kh, p, out); err != nil {
		return nil, err
	}
	delta += s.mempoolActivity(kh, out)
	out.Unconfirmed = signedCoins(delta)
	return out, nil
}

// addressHistory fills out's History with the window p of kh's history,
// newest first (the chain lists it oldest first).
func (s *Source) addressHistory(kh wire.KeyHash, p page, out *Address) error {
	_, total, err := s.Chain.AddressHistory(kh, 0, 1)
	if err != nil {
		return err
	}
	skip := max(total-p.offset-p.limit, 0)
	entries, _, err := s.Chain.AddressHistory(kh, skip, max(total-p.offset-skip, 0))
	if err != nil {
		return err
	}
	out.HistoryCount, out.History = total, make([]HistoryEntry, 0, len(entries))
	for _, e := range slices.Backward(entries) {
		h := HistoryEntry{TxID: e.OutPoint.TxID.String(), OutputIndex: e.OutPoint.Index,
			Amount: rpc.Amount(e.Amount), Height: e.Height, Coinbase: e.Coinbase}
		if e.Spent {
			h.SpentBy, h.SpentHeight = e.SpentBy.String(), e.SpentHeight
		}
		out.History = append(out.History, h)
	}
	return nil
}

// mempoolActivity lists the mempool transactions paying to kh or spending
// its outputs into out, and returns what they pay to kh.
func (s *Source) mempoolActivity(kh wire.KeyHash, out *Address) int64 {
	var received int64
	for _, d := range s.Mempool.Entries() {
		touches := false
		for _, o := range d.Tx.Outputs {
			if o.KeyHash == kh {
				received += int64(o.Amount)
				touches = true
			}
		}
		for _, in := range d.Tx.Inputs {
			if prev, err := server.MempoolPrevOut(s.Chain, s.Mempool, s.prefix(), in.PrevOut); err == nil && prev != nil && prev.Address == out.Address {
				touches = true
			}
		}
		if touches && len(out.MempoolTxs) < MaxPage {
			out.MempoolTxs = append(out.MempoolTxs, d.TxID.String())
		}
	}
	return received
}

func signedCoins(v int64) string {
	if v < 0 {
		return "-" + rpc.FormatCoins(uint64(-v))
	}
	return rpc.FormatCoins(uint64(v))
}

// ---- network ----

// Peers is the network view: this node's peers and bans.
type Peers struct {
	Info   rpc.NetworkInfo  `json:"info"`
	Peers  []rpc.PeerInfo   `json:"peers"`
	Banned []rpc.BannedInfo `json:"banned"`
}

// errNetDown answers for the network view while the node shuts down.
var errNetDown = &apiError{Status: http.StatusServiceUnavailable, Message: "the node's network layer has stopped"}

// Peers describes the node's connections.
func (s *Source) Peers() (*Peers, error) {
	info, err := s.Net.Info()
	if err != nil {
		return nil, errNetDown
	}
	peers, err := s.Net.Peers()
	if err != nil {
		return nil, errNetDown
	}
	banned, err := s.Net.ListBanned()
	if err != nil {
		return nil, errNetDown
	}
	return &Peers{Info: info, Peers: peers, Banned: banned}, nil
}

// ---- search ----

// Resolve turns a search (a height, block hash, txid or address) into the
// path of its page.
func (s *Source) Resolve(q string) (string, error) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return "", badRequest("type a block height, block hash, transaction id or address")
	case isDigits(q):
		height, err := parseHeight(q)
		if err != nil {
			return "", err
		}
		hash, err := s.BlockHashByHeight(height)
		if err != nil {
			return "", err
		}
		return "/block/" + hash.String(), nil
	case len(q) == 2*wire.HashSize:
		h, err := parseHash("block hash or transaction id", strings.ToLower(q))
		if err != nil {
			return "", err
		}
		if _, ok := s.Chain.BlockInfoByHash(h); ok {
			return "/block/" + h.String(), nil
		}
		if _, err := s.Tx(h, nil); err != nil {
			switch {
			case statusOf(err) == http.StatusNotFound && s.Chain.TxIndexEnabled():
				return "", notFound("no block or transaction %s is known to this node", h)
			case statusOf(err) == http.StatusNotFound:
				return "", notFound("no block or transaction %s is known to this node (without the transaction index, "+
					"a transaction is found in the mempool, by an unspent output or in the last %d blocks)", h, TxScanDepth)
			}
			return "", err
		}
		return "/tx/" + h.String(), nil
	}
	if _, err := wire.DecodeAddress(s.prefix(), q); err != nil {
		return "", badRequest("%q is not a block height, block hash, transaction id or address of the %s network", q, s.Chain.Params().Name)
	}
	return "/address/" + q, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
