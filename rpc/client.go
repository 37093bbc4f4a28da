package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// Error is a JSON-RPC error object. Codes follow Bitcoin Core (see codes.go).
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// Request and Response are JSON-RPC 2.0 envelopes.
type Request struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

type Response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

// Client calls a node's JSON-RPC server. It is safe for concurrent use.
type Client struct {
	url        string
	user, pass string
	http       *http.Client
	nextID     atomic.Uint64
}

// NewClient returns a client for the server at addr (host:port) that
// authenticates as user with password.
func NewClient(addr, user, password string) *Client {
	return &Client{
		url:  "http://" + addr + "/",
		user: user, pass: password,
		http: &http.Client{Timeout: 10 * time.Minute}, // long enough for generatetoaddress
	}
}

// ErrUnreachable wraps failures to reach the server at all (as opposed to
// errors the server returned).
var ErrUnreachable = errors.New("node unreachable")

// Call invokes method with params and decodes the result into result (which
// may be nil). An error returned by the server is an *Error.
func (c *Client) Call(ctx context.Context, method string, params []any, result any) error {
	if params == nil {
		params = []any{}
	}
	p, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("%s: encode params: %w", method, err)
	}
	id := fmt.Appendf(nil, "%d", c.nextID.Add(1))
	body, _ := json.Marshal(Request{JSONRPC: "2.0", ID: id, Method: method, Params: p})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(c.user, c.pass)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w at %s: %s", ErrUnreachable, c.url, c.transportError(ctx, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%s: authorization failed: wrong RPC credentials or cookie", method)
	}
	raw, err := readBody(resp.Body, resp.ContentLength)
	if err != nil {
		return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.url, err)
	}
	if h, ok := result.(*AddressHistory); ok && decodeHistoryResponse(raw, h) {
		return nil
	}
	if result != nil && decodeResponseInto(raw, result) == nil {
		return nil
	}
	// Result unwanted, an error answered, or something does not decode:
	// the envelope first, then the result, each failure told apart.
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%s: %s did not answer with a JSON-RPC response (HTTP %d); is it a powchain node's RPC address?", method, c.url, resp.StatusCode)
	}
	if r.Error != nil {
		return r.Error
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, result); err != nil {
		return fmt.Errorf("%s: the node's result is not what this client expects (another version?): %.200s", method, r.Result)
	}
	return nil
}

// decodeResponseInto decodes a response in one pass, its result straight
// into result (a pointer): the envelope as Response and the result as
// Unmarshal(Result, result) would, without validating and copying the
// result twice first (a page of getaddresshistory is 360 kB). It fails
// on anything but a well-formed response without an error, and the
// caller then decodes again the slow way for the error to report (when
// the response carries an error, result may have been written to).
func decodeResponseInto(raw []byte, result any) error {
	var r struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  any             `json:"result"`
		Error   *Error          `json:"error"`
	}
	r.Result = result
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	if r.Error != nil {
		return r.Error
	}
	if r.Result != result {
		// A null result: Unmarshal set the field to nil instead of
		// passing the null to result (a json.RawMessage keeps it).
		return errNullResult
	}
	return nil
}

var errNullResult = errors.New("null result")

// readBody reads a response body of size bytes (-1: unknown) up to
// maxResponseSize, into one buffer when the size is known.
func readBody(body io.Reader, size int64) ([]byte, error) {
	body = io.LimitReader(body, maxResponseSize)
	if size < 0 || size > maxResponseSize {
		return io.ReadAll(body)
	}
	var buf bytes.Buffer
	buf.Grow(int(size) + bytes.MinRead) // ReadFrom grows below MinRead free bytes
	_, err := buf.ReadFrom(body)
	return buf.Bytes(), err
}

// transportError says what failed on the way to the node, without
// net/http's wrapping of it (Post "http://...": ...) or its field names
// (Client.Timeout exceeded while awaiting headers).
func (c *Client) transportError(ctx context.Context, err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err.Error()
	}
	if ctx.Err() == nil && ue.Timeout() {
		return fmt.Sprintf("no answer within %v", c.http.Timeout)
	}
	return ue.Err.Error()
}

// maxResponseSize bounds what the client reads: a verbose 1 MB block is far
// below it.
const maxResponseSize = 64 << 20

// ---- typed wrappers ----

// GetBlockchainInfo calls getblockchaininfo.
func (c *Client) GetBlockchainInfo(ctx context.Context) (*BlockchainInfo, error) {
	var r BlockchainInfo
	return &r, c.Call(ctx, "getblockchaininfo", nil, &r)
}

// GetBlockCount calls getblockcount.
func (c *Client) GetBlockCount(ctx context.Context) (uint64, error) {
	var r uint64
	return r, c.Call(ctx, "getblockcount", nil, &r)
}

// GetBestBlockHash calls getbestblockhash.
func (c *Client) GetBestBlockHash(ctx context.Context) (string, error) {
	var r string
	return r, c.Call(ctx, "getbestblockhash", nil, &r)
}

// GetBlockHash calls getblockhash.
func (c *Client) GetBlockHash(ctx context.Context, height uint64) (string, error) {
	var r string
	return r, c.Call(ctx, "getblockhash", []any{height}, &r)
}

// GetBlockHex calls getblock with verbosity 0: the block's canonical
// encoding in hex.
func (c *Client) GetBlockHex(ctx context.Context, hash string) (string, error) {
	var r string
	return r, c.Call(ctx, "getblock", []any{hash, 0}, &r)
}

