"""Benchmark: loading a PowerSchool extract, against a bare DuckDB read of the same files.

    .venv/bin/python bench/load.py --students 1000000

Generates the sandbox district once (kept under bench/out/), then runs, each in its own process so
that peak memory is measured per run:

* baseline: ``CREATE TABLE t AS SELECT * FROM read_csv('file')`` for every file of the extract, in
  one fresh DuckDB database (DuckDB sniffs the types itself);
* workbench: ``workbench.load_path`` into a fresh workspace (header checks, text tables, value
  checks, the canonical mapping, findings, the load record, all in one transaction).

Both run with the same DuckDB memory limit. Prints both times, the ratio, and each run's peak RSS.
Goal: ratio at most 1.5, workbench peak memory at most 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def run_baseline(extract: Path, memory_limit: str) -> dict[str, float]:
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bare.duckdb"), config={"memory_limit": memory_limit})
        t0 = time.perf_counter()
        for i, f in enumerate(sorted(extract.glob("*.csv"))):
            con.execute(f'CREATE TABLE "t{i}" AS SELECT * FROM read_csv(?)', [str(f)])
        con.execute("CHECKPOINT")
        seconds = time.perf_counter() - t0
        con.close()
    return {"seconds": seconds}


def run_workbench(extract: Path, memory_limit: str) -> dict[str, float]:
    import workbench as wb

    with tempfile.TemporaryDirectory() as tmp:
        ws = wb.init_workspace(Path(tmp) / "ws", memory_limit=memory_limit)
        t0 = time.perf_counter()
        result = wb.load_path(ws, extract, source="sis")
        ws.con.execute("CHECKPOINT")
        seconds = time.perf_counter() - t0
        ws.close()
    return {"seconds": seconds, "enrollments": result.counts["enrollment"],
            "students": result.counts["student"]}


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, extract: Path, memory_limit: str) -> None:
    out = (run_baseline if kind == "baseline" else run_workbench)(extract, memory_limit)
    out["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(out))


def measure(kind: str, extract: Path, memory_limit: str) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--extract", str(extract),
         "--memory-limit", memory_limit],
        capture_output=True, text=True, check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--memory-limit", default="3GB")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", choices=["baseline", "workbench"])
    ap.add_argument("--extract", type=Path)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.extract, args.memory_limit)
        return

    from districts import cached_district

    extract = cached_district(args.students, args.seed)
    size = sum(f.stat().st_size for f in extract.glob("*.csv")) / 2**20
    print(f"extract: {len(list(extract.glob('*.csv')))} files, {size:,.0f} MiB")
    base, work = [], []
    for _ in range(args.repeat):
        base.append(measure("baseline", extract, args.memory_limit))
        work.append(measure("workbench", extract, args.memory_limit))
    b = min(r["seconds"] for r in base)
    w = min(r["seconds"] for r in work)
    print(f"baseline  (bare read_csv CTAS): {b:8.2f} s   peak {max(r['peak_rss_mib'] for r in base):7.0f} MiB")
    print(f"workbench (load_path)         : {w:8.2f} s   peak {max(r['peak_rss_mib'] for r in work):7.0f} MiB"
          f"   {work[0]['students']:,} students, {work[0]['enrollments']:,} enrollments")
    print(f"ratio workbench/baseline: {w / b:.2f}  (goal <= 1.5; peak goal <= 4096 MiB)")


if __name__ == "__main__":
    main()
