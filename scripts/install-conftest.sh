#!/usr/bin/env bash
# Build the pinned conftest release from the Go module proxy into .bin/ (ignored by git).
# Skips the build when .bin/conftest already reports the pinned version.
set -euo pipefail
CONFTEST_VERSION="${CONFTEST_VERSION:-0.71.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.bin"
# (go install stamps the binary with its module version; `conftest --version` says "dev")
if [ -x "$bin/conftest" ] && go version -m "$bin/conftest" 2>/dev/null \
        | grep -Eq "^\s+mod\s+github.com/open-policy-agent/conftest\s+v$CONFTEST_VERSION\b"; then
    echo "conftest $CONFTEST_VERSION already in $bin"
    exit 0
fi
command -v go >/dev/null || { echo "install-conftest: Go is required to build conftest" >&2; exit 1; }
mkdir -p "$bin"
echo "building conftest $CONFTEST_VERSION with $(go version) (takes a few minutes)..."
GOBIN="$bin" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "github.com/open-policy-agent/conftest@v$CONFTEST_VERSION"
go version -m "$bin/conftest" | grep -E "^\s+mod"
