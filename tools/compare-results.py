#!/usr/bin/env python3
"""Compares two sets of prezero result files metric by metric (e.g. before and after a change).

usage: tools/compare-results.py BEFORE_DIR AFTER_DIR
Each directory holds `replay --json` outputs with the same file names. Every metric of every
file must be equal (numbers exactly, or within 1e-12 relative for doubles printed differently);
keys the AFTER files add are listed, keys they lose are errors. Exits 1 on any difference.
"""
import json, math, os, sys

def same(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=0)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b

def walk(prefix, a, b, problems, added):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k not in b: problems.append(f"{prefix}{k}: missing after")
            else: walk(f"{prefix}{k}.", a[k], b[k], problems, added)
        for k in b:
            if k not in a: added.add(f"{prefix}{k}")
    elif not same(a, b):
        problems.append(f"{prefix[:-1]}: {json.dumps(a)[:80]} -> {json.dumps(b)[:80]}")

before, after = sys.argv[1], sys.argv[2]
files = sorted(f for f in os.listdir(before) if f.endswith(".json"))
bad = 0; values = 0; added = set()
for name in files:
    a = json.load(open(os.path.join(before, name)))
    path = os.path.join(after, name)
    if not os.path.exists(path):
        print(f"MISSING {name}"); bad += 1; continue
    b = json.load(open(path))
    problems = []
    walk("", a, b, problems, added)
    values += len(a.get("metrics", {}))
    if problems:
        bad += 1
        print(f"DIFF {name}"); [print("   ", p) for p in problems[:10]]
print(f"{len(files)} results, {values} metric values compared, {bad} differ")
if added: print("keys added after:", ", ".join(sorted({k.split('.')[0] if k.count('.') > 1 else k for k in added})))
sys.exit(1 if bad else 0)
