#!/usr/bin/env bash
# Prints one line per node: height, tip, peers, mempool size; and the
# miner's last hash-rate report.
source "$(dirname "$0")/lib.sh"

printf '%-8s %-7s %-8s %-18s %-6s %-7s\n' NODE STATE HEIGHT TIP PEERS MEMPOOL
for n in $(nodes); do
  if ! alive "$n"; then
    printf '%-8s %-7s\n' "$n" down
    continue
  fi
  info="$(rpc "$n" getblockchaininfo 2>/dev/null)" || { printf '%-8s %-7s\n' "$n" "no rpc"; continue; }
  printf '%-8s %-7s %-8s %-18s %-6s %-7s\n' "$n" up \
    "$(json_field blocks <<<"$info")" "$(json_field bestblockhash <<<"$info" | cut -c1-16)" \
    "$(rpc "$n" getconnectioncount)" "$(rpc "$n" getmempoolinfo | json_field size)"
done
if alive miner; then
  echo "miner: $(grep '^hashrate' "$TESTNET_DIR/miner.log" | tail -n1)"
else
  echo "miner: not running"
fi
