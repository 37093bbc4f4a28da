#!/usr/bin/env bash
# Restarts NODE with the arguments it was last started with (stopping it
# first if it runs). Usage: ./testnet/restart.sh NODE
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: restart.sh NODE"
[ -f "$TESTNET_DIR/$1.args" ] || die "$1 was never started"
stop_process "$1"
mapfile -t args < "$TESTNET_DIR/$1.args"
start_node "$1" "${args[@]}"
say "restarted $1"
