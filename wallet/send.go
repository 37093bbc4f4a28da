package wallet

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2"

	"powchain/rpc"
	"powchain/wire"
)

const (
	// DustThreshold is the smallest change output Send creates, in base
	// units: change*1000 >= 3*1000*(TxInSize+TxOutSize), i.e. three times
	// what creating the output and spending it later costs at 1 base unit
	// per byte (480). Smaller change is left to the fee. Send also refuses
	// to pay an amount below it.
	DustThreshold = 3 * (wire.TxInSize + wire.TxOutSize)

	// DefaultFeeRate is a fee rate (base units per byte) for callers that
	// have no better one.
	DefaultFeeRate = 1

	// DefaultMaxFee is the default Options.MaxFee: 0.1 coins, as Bitcoin
	// Core's default -maxtxfee. At the default fee rate a transaction would
	// need 75,000 inputs to reach it; a fee above it is almost surely a
	// mistyped fee rate.
	DefaultMaxFee = wire.CoinValue / 10

	// MaxFeeRate bounds the fee rate so that no fee of any transaction that
	// fits in a block exceeds the money supply (about 21 coins per byte).
	MaxFeeRate = wire.MaxMoney / wire.MaxTxSize

	txOverhead = wire.MinTxSize - wire.TxInSize - wire.TxOutSize // 12
	// maxInputs keeps a two-output transaction within wire.MaxTxSize.
	maxInputs = (wire.MaxTxSize - txOverhead - 2*wire.TxOutSize) / wire.TxInSize
)

// Errors of Send (besides node errors, which are wrapped).
var (
	// ErrInsufficientFunds: the spendable outputs do not cover amount + fee.
	// The error is an *InsufficientFundsError.
	ErrInsufficientFunds = errors.New("insufficient funds")
	// ErrInvalidAddress: the destination is not a well-formed address.
	// (An address of another network wraps wire.ErrAddressNetwork instead.)
	ErrInvalidAddress = errors.New("invalid destination address")
	// ErrInvalidAmount: zero, below DustThreshold, or above the money supply.
	ErrInvalidAmount = errors.New("invalid amount")
	// ErrInvalidFeeRate: above MaxFeeRate.
	ErrInvalidFeeRate = errors.New("invalid fee rate")
	// ErrFeeTooHigh: the fee would exceed Options.MaxFee. The error is a
	// *FeeTooHighError.
	ErrFeeTooHigh = errors.New("fee too high")
	// ErrMaybeSent: the transaction went to the node, but no verdict on it
	// came back (the connection broke, the node was stopping, ctx was
	// cancelled), so the node may have taken it. Send records it as sent
	// and returns its txid and hex with this error, wrapping the node's
	// error.
	ErrMaybeSent = errors.New("the transaction may have been sent")
)

// FeeTooHighError says which fee a send would have paid and the cap it
// exceeds, in base units. errors.Is(err, ErrFeeTooHigh).
type FeeTooHighError struct {
	Fee, Max uint64
	FeeRate  uint64 // base units per byte
	Size     uint64 // bytes of the transaction (the smallest possible one when no coins were selected yet)
}

func (e *FeeTooHighError) Error() string {
	return fmt.Sprintf("fee too high: %s coins (%d base units per byte for %d bytes) exceeds the maximum fee of %s coins; "+
		"check the fee rate, or raise the maximum (powchain wallet send --max-fee) to pay it",
		rpc.FormatCoins(e.Fee), e.FeeRate, e.Size, rpc.FormatCoins(e.Max))
}

// Is makes errors.Is(err, ErrFeeTooHigh) true.
func (e *FeeTooHighError) Is(target error) bool { return target == ErrFeeTooHigh }

