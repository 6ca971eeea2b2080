#!/usr/bin/env bash
# Build the pinned OPA release from the Go module proxy into .bin/ (ignored by git).
# Skips the build when .bin/opa already reports the pinned version.
set -euo pipefail
OPA_VERSION="${OPA_VERSION:-1.22.3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.bin"
if [ -x "$bin/opa" ] && "$bin/opa" version 2>/dev/null | grep -qx "Version: $OPA_VERSION"; then
    echo "opa $OPA_VERSION already in $bin"
    exit 0
fi
command -v go >/dev/null || { echo "install-opa: Go is required to build OPA" >&2; exit 1; }
mkdir -p "$bin"
echo "building opa $OPA_VERSION with $(go version) (takes a few minutes)..."
GOBIN="$bin" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "github.com/open-policy-agent/opa@v$OPA_VERSION"
"$bin/opa" version | head -1
