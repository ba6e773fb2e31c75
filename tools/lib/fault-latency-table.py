#!/usr/bin/env python3
"""Reads tools/workloads/fault-latency output, one run per line (items separated by ';'), and
prints the markdown table of tools/measure-fault-latency.sh: medians (min-max) over the runs."""
import statistics
import sys

rows = []
for line in sys.stdin:
    run = {}
    for item in filter(None, line.strip().split(";")):
        key, *values = item.split()
        run[key] = values
    if run:
        rows.append(run)
if not rows:
    sys.exit("fault-latency-table: no runs on standard input")


def values(key, index=0):
    return [float(r[key][index]) for r in rows if key in r]


def cell(xs):
    return f"{statistics.median(xs):,.0f} ({min(xs):,.0f}-{max(xs):,.0f})" if xs else "n/a"


faults = rows[0]["faults"][0]
print(f"{len(rows)} runs of {faults} faults each; ns, median (min-max) over the runs\n")
print("| quantity | value |\n|---|---:|")
for q in ("p1", "p10", "p50", "p90", "p99", "p99.9"):
    print(f"| {q} | {cell(values(q))} |")
spacings = [r["gap_1"][0] for r in rows if "gap_1" in r]
common = statistics.mode(spacings)
print(f"| most common spacing of slow faults (>= 1 us above p50) | {common} faults ({spacings.count(common)} of {len(rows)} runs) |")
at = [float(r[k][6]) for r in rows for k in ("gap_1", "gap_2", "gap_3") if k in r and r[k][0] == common]
print(f"| excess of the slow faults {common} apart | {cell(at)} |")
print(f"| excess of a fault that opens a 2 MiB span | {cell(values('pmd_opening_excess_p50_ns'))} |")
for period in (63, 64):
    print(f"| peak-phase excess at a {period}-fault period | {cell(values(f'period_{period}', 1))} |")
