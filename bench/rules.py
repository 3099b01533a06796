"""Benchmark: the impact preview of a draft configuration, against a bare count of the same tables.

    .venv/bin/python bench/rules.py --students 100000

Builds the sandbox district once and loads it into a workspace (both kept under bench/out/), then,
in the same process:

* baseline: ``SELECT count(*) FROM stg.<entity>`` for every canonical table (what any preview must
  at least touch);
* preview: ``preview_impact`` of a typical draft (two schools, active students only, contacts must
  have an e-mail) against the default configuration. The base is decided once (cached, as in the
  app); every timed call re-decides a draft that differs by its rule name, as typing does. The
  median of a repeated identical draft (fully cached) is printed too;
* build: ``build_candidate`` of the draft (materialises cand.* and dq.finding).

Prints medians, the ratio preview / baseline, and the draft's counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import workbench as wb  # noqa: E402
from workbench.model.schema import ENTITIES  # noqa: E402
from workbench.rules import build_candidate, default_config, preview_impact  # noqa: E402
from workbench.rules import impact as impact_module  # noqa: E402
from workbench.sandbox import generate_district  # noqa: E402


def workspace(students: int, seed: int) -> tuple[wb.Workspace, dt.date]:
    """The cached workspace of the sandbox district (generated and loaded on first use)."""
    out = HERE / "out" / f"rules-{students}-{seed}"
    extract, root = out / "extract", out / "ws"
    if not (root / "workbench.duckdb").exists():
        t0 = time.perf_counter()
        if not (extract / "truth.json").exists():
            generate_district(extract, students=students, seed=seed)
        ws = wb.init_workspace(root)
        wb.load_path(ws, extract, source="sis")
        print(f"built workspace in {time.perf_counter() - t0:.1f} s: {root}")
    else:
        ws = wb.open_workspace(root)
    truth = json.loads((extract / "truth.json").read_text(encoding="utf-8"))
    return ws, dt.date.fromisoformat(truth["generator"]["today"])


def draft_config(ws: wb.Workspace, label: str) -> dict[str, Any]:
    schools = [r[0] for r in ws.query("SELECT sourced_id FROM stg.school WHERE org_type = "
                                      "'school' ORDER BY sourced_id LIMIT 2")]
    config = default_config()
    config["schools"] = {"mode": "selected", "selected": schools, "flag_missing": True}
    config["filters"] = {"student": {"rules": [{"template": "active_students", "name": label}]}}
    config["requirements"] = {"contact": {"email": "skip_if_missing"}}
    return config


def median_seconds(fn: Callable[[int], object], repeat: int) -> float:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bare_counts(ws: wb.Workspace) -> None:
    cur = ws.cursor()
    for entity in ENTITIES:
        cur.execute(f'SELECT count(*) FROM stg."{entity}"').fetchone()
    cur.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    ws, today = workspace(args.students, args.seed)
    base = default_config()
    impact_module._CACHE.clear()
    t0 = time.perf_counter()
    preview_impact(ws, draft_config(ws, "warm-up"), base=base, today=today)
    first = time.perf_counter() - t0
    baseline = median_seconds(lambda i: bare_counts(ws), args.repeat)
    preview = median_seconds(lambda i: preview_impact(
        ws, draft_config(ws, f"active students {i}"), base=base, today=today), args.repeat)
    same = draft_config(ws, "active students")
    cached = median_seconds(lambda i: preview_impact(ws, same, base=base, today=today),
                            args.repeat)
    builds = [build_candidate(ws, same, today=today) for _ in range(3)]
    impact = preview_impact(ws, same, base=base, today=today)
    print(f"students: {args.students}, enrollments: {impact.kept('enrollment', 'base')} kept of "
          f"{int(impact.entities.set_index('entity').loc['enrollment', 'total'])}")
    print(f"bare SELECT count(*) over the {len(ENTITIES)} stg tables, median: "
          f"{baseline * 1000:.2f} ms")
    print(f"preview_impact, first call (base and draft decided): {first * 1000:.0f} ms")
    print(f"preview_impact, new draft each call (base cached), median: {preview * 1000:.0f} ms")
    print(f"preview_impact, same draft again (cached), median: {cached * 1000:.2f} ms")
    print(f"ratio preview / bare count: {preview / baseline:.0f}x (new draft), "
          f"{cached / baseline:.1f}x (cached)")
    print(f"build_candidate, median of 3: "
          f"{statistics.median(b.seconds for b in builds) * 1000:.0f} ms")
    print("draft kept / dropped:", {r.entity: (r.kept_draft, r.dropped_draft)
                                    for r in impact.entities.itertuples()})
    ws.close()


if __name__ == "__main__":
    main()
