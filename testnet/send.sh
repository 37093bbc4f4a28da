#!/usr/bin/env bash
# Sends AMOUNT coins from FROM's wallet to a new address of TO's wallet and
# prints the txid. Usage: ./testnet/send.sh FROM TO AMOUNT
source "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || die "usage: send.sh FROM TO AMOUNT (e.g. send.sh node1 node3 2.5)"
require_node "$1"
require_node "$2"
pc "$1" wallet send --to "$(wallet_address "$2")" --amount "$3"
