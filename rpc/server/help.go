package server

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"powchain/rpc"
)

// methodDoc is what `help METHOD` says of a method, laid out as
// bitcoin-cli does. docs/RPC.md documents the same methods at length; a
// test checks that both list exactly the server's methods.
type methodDoc struct {
	args    string   // the usage after the name: "blockhash ( verbosity )"
	summary string   // one line
	params  []string // "name (type, required|optional, default=x) what it is"
	result  string   // what comes back
	example string   // arguments of a working example call
}

// text is the full help of the method called name.
func (d methodDoc) text(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", strings.TrimSpace(name+" "+d.args), d.summary)
	if len(d.params) > 0 {
		b.WriteString("\nArguments:\n")
		for i, p := range d.params {
			fmt.Fprintf(&b, "%d. %s\n", i+1, p)
		}
	}
	fmt.Fprintf(&b, "\nResult:\n%s\n\nExample:\n  %s\n", d.result, strings.TrimSpace("powchain rpc "+name+" "+d.example))
	return b.String()
}

// help is the help method: the list of methods with their summaries, or
// one method's full help.
func (s *Server) help(_ context.Context, params []json.RawMessage) (any, error) {
	var name string
	if err := optional(params, 0, "command", &name); err != nil {
		return nil, err
	}
	if name != "" {
		m, ok := s.methods[name]
		if !ok {
			return nil, rpc.NewError(rpc.CodeInvalidParameter, "help: unknown command: %s", name)
		}
		return m.help, nil
	}
	names := make([]string, 0, len(s.methods))
	for n := range s.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	usages, width := make([]string, len(names)), 0
	for i, n := range names {
		usages[i] = strings.TrimSpace(n + " " + methodDocs[n].args)
		width = max(width, len(usages[i]))
	}
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = fmt.Sprintf("%-*s  %s", width, usages[i], methodDocs[n].summary)
	}
	return strings.Join(lines, "\n"), nil
}

const (
	exampleHash    = "00003f2bd1f7ce9e3bb8cc6d6a2f02e1a8c4d1e2a9f0e7c6b5a4938271605f4e"
	exampleTxID    = "5f7d1a0c3b2e4f6a8d9c0b1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a"
	exampleAddress = "pcrt1q..."
)

