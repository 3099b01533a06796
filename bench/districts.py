"""The sandbox districts the benchmarks share, generated once under ``bench/out/``."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def district_path(students: int, seed: int) -> Path:
    return OUT / f"district-{students}-{seed}"


def cached_district(students: int, seed: int) -> Path:
    """``bench/out/district-N-SEED``: the sandbox district as PowerSchool tables, generated unless
    a complete one (with its truth.json) is already there."""
    from workbench.sandbox import generate_district

    extract = district_path(students, seed)
    if not (extract / "truth.json").exists():
        shutil.rmtree(extract, ignore_errors=True)
        t0 = time.perf_counter()
        generate_district(extract, students=students, seed=seed)
        print(f"generated {students:,} students in {time.perf_counter() - t0:.1f}s -> {extract}")
    return extract
