#!/usr/bin/env bash
# Brings up a local powchain network: a seed node, NODES nodes (default 4)
# that find each other through the seed, a wallet per node and a miner on
# node1; waits until coins mature, sends 1.5 coins from node1's wallet to
# node2's and shows the transaction confirmed on every node. On a terminal
# it then shows a live status table until Ctrl-C (the network keeps
# running); otherwise it exits 0 once the demo transaction is confirmed.
# ./testnet/down.sh stops everything it started.
#
# Usage: ./testnet/up.sh [-n NODES] [--miner-threads N | --no-miner]
#   -n NODES            nodes besides the seed (default 4)
#   --miner-threads N   threads of the miner on node1 (default 1); the
#                       difficulty follows its hash rate, one block a second
#   --no-miner          no miner: blocks only through ./testnet/mine.sh (up.sh
#                       mines the demo's blocks itself, as mine.sh does)
source "$(dirname "$0")/lib.sh"

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
NODES=4
MINER_THREADS=1
while [ $# -gt 0 ]; do
  case "$1" in
    -n) [ $# -ge 2 ] || die "-n takes a number"; NODES="$2"; shift 2 ;;
    --miner-threads) [ $# -ge 2 ] || die "--miner-threads takes a number"; MINER_THREADS="$2"; shift 2 ;;
    --miner-threads=*) MINER_THREADS="${1#*=}"; shift ;;
    --no-miner) MINER_THREADS=0; shift ;;
    -h|--help) usage ;;
    *) echo "testnet: unknown option '$1'" >&2; usage ;;
  esac
done
[[ "$NODES" =~ ^[1-9][0-9]*$ ]] || die "-n takes a positive number"
[[ "$MINER_THREADS" =~ ^[0-9]+$ ]] || die "--miner-threads takes a positive number"

for f in "$TESTNET_DIR"/*.pid; do
  [ -e "$f" ] || continue
  if alive "$(basename "$f" .pid)"; then
    die "a testnet is already running ($(basename "$f" .pid) is up): ./testnet/down.sh first"
  fi
  rm -f "$f"
done

mkdir -p "$TESTNET_DIR/bin"
say "building powchain"
(cd "$ROOT" && go build -o "$BIN" ./cmd/powchain)

# The nodes of this network: a data dir left by an earlier, larger one
# (up.sh -n 4, down.sh, up.sh -n 2) is not started, nor waited for.
NAMES=(seed $(seq -f 'node%.0f' 1 "$NODES"))
say "starting the seed and $NODES nodes"
start_node seed --seed
for n in "${NAMES[@]:1}"; do
  start_node "$n" --listen "127.0.0.1:$(p2p_port "$n")"
done

for n in "${NAMES[@]}"; do
  [ -f "$(datadir "$n")/local/wallets/default.wallet" ] || pc "$n" wallet create >/dev/null
done
miner_addr="$(wallet_address node1)"
if [ "$MINER_THREADS" -gt 0 ]; then
  say "starting a miner ($MINER_THREADS thread(s)) on node1 paying $miner_addr"
  "$BIN" miner start --datadir "$(datadir node1)" --address "$miner_addr" --threads "$MINER_THREADS" \
    >>"$TESTNET_DIR/miner.log" 2>&1 &
  echo $! > "$TESTNET_DIR/miner.pid"
fi
# wait_detail: what the progress line of a wait shows (on a terminal).
wait_detail() {
  echo "node1 at height $(rpc node1 getblockcount), mempool $(rpc node1 getmempoolinfo | json_field size)"
}
# mine_demo N: without a miner, up.sh mines the demo's blocks on node1.
mine_demo() { [ "$MINER_THREADS" -gt 0 ] || rpc node1 generatetoaddress "$1" "$miner_addr" >/dev/null; }

# Every node has two peers, or with one node besides the seed, its one.
connected() {
  local n
  for n in "${NAMES[@]}"; do
    [ "$(rpc "$n" getconnectioncount)" -ge $((NODES < 2 ? NODES : 2)) ] || return 1
  done
}
wait_until 60 "every node to have peers" connected
mine_demo 12 # local's coinbase maturity is 10: two coinbases spendable

spendable() {
  local confirmed
  confirmed="$(pc node1 wallet balance --json | sed 's/.*"confirmed":\([0-9]*\).*/\1/')"
  [ "$confirmed" -ge 200000000 ]
}
wait_until 120 "node1's coins to mature" spendable

to="$(wallet_address node2)"
txid="$(pc node1 wallet send --to "$to" --amount 1.5)"
say "sent 1.5 coins from node1 to node2: $txid"
in_node1_mempool() { rpc node1 getrawmempool | grep -q "$txid"; }
[ "$MINER_THREADS" -gt 0 ] || { wait_until 30 "the transaction in node1's mempool" in_node1_mempool; mine_demo 1; }

confirmed_everywhere() {
  local n
  for n in "${NAMES[@]}"; do
    rpc "$n" gettxout "$txid" 0 false | grep -q '"confirmations"' || return 1
  done
}
wait_until 120 "the transaction to be confirmed on every node" confirmed_everywhere
say "transaction $txid is confirmed on every node"
say "block explorer: $(explorer_url node1)tx/$txid (every node's explorer is in the EXPLORER column)"
"$(dirname "$0")/status.sh"

if [ -t 0 ] && [ -t 1 ]; then
  trap 'echo; say "the network keeps running; ./testnet/down.sh stops it"; exit 0' INT
  while true; do
    clear
    "$(dirname "$0")/status.sh"
    echo
    echo "Ctrl-C leaves this view (the network keeps running)."
    sleep 2
  done
fi
