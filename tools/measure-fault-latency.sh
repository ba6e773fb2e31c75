#!/usr/bin/env bash
# Measures 4 KiB write-fault latency on this machine (tools/workloads/fault-latency.c: rdtscp
# per fault, THP off for the mapping) and the periodic work behind its tail: the slow faults'
# most common spacing and cost, the extra cost of a fault that opens a 2 MiB span (a page-table
# page), and the phase excess at 63 and 64 faults (pcp refill, memcg charge). Prints a markdown
# table: medians over RUNS runs with min-max. The epyc-zen5-vm profile's fault_batches come
# from it (docs/parameters.md).
# Usage: tools/measure-fault-latency.sh [RUNS (default 6)] [MiB per rep (512)] [reps (5)]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-6}; mib=${2:-512}; reps=${3:-5}
bin=$(mktemp -d)/fault-latency
trap 'rm -rf "$(dirname "$bin")"' EXIT
cc -O2 -o "$bin" tools/workloads/fault-latency.c
for _ in $(seq "$runs"); do "$bin" "$mib" "$reps" | tr '\n' ';'; echo; done | python3 tools/lib/fault-latency-table.py
