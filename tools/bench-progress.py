#!/usr/bin/env python3
"""How good is a command's progress estimate? Runs it on a pseudo-terminal (so prezero draws
its progress line), timestamps every "NN% ... X s left" it prints, and compares each estimate
made once 20 % is done with the time that really remained.

usage: tools/bench-progress.py PREZERO_COMMAND...
  e.g. tools/bench-progress.py .build/release/prezero compare TRACE -o /tmp/r/report.md
"""
import os, pty, re, sys, time

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
start = time.time()
samples = []
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    now = time.time() - start
    for m in re.finditer(rb"\((\d+)%\)[^\r]*?([0-9.]+) s left", data):
        samples.append((now, int(m.group(1)), float(m.group(2))))
os.waitpid(pid, 0)
end = time.time() - start
worst = 0.0
for t, pct, left in samples:
    if pct >= 20 and end - t > 0.5:
        err = (t + left - end) / (end - t)
        worst = max(worst, abs(err))
        print(f"t={t:5.1f} s  {pct:3d}%  says {left:5.1f} s left, really {end - t:5.1f} s: {err * 100:+4.0f}%")
print(f"end {end:.1f} s; worst estimate after 20 %: {worst * 100:.0f}% off")
