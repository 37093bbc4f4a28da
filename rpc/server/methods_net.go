package server

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"powchain/rpc"
	"powchain/wire"
)

// Network is what the peer-to-peer methods act on; the node adapts its p2p
// server to it. Every method fails once the network layer has stopped.
type Network interface {
	Peers() ([]rpc.PeerInfo, error)
	Info() (rpc.NetworkInfo, error)
	// PeersBestHeight is the highest block any peer has shown.
	PeersBestHeight() (uint64, error)
	// AddNode keeps addr connected; added is false when it is kept
	// already.
	AddNode(addr string) (added bool, err error)
	RemoveNode(addr string) (found bool, err error)
	DisconnectNode(addrOrID string) (found bool, err error)
	SetBan(host string, d time.Duration) error
	Unban(host string) (found bool, err error)
	ListBanned() ([]rpc.BannedInfo, error)
	ClearBanned() error
	// RelayTransactions announces mempool transactions to peers.
	RelayTransactions(txids []wire.Hash) error
	// Totals are the bytes received from and sent to peers since the
	// node started, closed connections included.
	Totals() (recv, sent uint64, err error)
}

// defaultBanTime is how long setban bans without a time, or with 0.
const defaultBanTime = 24 * time.Hour

func (s *Server) registerNetMethods(b *Backend) {
	s.register("getpeerinfo", b.getPeerInfo)
	s.register("getconnectioncount", b.getConnectionCount)
	s.register("getnetworkinfo", b.getNetworkInfo)
	s.register("addnode", b.addNode)
	s.register("disconnectnode", b.disconnectNode)
	s.register("setban", b.setBan)
	s.register("listbanned", b.listBanned)
	s.register("clearbanned", b.clearBanned)
	s.register("getnettotals", b.getNetTotals)
}

// netDown is the error of a method whose network layer has stopped, as
// Bitcoin Core's RPC_CLIENT_P2P_DISABLED.
func netDown(err error) error {
	return rpc.NewError(rpc.CodeClientP2PDisabled, "Error: Peer-to-peer functionality missing or disabled (%v)", err)
}

func (b *Backend) getPeerInfo(context.Context, []json.RawMessage) (any, error) {
	peers, err := b.Net.Peers()
	if err != nil {
		return nil, netDown(err)
	}
	return peers, nil
}

func (b *Backend) getConnectionCount(context.Context, []json.RawMessage) (any, error) {
	peers, err := b.Net.Peers()
	if err != nil {
		return nil, netDown(err)
	}
	return len(peers), nil
}

func (b *Backend) getNetworkInfo(context.Context, []json.RawMessage) (any, error) {
	info, err := b.Net.Info()
	if err != nil {
		return nil, netDown(err)
	}
	return info, nil
}

func (b *Backend) addNode(_ context.Context, params []json.RawMessage) (any, error) {
	var addr, cmd string
	if err := required(params, 0, "node", &addr); err != nil {
		return nil, err
	}
	if err := required(params, 1, "command", &cmd); err != nil {
		return nil, err
	}
	var done bool
	var err error
	switch cmd {
	case "add":
		done, err = b.Net.AddNode(addr)
	case "remove":
		done, err = b.Net.RemoveNode(addr)
	default:
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "command must be add or remove")
	}
	switch {
	case err != nil:
		return nil, rpc.NewError(rpc.CodeMiscError, "%v", err)
	case !done && cmd == "add":
		return nil, rpc.NewError(rpc.CodeClientNodeAlreadyAdded, "Error: Node already added")
	case !done:
		return nil, rpc.NewError(rpc.CodeClientNodeNotAdded, "Error: Node could not be removed. It has not been added previously.")
	}
	return nil, nil
}

func (b *Backend) disconnectNode(_ context.Context, params []json.RawMessage) (any, error) {
	var target json.RawMessage
	if err := required(params, 0, "address", &target); err != nil {
		return nil, err
	}
	var key string
	if rawKind(target) == "string" {
		json.Unmarshal(target, &key)
	} else {
		var id uint64
		if err := decodeParam(target, "nodeid", &id); err != nil {
			return nil, rpc.NewError(rpc.CodeInvalidParameter, "address must be a host:port string or a node id (a whole number)")
		}
		key = strconv.FormatUint(id, 10)
	}
	found, err := b.Net.DisconnectNode(key)
	if err != nil {
		return nil, rpc.NewError(rpc.CodeMiscError, "%v", err)
	}
	if !found {
		return nil, rpc.NewError(rpc.CodeClientNodeNotConnected, "Node not found in connected nodes")
	}
	return nil, nil
}

// maxBanSeconds is the longest ban setban takes: the longest time.Duration
// (beyond it the seconds would wrap to a negative duration, which the
// network would take as its default ban).
const maxBanSeconds = int64(math.MaxInt64 / time.Second)

func (b *Backend) setBan(_ context.Context, params []json.RawMessage) (any, error) {
	var host, cmd string
	if err := required(params, 0, "subnet", &host); err != nil {
		return nil, err
	}
	if err := required(params, 1, "command", &cmd); err != nil {
		return nil, err
	}
	switch cmd {
	case "add":
		var seconds int64
		if err := wholeNumber(params, 2, "bantime", false, 0, maxBanSeconds, &seconds); err != nil {
			return nil, err
		}
		if seconds == 0 { // absent or 0: the default, as in Bitcoin Core
			seconds = int64(defaultBanTime / time.Second)
		}
		if err := b.Net.SetBan(host, time.Duration(seconds)*time.Second); err != nil {
			return nil, rpc.NewError(rpc.CodeInvalidParameter, "%v", err)
		}
	case "remove":
		found, err := b.Net.Unban(host)
		if err != nil {
			return nil, rpc.NewError(rpc.CodeMiscError, "%v", err)
		}
		if !found {
			return nil, rpc.NewError(rpc.CodeClientInvalidIPOrSubnet, "Unban failed: %s is not banned", host)
		}
	default:
		return nil, rpc.NewError(rpc.CodeInvalidParameter, "command must be add or remove")
	}
	return nil, nil
}

func (b *Backend) listBanned(context.Context, []json.RawMessage) (any, error) {
	bans, err := b.Net.ListBanned()
	if err != nil {
		return nil, netDown(err)
	}
	return bans, nil
}

func (b *Backend) clearBanned(context.Context, []json.RawMessage) (any, error) {
	if err := b.Net.ClearBanned(); err != nil {
		return nil, rpc.NewError(rpc.CodeMiscError, "%v", err)
	}
	return nil, nil
}

func (b *Backend) getNetTotals(context.Context, []json.RawMessage) (any, error) {
	recv, sent, err := b.Net.Totals()
	if err != nil {
		return nil, netDown(err)
	}
	return &rpc.NetTotals{TotalBytesRecv: recv, TotalBytesSent: sent, TimeMillis: b.Clock.Now().UnixMilli()}, nil
}
