package chain

import (
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"powchain/wire"
)

// NextBits returns the compact target that a child of the block at
// parentHeight with timestamp parentTime must carry, on a chain whose block 1
// has timestamp anchorTime (ignored while parentHeight is 0).
//
// Block 1 carries the genesis block's bits (the proof-of-work limit on every
// network) and is aserti3-2d's anchor: the schedule starts when the network
// mines its first block, not when its genesis block was made, which for a
// network launched later would leave the chain far behind schedule with the
// target stuck at the limit until the chain had caught up. The anchor's
// parent time is taken as anchorTime minus one spacing, so a block following
// block 1 by exactly one spacing per block keeps the anchor's target; the
// resulting exponent is (parentTime - anchorTime - spacing*(parentHeight-1)) /
// halfLife. A network with NoRetargeting (regtest) keeps the genesis bits.
func (p *Params) NextBits(parentHeight uint64, parentTime, anchorTime int64) uint32 {
	anchorBits := p.GenesisBlock.Header.Bits
	if parentHeight == 0 || p.NoRetargeting {
		return anchorBits
	}
	anchorParentTime := anchorTime - p.TargetSpacing
	target := CalcASERT(CompactToBig(anchorBits), p.TargetSpacing, p.AsertHalfLife,
		parentTime-anchorParentTime, int64(parentHeight-1), p.PowLimit)
	return BigToCompact(target)
}

// checkProofOfWork checks that the header's target is well formed and within
// the network's limit and that its id meets it.
func checkProofOfWork(h *wire.BlockHeader, powLimit *big.Int) error {
	target, err := TargetFromBits(h.Bits, powLimit)
	if err != nil {
		return ruleError(ErrBadBits, "block bits %08x: %v", h.Bits, err)
	}
	if id := h.BlockHash(); HashToBig(id).Cmp(target) > 0 {
		return ruleError(ErrHighHash, "block %s is above its target %064x", id, target)
	}
	return nil
}

// checkHeaderSanity runs the checks a header passes on its own: proof of
// work and a timestamp no more than two hours past now.
func checkHeaderSanity(h *wire.BlockHeader, params *Params, now time.Time) error {
	if err := checkProofOfWork(h, params.PowLimit); err != nil {
		return err
	}
	return checkFutureTime(h, now)
}

// checkFutureTime checks that the timestamp is no more than two hours past
// now.
func checkFutureTime(h *wire.BlockHeader, now time.Time) error {
	if limit := now.Add(MaxFutureBlockTime).Unix(); h.Timestamp > limit {
		return ruleError(ErrTimeTooNew, "block timestamp %d is more than %v after the current time %d",
			h.Timestamp, MaxFutureBlockTime, now.Unix())
	}
	return nil
}

// checkHeaderContext checks a header against its parent: the aserti3-2d
// target and a timestamp above the median time past.
func checkHeaderContext(h *wire.BlockHeader, parent *blockNode, params *Params) error {
	if want := params.NextBits(parent.height, parent.header.Timestamp, parent.anchorTime); h.Bits != want {
		return ruleError(ErrUnexpectedBits, "block bits %08x, want %08x at height %d", h.Bits, want, parent.height+1)
	}
	if mtp := parent.medianTimePast(); h.Timestamp <= mtp {
		return ruleError(ErrTimeTooOld, "block timestamp %d is not after the median time past %d", h.Timestamp, mtp)
	}
	return nil
}

// CheckBlockSanity runs every check that needs neither the chain nor the
// UTXO set. The merkle root is checked before anything that depends on the
// transaction list, so a mutated copy of a valid block (CVE-2012-2459) is
// reported as corrupt data (ErrBadMerkleRoot, ErrDuplicateTx) and never as
// an invalid block.
func CheckBlockSanity(blk *wire.Block, params *Params, now time.Time) error {
	return checkBlockSanity(blk, blk.TxIDs(), params, now)
}

// checkBlockSanity is CheckBlockSanity for a caller that has the ids of
// blk's transactions (txids) and needs them again to connect it.
func checkBlockSanity(blk *wire.Block, txids []wire.Hash, params *Params, now time.Time) error {
	if err := checkHeaderSanity(&blk.Header, params, now); err != nil {
		return err
	}
	return checkBlockBody(blk, txids)
}

