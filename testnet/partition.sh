#!/usr/bin/env bash
# Splits the network in two: every listed node of GROUP_A talks only to the
# others of GROUP_A, and likewise for GROUP_B (each node is restarted with
# --connect to its group; the seed is left out of both). Every running node
# must be in exactly one group. ./testnet/heal.sh joins them again.
# Usage: ./testnet/partition.sh node1,node2 node3,node4
source "$(dirname "$0")/lib.sh"
[ $# -eq 2 ] || die "usage: partition.sh GROUP_A GROUP_B (comma-separated node names)"
# Every running node but the seed goes in exactly one group: one in
# neither keeps its normal arguments, dials the addresses in its book (both
# groups') and joins them again; one in both would end up connected to both.
declare -A named=()
for node in ${1//,/ } ${2//,/ }; do
  require_node "$node"
  [ -z "${named[$node]:-}" ] || die "$node is named twice: a node goes in one group (in both, it would join them)"
  named[$node]=1
done
for node in $(nodes); do
  if [ "$node" != seed ] && [ -z "${named[$node]:-}" ] && alive "$node"; then
    die "$node runs and is in neither group: it would connect to both and join them (put it in one, or stop it)"
  fi
done

restart_in_group() {
  local node="$1" group="$2" args=() peer
  args+=(--listen "127.0.0.1:$(p2p_port "$node")")
  for peer in ${group//,/ }; do
    [ "$peer" = "$node" ] || args+=(--connect "127.0.0.1:$(p2p_port "$peer")")
  done
  [ "${#args[@]}" -gt 2 ] || args+=(--connect 0)
  stop_process "$node"
  start_node "$node" "${args[@]}"
}
stop_process seed
for group in "$1" "$2"; do
  for node in ${group//,/ }; do restart_in_group "$node" "$group"; done
done
say "partitioned: {$1} | {$2}"
