"""Small OneRoster 1.1 packages written into tmp_path: one well-formed, and edits that break it.

``GOOD`` is a complete, spec-clean package (every file, every column, a manifest listing all 13
files). ``write_package`` writes it (or an edited copy) as CSV; the ``edit_*`` helpers change one
thing so that each malformed package differs from the good one in exactly the way a test names.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import workbench as wb
from workbench.sources.oneroster_spec import ALL_FILES, SPECS

Rows = list[list[str]]
Package = dict[str, Rows | bytes]

MANIFEST_ROWS: Rows = [
    ["propertyName", "value"],
    ["manifest.version", "1.0"],
    ["oneroster.version", "1.1"],
    ["source.systemName", "Test SIS"],
    *[[f"file.{n}", "bulk" if n in SPECS else "absent"] for n in ALL_FILES],
]


def _rows(name: str, *data: str) -> Rows:
    """The spec header of ``name`` and data rows given as CSV lines."""
    header = list(SPECS[name].columns)
    body = [next(csv.reader([line])) for line in data]
    for row in body:
        assert len(row) == len(header), (name, row)
    return [header, *body]


GOOD: dict[str, Rows] = {
    "manifest": MANIFEST_ROWS,
    "orgs": _rows(
        "orgs",
        "D1,,,Lakeside District,district,NCES-1,",
        "S1,,,Lakeside High,school,NCES-11,D1",
        "S2,,,Lakeside Middle,school,,D1",
    ),
    "academicSessions": _rows(
        "academicSessions",
        "Y25,,,2024-2025,schoolYear,2024-08-20,2025-06-10,,2025",
        "F24,,,Fall 2024,semester,2024-08-20,2024-12-20,Y25,2025",
        "S25,,,Spring 2025,semester,2025-01-06,2025-06-10,Y25,2025",
    ),
    "courses": _rows(
        "courses",
        '0101,,,Y25,Algebra I,ALG1,"09,10",S1,Math,02052',
        '0202,,,Y25,Art,ART,,D1,"Art,Design","05001,05002"',
    ),
    "classes": _rows(
        "classes",
        'C1,,,Algebra I - 1,09,0101,ALG1.1,scheduled,R101,S1,"F24,S25",Math,02052,"1,2"',
        "C2,,,Art - 1,,0202,ART.1,homeroom,,S2,S25,,,",
    ),
    "users": _rows(
        "users",
        'U1,,,true,"S1,S2",student,ava.j,"{State:ST-001},{Local:1001}",Ava,Jones,Marie Lou,1001,'
        'ava@example.org,,555-0101,"P2,P1",09,',
        "U2,,,false,S2,student,ben.k,,Ben,Kim,,1002,,,,P1,07,",
        'T1,,,true,"S1,S2",teacher,t.lee,{State:TS-9},Tia,Lee,,T-9,tia@example.org,,555-0199,,,',
        "X1,,,true,S1,aide,x.ng,,Xi,Ng,,,,,,,,",
        "A1,,,true,D1,administrator,a.diaz,,Ana,Diaz,,,ana@example.org,,,,,",
        "P1,,,true,S1,parent,p.jones,,Pat,Jones,,,pat@example.org,555-0111,555-0110,U1,,",
        "P2,,,true,S1,guardian,g.smith,,Gus,Smith,,,,555-0122,,,,",
    ),
    "enrollments": _rows(
        "enrollments",
        "E1,,,C1,S1,U1,student,,2024-08-20,2025-06-10",
        "E2,,,C1,S1,T1,teacher,true,2024-08-20,2025-06-10",
        "E3,,,C2,S2,U2,student,false,,",
        "E4,,,C2,S2,X1,teacher,false,2025-01-06,2025-06-10",
    ),
    "demographics": _rows(
        "demographics",
        "U1,,,2010-03-04,female,false,true,false,false,true,true,false,US,OR,Salem,",
        "U2,,,,,,,,,,,,,,,",
    ),
}


def csv_bytes(rows: Rows) -> bytes:
    """RFC 4180 CSV (quotes only where needed), LF line ends, UTF-8."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def good() -> Package:
    """A fresh, editable copy of the good package."""
    return {name: [list(r) for r in rows] for name, rows in GOOD.items()}


