#!/usr/bin/env bash
# Starts `cirrhosim serve` on loopback and drives its page in Debian's headless Chromium with
# playwright-core (npm): sliders change the numbers and the drawings, the state diagram steps and
# plays, any parameter can be put on a slider, the URL keeps the settings, bad input gets a clear
# message (see .ci/browser/serve.test.mjs).
# Chromium comes from apt-get (see browser-report.sh), playwright-core from the npm registry; if
# either cannot be installed, say so and skip (never a silent pass).
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/cirrhosim-serve.XXXXXX)
if ! command -v chromium >/dev/null 2>&1; then
  apt-get install -y -q chromium >"$work/apt.log" 2>&1 || { apt-get update -q >>"$work/apt.log" 2>&1 && apt-get install -y -q chromium >>"$work/apt.log" 2>&1; } \
    || { echo "SKIPPED: serve browser test: chromium could not be installed"; tail -n 5 "$work/apt.log"; exit 0; }
fi
if ! command -v node >/dev/null 2>&1; then echo "SKIPPED: serve browser test: node is not installed"; exit 0; fi
if ! (cd .ci/browser && npm install --no-audit --no-fund --silent >"$work/npm.log" 2>&1); then
  echo "SKIPPED: serve browser test: npm install playwright-core failed:"; tail -n 5 "$work/npm.log"; exit 0
fi
cargo build --release --quiet || exit 1
"${CARGO_TARGET_DIR:-target}/release/cirrhosim" serve --port 0 >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/serve.log")
[ -n "$url" ] || { echo "server did not start:"; cat "$work/serve.log"; echo "serve: 0 passed, 1 failed"; exit 1; }
# Screenshots are kept as CI artefacts (serve.png after stepping and playing, serve-reset.png).
shots="${CARGO_TARGET_DIR:-target}/ci-artifacts"
mkdir -p "$shots"
node .ci/browser/serve.test.mjs "$url/" "$shots"
