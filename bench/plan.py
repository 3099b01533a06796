"""Benchmark: the sync plan, against a bare full outer join of the same two snapshots.

    .venv/bin/python bench/plan.py --students 1000000

Generates the sandbox district once (``bench/out/district-N-SEED``, shared with bench/load.py) and
a next day of it (``bench/out/plan-N-SEED/day2``: the first school missing, 1% of the students
renamed), then a workspace (``bench/out/plan-N-SEED/ws``) with day 1 loaded, planned and committed
(version 1) and day 2 loaded with its candidate roster built; each in its own process, once, so
that their memory is not counted here (their times are printed when they run). Each run copies
that workspace and, in this process, alternately ``--repeat`` times:

* baseline: for every entity, ``roster.current_<entity> FULL OUTER JOIN cand.<entity>`` on
  ``sourced_id``, comparing the rows' content (every column but ``load_id``), counting inserts,
  updates and deletes;
* plan: ``build_plan`` (the same comparison, plus each update's field-level before and after, the
  causes, the holds, the fingerprint, and storing the plan).

Prints the median of each, the ratio plan / baseline (goal: at most 2), checks that both count the
same changes, then the time of committing the plan (``commit_plan`` with an override reason, as a
held plan needs) and this process's peak resident memory. Both run under the same DuckDB memory
limit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from districts import cached_district, district_path  # noqa: E402

import workbench as wb  # noqa: E402
from workbench.model.schema import ENTITIES, column_names  # noqa: E402
from workbench.rules import build_candidate  # noqa: E402
from workbench.rules.config import load_config  # noqa: E402
from workbench.sync.commit import commit_plan  # noqa: E402
from workbench.sync.plan import OPS, build_plan  # noqa: E402


def make_extracts(students: int, seed: int, day1: Path, day2: Path) -> None:
    """Day 1 (the sandbox district) and day 2 (a school missing, 1% renamed), when missing."""

    from workbench.sandbox.variants import drop_school, rename_students

    cached_district(students, seed)  # = day1
    if not (day2 / "done").exists():
        shutil.rmtree(day2.parent, ignore_errors=True)
        t0 = time.perf_counter()
        school = drop_school(day1, day2.parent / "dropped")
        renamed = rename_students(day2.parent / "dropped", day2, count=max(1, students // 100))
        shutil.rmtree(day2.parent / "dropped")
        (day2 / "done").write_text(json.dumps({"school": school, "renamed": len(renamed)}))
        print(f"made day 2 in {time.perf_counter() - t0:.1f}s -> {day2}")


def bare_diff_sql(entity: str) -> str:
    """The counts of inserts, updates and deletes of ``entity``, by a full outer join on the ID
    and a comparison of the rows' content."""
    cols = [c for c in column_names(entity) if c != "load_id"]
    old = ", ".join(f'o."{c}"' for c in cols)
    new = ", ".join(f'n."{c}"' for c in cols)
    return f"""SELECT
        count(*) FILTER (WHERE o.sourced_id IS NULL),
        count(*) FILTER (WHERE o.sourced_id IS NOT NULL AND n.sourced_id IS NOT NULL
                         AND row({old}) IS DISTINCT FROM row({new})),
        count(*) FILTER (WHERE n.sourced_id IS NULL)
        FROM roster."current_{entity}" o FULL OUTER JOIN cand."{entity}" n
          ON n.sourced_id = o.sourced_id"""