def write_package(root: Path, pkg: Package | None = None) -> Path:
    """Write ``pkg`` (default: the good package) as ``{name}.csv`` files into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in (pkg if pkg is not None else good()).items():
        data = content if isinstance(content, bytes) else csv_bytes(content)
        (root / f"{name}.csv").write_bytes(data)
    return root


def zip_package(folder: Path, target: Path, top: str | None = None) -> Path:
    """Zip a package folder, at the root or inside one top folder."""
    with zipfile.ZipFile(target, "w") as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f"{top}/{f.name}" if top else f.name)
    return target


def set_value(pkg: Package, name: str, sourced_id: str, column: str, value: str) -> int:
    """Set one value; returns the file line of the row (header = line 1)."""
    rows = pkg[name]
    assert isinstance(rows, list)
    col = rows[0].index(column)
    for i, row in enumerate(rows):
        if row[0] == sourced_id:
            row[col] = value
            return i + 1
    raise KeyError(sourced_id)


def manifest_line(pkg: Package, prop: str) -> int:
    rows = pkg["manifest"]
    assert isinstance(rows, list)
    return next(i + 1 for i, r in enumerate(rows) if r[0] == prop)


def set_manifest(pkg: Package, prop: str, value: str) -> int:
    rows = pkg["manifest"]
    assert isinstance(rows, list)
    line = manifest_line(pkg, prop)
    rows[line - 1][1] = value
    return line


def rename_column(pkg: Package, name: str, old: str, new: str) -> None:
    rows = pkg[name]
    assert isinstance(rows, list)
    rows[0][rows[0].index(old)] = new


def swap_columns(pkg: Package, name: str, a: str, b: str) -> None:
    """Swap two columns, header and values (a reordered but otherwise consistent file)."""
    rows = pkg[name]
    assert isinstance(rows, list)
    i, j = rows[0].index(a), rows[0].index(b)
    for row in rows:
        row[i], row[j] = row[j], row[i]


def drop_column(pkg: Package, name: str, column: str) -> None:
    rows = pkg[name]
    assert isinstance(rows, list)
    i = rows[0].index(column)
    for row in rows:
        del row[i]


def add_column(pkg: Package, name: str, column: str, at: int | None = None, value: str = "") -> None:
    rows = pkg[name]
    assert isinstance(rows, list)
    pos = len(rows[0]) if at is None else at
    for n, row in enumerate(rows):
        row.insert(pos, column if n == 0 else value)


def raw_lines(pkg: Package, name: str) -> list[bytes]:
    """A file's lines as bytes (to edit below the CSV level)."""
    content = pkg[name]
    data = content if isinstance(content, bytes) else csv_bytes(content)
    return data.splitlines(keepends=True)


def dump(ws: wb.Workspace) -> dict[str, Any]:
    """Every table of the workspace's meta, raw, stg and dq schemas with its rows, sorted."""
    out: dict[str, Any] = {}
    for schema, table in ws.query(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
        "AND schema_name IN ('meta', 'raw', 'stg', 'dq') ORDER BY 1, 2"
    ):
        out[f"{schema}.{table}"] = sorted(map(repr, ws.query(f'SELECT * FROM "{schema}"."{table}"')))
    return out


def findings(ws: wb.Workspace, rule: str | None = None) -> list[dict[str, Any]]:
    """Findings of the latest load (optionally of one rule), ordered by file and line."""
    cols = ["file", "line", "field", "record_id", "rule", "severity", "value", "message"]
    rows = ws.query(
        f"SELECT {', '.join(cols)} FROM dq.load_finding WHERE load_id = (SELECT max(load_id) "
        "FROM meta.load) AND (? IS NULL OR rule = ?) ORDER BY file, line, field", [rule, rule])
    return [dict(zip(cols, r, strict=True)) for r in rows]


Edit = Callable[[Package], Any]
