#!/usr/bin/env bash
# Build the pinned OPA release from the Go module proxy into .bin/ (ignored by git).
# Skips the build when .bin/opa already carries the pinned module version.
set -euo pipefail
OPA_VERSION="${OPA_VERSION:-1.22.3}"
module="github.com/open-policy-agent/opa"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.bin"
# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"
if go_tool_built "$bin/opa" "$module" "$OPA_VERSION"; then
    echo "opa $OPA_VERSION already in $bin"
    exit 0
fi
go_tool_require opa
mkdir -p "$bin"
echo "building opa $OPA_VERSION with $(go version) (takes a few minutes)..."
GOBIN="$bin" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "$module@v$OPA_VERSION"
go_tool_show "$bin/opa"
