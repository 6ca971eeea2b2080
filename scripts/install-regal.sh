#!/usr/bin/env bash
# Build the pinned Regal release (the Rego linter) from the Go module proxy into .bin/ (ignored
# by git). `go install github.com/styrainc/regal@v0.29.2` fails on a deprecation lookup, so the
# build runs inside a throwaway Go module that requires that version.
# Skips the build when .bin/regal already carries the pinned module version.
set -euo pipefail
REGAL_VERSION="${REGAL_VERSION:-0.29.2}"
module="github.com/styrainc/regal"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.bin"
# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"
if go_tool_built "$bin/regal" "$module" "$REGAL_VERSION"; then
    echo "regal $REGAL_VERSION already in $bin"
    exit 0
fi
go_tool_require regal
mkdir -p "$bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "building regal $REGAL_VERSION with $(go version) (takes a few minutes)..."
cd "$work"
go mod init almguard.invalid/regal-build >/dev/null 2>&1
GOFLAGS=-mod=mod go get "$module@v$REGAL_VERSION"
GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$bin/regal" "$module"
go_tool_show "$bin/regal"
