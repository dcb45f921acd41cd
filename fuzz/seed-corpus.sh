#!/bin/sh
# Seeds the scenario fuzz target's corpus with the shipped scenarios and the bad-input fixtures.
# Run from anywhere; writes fuzz/corpus/scenario/ (ignored by git).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/fuzz/corpus/scenario"
mkdir -p "$corpus"
for f in "$root"/scenarios/*.toml "$root"/tests/data/bad/*.toml; do
    dir=$(basename "$(dirname "$f")")
    cp "$f" "$corpus/$dir-$(basename "$f")"
done
echo "seeded $(ls "$corpus" | wc -l) files into $corpus"
