#!/usr/bin/env bash
# Spread a prezero batch plan over a Slurm array job, then merge the shards into one report.
#
#   sbatch --array=1-16 tools/slurm-batch.sh plan.toml results     # 16 shards, one per task
#   tools/slurm-batch.sh --report results report.md                  # after the array finishes
#
# Each task runs `prezero batch PLAN -o DIR --shard K/N` with K = SLURM_ARRAY_TASK_ID and
# N = SLURM_ARRAY_TASK_COUNT; results are written atomically under DIR, named by a hash of each
# run's inputs, so a failed or preempted task is simply resubmitted (`sbatch --array=7 ...`) and
# skips what is done. Any other job runner works the same way: run shards 1..N anywhere that
# sees DIR (a shared file system), then `prezero report DIR -o report.md`.
#SBATCH --job-name=prezero
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=02:00:00
set -euo pipefail
# Under sbatch this runs as a spooled copy (/var/spool/slurmd/jobN/slurm_script): find the
# repository from the submitted script's path, which scontrol keeps, unless PREZERO is set.
script=$0
if [ -n "${SLURM_JOB_ID:-}" ] && command -v scontrol >/dev/null; then
    submitted=$(scontrol show job "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/^ *Command=\([^ ]*\).*/\1/p' | head -1)
    [ -z "$submitted" ] || script=$submitted
fi
root=$(cd "$(dirname "$script")/.." && pwd)
prezero=${PREZERO:-$root/.build/release/prezero}

if [ "${1:-}" = "--report" ]; then
    "$prezero" report "$2" -o "${3:-report.md}" --json "${2%/}.json" --csv "${2%/}.csv"
    exit
fi
plan=${1:?usage: sbatch --array=1-N tools/slurm-batch.sh PLAN.toml DIR}
dir=${2:-results}
k=${SLURM_ARRAY_TASK_ID:?run under sbatch --array, or set SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT}
n=${SLURM_ARRAY_TASK_COUNT:?}
exec "$prezero" batch "$plan" -o "$dir" --shard "$k/$n" --jobs "${SLURM_CPUS_PER_TASK:-2}"
