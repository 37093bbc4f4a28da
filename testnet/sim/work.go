package sim

import (
	"bytes"
	"errors"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2"

	"powchain/chain/chaintest"
	"powchain/mempool"
	"powchain/miner"
	"powchain/wire"
)

// keyring holds the keys that every mined block and injected transaction
// pays to, so the Sim can always spend what the network holds.
type keyring struct {
	priv   []*btcec.PrivateKey
	hashes []wire.KeyHash
	index  map[wire.KeyHash]int
}

func newKeyring(n int) keyring {
	k := keyring{index: make(map[wire.KeyHash]int, n)}
	for i := range n {
		priv := chaintest.Key(i)
		kh := wire.HashPubKey(wire.XOnlyPubKey(priv))
		k.priv = append(k.priv, priv)
		k.hashes = append(k.hashes, kh)
		k.index[kh] = i
	}
	return k
}

// coin is an output the Sim can spend.
type coin struct {
	op     wire.OutPoint
	amount uint64
	key    int
}

// Mine has node i build a block on its own tip, with the transactions its
// pool selects, solve it and process it as a local miner would; the node
// then relays it. It returns the block.
func (s *Sim) Mine(i int) (*wire.Block, error) {
	if s.err != nil {
		return nil, s.err
	}
	n := s.nodes[i]
	descs := n.pool.Template(miner.MaxTxBytes)
	txs := make([]*wire.Tx, len(descs))
	fees := make([]uint64, len(descs))
	for j, d := range descs {
		txs[j], fees[j] = d.Tx, d.Fee
	}
	tmpl := miner.NewTemplate(s.params, n.chain.Tip(), txs, fees, s.now)
	s.extra++
	payTo := s.keys.hashes[s.workRng.IntN(len(s.keys.hashes))]
	blk := miner.NewBlock(tmpl, payTo, s.extra, tmpl.CurTime)
	if !chaintest.Solve(&blk.Header) {
		s.fail(i, "no nonce solves bits %08x", blk.Header.Bits)
		return nil, s.err
	}
	s.stats.Blocks++
	hash := blk.BlockHash()
	s.record(evMined, i, 0, hash[:])
	s.declareVirtual(blk, hash)
	s.recordMined(blk, hash, i)
	res, err := n.chain.ProcessBlock(blk)
	if err != nil || !res.MainChain {
		s.fail(i, "own block %s at height %d: main chain %v, err %v", hash, tmpl.Height, res.MainChain, err)
		return nil, s.err
	}
	s.afterInput(n)
	return blk, s.Err()
}

// MineRandom mines a block at a node chosen by the seed.
func (s *Sim) MineRandom() (*wire.Block, error) { return s.Mine(s.workRng.IntN(len(s.nodes))) }

// InjectTx builds a transaction from coins node i sees as spendable (a
// mature output on its chain or, now and then, an output of a pool
// transaction), submits it to the node's pool as a wallet would, and has
// the node announce it. It returns nil (and no error) when the node has
// nothing to spend yet or its pool refused on a policy limit that a
// wallet could hit too (a too-long chain of unconfirmed transactions).
// Any other refusal is an invariant failure: the Sim only builds valid
// transactions.
func (s *Sim) InjectTx(i int) (*wire.Tx, error) {
	if s.err != nil {
		return nil, s.err
	}
	n := s.nodes[i]
	coins, err := s.pickCoins(n)
	if err != nil {
		s.fail(i, "pick coins: %v", err)
		return nil, s.err
	}
	tx := s.buildTx(coins)
	if tx == nil {
		return nil, s.Err()
	}
	txid := tx.TxID()
	s.record(evInjected, i, 0, txid[:])
	accepted, _, err := n.pool.ProcessTransaction(tx, false, 0)
	if err != nil {
		var rej *mempool.RejectError
		if errors.As(err, &rej) && rej.Code == mempool.RejectTooLongChain {
			s.stats.TxsRefused++
			return nil, nil
		}
		s.fail(i, "pool refused transaction %s: %v", txid, err)
		return nil, s.err
	}
	s.stats.Txs++
	ids := make([]wire.Hash, len(accepted))
	for j, d := range accepted {
		ids[j] = d.TxID
	}
	s.apply(n, n.core.AnnounceTxs(s.now, ids))
	s.afterInput(n)
	s.stats.MaxPoolSize = max(s.stats.MaxPoolSize, n.pool.Info().Size)
	return tx, s.Err()
}

