#!/usr/bin/env bash
# Install Microsoft's SARIF Multitool (the reference SARIF validator, with the official
# SARIF 2.1.0 JSON schema) from the npm registry into .bin/npm (ignored by git).
set -euo pipefail
VERSION="${SARIF_MULTITOOL_VERSION:-5.7.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.bin/npm"
marker="$prefix/node_modules/@microsoft/sarif-multitool/package.json"
if [ -f "$marker" ] && grep -q "\"version\": \"$VERSION\"" "$marker"; then
    echo "sarif-multitool $VERSION already in $prefix"
    exit 0
fi
command -v npm >/dev/null || { echo "install-sarif-multitool: npm is required" >&2; exit 1; }
npm install --no-audit --no-fund --loglevel=error --prefix "$prefix" \
    "@microsoft/sarif-multitool@$VERSION" "@microsoft/sarif-multitool-linux@$VERSION"
chmod +x "$prefix"/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool || true
echo "sarif-multitool $VERSION installed in $prefix"
