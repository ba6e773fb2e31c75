#!/usr/bin/env python3
"""The oracle is a bound: on each trace and profile of a `compare --json` output, no policy has a
higher zero-fill fault rate, a lower mean fault latency or a lower total CPU than `oracle`.

usage: tools/lib/oracle-bound.py RESULTS.json...   (exit 1 when a policy beats the oracle)
"""
import json, sys

TOLERANCE = 1e-9  # relative: equal costs printed through different sums
failures = 0
for path in sys.argv[1:]:
    runs = json.load(open(path))["runs"]
    groups = {}
    for run in runs:
        key = (run["trace"]["path"], run["profile"]["name"], run["trace"]["touch"])
        groups.setdefault(key, []).append(run)
    for (trace, profile, touch), group in sorted(groups.items()):
        oracle = next((r for r in group if r["policy"] == "oracle"), None)
        if oracle is None:
            continue
        o = oracle["metrics"]
        for run in group:
            m, name = run["metrics"], run["policy"]
            beaten = []
            if m["fault_rate"] > o["fault_rate"] * (1 + TOLERANCE):
                beaten.append(f"fault_rate {m['fault_rate']:.6g} > {o['fault_rate']:.6g}")
            if m["fault_latency_mean_ns"] < o["fault_latency_mean_ns"] * (1 - TOLERANCE):
                beaten.append(f"fault_latency_mean_ns {m['fault_latency_mean_ns']:.6g} < {o['fault_latency_mean_ns']:.6g}")
            if m["total_cpu_ns"] < o["total_cpu_ns"] * (1 - TOLERANCE):
                beaten.append(f"total_cpu_ns {m['total_cpu_ns']:.6g} < {o['total_cpu_ns']:.6g}")
            if beaten:
                failures += 1
                print(f"FAIL  oracle bound: {name} beats oracle on {trace} ({profile}, {touch}): " + "; ".join(beaten))
        print(f"ok    oracle bounds {len(group) - 1} policies on {trace.split('/')[-1]} ({profile}, {touch})")
sys.exit(1 if failures else 0)