// InsufficientFundsError says how much a send needed and how much the
// wallet could spend, in base units. errors.Is(err, ErrInsufficientFunds).
type InsufficientFundsError struct {
	Amount   uint64 // the payment
	Need     uint64 // Amount + the fee of a transaction spending every usable output
	Have     uint64 // usable outputs: confirmed mature, and unconfirmed outputs of the wallet's own sends
	Immature uint64 // coinbase outputs not yet spendable
	// Pending: unconfirmed payments from others, spendable once they
	// confirm.
	Pending uint64
	// Uneconomical: outputs worth no more than the fee of spending them at
	// the fee rate asked for; they are left out.
	Uneconomical uint64
	FeeRate      uint64 // base units per byte
}

func (e *InsufficientFundsError) Error() string {
	s := fmt.Sprintf("insufficient funds: sending %s coins with a fee of %s needs %s coins, but only %s are spendable",
		rpc.FormatCoins(e.Amount), rpc.FormatCoins(e.Need-e.Amount), rpc.FormatCoins(e.Need), rpc.FormatCoins(e.Have))
	if e.Immature > 0 {
		s += fmt.Sprintf("; %s more are immature coinbase outputs", rpc.FormatCoins(e.Immature))
	}
	if e.Pending > 0 {
		s += fmt.Sprintf("; %s more are unconfirmed payments to the wallet, spendable once they confirm", rpc.FormatCoins(e.Pending))
	}
	if e.Uneconomical > 0 {
		s += fmt.Sprintf("; %s are in outputs that would cost more in fee than they are worth at %d base units per byte",
			rpc.FormatCoins(e.Uneconomical), e.FeeRate)
	}
	return s
}

// Is makes errors.Is(err, ErrInsufficientFunds) true.
func (e *InsufficientFundsError) Is(target error) bool { return target == ErrInsufficientFunds }

