#!/usr/bin/env bash
# A real Slurm job-array PSA in CI: start a single-node cluster (shared/slurm), submit 4 shards
# and a dependent merge through examples/slurm/submit.sh, wait, and require the merged files to
# equal a single-machine run byte for byte. If the cluster cannot start here, say why and skip
# (never a silent pass); once it is up, any difference fails CI.
set -uo pipefail
cd "$(dirname "$0")/.."
slurm=../shared/slurm
bin=$(pwd)/target/release/cirrhosim
work=$(mktemp -d /tmp/cirrhosim-slurm.XXXXXX)
if [ ! -d "$slurm" ]; then
  echo "SKIPPED: slurm job-array PSA: $slurm not found (shared/ must sit beside the repository)"
  exit 0
fi
if ! bash "$slurm/start-single-node.sh" >"$work/start.log" 2>&1; then
  echo "SKIPPED: slurm job-array PSA: the single-node cluster did not start; its log:"
  tail -n 20 "$work/start.log"
  exit 0
fi
trap 'bash "$slurm/stop.sh" >/dev/null 2>&1; rm -rf "$work"' EXIT
cargo build --release --quiet || exit 1
read -r array merge < <(CIRRHOSIM=$bin examples/slurm/submit.sh scenarios/default.toml 400 4 "$work/cluster")
if ! WAIT_JOBS_TIMEOUT=600 bash "$slurm/wait-jobs.sh" "$array" "$merge"; then
  echo "slurm job-array PSA: jobs failed"; cat "$work"/cluster/logs/*.log; echo "slurm: 0 passed, 1 failed"; exit 1
fi
"$bin" psa scenarios/default.toml --draws 400 --quiet --out "$work/single" || exit 1
failed=0
for f in psa_draws.csv ceac.csv evpi.csv survival_psa.csv psa_summary.json psa_state.json cirrhosim-run.json; do
  if ! cmp -s "$work/single/$f" "$work/cluster/merged/$f"; then echo "differs: $f"; failed=1; fi
done
if [ "$failed" = 0 ]; then
  echo "slurm job-array PSA (4 shards + afterok merge) equals the single-machine run"
  echo "slurm: 1 passed, 0 failed"
else
  echo "slurm: 0 passed, 1 failed"; exit 1
fi
