#!/usr/bin/env bash
# Kills NODE with SIGKILL (a crash: no shutdown at all).
# Usage: ./testnet/kill.sh NODE
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: kill.sh NODE"
pid="$(our_pid "$1")" || die "$1 is not running"
kill -KILL "$pid"
rm -f "$TESTNET_DIR/$1.pid"
say "killed $1"