// methodDocs holds the help of every method the server can offer.
var methodDocs = map[string]methodDoc{
	"help": {
		args:    "( command )",
		summary: "Lists every method with a one-line summary, or describes one.",
		params:  []string{"command (string, optional) the method to describe"},
		result:  "text",
		example: "getblock",
	},
	// Chain.
	"getblockchaininfo": {
		summary: "State of the best chain.",
		result:  "{network, blocks, headers, bestblockhash, chainwork, bits, difficulty, mediantime, initialblockdownload}",
	},
	"getblockcount": {
		summary: "Height of the best chain.",
		result:  "n (number)",
	},
	"getbestblockhash": {
		summary: "Hash of the best chain's tip.",
		result:  `"hash" (string, 64 hex digits)`,
	},
	"getblockhash": {
		args:    "height",
		summary: "Hash of the best chain's block at a height.",
		params:  []string{"height (number, required) from 0 to the tip's height"},
		result:  `"hash" (string); -8 when height is above the tip`,
		example: "0",
	},
	"getblock": {
		args:    "blockhash ( verbosity )",
		summary: "A block, as hex or JSON.",
		params: []string{
			"blockhash (string, required) the block's hash",
			"verbosity (number or boolean, optional, default=1) 0 (false): hex of the canonical encoding; 1 (true): JSON with txids; 2: JSON with decoded transactions, each with its hex and (best chain only) fee; 3: as 2, each spend's input with its prevout (best chain only)",
		},
		result:  "hex, or {hash, confirmations, height, version, merkleroot, time, mediantime, nonce, bits, difficulty, chainwork, nTx, previousblockhash, nextblockhash, size, tx}",
		example: exampleHash + " 2",
	},
	"getblockheader": {
		args:    "blockhash ( verbose )",
		summary: "A block header, as JSON or hex.",
		params: []string{
			"blockhash (string, required) the block's hash",
			"verbose (boolean, optional, default=true) false: hex of the header's encoding",
		},
		result:  "{hash, confirmations, height, version, merkleroot, time, mediantime, nonce, bits, difficulty, chainwork, nTx, previousblockhash, nextblockhash}, or hex",
		example: exampleHash,
	},
	"gettxoutsetinfo": {
		summary: "Statistics of the UTXO set.",
		result:  "{height, bestblock, txouts, total_amount, hash_serialized}",
	},
	"getchaintips": {
		summary: "Every branch end the node knows, with its status.",
		result:  "[{height, hash, branchlen, status}]",
	},
	"invalidateblock": {
		args:    "blockhash",
		summary: "Marks a block invalid; the best chain moves off it.",
		params:  []string{"blockhash (string, required) the block to mark"},
		result:  "null",
		example: exampleHash,
	},
	"reconsiderblock": {
		args:    "blockhash",
		summary: "Removes invalid marks from a block, its ancestors and descendants.",
		params:  []string{"blockhash (string, required) the block to reconsider"},
		result:  "null",
		example: exampleHash,
	},
	"getdifficulty": {
		summary: "Difficulty of the best chain's tip, as getblockchaininfo's.",
		result:  "n (number): proof-of-work limit / the tip's target",
	},
	"getchaintxstats": {
		args:    "( nblocks blockhash )",
		summary: "Transactions of the best chain up to a block, and their rate over a window of blocks ending there.",
		params: []string{
			"nblocks (number, optional, default=one month of blocks at the network's target spacing, at most the block's height - 1) the window's size in blocks: 0 to the block's height - 1",
			"blockhash (string, optional, default=the tip) the window's last block, on the best chain",
		},
		result:  "{time, txcount, window_final_block_hash, window_final_block_height, window_block_count, window_interval, window_tx_count, txrate}; window_interval and window_tx_count only for a window of 1 block or more, txrate only when window_interval > 0",
		example: "10 " + exampleHash,
	},
	"getblockstats": {
		args:    "hash_or_height ( stats )",
		summary: "Statistics of a best-chain block: fees, fee rates, sizes, inputs, outputs, UTXO set growth.",
		params: []string{
			"hash_or_height (string or number, required) the block's hash, or the height of a best-chain block",
			`stats (array of strings, optional, default=all) the fields to answer, e.g. ["minfeerate","avgfeerate"]`,
		},
		result:  "{avgfee, avgfeerate, avgtxsize, blockhash, feerate_percentiles, height, ins, maxfee, maxfeerate, maxtxsize, medianfee, mediantime, mediantxsize, minfee, minfeerate, mintxsize, outs, subsidy, time, total_out, total_size, totalfee, txs, utxo_increase, utxo_size_inc, utxo_increase_actual, utxo_size_inc_actual}: amounts in base units, fee rates in base units per 1000 bytes; with stats, only those",
		example: `1000 '["minfeerate","avgfeerate"]'`,
	},
	// Transactions and mempool.
	"getrawtransaction": {
		args:    "txid ( verbosity blockhash )",
		summary: "A mempool transaction, one in a given block, or (with the transaction index, --txindex) any best-chain transaction.",
		params: []string{
			"txid (string, required) the transaction id",
			"verbosity (number or boolean, optional, default=0) 0 (false): hex; 1 (true): decoded JSON with hex; 2: as 1, with the fee and each spend's input's prevout where the node knows what the inputs spent (a mempool transaction, or one of a best-chain block; never a coinbase)",
			"blockhash (string, optional) the block holding the transaction (needed for a confirmed transaction when the node runs without --txindex)",
		},
		result:  "hex, or {txid, hex, size, version, vin, vout, fee, blockhash, confirmations, time}",
		example: exampleTxID + " 2 " + exampleHash,
	},
	"decoderawtransaction": {
		args:    "hexstring",
		summary: "Decodes a transaction's canonical encoding.",
		params:  []string{"hexstring (string, required) the transaction in hex"},
		result:  "{txid, size, version, vin, vout}",
		example: "0100...",
	},
	"sendrawtransaction": {
		args:    "hexstring",
		summary: "Submits a transaction to the mempool and to peers.",
		params:  []string{"hexstring (string, required) the signed transaction in hex"},
		result:  `"txid" (string); errors -22, -25, -26, -27`,
		example: "0100...",
	},
	"testmempoolaccept": {
		args:    "rawtxs",
		summary: "Would the mempool accept each transaction? Changes nothing.",
		params:  []string{`rawtxs (array of strings, required) 1 to 25 transactions in hex`},
		result:  "[{txid, allowed, fee, reject-reason}]",
		example: `'["0100..."]'`,
	},
	"getmempoolinfo": {
		summary: "Mempool size, bytes, limit, minimum fee rate and unbroadcast count.",
		result:  "{size, bytes, maxmempool, minfeerate, unbroadcastcount}",
	},
	"getrawmempool": {
		args:    "( verbose )",
		summary: "The mempool's txids, or its entries.",
		params:  []string{"verbose (boolean, optional, default=false) true: {txid: entry} as getmempoolentry"},
		result:  `["txid", ...] or {"txid": entry, ...}`,
		example: "true",
	},
	"getmempoolentry": {
		args:    "txid",
		summary: "One mempool entry.",
		params:  []string{"txid (string, required) the transaction id"},
		result:  "{size, fee, feerate, time, height, ancestorcount, ancestorsize, ancestorfees, descendantcount, descendantsize, descendantfees, depends, spentby, unbroadcast}",
		example: exampleTxID,
	},
	"gettxout": {
		args:    "txid n ( include_mempool )",
		summary: "An unspent output, or null.",
		params: []string{
			"txid (string, required) the transaction id",
			"n (number, required) the output index",
			"include_mempool (boolean, optional, default=true) also look in the mempool",
		},
		result:  "{bestblock, confirmations, value, address, coinbase} or null",
		example: exampleTxID + " 0",
	},
	"getaddressutxos": {
		args:    "request",
		summary: "Unspent outputs paying to addresses, from the address history index.",
		params:  []string{`request (object, required) {"addresses": ["address", ...], "mempool": false}; 1 to 100 addresses; mempool: add unconfirmed outputs, leave out those the mempool spends`},
		result:  "[{address, txid, outputIndex, amount, height, confirmations, coinbase, mature, mempool}]",
		example: `'{"addresses":["` + exampleAddress + `"]}'`,
	},
	"getaddresshistory": {
		args:    "request",
		summary: "Every output ever paid to the addresses, oldest first, with the transaction that spent it; one page at a time.",
		params: []string{`request (object, required) {"addresses": ["address", ...], "mempool": false, "page": 0, "pagesize": 100, "after": ""}; ` +
			`1 to 100 addresses; mempool: add unconfirmed outputs and spends; page counts from 0; pagesize 1 to 1000; ` +
			`after: the previous answer's next, in place of page (the node then reads only that page)`},
		result:  "{bestblock, height, page, pagesize, pages, total, entries: [{address, txid, outputIndex, amount, height, blockhash, time, confirmations, coinbase, mature, mempool, spent: null or {txid, input, height, blockhash, time, mempool}}], next (absent on the last page), changed (after blocks since the cursor: the entries of earlier pages they spent or matured)}",
		example: `'{"addresses":["` + exampleAddress + `"],"pagesize":10}'`,
	},
	// Utility.
	"validateaddress": {
		args:    "address",
		summary: "Is the address valid on this node's network?",
		params:  []string{"address (string, required) the address"},
		result:  "{isvalid, address, keyhash} or {isvalid, error}",
		example: exampleAddress,
	},
	"generatetoaddress": {
		args:    "nblocks address",
		summary: "Mines blocks on the node itself (local networks and tests).",
		params: []string{
			"nblocks (number, required) how many blocks, 0 to 10000",
			"address (string, required) the address every coinbase pays",
		},
		result:  `["blockhash", ...]`,
		example: "11 " + exampleAddress,
	},
	"stop": {
		summary: "Shuts the node down in order.",
		result:  `"powchain stopping"`,
	},
	"uptime": {
		summary: "Seconds since the node started.",
		result:  "n (number, whole seconds)",
	},
	// Network.
	"getpeerinfo": {
		summary: "Every connected peer.",
		result:  "[{id, addr, inbound, version, subver, startingheight, synced_headers, synced_blocks, bytessent, bytesrecv, pingtime, conntime, inflight, banscore, addr_processed, addr_rate_limited}]",
	},
	"getconnectioncount": {
		summary: "Number of connected peers.",
		result:  "n (number)",
	},
	"getnetworkinfo": {
		summary: "Network, version, connections and listen address.",
		result:  "{network, subversion, protocolversion, connections, connections_in, connections_out, listenaddress}",
	},
	"addnode": {
		args:    "node command",
		summary: "Keeps, or stops keeping, a connection to a peer.",
		params: []string{
			"node (string, required) host:port",
			`command (string, required) "add" or "remove"`,
		},
		result:  "null; -23 when adding a node already added, -24 when removing a node that was not added",
		example: "127.0.0.1:19444 add",
	},
	"disconnectnode": {
		args:    "address|nodeid",
		summary: "Disconnects a peer.",
		params:  []string{"address (string or number, required) the peer's host:port, or its id from getpeerinfo"},
		result:  "null; -29 when no such peer is connected",
		example: "127.0.0.1:19444",
	},
	"setban": {
		args:    "subnet command ( bantime )",
		summary: "Bans a host for a while, or lifts its ban.",
		params: []string{
			"subnet (string, required) the host (an IP address)",
			`command (string, required) "add" or "remove"`,
			"bantime (number, optional, default=86400) seconds, for add; 0 is the default",
		},
		result:  "null; -30 when removing a ban that does not exist",
		example: "192.0.2.7 add 3600",
	},
	"listbanned": {
		summary: "Banned hosts with the end of their ban and the reason.",
		result:  "[{address, banned_until, ban_reason}]",
	},
	"clearbanned": {
		summary: "Lifts every ban.",
		result:  "null",
	},
	"getnettotals": {
		summary: "Bytes received from and sent to peers since the node started, closed connections included.",
		result:  "{totalbytesrecv, totalbytessent, timemillis}",
	},
	// Mining.
	"getblocktemplate": {
		args:    "( template_request )",
		summary: "The template of the next block; long-polls with a longpollid.",
		params:  []string{`template_request (object, optional) {"mode": "template", "longpollid": "..."}: with the longpollid of an earlier template, waits until the tip changes, or the mempool changed and a few seconds passed; or {"mode": "proposal", "data": "hex"}: checks a block (BIP 23) against every rule but proof of work`},
		result:  `{version, previousblockhash, bits, curtime, mintime, height, coinbasevalue, transactions, target, longpollid}; for a proposal, null if the block is valid, else a BIP 22 reason as submitblock's, or "inconclusive-not-best-prevblk"`,
	},
	"submitblock": {
		args:    "hexdata ( dummy )",
		summary: "Submits a solved block.",
		params: []string{
			"hexdata (string, required) the block's canonical encoding in hex",
			"dummy (any, optional) ignored: BIP 22's parameters object, which Bitcoin Core takes and ignores too",
		},
		result:  `null when accepted; else "duplicate", "inconclusive" (parent unknown) or the BIP 22 reason of the rule broken, e.g. "high-hash"`,
		example: "0100...",
	},
	"getnetworkhashps": {
		args:    "( nblocks height )",
		summary: "Average hashes per second of the network over the blocks ending at a height.",
		params: []string{
			"nblocks (number, optional, default=120) how many blocks; fewer when the chain is shorter. -1 (Bitcoin Core: since the last difficulty change) is refused: the difficulty changes at every block",
			"height (number, optional, default=-1) the window's last block; -1: the tip",
		},
		result:  "n (number): the window's work / the span of its timestamps (earliest to latest), in seconds; 0 at height 0 or when the span is 0",
		example: "10 50",
	},
	"getmininginfo": {
		summary: "Height, target, hash rate, mempool size and next block's target.",
		result:  "{blocks, bits, difficulty, target, networkhashps, pooledtx, chain, next: {height, bits, difficulty, target}}",
	},
}