// checkBlockBody runs the context-free checks of the transactions, whose
// ids are txids.
func checkBlockBody(blk *wire.Block, txids []wire.Hash) error {
	// The merkle root first, even before the count: an empty list under
	// a genuine header is corrupt data (its root is zero), not a block.
	if err := checkMerkle(&blk.Header, txids); err != nil {
		return err
	}
	txs := blk.Transactions
	if len(txs) == 0 {
		return ruleError(ErrNoTransactions, "block has no transactions")
	}
	if size := blk.SerializeSize(); size > wire.MaxBlockSize {
		return ruleError(ErrBlockTooBig, "block is %d bytes, limit %d", size, wire.MaxBlockSize)
	}
	if !txs[0].IsCoinbase() {
		return ruleError(ErrFirstTxNotCoinbase, "first transaction is not a coinbase")
	}
	for i, tx := range txs {
		if i > 0 && tx.IsCoinbase() {
			return ruleError(ErrMultipleCoinbases, "transaction %d is a second coinbase", i)
		}
		if err := CheckTransactionSanity(tx); err != nil {
			return err
		}
	}
	return nil
}

func checkMerkle(h *wire.BlockHeader, ids []wire.Hash) error {
	root, mutated := wire.MerkleRoot(ids)
	if root != h.MerkleRoot {
		return ruleError(ErrBadMerkleRoot, "merkle root %s does not match header's %s", root, h.MerkleRoot)
	}
	if mutated {
		return ruleError(ErrDuplicateTx, "transaction list is a mutated merkle duplicate")
	}
	seen := make(map[wire.Hash]struct{}, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; dup {
			return ruleError(ErrDuplicateTx, "transaction %s appears twice", id)
		}
		seen[id] = struct{}{}
	}
	return nil
}

// CheckTransactionSanity runs the checks a transaction passes on its own:
// inputs and outputs present, amounts in range without overflow, no input
// spent twice, the null outpoint only in a coinbase.
func CheckTransactionSanity(tx *wire.Tx) error {
	if len(tx.Inputs) == 0 {
		return ruleError(ErrNoTxInputs, "transaction has no inputs")
	}
	if len(tx.Outputs) == 0 {
		return ruleError(ErrNoTxOutputs, "transaction has no outputs")
	}
	if _, err := sumOutputs(tx); err != nil {
		return err
	}
	if tx.IsCoinbase() {
		return nil
	}
	var seen map[wire.OutPoint]struct{} // only for many inputs; few are compared pairwise
	if len(tx.Inputs) > fewInputs {
		seen = make(map[wire.OutPoint]struct{}, len(tx.Inputs))
	}
	for i := range tx.Inputs {
		op := tx.Inputs[i].PrevOut
		if op.IsNull() {
			return ruleError(ErrBadTxInput, "input %d of a non-coinbase transaction spends the null outpoint", i)
		}
		dup := false
		if seen == nil {
			dup = spentBefore(tx.Inputs[:i], op)
		} else if _, dup = seen[op]; !dup {
			seen[op] = struct{}{}
		}
		if dup {
			return ruleError(ErrDuplicateTxInputs, "input %d spends %s:%d a second time", i, op.TxID, op.Index)
		}
	}
	return nil
}

// fewInputs is the most inputs CheckTransactionSanity compares pairwise for
// duplicates (at most 120 comparisons) instead of allocating a set.
const fewInputs = 16

// spentBefore reports whether one of ins spends op.
func spentBefore(ins []wire.TxIn, op wire.OutPoint) bool {
	for i := range ins {
		if ins[i].PrevOut == op {
			return true
		}
	}
	return false
}

// sumOutputs adds up the outputs, each and the total within MaxMoney.
func sumOutputs(tx *wire.Tx) (uint64, error) {
	var total uint64
	for i := range tx.Outputs {
		amt := tx.Outputs[i].Amount
		if amt > wire.MaxMoney {
			return 0, ruleError(ErrBadTxOutValue, "output %d amount %d exceeds the maximum %d", i, amt, uint64(wire.MaxMoney))
		}
		total += amt // cannot wrap: both terms are at most MaxMoney
		if total > wire.MaxMoney {
			return 0, ruleError(ErrBadTxOutValue, "outputs total more than the maximum %d", uint64(wire.MaxMoney))
		}
	}
	return total, nil
}