// Send pays amount base units to the address to, at feeRate base units per
// byte of the encoded transaction, and returns its txid and hex.
//
//   - The destination must be an address of the wallet's network.
//   - Coins come from a fresh scan (as in Balance): confirmed mature outputs
//     first, unconfirmed outputs of the wallet's own sends (change) only if
//     the confirmed ones do not suffice, never unconfirmed payments from
//     others; but while a recorded send is missing, one of its coins comes
//     first, so that the two conflict (see selectCoins).
//   - fee = feeRate * size, size = 12 + 132*inputs + 28*outputs.
//   - Output 0 pays to; output 1, present when the change is at least
//     DustThreshold, pays the change to a new change address. Smaller
//     change goes to the fee.
//
// With broadcast, the transaction goes to node.SendRawTransaction, and then
// the wallet file records the send and the advanced indexes. If that write
// fails after a successful broadcast (another process changed the file
// meanwhile, or the disk failed), Send returns the txid and hex with an
// error that says the transaction was sent; it never wraps ErrModified,
// which means no transaction went out (the next scan finds the change
// address anyway, and History lists the send from the node). A node's
// rejection (rejected reports which) records nothing. Any other failure
// leaves the outcome unknown: the node may hold the transaction, so a
// second send would pay again from other coins. Send then records the send
// as if accepted and returns its txid and hex with ErrMaybeSent; History
// shows it from the node, or as Missing if the node never got it. Without
// broadcast, nothing is written: the signed transaction is only returned.
func (w *Wallet) Send(ctx context.Context, node Node, to string, amount uint64, feeRate uint64, broadcast bool) (txid string, txHex string, err error) {
	switch {
	case amount == 0:
		return "", "", fmt.Errorf("%w: must be positive", ErrInvalidAmount)
	case amount > wire.MaxMoney:
		return "", "", fmt.Errorf("%w: %s coins exceeds the money supply", ErrInvalidAmount, rpc.FormatCoins(amount))
	case amount < DustThreshold:
		return "", "", fmt.Errorf("%w: %s coins is below the dust threshold of %s coins (the smallest payment the network relays)",
			ErrInvalidAmount, rpc.FormatCoins(amount), rpc.FormatCoins(DustThreshold))
	case feeRate > MaxFeeRate:
		return "", "", fmt.Errorf("%w: %d base units per byte is above the maximum %d", ErrInvalidFeeRate, feeRate, MaxFeeRate)
	}
	dest, err := wire.DecodeAddress(w.opt.AddressPrefix, to)
	if errors.Is(err, wire.ErrAddressNetwork) {
		return "", "", fmt.Errorf("destination %q is not a %s address: %w", to, w.st.Network, err)
	}
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrInvalidAddress, err)
	}

	if minFee := feeRate * wire.MinTxSize; minFee > w.opt.MaxFee {
		return "", "", &FeeTooHighError{Fee: minFee, Max: w.opt.MaxFee, FeeRate: feeRate, Size: wire.MinTxSize}
	}

	found, next, err := w.scan(ctx, node)
	if err != nil {
		return "", "", err
	}
	tip, err := node.GetBlockCount(ctx)
	if err != nil {
		return "", "", fmt.Errorf("getblockcount: %w", err)
	}
	sel, err := selectCoins(w.markMissingSends(found), amount, feeRate)
	if err != nil {
		return "", "", err
	}
	if sel.fee > w.opt.MaxFee {
		outputs := 1
		if sel.change > 0 {
			outputs = 2
		}
		return "", "", &FeeTooHighError{Fee: sel.fee, Max: w.opt.MaxFee, FeeRate: feeRate, Size: txSize(len(sel.inputs), outputs)}
	}

	tx := &wire.Tx{Version: 1, Outputs: []wire.TxOut{{Amount: amount, KeyHash: dest}}}
	changePath := keyPath{BranchChange, next[BranchChange]}
	if sel.change > 0 {
		ck, err := w.keys.key(changePath)
		if err != nil {
			return "", "", err
		}
		tx.Outputs = append(tx.Outputs, wire.TxOut{Amount: sel.change, KeyHash: ck.keyHash})
	}
	keys := make([]*btcec.PrivateKey, len(sel.inputs))
	for i, u := range sel.inputs {
		tx.Inputs = append(tx.Inputs, wire.TxIn{PrevOut: u.outPoint})
		keys[i] = u.key.priv
	}
	if err := wire.SignInputs(tx, keys); err != nil {
		return "", "", err
	}
	txid, txHex = tx.TxID().String(), hex.EncodeToString(tx.Bytes())
	if !broadcast {
		return txid, txHex, nil
	}

	// Refuse before broadcasting if the file cannot be updated afterwards.
	if err := w.checkUnchanged(); err != nil {
		return "", "", err
	}
	var maybeSent error
	if _, err := node.SendRawTransaction(ctx, txHex); rejected(err) {
		return "", "", fmt.Errorf("sendrawtransaction: %w", err)
	} else if err != nil {
		maybeSent = fmt.Errorf("%w: the node did not say whether it took %s (sendrawtransaction: %w)", ErrMaybeSent, txid, err)
	}
	st := w.st
	st.NextReceive, st.NextChange = next[BranchReceive], next[BranchChange]
	if sel.change > 0 {
		st.NextChange = changePath.index + 1
	}
	inputs := make([]string, len(sel.inputs))
	for i, u := range sel.inputs {
		inputs[i] = outPointKey(u.TxID, u.OutputIndex)
	}
	st.Sends = append(slices.Clip(st.Sends), SendRecord{
		TxID: txid, To: to, Amount: amount, Fee: sel.fee,
		Time: w.opt.Now().Unix(), TipHeight: tip, Inputs: inputs,
	})
	if err := w.save(st); err != nil {
		return txid, txHex, unrecorded(txid, maybeSent, err)
	}
	if maybeSent != nil {
		return txid, txHex, fmt.Errorf("%w; it is recorded in the wallet: before sending again, check `powchain wallet list`, "+
			"which shows it once the node has it, or as missing if the node never got it", maybeSent)
	}
	return txid, txHex, nil
}

