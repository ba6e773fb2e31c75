#!/usr/bin/env python3
"""Writes C sources for the compile workloads of tools/make-validation-host.sh and
tools/init-on-prediction.sh, the same bytes every time (seeded).

usage: gen-compile-input.py one FILE      # one file, 1,500 functions (~6 s for gcc -O2 here)
       gen-compile-input.py many DIR      # 30 files of 60 functions (a build of many short processes)
"""
import os, random, sys

def function(name, start, r, body_switch):
    text = f"""
int {name}(int *a, int n) {{
    int s = {start};
    for (int k = 0; k < n; k++) {{
        if (a[k] % {r.randint(2, 9)} == 0) s += a[k] * {r.randint(1, 99)};
        else s ^= (a[k] << {r.randint(1, 7)}) + k;"""
    if body_switch:
        text += """
        switch (a[k] & 7) { case 0: s += 1; break; case 1: s -= 3; break; case 2: s *= 5; break; default: s += k; }"""
    return text + "\n    }\n    return s;\n}\n"

if len(sys.argv) != 3 or sys.argv[1] not in ("one", "many"):
    sys.exit(__doc__)
if sys.argv[1] == "one":
    rng = random.Random(1)
    with open(sys.argv[2], "w") as f:
        for i in range(1500):
            f.write(function(f"f{i}", i, rng, True))
else:
    rng = random.Random(2)
    os.makedirs(sys.argv[2], exist_ok=True)
    for n in range(30):
        with open(os.path.join(sys.argv[2], f"f{n}.c"), "w") as f:
            for i in range(60):
                f.write(function(f"f{n}_{i}", i, rng, False))
