"""The district the mock serves: a PowerSchool table extract loaded into an in-memory DuckDB.

Every table holds text only (an empty field is NULL), in the extract's row order (``__row``), so
the rows served are exactly the extract's rows. Table and column names are lower-cased in DuckDB
(PowerSchool's names are case-insensitive); the extract's spelling is kept for metadata.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

ROW = "__row"  # the extract's row order


@dataclass(frozen=True)
class Table:
    name: str  # as the extract spells it (file name): Students, CC, U_DEF_EXT_STUDENTS
    columns: tuple[str, ...]  # as the extract spells them, in file order

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.lower() for c in self.columns)

    @property
    def id_column(self) -> str | None:
        """The column whose value is a record's ``id`` (DCID where there is one)."""
        for c in ("dcid", "id", f"{self.key}id"):
            if c in self.fields:
                return c
        return None


def _bare(table: str, header: str) -> str:
    """``Students.Student_Number`` / ``[Students]Student_Number`` / ``Student_Number`` -> the field."""
    h = header.strip().lstrip("\ufeff")
    if h.lower().startswith(table.lower() + "."):
        return h[len(table) + 1:]
    if h.startswith("[") and "]" in h:
        return h.split("]", 1)[1]
    return h


def _read(path: Path) -> pd.DataFrame:
    sep = "\t" if path.suffix.lower() == ".txt" else ","
    frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                        encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)
    return frame


class DistrictStore:
    """The extract's tables in one DuckDB connection; one cursor per request thread."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.tables: dict[str, Table] = {}
        self._con = duckdb.connect(":memory:")
        self._lock = threading.Lock()
        files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in (".csv", ".txt"))
        if not files:
            raise FileNotFoundError(f"{self.folder} holds no PowerSchool table files (*.csv, *.txt)")
        for path in files:
            self._load(path)
        self._con.execute("CREATE MACRO nvl(a, b) AS coalesce(a, b)")
        self._con.execute("CREATE MACRO to_number(a) AS TRY_CAST(a AS DOUBLE)")

    def _load(self, path: Path) -> None:
        name = path.stem
        frame = _read(path)
        columns = tuple(_bare(name, c) for c in frame.columns)
        frame.columns = [c.lower() for c in columns]
        frame = frame.where(frame != "", None)
        frame.insert(0, ROW, range(len(frame)))
        table = Table(name, columns)
        self._con.register("_incoming", frame)
        casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in table.fields)
        self._con.execute(f'CREATE TABLE "{table.key}" AS SELECT {ROW}, {casts} FROM _incoming ORDER BY {ROW}')
        self._con.unregister("_incoming")
        self.tables[table.key] = table

    def table(self, name: str) -> Table | None:
        return self.tables.get(name.lower())

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._con.cursor()

    def close(self) -> None:
        self._con.close()
