"""Write the district as a PowerSchool table extract: one delimited file per table.

Headers follow the chosen style: ``Students.Student_Number`` (``table.field``), ``Student_Number``
(``bare``) or ``[Students]Student_Number`` (``bracket``). Files are ``<Table>.csv``, or ``.txt``
when tab-delimited. Every value is text; dates use the chosen format.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workbench.sandbox.csvout import write_frame, writer_connection
from workbench.sandbox.model import TABLES, District

HEADER_STYLES = ("table.field", "bare", "bracket")


def header(table: str, column: str, style: str) -> str:
    if style == "table.field":
        return f"{table}.{column}"
    if style == "bracket":
        return f"[{table}]{column}"
    if style == "bare":
        return column
    raise ValueError(f"header_style must be one of {HEADER_STYLES}, not {style!r}")


def file_name(table: str, delimiter: str) -> str:
    return f"{table}.txt" if delimiter == "\t" else f"{table}.csv"


def write_powerschool(d: District, out: Path, *, header_style: str = "table.field", delimiter: str = ",",
                      date_format: str = "%Y-%m-%d", progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write every table of ``d`` into ``out``; returns rows per file name."""
    if delimiter not in (",", "\t"):
        raise ValueError("delimiter must be ',' or a tab")
    header("Students", "DCID", header_style)  # validates the style before any file is written
    written = {}
    with writer_connection() as con:
        for table in TABLES:
            if progress:
                progress(f"writing {table}")
            cols = [(c, header(table, c, header_style)) for c in d.public_columns(table)]
            name = file_name(table, delimiter)
            written[name] = write_frame(con, d.tables[table], cols, out / name, delimiter, date_format)
    return written
