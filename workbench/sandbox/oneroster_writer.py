"""Write the district as a OneRoster 1.1 bulk CSV package (the same people and IDs as the extract).

The files are produced by the queries of ``oneroster_sql`` over the very PowerSchool tables the
extract writer writes, so both formats load to the same canonical roster. ``status`` and
``dateLastModified`` are blank (bulk); lists are comma-separated in one quoted field; booleans are
``true``/``false``; dates ``YYYY-MM-DD``, end dates inclusive.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from workbench.sandbox.csvout import copy_parts, copy_query, writer_connection
from workbench.sandbox.model import TABLES, District
from workbench.sandbox.oneroster_sql import HEADERS, MACROS, MANIFEST_FILES, part_queries

SYSTEM_NAME = "Roster Workbench sandbox"


def _register(con: duckdb.DuckDBPyConnection, d: District) -> None:
    for table in TABLES:  # the whole frame: a column subset would be a copy
        con.register(table.lower(), d.tables[table])
    con.register("district", pd.DataFrame({"org": [f"D{d.number}"], "name": [d.name]}))
    for macro in MACROS:
        con.execute(macro)


def manifest_rows() -> list[tuple[str, str]]:
    files = [(f"file.{f}", "bulk" if f in HEADERS else "absent") for f in MANIFEST_FILES]
    return [("manifest.version", "1.0"), ("oneroster.version", "1.1"), *files,
            ("source.systemName", SYSTEM_NAME), ("source.systemCode", "sandbox")]


def _write_manifest(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    rows = pd.DataFrame(manifest_rows(), columns=["propertyName", "value"])
    con.register("manifest_rows", rows)
    copy_query(con, "SELECT propertyName, value FROM manifest_rows", out / "manifest.csv")


def write_oneroster(d: District, out: Path, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write manifest.csv and the seven rostering files into ``out``; returns rows per file name."""
    written = {}
    with writer_connection(preserve_order=False) as con:  # every query has its ORDER BY
        _register(con, d)
        _write_manifest(con, out)
        written["manifest.csv"] = len(manifest_rows())
        for name in HEADERS:
            if progress:
                progress(f"writing {name}.csv")
            written[f"{name}.csv"] = copy_parts(con, part_queries(name), out / f"{name}.csv")
    return written
