#!/usr/bin/env bash
# tools/slurm-batch.sh against a real Slurm on this machine: installs slurm-wlm and munge when
# missing, starts munged (if not running), slurmctld and slurmd with a generated one-node
# configuration, submits a batch plan as an array job of shards, waits, builds the report from
# the shards' results, checks it equals the report of the same plan run by `prezero batch` on
# this machine, and stops (and removes) what it started. Needs root.
#
# usage: tools/test-slurm.sh [PLAN.toml] [SHARDS]   (default: docs/examples/plan.toml, 3 shards)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
plan=$(cd "$(dirname "${1:-$root/docs/examples/plan.toml}")" && pwd)/$(basename "${1:-$root/docs/examples/plan.toml}")
shards=${2:-3}
[ "$(id -u)" = 0 ] || { echo "test-slurm.sh: run as root (it starts slurmctld, slurmd and munged)" >&2; exit 1; }
missing=()
command -v slurmctld >/dev/null || missing+=(slurm-wlm)
command -v munged >/dev/null || missing+=(munge)
if [ ${#missing[@]} -gt 0 ]; then
    echo "test-slurm.sh: installing ${missing[*]}" >&2
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
(cd "$root" && swift build -c release >/dev/null)
prezero="$root/.build/release/prezero"

work=$(mktemp -d /tmp/prezero-slurm-XXXXXX)
chmod 755 "$work"
started_munge=0
stop() {
    set +e
    if [ -f "$work/slurmctld.pid" ]; then
        # Jobs first (their shards write into $work), then the daemons, each waited for.
        scancel -p prezero 2>/dev/null
        for _ in $(seq 30); do [ -z "$(squeue -h -p prezero 2>/dev/null)" ] && break; sleep 1; done
    fi
    for d in slurmd slurmctld; do
        [ -f "$work/$d.pid" ] || continue
        pid=$(cat "$work/$d.pid")
        kill "$pid" 2>/dev/null
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    done
    [ "$started_munge" = 1 ] && [ -f "$work/munged.pid" ] && kill "$(cat "$work/munged.pid")" 2>/dev/null
    rm -rf "$work"
}
trap stop EXIT

# munge: Slurm's authentication. A running munged is used as it is; otherwise one for this test.
if ! pgrep -x munged >/dev/null; then
    [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f; }
    mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
    munged --force --pid-file="$work/munged.pid" || { echo "test-slurm.sh: munged did not start" >&2; exit 1; }
    started_munge=1
fi

host=$(hostname -s)
cpus=$(nproc)
memory_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<EOF
ClusterName=prezero-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=prezero Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 1
done
[ "${state:-}" = idle ] || { echo "test-slurm.sh: the node never became idle (state '${state:-none}')" >&2; tail -5 "$work"/*.log >&2; exit 1; }
echo "slurm: $(sinfo -h -o '%P %D node(s) %c CPUs %T') (slurmctld $(slurmctld -V | awk '{print $2}'))"

# The plan as an array job of shards, on the shared file system (this machine's /tmp).
cd "$work"
start=$(date +%s)
job=$(PREZERO="$prezero" sbatch --parsable --array=1-"$shards" --cpus-per-task=1 --mem=1G \
    -o "$work/shard-%a.out" "$root/tools/slurm-batch.sh" "$plan" "$work/slurm-results") \
    || { echo "test-slurm.sh: sbatch refused the array job" >&2; exit 1; }
job=${job%%;*}
while [ -n "$(squeue -h -j "$job" 2>/dev/null)" ]; do sleep 1; done
echo "array job $job: $shards shards in $(( $(date +%s) - start )) s"
for f in "$work"/shard-*.out; do
    [ -s "$f" ] && { echo "  $(basename "$f"):"; sed 's/^/    /' "$f" | tail -3; }
done
mkdir -p "$work/slurm" "$work/local"
"$root/tools/slurm-batch.sh" --report "$work/slurm-results" "$work/slurm/report.md" >/dev/null

# The same plan on this machine alone.
"$prezero" batch "$plan" -o "$work/local-results" >/dev/null 2>&1
"$prezero" report "$work/local-results" -o "$work/local/report.md" >/dev/null
results=$(ls "$work/slurm-results" | grep -c '\.json$' || true)
echo "results: $results from the shards, $(ls "$work/local-results" | grep -c '\.json$') from the local batch"
# The same name for both reports (charts are named after it), in two folders: every file equal.
if diff -r "$work/slurm" "$work/local" >/dev/null; then
    echo "report from the Slurm shards equals the local batch's: report.md ($(wc -l < "$work/local/report.md") lines) and $(ls "$work/local" | grep -c '\.svg$') charts, byte for byte"
else
    echo "test-slurm.sh: the reports differ:" >&2
    diff -r "$work/slurm" "$work/local" | head -20 >&2
    exit 1
fi
