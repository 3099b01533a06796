"""Test helpers shared by several test modules (plain functions, no fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def dump_workspace(root: Path) -> dict[str, Any]:
    """Every table of a workspace with its rows, sorted: equal dumps mean an unchanged workspace."""
    con = duckdb.connect(str(root / "workbench.duckdb"), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2"
        ).fetchall()
        out: dict[str, Any] = {}
        for schema, table in tables:
            rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            out[f"{schema}.{table}"] = sorted(map(repr, rows))
        return out
    finally:
        con.close()


def stg_rows(root: Path, entity: str, exclude: tuple[str, ...] = ("load_id", "source")) -> list[tuple]:
    """The canonical rows of one entity, without the given lineage columns, sorted."""
    con = duckdb.connect(str(root / "workbench.duckdb"), read_only=True)
    try:
        cols = [
            c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'stg' AND table_name = ? "
                "ORDER BY column_index", [entity],
            ).fetchall()
            if c not in exclude
        ]
        sel = ", ".join(f'"{c}"' for c in cols)
        return sorted(con.execute(f'SELECT {sel} FROM stg."{entity}"').fetchall(), key=repr)
    finally:
        con.close()


def rewrite(path: Path, transform) -> None:  # type: ignore[no-untyped-def]
    """Rewrite a text file's lines through ``transform(lines) -> lines`` (bytes kept UTF-8)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(transform(lines)), encoding="utf-8")