def bare_diff(ws: wb.Workspace) -> dict[str, dict[str, int]]:
    """Every entity, one statement each (a UNION ALL of the ten joins runs them at once and needs
    several times the memory)."""
    cur = ws.cursor()
    try:
        rows = {e: cur.execute(bare_diff_sql(e)).fetchone() for e in ENTITIES}
    finally:
        cur.close()
    return {e: dict(zip(OPS, map(int, r or (0, 0, 0)), strict=True)) for e, r in rows.items()}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def sync(ws: wb.Workspace, extract: Path, today: Any) -> tuple[float, float]:
    """Load ``extract`` and build the candidate roster; returns both times."""
    load, _ = timed(lambda: wb.load_path(ws, extract, source="sis"))
    cand, _ = timed(lambda: build_candidate(ws, load_config(ws), today=today))
    return load, cand


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss as a fallback)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(args: argparse.Namespace, day1: Path, day2: Path, today: dt.date, out: Path) -> None:
    """The workspace with version 1 committed and day 2 loaded and its candidate roster built."""
    building = out.with_name(out.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    ws = wb.init_workspace(building, memory_limit=args.memory_limit)
    load1, cand1 = sync(ws, day1, today)
    first, plan1 = timed(lambda: build_plan(ws, today=today))
    commit1, _ = timed(lambda: commit_plan(ws, plan1.hash, author="bench",
                                           override_reason="first sync"))
    load2, cand2 = sync(ws, day2, today)
    ws.close()
    building.rename(out)
    print(f"day 1: load {load1:.1f} s, candidate {cand1:.1f} s, first plan "
          f"({plan1.total('insert'):,} inserts) {first:.1f} s, commit (version 1) {commit1:.1f} s; "
          f"day 2: load {load2:.1f} s, candidate {cand2:.1f} s; peak {peak_rss_mib():,.0f} MiB")


def child(args: argparse.Namespace, *flags: str) -> None:
    subprocess.run([sys.executable, __file__, *flags, "--students", str(args.students),
                    "--seed", str(args.seed), "--memory-limit", args.memory_limit], check=True)


def compare(ws: wb.Workspace, today: dt.date, repeat: int) -> tuple[float, float, Any, bool]:
    """Medians of the baseline and of build_plan, run alternately; the plan; same counts?"""
    base_times, plan_times = [], []
    for _ in range(repeat):
        seconds, counts = timed(lambda: bare_diff(ws))
        base_times.append(seconds)
        seconds, plan = timed(lambda: build_plan(ws, today=today))
        plan_times.append(seconds)
    if counts != plan.counts:
        print("counts differ:", {e: (counts[e], plan.counts[e]) for e in ENTITIES
                                 if counts[e] != plan.counts[e]})
    return statistics.median(base_times), statistics.median(plan_times), plan, counts == plan.counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-limit", default="3GB")
    ap.add_argument("--make-extracts", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = HERE / "out" / f"plan-{args.students}-{args.seed}"
    day1, day2 = district_path(args.students, args.seed), out / "day2"
    if args.make_extracts:
        make_extracts(args.students, args.seed, day1, day2)
        return
    if not (day2 / "done").exists():
        child(args, "--make-extracts")
    truth = json.loads((day1 / "truth.json").read_text(encoding="utf-8"))
    today = dt.date.fromisoformat(truth["generator"]["today"])
    if args.prepare:
        prepare(args, day1, day2, today, out / "ws")
        return
    if not (out / "ws" / wb.workspace.DB_FILE).exists():
        child(args, "--prepare")
    else:
        print(f"workspace prepared earlier: {out / 'ws'} (delete it to prepare it again)")

    with tempfile.TemporaryDirectory(dir=out) as tmp:
        shutil.copytree(out / "ws", Path(tmp) / "ws")
        ws = wb.open_workspace(Path(tmp) / "ws", memory_limit=args.memory_limit)
        students, enrollments = (ws.query(f'SELECT count(*) FROM roster."current_{e}"')[0][0]
                                 for e in ("student", "enrollment"))
        b, p, plan, same = compare(ws, today, args.repeat)
        commit, version = timed(lambda: commit_plan(ws, plan.hash, author="bench",
                                                    override_reason="benchmark: school closed"))
        ws.close()

    print(f"roster: {students:,} students, {enrollments:,} enrollments; day 2 changes "
          f"{plan.total('insert'):,} inserts, {plan.total('update'):,} updates, "
          f"{plan.total('delete'):,} deletes (held: {plan.held})")
    print(f"baseline (bare full outer joins, counts): {b:8.2f} s   (median of {args.repeat})")
    print(f"plan     (build_plan)                   : {p:8.2f} s   (median of {args.repeat})")
    print(f"ratio plan/baseline: {p / b:.2f}  (goal <= 2); same counts: {same}")
    print(f"commit of the plan (commit_plan, with an override reason): {commit:.2f} s -> version "
          f"{version.version}")
    print(f"peak memory of this process: {peak_rss_mib():,.0f} MiB (DuckDB memory limit "
          f"{args.memory_limit})")


if __name__ == "__main__":
    main()
