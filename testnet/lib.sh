# Shared settings and helpers of the testnet scripts. Sourced, not run.
#
# Layout under $TESTNET_DIR (default: .testnet/ at the repository root):
#   bin/powchain         the binary up.sh built
#   seed/, node1/, ...   one data dir per node (wallet "default" inside)
#   <name>.pid           pid of every process up.sh (or restart.sh) started;
#                        trusted only while that pid runs our command line
#                        (our_pid): it may be another program's by now
#   <name>.log           its output
#   <name>.args          the arguments a node was started with (restart.sh)
#   miner.pid/.log       the miner
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TESTNET_DIR="${POWCHAIN_TESTNET_DIR:-$ROOT/.testnet}"
BIN="$TESTNET_DIR/bin/powchain"
# Ports: a base plus the node's number (the seed is number 0). The seed
# listens on the first hard-coded local seed address (127.0.0.1:19444).
P2P_BASE="${POWCHAIN_TESTNET_P2P_BASE:-19450}"
RPC_BASE="${POWCHAIN_TESTNET_RPC_BASE:-19550}"
export POWCHAIN_WALLET_PASSPHRASE="${POWCHAIN_WALLET_PASSPHRASE:-testnet}"
STOP_TIMEOUT="${POWCHAIN_TESTNET_STOP_TIMEOUT:-15}"

die() { echo "testnet: $*" >&2; exit 1; }
say() { echo "testnet: $*" >&2; }

# node_number NAME: 0 for the seed, N for nodeN.
node_number() {
  case "$1" in
    seed) echo 0 ;;
    node[0-9]*) echo "${1#node}" ;;
    *) die "unknown node '$1' (seed, node1, node2, ...)" ;;
  esac
}

datadir() { echo "$TESTNET_DIR/$1"; }

# require_node NAME: exit with one line unless NAME is a node of this
# network (call it in the script itself: die in $(...) ends only the
# subshell).
require_node() {
  node_number "$1" >/dev/null
  [ -d "$(datadir "$1")" ] || die "unknown node '$1' (this network has: $(nodes | tr '\n' ' '| sed 's/ $//'))"
}
rpc_port() { echo $((RPC_BASE + $(node_number "$1"))); }
p2p_port() { echo $((P2P_BASE + $(node_number "$1"))); }

# pc NODE ARGS...: run the binary against NODE's data dir.
pc() {
  local node="$1"; shift
  "$BIN" "$@" --datadir "$(datadir "$node")"
}

# rpc NODE METHOD [ARGS...]
rpc() {
  local node="$1"; shift
  "$BIN" rpc --datadir "$(datadir "$node")" "$@"
}

# explorer_url NODE: the block explorer of a running node (its HTTP address,
# published in its data dir), or "-".
explorer_url() {
  local f
  f="$(datadir "$1")/local/http.address"
  if [ -s "$f" ]; then echo "http://$(cat "$f")/"; else echo -; fi
}

# our_pid NAME: the pid in NAME's pid file, if that process is the one the
# scripts started as NAME: its command line holds `$BIN node run --datadir
# <NAME's data dir>` (the miner's, `$BIN miner start`). A pid file outlives
# a process that ended without the scripts (a crash, a reboot), and its pid
# may since be another program's, which is neither running nor to be
# signalled as NAME. Fails (printing nothing) otherwise.
our_pid() {
  local f="$TESTNET_DIR/$1.pid" pid want got
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  if [ "$1" = miner ]; then want="$BIN miner start"; else want="$BIN node run --datadir $(datadir "$1")"; fi
  got="$(command_line "$pid")"
  [[ " $got " == *" $want "* ]] || return 1
  echo "$pid"
}

# command_line PID: PID's arguments, space-separated (after the
# interpreter's, for a script); nothing if there is no such process.
command_line() {
  if [ -r "/proc/$1/cmdline" ]; then
    { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true
  else
    ps -o args= -p "$1" 2>/dev/null || true
  fi
}

alive() { our_pid "$1" >/dev/null; }

# nodes: the names of every node with a data dir, seed first.
nodes() {
  local d
  [ -d "$TESTNET_DIR/seed" ] && echo seed
  for d in "$TESTNET_DIR"/node*/; do
    if [ -d "$d" ]; then basename "$d"; fi
  done | sort -V
}

# json_field NAME: the first `"NAME": value` of pretty-printed JSON on stdin.
json_field() { sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -n1; }

# wait_until TIMEOUT DESCRIPTION COMMAND...: poll COMMAND until it succeeds.
wait_until() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout)) start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ -t 2 ] && echo >&2
      die "timed out after ${timeout}s waiting for $what"
    fi
    [ -t 2 ] && wait_progress "$what" $((SECONDS - start)) "$timeout"
    sleep 0.2
  done
  [ -t 2 ] && printf '\r\033[K' >&2
  return 0
}

# wait_progress WHAT ELAPSED TIMEOUT: on a terminal, one line redrawn in
# place: what is awaited, a bar of the time allowed, and what wait_detail
# (if the script defines it) says, e.g. the height reached.
wait_progress() {
  local bar detail=""
  bar="$(printf '%*s' $(($2 * 20 / $3)) '' | tr ' ' '#')"
  declare -F wait_detail >/dev/null && detail=" · $(wait_detail 2>/dev/null)"
  printf '\r\033[Ktestnet: waiting for %s [%-20s] %ds of %ds%s' "$1" "$bar" "$2" "$3" "$detail" >&2
}

# start_node NAME ARGS...: start a node in the background, remember its pid
# and arguments, wait until its RPC answers; if it exits instead, say why
# (the last line of its log).
start_node() {
  local name="$1"; shift
  mkdir -p "$(datadir "$name")"
  printf '%s\n' "$@" > "$TESTNET_DIR/$name.args"
  "$BIN" node run --datadir "$(datadir "$name")" --rpc-listen "127.0.0.1:$(rpc_port "$name")" "$@" \
    >>"$TESTNET_DIR/$name.log" 2>&1 &
  local pid=$!
  echo "$pid" > "$TESTNET_DIR/$name.pid"
  # $pid is this shell's own child (alive would fail until it has exec'd).
  wait_until 30 "$name to answer RPC" answers_or_exited "$name" "$pid"
  kill -0 "$pid" 2>/dev/null || die "$name exited at start: $(tail -n1 "$TESTNET_DIR/$name.log") (its log: $TESTNET_DIR/$name.log)"
}

# answers_or_exited NAME PID: NAME's RPC answers, or PID is no longer running.
answers_or_exited() { ! kill -0 "$2" 2>/dev/null || rpc "$1" getblockcount; }

# stop_process NAME: SIGTERM, then SIGKILL after STOP_TIMEOUT seconds, if
# NAME's pid file names NAME's process (our_pid; another program that has
# its pid now is left alone); the pid file goes either way.
stop_process() {
  local name="$1" pid
  [ -f "$TESTNET_DIR/$name.pid" ] || return 0
  if pid="$(our_pid "$name")"; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    # Until it is reaped (an exited process, a zombie, has no command line
    # but keeps its pid, which no other process can take meanwhile).
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    if alive "$name"; then
      say "$name (pid $pid) did not stop in ${STOP_TIMEOUT}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  elif pid="$(cat "$TESTNET_DIR/$name.pid")" && kill -0 "$pid" 2>/dev/null; then
    say "$name is not running (pid $pid of its pid file is another program now: left alone)"
  fi
  rm -f "$TESTNET_DIR/$name.pid"
}

# wallet_address NODE: a fresh receive address of NODE's wallet.
wallet_address() { pc "$1" wallet address | tail -n1; }