// GetBlock calls getblock with verbosity 1 (Tx is a list of txids).
func (c *Client) GetBlock(ctx context.Context, hash string) (*BlockResult, error) {
	var r struct {
		BlockResult
		Tx []string `json:"tx"`
	}
	if err := c.Call(ctx, "getblock", []any{hash, 1}, &r); err != nil {
		return nil, err
	}
	r.BlockResult.Tx = r.Tx
	return &r.BlockResult, nil
}

// SendRawTransaction calls sendrawtransaction and returns the txid.
func (c *Client) SendRawTransaction(ctx context.Context, txHex string) (string, error) {
	var r string
	return r, c.Call(ctx, "sendrawtransaction", []any{txHex}, &r)
}

// TestMempoolAccept calls testmempoolaccept.
func (c *Client) TestMempoolAccept(ctx context.Context, txHexes []string) ([]MempoolAcceptResult, error) {
	var r []MempoolAcceptResult
	return r, c.Call(ctx, "testmempoolaccept", []any{txHexes}, &r)
}

// GetMempoolInfo calls getmempoolinfo.
func (c *Client) GetMempoolInfo(ctx context.Context) (*MempoolInfo, error) {
	var r MempoolInfo
	return &r, c.Call(ctx, "getmempoolinfo", nil, &r)
}

// GetRawMempool calls getrawmempool (txids only).
func (c *Client) GetRawMempool(ctx context.Context) ([]string, error) {
	var r []string
	return r, c.Call(ctx, "getrawmempool", nil, &r)
}

// GetTxOutSetInfo calls gettxoutsetinfo.
func (c *Client) GetTxOutSetInfo(ctx context.Context) (*TxOutSetInfo, error) {
	var r TxOutSetInfo
	return &r, c.Call(ctx, "gettxoutsetinfo", nil, &r)
}

// GetAddressUtxos calls getaddressutxos.
func (c *Client) GetAddressUtxos(ctx context.Context, req AddressUtxosRequest) ([]AddressUtxo, error) {
	var r []AddressUtxo
	return r, c.Call(ctx, "getaddressutxos", []any{req}, &r)
}

// GetAddressHistory calls getaddresshistory (one page).
func (c *Client) GetAddressHistory(ctx context.Context, req AddressHistoryRequest) (*AddressHistory, error) {
	var out AddressHistory
	err := c.Call(ctx, "getaddresshistory", []any{req}, &out)
	return &out, err
}

// GetRawTransaction calls getrawtransaction verbose: the transaction txid
// in the block blockHash, or ("") in the mempool or the transaction index.
func (c *Client) GetRawTransaction(ctx context.Context, txid, blockHash string) (*TxResult, error) {
	params := []any{txid, true}
	if blockHash != "" {
		params = append(params, blockHash)
	}
	var r TxResult
	return &r, c.Call(ctx, "getrawtransaction", params, &r)
}

// GenerateToAddress calls generatetoaddress: the node mines n blocks paying
// address and returns their hashes.
func (c *Client) GenerateToAddress(ctx context.Context, n int, address string) ([]string, error) {
	var r []string
	return r, c.Call(ctx, "generatetoaddress", []any{n, address}, &r)
}

// ValidateAddress calls validateaddress.
func (c *Client) ValidateAddress(ctx context.Context, address string) (*ValidateAddressResult, error) {
	var r ValidateAddressResult
	return &r, c.Call(ctx, "validateaddress", []any{address}, &r)
}

// DecodeRawTransaction calls decoderawtransaction.
func (c *Client) DecodeRawTransaction(ctx context.Context, txHex string) (*TxResult, error) {
	var r TxResult
	return &r, c.Call(ctx, "decoderawtransaction", []any{txHex}, &r)
}

// Stop calls stop.
func (c *Client) Stop(ctx context.Context) error {
	return c.Call(ctx, "stop", nil, nil)
}

// GetPeerInfo calls getpeerinfo.
func (c *Client) GetPeerInfo(ctx context.Context) ([]PeerInfo, error) {
	var r []PeerInfo
	return r, c.Call(ctx, "getpeerinfo", nil, &r)
}

// GetConnectionCount calls getconnectioncount.
func (c *Client) GetConnectionCount(ctx context.Context) (int, error) {
	var r int
	return r, c.Call(ctx, "getconnectioncount", nil, &r)
}

// GetBlockTemplate calls getblocktemplate. With a longPollID from a
// previous template the call waits for the next change (long-polling):
// cancel ctx to give up.
func (c *Client) GetBlockTemplate(ctx context.Context, longPollID string) (*BlockTemplate, error) {
	var params []any
	if longPollID != "" {
		params = []any{BlockTemplateRequest{LongPollID: longPollID}}
	}
	var r BlockTemplate
	if err := c.Call(ctx, "getblocktemplate", params, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// SubmitBlock calls submitblock with a block's canonical encoding in hex.
// It returns "" when the node accepted the block, else the node's reason
// ("duplicate", "inconclusive", or the BIP 22 reason of the rule broken,
// e.g. "high-hash").
func (c *Client) SubmitBlock(ctx context.Context, blockHex string) (string, error) {
	var r *string
	if err := c.Call(ctx, "submitblock", []any{blockHex}, &r); err != nil {
		return "", err
	}
	if r == nil {
		return "", nil
	}
	return *r, nil
}
