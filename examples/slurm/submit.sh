#!/usr/bin/env bash
# Submit a sharded PSA and its merge: ./submit.sh SCENARIO DRAWS SHARDS OUT
# Prints the array and merge job ids. The merge starts only if every shard succeeds
# (afterok) and is cancelled if one fails (--kill-on-invalid-dep=yes).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 SCENARIO DRAWS SHARDS OUT" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
export SCENARIO=$(realpath "$1") DRAWS=$2 OUT=$(realpath -m "$4")
export CIRRHOSIM=${CIRRHOSIM:-$(command -v cirrhosim)}
shards=$3
mkdir -p "$OUT/logs"
array=$(sbatch --parsable --array=0-$((shards - 1)) --output="$OUT/logs/shard_%a.log" "$here/psa.sbatch")
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  --output="$OUT/logs/merge.log" "$here/merge.sbatch")
echo "$array $merge"