// unrecorded is Send's error when the transaction went to the node but the
// wallet file could not record it (err), or recorded it without making the
// record durable (ErrNotDurable). It does not pass on ErrModified, whose
// advice to run the command again would pay a second time.
func unrecorded(txid string, maybeSent, err error) error {
	if errors.Is(err, ErrNotDurable) {
		if maybeSent != nil {
			return fmt.Errorf("%w; it is recorded in the wallet, but the record may not survive a crash (%w): before sending again, "+
				"check `powchain wallet list`, which shows it once the node has it", maybeSent, err)
		}
		return fmt.Errorf("transaction %s was sent and recorded, but the record may not survive a crash (%w); do not send it again: "+
			"`powchain wallet list` shows it", txid, err)
	}
	if errors.Is(err, ErrModified) {
		err = errors.New("another process changed it meanwhile")
	}
	if maybeSent != nil {
		return fmt.Errorf("%w; the wallet file was not updated (%w): before sending again, check `powchain wallet list`, "+
			"which shows it once the node has it", maybeSent, err)
	}
	return fmt.Errorf("transaction %s was sent, but the wallet file was not updated (%w); do not send it again: `powchain wallet list` shows it",
		txid, err)
}

// rejected reports whether err is the node's verdict that it did not take
// a transaction (docs/RPC.md, sendrawtransaction): it does not decode, an
// input is missing or spent, or policy or consensus rejects it. nil and
// every other error (transport failures, -1 such as "accepted, but not
// relayed") are not.
func rejected(err error) bool {
	var re *rpc.Error
	if !errors.As(err, &re) {
		return false
	}
	switch re.Code {
	case rpc.CodeDeserialization, rpc.CodeVerifyError, rpc.CodeVerifyRejected:
		return true
	}
	return false
}

// markMissingSends returns found's utxos (unspent, as the node sees them)
// with missingSend set on those a recorded send spends: such a send is in
// neither the chain nor the mempool. A missing send of which the node
// knows another spend (History's ReplacedBy) already conflicts with it,
// so its other coins are left unmarked.
func (w *Wallet) markMissingSends(found scanned) []*utxo {
	spent := found.spenders()
	spender := make(map[string]string)
	for _, r := range w.st.Sends {
		if slices.ContainsFunc(r.Inputs, func(in string) bool { return spent[in] != "" }) {
			continue
		}
		for _, in := range r.Inputs {
			spender[in] = r.TxID
		}
	}
	utxos := found.utxos()
	for _, u := range utxos {
		u.missingSend = spender[outPointKey(u.TxID, u.OutputIndex)]
	}
	return utxos
}

// selection is the outcome of coin selection.
type selection struct {
	inputs []*utxo
	change uint64 // 0: no change output
	fee    uint64 // sum(inputs) - amount - change
}

func txSize(nIn, nOut int) uint64 {
	return uint64(txOverhead + nIn*wire.TxInSize + nOut*wire.TxOutSize)
}

