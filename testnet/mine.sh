#!/usr/bin/env bash
# Mines N blocks on NODE itself (generatetoaddress), paying its wallet.
# Usage: ./testnet/mine.sh NODE N
source "$(dirname "$0")/lib.sh"
[ $# -eq 2 ] || die "usage: mine.sh NODE N"
require_node "$1"
rpc "$1" generatetoaddress "$2" "$(wallet_address "$1")"
