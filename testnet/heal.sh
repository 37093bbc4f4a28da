#!/usr/bin/env bash
# Joins a partitioned network again: the seed and every node restart with
# their normal arguments and find each other through the seed.
source "$(dirname "$0")/lib.sh"
for n in $(nodes); do
  stop_process "$n"
  if [ "$n" = seed ]; then
    start_node seed --seed
  else
    start_node "$n" --listen "127.0.0.1:$(p2p_port "$n")"
  fi
done
say "healed"