// checkBlockContext checks what depends on the block's height: the coinbase
// must carry it.
func checkBlockContext(blk *wire.Block, height uint64) error {
	if claimed := claimedHeight(blk); claimed != height {
		return ruleError(ErrBadCoinbaseHeight, "coinbase carries height %d, block is at %d", claimed, height)
	}
	return nil
}

// claimedHeight is the height blk's coinbase carries (0 if its first
// transaction is not a coinbase, which makes the block invalid anyway).
func claimedHeight(blk *wire.Block) uint64 {
	data, _ := blk.Transactions[0].Coinbase()
	return data.Height
}

// UtxoSource looks up unspent outputs; it returns nil for an output that is
// missing or spent.
type UtxoSource interface {
	FetchUtxo(op wire.OutPoint) (*UtxoEntry, error)
}

// CheckTransactionInputs checks a non-coinbase transaction against the
// outputs it spends, as if it were in a block at height: every input exists
// and is unspent, coinbase outputs are mature, each public key hashes to the
// spent output's key hash, and the inputs cover the outputs. It returns the
// spent entries in input order and the fee. Signatures are not checked here:
// they are checked last, by VerifySignatures.
func CheckTransactionInputs(tx *wire.Tx, height uint64, utxos UtxoSource, params *Params) (spent []UtxoEntry, fee uint64, err error) {
	spent = make([]UtxoEntry, 0, len(tx.Inputs))
	var in uint64
	for i := range tx.Inputs {
		input := &tx.Inputs[i]
		e, err := utxos.FetchUtxo(input.PrevOut)
		if err != nil {
			return nil, 0, err
		}
		if e == nil {
			return nil, 0, ruleError(ErrMissingTxOut, "input %d spends %s:%d, which is missing or spent",
				i, input.PrevOut.TxID, input.PrevOut.Index)
		}
		if e.Coinbase && height-e.Height < params.CoinbaseMaturity {
			return nil, 0, ruleError(ErrImmatureSpend, "input %d spends a coinbase of height %d at height %d; it matures at %d",
				i, e.Height, height, e.Height+params.CoinbaseMaturity)
		}
		if wire.HashPubKey(input.PubKey) != e.KeyHash {
			return nil, 0, ruleError(ErrKeyHashMismatch, "input %d public key does not hash to the spent output's key hash", i)
		}
		in += e.Amount // cannot wrap: every entry is at most MaxMoney and inputs are few
		spent = append(spent, *e)
	}
	out, err := sumOutputs(tx)
	if err != nil {
		return nil, 0, err
	}
	if in < out {
		return nil, 0, ruleError(ErrSpendTooHigh, "outputs %d exceed inputs %d", out, in)
	}
	return spent, in - out, nil
}

// VerifyTxSignatures checks the signature of every input of a non-coinbase
// transaction against its sighash.
func VerifyTxSignatures(tx *wire.Tx) error {
	if tx.IsCoinbase() {
		return nil
	}
	msg := tx.SigHash()
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		if !wire.VerifySchnorr(in.PubKey, msg, in.Signature) {
			return ruleError(ErrBadSignature, "input %d: signature does not verify", i)
		}
	}
	return nil
}

// verifyBlockSignatures checks the signatures of every transaction of a
// block that the cache (if any) does not vouch for, spreading the work over
// workers goroutines (all finished on return) and counting the checked
// transactions in checks. On failure it reports the first bad transaction
// in block order, so the error does not depend on scheduling.
func verifyBlockSignatures(txs []*wire.Tx, txids []wire.Hash, workers int, cache *SigCache, checks *atomic.Uint64) error {
	todo := make([]int, 0, len(txs))
	for i, tx := range txs {
		if !tx.IsCoinbase() && (cache == nil || !cache.Contains(txids[i])) {
			todo = append(todo, i)
		}
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(todo))
	firstBad := len(txs) // index of the first failing tx; len(txs) = none
	var badErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < len(todo); k += workers {
				i := todo[k]
				checks.Add(1)
				if err := VerifyTxSignatures(txs[i]); err != nil {
					mu.Lock()
					if i < firstBad {
						firstBad, badErr = i, wrapTxError(err, txids[i])
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return badErr
}
