"""Writing query results to delimited files with DuckDB's COPY (fast, ordered, UTF-8 without BOM).

DuckDB quotes a field only when it must (delimiter, quote or line break inside) and writes NULL as
an empty field; empty strings are turned into NULL first so they are written empty, not ``""``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

MEMORY_LIMIT = "1536MB"  # DuckDB spills big joins and sorts to disk instead of growing past this


@contextmanager
def writer_connection(preserve_order: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with a memory cap and a private spill directory, closed afterwards.

    ``preserve_order=False`` lets DuckDB reorder rows of queries without ORDER BY (less memory).
    """
    with tempfile.TemporaryDirectory(prefix="sandbox-duckdb-") as spill:
        config = {"memory_limit": MEMORY_LIMIT, "temp_directory": spill, "preserve_insertion_order": preserve_order}
        con = duckdb.connect(config=config)
        try:
            yield con
        finally:
            con.close()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def text_expr(frame: pd.DataFrame, column: str, date_format: str) -> str:
    """SQL turning one frame column into text: dates formatted, empty strings as NULL."""
    col = quote_ident(column)
    dtype = frame[column].dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return f"strftime({col}, {quote_literal(date_format)})"
    if pd.api.types.is_bool_dtype(dtype):
        return f"CAST({col} AS INTEGER)"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return f"NULLIF(CAST({col} AS VARCHAR), '')"
    return col


def copy_query(con: duckdb.DuckDBPyConnection, query: str, path: Path, delimiter: str = ",",
               header: bool = True) -> int:
    """``COPY (query) TO path`` (with a header line unless told otherwise); returns the rows written.

    The query should fix the row order (an ORDER BY, or a plain scan of one registered frame).
    """
    options = f"FORMAT csv, HEADER {str(header).lower()}, DELIMITER {quote_literal(delimiter)}, QUOTE '\"'"
    row = con.execute(f"COPY ({query}) TO {quote_literal(str(path))} ({options})").fetchone()
    return int(row[0]) if row else 0


def copy_parts(con: duckdb.DuckDBPyConnection, queries: list[str], path: Path) -> int:
    """Write the queries' rows one after the other into one file (the header from the first).

    Each part runs (and sorts) on its own, which keeps DuckDB's memory to the largest part.
    """
    if len(queries) == 1:
        return copy_query(con, queries[0], path)
    parts = [path.with_name(f".{path.name}.part{i}") for i in range(len(queries))]
    try:
        rows = sum(copy_query(con, q, p, header=(i == 0)) for i, (q, p) in enumerate(zip(queries, parts, strict=True)))
        with path.open("wb") as out:
            for p in parts:
                with p.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
    finally:
        for p in parts:
            p.unlink(missing_ok=True)
    return rows


def write_frame(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, columns: list[tuple[str, str]],
                path: Path, delimiter: str = ",", date_format: str = "%Y-%m-%d") -> int:
    """Write ``frame``'s columns in frame order, each ``(column, header)``; returns the row count.

    A scan of a registered frame without joins keeps the frame's row order in the file.
    """
    con.register("frame_out", frame)
    try:
        select = ", ".join(f"{text_expr(frame, c, date_format)} AS {quote_ident(h)}" for c, h in columns)
        return copy_query(con, f"SELECT {select} FROM frame_out", path, delimiter)
    finally:
        con.unregister("frame_out")