// selectCoins picks the inputs of a send (feeRate <= MaxFeeRate, so no
// product overflows).
//
// Candidates are spendable outputs worth more than the fee of spending
// them (amount > feeRate*TxInSize), in two tiers: confirmed mature, then
// unconfirmed outputs of transactions that spend the wallet's outputs, its
// own sends (they depend on a mempool transaction confirming). Unconfirmed
// payments from others are never candidates, as in Bitcoin Core: their
// sender could still double-spend them, and the send would vanish with
// them. Within the confirmed tier:
//  1. the smallest single output that covers amount + fee, if any: one
//     input is the cheapest transaction, and larger outputs stay whole for
//     larger payments;
//  2. otherwise outputs largest first until they cover amount + fee, which
//     minimises the number of inputs and so the fee.
//
// Only if all confirmed outputs do not suffice are the unconfirmed outputs
// of the wallet's own sends added, largest first. Before all that, if
// recorded sends are missing (candidates carry missingSend: a recorded send
// spends them, the node knows no spend), conflictFirst takes one coin of
// each first. "Covers" means inputs >=
// amount + fee(n, 2) + DustThreshold (with change) or inputs >= amount +
// fee(n, 1) (without change; the excess, under DustThreshold + 28*feeRate,
// goes to the fee).
func selectCoins(utxos []*utxo, amount, feeRate uint64) (selection, error) {
	var confirmed, unconfirmed []*utxo
	var have, immature, uneconomical, pending uint64
	for _, u := range utxos {
		a := uint64(u.Amount)
		switch {
		case !u.spendable():
			immature += a
		case a <= feeRate*wire.TxInSize:
			uneconomical += a // spending it costs more than it brings
		case u.Mempool && !u.fromWallet:
			pending += a // someone else's unconfirmed payment
		case u.Mempool:
			unconfirmed = append(unconfirmed, u)
			have += a
		default:
			confirmed = append(confirmed, u)
			have += a
		}
	}
	largestFirst := func(a, b *utxo) int {
		if c := cmp.Compare(b.Amount, a.Amount); c != 0 {
			return c
		}
		if c := cmp.Compare(a.TxID, b.TxID); c != 0 {
			return c
		}
		return cmp.Compare(a.OutputIndex, b.OutputIndex)
	}
	slices.SortFunc(confirmed, largestFirst)
	slices.SortFunc(unconfirmed, largestFirst)

	finish := func(inputs []*utxo, sum uint64) (selection, bool) {
		n := len(inputs)
		if f := feeRate * txSize(n, 2); sum >= amount+f+DustThreshold {
			return selection{inputs: inputs, change: sum - amount - f, fee: f}, true
		}
		if f := feeRate * txSize(n, 1); sum >= amount+f {
			return selection{inputs: inputs, fee: sum - amount}, true
		}
		return selection{}, false
	}
	accumulate := func(cands []*utxo) (selection, bool) {
		var sum uint64
		for i, u := range cands[:min(len(cands), maxInputs)] {
			sum += uint64(u.Amount)
			if s, ok := finish(cands[:i+1], sum); ok {
				return s, true
			}
		}
		return selection{}, false
	}

	if s, ok := conflictFirst(confirmed, unconfirmed, finish); ok {
		return s, nil
	}
	for i := len(confirmed) - 1; i >= 0; i-- { // smallest first
		if s, ok := finish(confirmed[i:i+1], uint64(confirmed[i].Amount)); ok {
			return s, nil
		}
	}
	if s, ok := accumulate(confirmed); ok {
		return s, nil
	}
	all := append(slices.Clip(confirmed), unconfirmed...)
	if s, ok := accumulate(all); ok {
		return s, nil
	}
	if len(all) > maxInputs && have >= amount {
		return selection{}, fmt.Errorf("%w: the payment would need more than %d inputs; send a smaller amount first to consolidate",
			ErrInsufficientFunds, maxInputs)
	}
	return selection{}, &InsufficientFundsError{
		Amount:       amount,
		Need:         amount + feeRate*txSize(min(max(len(all), 1), maxInputs), 1),
		Have:         have,
		Immature:     immature,
		Pending:      pending,
		Uneconomical: uneconomical,
		FeeRate:      feeRate,
	}
}

// conflictFirst selects coins for a send made while recorded sends are
// missing (candidates, largest first, carry missingSend): the largest
// candidate of each missing send, then the others largest first (confirmed
// before unconfirmed) until finish accepts. A missing send may still be
// alive elsewhere (peers of a node that relayed it and then lost its
// mempool); spending one of its coins makes the two conflict, so that at
// most one of them can confirm, instead of both paying. ok is false when
// no send is missing or the coins do not suffice.
func conflictFirst(confirmed, unconfirmed []*utxo, finish func([]*utxo, uint64) (selection, bool)) (selection, bool) {
	var first, rest []*utxo
	taken := make(map[string]bool)
	for _, u := range append(slices.Clip(confirmed), unconfirmed...) {
		if u.missingSend != "" && !taken[u.missingSend] {
			taken[u.missingSend] = true
			first = append(first, u)
			continue
		}
		rest = append(rest, u)
	}
	if len(first) == 0 {
		return selection{}, false
	}
	cands := append(first, rest...)
	var sum uint64
	for i, u := range cands[:min(len(cands), maxInputs)] {
		sum += uint64(u.Amount)
		if i+1 < len(first) {
			continue
		}
		if s, ok := finish(cands[:i+1], sum); ok {
			return s, true
		}
	}
	return selection{}, false
}
