#!/usr/bin/env bash
# Regenerates the Go code for every .proto file in this directory.
# protoc comes from the system (Debian: protobuf-compiler); protoc-gen-go is
# the version pinned by go.mod's `tool` directive.
#
# Usage: proto/generate.sh [OUTDIR]   (default: the repository itself)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.}"
plugin="$(go tool -n protoc-gen-go)"
protoc --plugin=protoc-gen-go="$plugin" \
  --go_out="$out" --go_opt=module=powchain \
  -I proto proto/*.proto
