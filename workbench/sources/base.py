"""What every file-based source reader returns to the loader."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb


@dataclass(frozen=True)
class Finding:
    """A deviation noticed while loading: kept in ``dq.load_finding``, never fatal on its own."""

    rule: str
    message: str
    severity: str = "warning"  # error | warning | info
    file: str | None = None
    line: int | None = None
    field: str | None = None
    record_id: str | None = None
    value: str | None = None


@dataclass
class RawLoad:
    """The raw tables a reader created: ``raw."{source}__{table}"``, one per input file."""

    tables: dict[str, int] = field(default_factory=dict)  # table -> rows
    files: dict[str, str] = field(default_factory=dict)  # file name -> table
    columns: dict[str, list[str]] = field(default_factory=dict)  # table -> the file's columns
    findings: list[Finding] = field(default_factory=list)


def raw_table(source: str, table: str) -> str:
    """The quoted name of a source's raw table."""
    return f'raw."{source}__{table.lower()}"'


def raw_columns(cur: duckdb.DuckDBPyConnection, source: str, table: str) -> list[str]:
    """The columns of a source's raw table, in file order (none when it has no such table)."""
    return [c for (c,) in cur.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ? "
        "ORDER BY column_index", [f"{source}__{table.lower()}"]).fetchall()]


def line_of(alias: str, table: str) -> str:
    """SQL for the file line of a raw row (header = line 1).

    Raw tables are written once, in file order, so a row's line is its rowid's offset from the
    first rowid (rowids inside an open transaction do not start at 0). A value spanning several
    lines inside quotes shifts the count for the rows after it.
    """
    return f"({alias}.rowid - (SELECT min(rowid) FROM {table}) + 2)"
