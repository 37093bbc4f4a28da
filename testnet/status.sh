#!/usr/bin/env bash
# Prints one line per node: height, tip, peers, mempool size, difficulty and
# the mean interval between its last blocks (from their timestamps); and the
# miner's last hash-rate report with its age. Every node is asked at the
# same moment (in parallel), so nodes in sync show the same tip.
source "$(dirname "$0")/lib.sh"

# Mean block interval over the last INTERVAL_BLOCKS blocks (two minutes of
# local's one-second spacing).
INTERVAL_BLOCKS=120

# node_line NODE: the node's row (run in the background, one per node).
node_line() {
  local n="$1" info height tip peers mempool difficulty interval="-" k t1 t0
  if ! alive "$n"; then
    printf '%-8s %-7s\n' "$n" down
    return
  fi
  info="$(rpc "$n" getblockchaininfo 2>/dev/null)" || { printf '%-8s %-7s\n' "$n" "no rpc"; return; }
  height="$(json_field blocks <<<"$info")"
  tip="$(json_field bestblockhash <<<"$info")"
  difficulty="$(json_field difficulty <<<"$info")"
  peers="$(rpc "$n" getconnectioncount)"
  mempool="$(rpc "$n" getmempoolinfo | json_field size)"
  k=$((height <= INTERVAL_BLOCKS ? height - 1 : INTERVAL_BLOCKS))
  if [ "$k" -gt 0 ]; then
    t1="$(rpc "$n" getblockheader "$tip" | json_field time)"
    t0="$(rpc "$n" getblockheader "$(rpc "$n" getblockhash $((height - k)))" | json_field time)"
    interval="$(awk -v d=$((t1 - t0)) -v k="$k" 'BEGIN { printf "%.2fs/%d", d / k, k }')"
  fi
  printf '%-8s %-7s %-8s %-18s %-6s %-7s %-12s %-10s %s\n' "$n" up "$height" "${tip:0:16}" "$peers" "$mempool" \
    "$(awk -v d="$difficulty" 'BEGIN { printf "%.4g", d }')" "$interval" "$(explorer_url "$n")"
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
names=($(nodes))
[ ${#names[@]} -gt 0 ] || die "no network in $TESTNET_DIR: ./testnet/up.sh starts one"
for n in "${names[@]}"; do
  node_line "$n" >"$tmp/$n" 2>/dev/null &
done
wait

printf '%-8s %-7s %-8s %-18s %-6s %-7s %-12s %-10s %s\n' NODE STATE HEIGHT TIP PEERS MEMPOOL DIFFICULTY INTERVAL EXPLORER
for n in "${names[@]}"; do cat "$tmp/$n"; done
echo "(INTERVAL: mean time between the last N blocks, from their timestamps, as seconds/N)"
if alive miner; then
  report="$(grep '^hashrate' "$TESTNET_DIR/miner.log" | tail -n1 || true)"
  if [[ "$report" =~ at=([0-9]+) ]]; then
    echo "miner: ${report% at=*} (reported $(($(date +%s) - BASH_REMATCH[1]))s ago)"
  else
    echo "miner: running, no hash-rate report yet"
  fi
else
  echo "miner: not running"
fi
