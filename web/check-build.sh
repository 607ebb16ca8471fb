#!/usr/bin/env bash
# Prove the committed vendor files (the Messages SDK bundle, the crypto WebAssembly, axe-core for
# the browser tests) are what `npm ci && node build.mjs` makes from web/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node build.mjs --out "$out" >/dev/null
status=0
diff -r "$out/matrix_social/web/vendor" ../matrix_social/web/vendor || status=1
diff -r "$out/tests/browser/vendor" ../tests/browser/vendor || status=1
if [ "$status" -ne 0 ]; then
    echo "web/check-build.sh: committed vendor files differ from a fresh build; run (cd web && npm ci && node build.mjs) and commit" >&2
    exit 1
fi
echo "web/check-build.sh: vendor files are reproducible from web/package-lock.json"
