"""``generate_district``: build the sandbox district and write it as files plus ``truth.json``."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.sandbox.generator import build_district
from workbench.sandbox.oneroster_writer import write_oneroster
from workbench.sandbox.powerschool_writer import HEADER_STYLES, write_powerschool

FORMATS = ("powerschool", "oneroster")


def _prepare(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} must be an empty directory or not exist yet")
    out.mkdir(parents=True, exist_ok=True)


def _check(fmt: str, header_style: str, delimiter: str, students: int) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    if header_style not in HEADER_STYLES:
        raise ValueError(f"header_style must be one of {HEADER_STYLES}, not {header_style!r}")
    if delimiter not in (",", "\t"):
        raise ValueError("delimiter must be ',' or a tab")
    if students < 100:
        raise ValueError("students must be at least 100")


def write_truth(truth: dict[str, Any], path: Path) -> None:
    """One key per line, compact values: diffable, and small even for a million students."""
    lines = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(',', ':'))}" for k, v in truth.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


def generate_district(out: str | Path, *, students: int = 2000, seed: int = 1, fmt: str = "powerschool",
                      header_style: str = "table.field", delimiter: str = ",", date_format: str = "%Y-%m-%d",
                      today: dt.date | None = None,
                      progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Generate a synthetic district into ``out`` (which must be empty or absent).

    The same arguments always give byte-identical files. ``fmt`` is ``powerschool`` (one file per
    table) or ``oneroster`` (a OneRoster 1.1 bulk package of the same district); ``header_style``,
    ``delimiter`` and ``date_format`` shape the PowerSchool files only. ``today`` is the district's
    current date (default 2026-11-02, never the wall clock). Returns a summary: rows per file,
    truth list sizes and seconds.
    """
    _check(fmt, header_style, delimiter, students)
    out = Path(out)
    _prepare(out)
    started = time.perf_counter()
    district = build_district(students, seed, today, progress)
    built = time.perf_counter()
    if fmt == "powerschool":
        files = write_powerschool(district, out, header_style=header_style, delimiter=delimiter,
                                  date_format=date_format, progress=progress)
    else:
        files = write_oneroster(district, out, progress)
    write_truth(district.truth, out / "truth.json")
    done = time.perf_counter()
    return {
        "out": str(out), "format": fmt, "students": students, "seed": seed, "today": district.today.isoformat(),
        "files": files, "truth": {k: len(v) for k, v in district.truth.items() if isinstance(v, list)},
        "seconds": {"build": round(built - started, 2), "write": round(done - built, 2), "total": round(done - started, 2)},
    }
