package node

import (
	"net"
	"time"

	"powchain/p2p"
	"powchain/rpc"
	"powchain/rpc/server"
	"powchain/wire"
)

// netAdapter presents the p2p server to the RPC methods.
type netAdapter struct {
	srv     *p2p.Server
	network string
}

var _ server.Network = netAdapter{}

func (a netAdapter) Peers() ([]rpc.PeerInfo, error) {
	peers, err := a.srv.Peers()
	if err != nil {
		return nil, err
	}
	out := make([]rpc.PeerInfo, len(peers))
	for i, p := range peers {
		out[i] = rpc.PeerInfo{
			ID: uint64(p.ID), Addr: p.Addr, Inbound: p.Inbound, Version: p.Version, SubVer: p.SubVer,
			StartingHeight: p.StartingHeight, SyncedHeaders: p.SyncedHeaders, SyncedBlocks: p.SyncedBlocks,
			BytesSent: p.BytesSent, BytesRecv: p.BytesRecv, PingTime: p.PingTime.Seconds(),
			ConnTime: p.ConnTime.Unix(), BlocksInFlight: p.BlocksInFlight, BanScore: p.BanScore,
			AddrProcessed: p.AddrProcessed, AddrRateLimited: p.AddrRateLimited,
		}
	}
	return out, nil
}

func (a netAdapter) Info() (rpc.NetworkInfo, error) {
	info := rpc.NetworkInfo{Network: a.network, SubVersion: p2p.DefaultUserAgent,
		ProtocolVersion: p2p.ProtocolVersion, ListenAddress: a.srv.ListenAddr()}
	peers, err := a.srv.Peers()
	if err != nil {
		return info, err
	}
	for _, p := range peers {
		info.Connections++
		if p.Inbound {
			info.ConnectionsIn++
		} else {
			info.ConnectionsOut++
		}
	}
	return info, nil
}

func (a netAdapter) PeersBestHeight() (uint64, error) {
	si, err := a.srv.SyncInfo()
	return si.PeersBestHeight, err
}

func (a netAdapter) AddNode(addr string) (bool, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return false, err
	}
	return a.srv.AddNode(addr)
}

func (a netAdapter) RemoveNode(addr string) (bool, error) { return a.srv.RemoveNode(addr) }

func (a netAdapter) DisconnectNode(key string) (bool, error) { return a.srv.DisconnectNode(key) }

func (a netAdapter) SetBan(host string, d time.Duration) error {
	if net.ParseIP(host) == nil {
		return &net.AddrError{Err: "not an IP address", Addr: host}
	}
	return a.srv.SetBan(host, d)
}

func (a netAdapter) Unban(host string) (bool, error) { return a.srv.Unban(host) }

func (a netAdapter) ListBanned() ([]rpc.BannedInfo, error) {
	bans, err := a.srv.ListBanned()
	if err != nil {
		return nil, err
	}
	out := make([]rpc.BannedInfo, len(bans))
	for i, b := range bans {
		out[i] = rpc.BannedInfo{Address: b.Host, BannedUntil: b.Until.Unix(), BanReason: b.Reason}
	}
	return out, nil
}

func (a netAdapter) ClearBanned() error { return a.srv.ClearBanned() }

func (a netAdapter) RelayTransactions(txids []wire.Hash) error { return a.srv.RelayTransactions(txids) }

func (a netAdapter) Totals() (recv, sent uint64, err error) {
	t, err := a.srv.Totals()
	return t.Recv, t.Sent, err
}
