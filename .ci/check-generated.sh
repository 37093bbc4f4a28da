#!/usr/bin/env bash
# Fails when the committed protobuf Go code differs from what the .proto
# files generate. The "// protoc vX" header line is ignored: it names the
# local protoc build, not the schema.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
proto/generate.sh "$tmp"
strip() { sed '/^\/\/ \tprotoc  /d' "$1"; }
status=0
for f in "$tmp"/proto/pb/*.go; do
  committed="proto/pb/$(basename "$f")"
  if [ ! -f "$committed" ]; then
    echo "missing generated file $committed (run go generate ./proto)"; status=1; continue
  fi
  if ! diff -u <(strip "$committed") <(strip "$f"); then
    echo "$committed is stale (run go generate ./proto)"; status=1
  fi
done
for f in proto/pb/*.pb.go; do
  [ -f "$tmp/proto/pb/$(basename "$f")" ] || { echo "$f has no .proto source"; status=1; }
done
exit $status