// pickCoins chooses one or two coins node n could spend now: with
// probability 1/4, or when no chain output is spendable, an unspent output
// of a pool transaction (making chains of unconfirmed transactions),
// otherwise mature chain outputs of a random key. Every list it chooses
// from is in a fixed order.
func (s *Sim) pickCoins(n *Node) ([]coin, error) {
	rng := s.workRng
	if rng.IntN(4) == 0 {
		if c := s.poolCoins(n); len(c) > 0 {
			return []coin{c[rng.IntN(len(c))]}, nil
		}
	}
	coins, err := s.chainCoins(n)
	if len(coins) > 0 || err != nil {
		return coins, err
	}
	if c := s.poolCoins(n); len(c) > 0 {
		return []coin{c[rng.IntN(len(c))]}, nil
	}
	return nil, nil
}

// chainCoins picks one or two mature chain outputs of the first key, from
// a random one on, that has any the pool does not spend.
func (s *Sim) chainCoins(n *Node) ([]coin, error) {
	rng := s.workRng
	tipHeight := n.chain.Tip().Height
	first := rng.IntN(len(s.keys.hashes))
	for k := range s.keys.hashes {
		key := (first + k) % len(s.keys.hashes)
		utxos, err := n.chain.AddressUtxos(s.keys.hashes[key])
		if err != nil {
			return nil, err
		}
		var coins []coin
		for _, u := range utxos {
			if u.Entry.Coinbase && tipHeight+1-u.Entry.Height < s.params.CoinbaseMaturity {
				continue
			}
			if _, spent := n.pool.Spender(u.OutPoint); spent {
				continue
			}
			coins = append(coins, coin{op: u.OutPoint, amount: u.Entry.Amount, key: key})
		}
		if len(coins) == 0 {
			continue
		}
		rng.Shuffle(len(coins), func(a, b int) { coins[a], coins[b] = coins[b], coins[a] })
		return coins[:min(len(coins), 1+rng.IntN(2))], nil
	}
	return nil, nil
}

// poolCoins lists the unspent outputs of n's pool transactions, in txid
// order.
func (s *Sim) poolCoins(n *Node) []coin {
	descs := n.pool.Entries()
	slices.SortFunc(descs, func(a, b *mempool.TxDesc) int { return bytes.Compare(a.TxID[:], b.TxID[:]) })
	var coins []coin
	for _, d := range descs {
		for j, out := range d.Tx.Outputs {
			op := wire.OutPoint{TxID: d.TxID, Index: uint32(j)}
			key, ours := s.keys.index[out.KeyHash]
			if _, spent := n.pool.Spender(op); ours && !spent {
				coins = append(coins, coin{op: op, amount: out.Amount, key: key})
			}
		}
	}
	return coins
}

// Fee rate and smallest output of injected transactions: twice the default
// minimum relay fee rate, and far above the dust threshold.
const (
	txFeePerKB = 2000
	minOutput  = 10_000
)

// buildTx spends coins into one to three outputs to random keys, with a
// fee above the relay minimum; nil if the coins cannot pay for it.
func (s *Sim) buildTx(coins []coin) *wire.Tx {
	if len(coins) == 0 {
		return nil
	}
	rng := s.workRng
	tx := &wire.Tx{Version: 1}
	keys := make([]*btcec.PrivateKey, len(coins))
	var total uint64
	for j, c := range coins {
		tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: c.op})
		keys[j] = s.keys.priv[c.key]
		total += c.amount
	}
	nOut := 1 + rng.IntN(3)
	fee := func(nOut int) uint64 {
		size := 12 + len(coins)*wire.TxInSize + nOut*wire.TxOutSize
		return uint64(size)*txFeePerKB/1000 + 1
	}
	for nOut > 1 && total < fee(nOut)+uint64(nOut)*minOutput {
		nOut--
	}
	f := fee(nOut) + rng.Uint64N(1000)
	if total < f+minOutput {
		return nil
	}
	pay := total - f
	for j := range nOut {
		amt := pay / uint64(nOut)
		if j == 0 {
			amt += pay % uint64(nOut)
		}
		tx.Outputs = append(tx.Outputs, wire.TxOut{Amount: amt, KeyHash: s.keys.hashes[rng.IntN(len(s.keys.hashes))]})
	}
	if err := wire.SignInputs(tx, keys); err != nil {
		s.fail(-1, "sign: %v", err)
		return nil
	}
	return tx
}
