#!/usr/bin/env python3
"""Benchmark `almguard scan` on synthetic registries (not a test: it prints figures).

For each size: load time, evaluation time, total wall time and peak RSS (the sum over the
scan process and its workers, sampled every 20 ms from /proc). Snapshots are generated
once into bench/data/ (ignored by git) with 10 % faulty models.

    python bench/bench.py                     # 1,000 / 10,000 / 100,000 versions
    python bench/bench.py --sizes 1000 5000   # other sizes
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from checker.generate import generate

DATA = Path(__file__).resolve().parent / "data"
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
            with open(f"/proc/{current}/task/{current}/children") as handle:
                stack.extend(int(c) for c in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def snapshot(size: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"registry-{size}.json"
    if not path.exists():
        path.write_text(json.dumps(generate(size, violations=0.1, seed=size)))
    return path


def measure(path: Path, extra: list[str]) -> dict[str, float]:
    cmd = [sys.executable, "-m", "checker", "scan", str(path), "--format", "json",
           "--output", os.devnull, "--timings", *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scan failed ({proc.returncode}): {stderr}")
    phases = {m.group(1): float(m.group(2))
              for m in re.finditer(r"timing (\w+): ([\d.]+)s", stderr)}
    return {"wall": wall, "peak_mib": peak / 2**20, **phases}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--engine-args", nargs=argparse.REMAINDER, default=[],
                        help="extra arguments for almguard scan (e.g. --workers 1)")
    args = parser.parse_args()
    print(f"{'versions':>9} {'MB':>7} {'load s':>7} {'eval s':>7} {'total s':>8} "
          f"{'peak MiB':>9}")
    for size in args.sizes:
        path = snapshot(size)
        m = measure(path, args.engine_args)
        print(f"{size:>9,} {path.stat().st_size / 1e6:>7.1f} {m.get('load', 0):>7.2f} "
              f"{m.get('evaluate', 0):>7.2f} {m['wall']:>8.2f} {m['peak_mib']:>9.0f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
