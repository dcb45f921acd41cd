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
# Wait for the jobs ourselves: shared/slurm/wait-jobs.sh can stop early under `pipefail` (its
# `grep -v | grep -q` pipeline fails with SIGPIPE when grep -q stops reading first, which looks
# like "no job active") and then reports PENDING jobs as failed. Here: until no job of ours is
# queued for 5 polls in a row, or 15 minutes pass.
wait_jobs() {
  local deadline=$((SECONDS + 900)) idle=0
  while [ "$idle" -lt 5 ]; do
    if [ -z "$(squeue -h -j "$1,$2" 2>/dev/null)" ]; then idle=$((idle + 1)); else idle=0; fi
    [ "$SECONDS" -ge "$deadline" ] && { echo "slurm jobs still queued after 15 minutes"; squeue; return 1; }
    sleep 1
  done
  [ -f "$work/cluster/merged/cirrhosim-run.json" ]
}
if ! wait_jobs "$array" "$merge"; then
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
