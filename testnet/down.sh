#!/usr/bin/env bash
# Stops exactly the processes the testnet scripts started (their pid files
# under .testnet/): SIGTERM, then SIGKILL after a timeout. Data dirs stay;
# `rm -rf .testnet` forgets the network.
source "$(dirname "$0")/lib.sh"

stop_process miner
for f in "$TESTNET_DIR"/*.pid; do
  [ -e "$f" ] || continue
  stop_process "$(basename "$f" .pid)"
done
say "stopped"
