#!/usr/bin/env bash
# Build the pinned conftest release from the Go module proxy into .bin/ (ignored by git).
# Skips the build when .bin/conftest already carries the pinned module version
# (`conftest --version` says "dev" for a go-installed binary, so the module stamp is read).
set -euo pipefail
CONFTEST_VERSION="${CONFTEST_VERSION:-0.71.1}"
module="github.com/open-policy-agent/conftest"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.bin"
# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"
if go_tool_built "$bin/conftest" "$module" "$CONFTEST_VERSION"; then
    echo "conftest $CONFTEST_VERSION already in $bin"
    exit 0
fi
go_tool_require conftest
mkdir -p "$bin"
echo "building conftest $CONFTEST_VERSION with $(go version) (takes a few minutes)..."
GOBIN="$bin" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "$module@v$CONFTEST_VERSION"
go_tool_show "$bin/conftest"
