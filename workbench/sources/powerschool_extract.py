"""PowerSchool table extracts (DEM, AutoSend, SFTP exports): one delimited file per table.

Each file is matched to a table by its name (``Students.csv``, ``CC.txt``, ``U_DEF_EXT_STUDENTS.tsv``)
or, failing that, by the table named in its headers. Headers may be ``TABLE.FIELD``, ``[TABLE]FIELD``
or bare ``FIELD`` in any case; a field of another table (``STUDENTCOREFIELDS.ALLERGIES`` inside the
Students file, ``[Students.U_Laptop]Tag``) keeps its table as ``table.field``. Values land as text
in ``raw."{source}__{table}"``; a table the extract lacks is created empty so that the mapping reads
every source the same way. Structural problems (missing table or column, duplicate keys, values that
are not numbers or dates where PowerSchool has numbers or dates) refuse the whole load.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from workbench.errors import InputError, Problem
from workbench.model.macros import install_macros
from workbench.sources.base import Finding, RawLoad, line_of, raw_table
from workbench.sources.files import Header, InputFile, InputPackage, read_header, read_text_table
from workbench.sources.powerschool_tables import (
    IMPORT_LAYOUT_HEADERS,
    SPECS,
    TableSpec,
    spec_for,
)

_BRACKET = re.compile(r"^\[([^\]]+)\](.+)$")
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Column:
    header: str  # as written
    table: str | None  # table named in the header, lower-case
    field: str  # lower-case


def parse_header(name: str) -> Column:
    """``Students.DCID``, ``[Students]DCID``, ``[Students.U_Laptop]Tag`` or ``DCID``."""
    m = _BRACKET.match(name)
    if m:
        table = m.group(1).split(".")[-1].strip().lower()
        return Column(name, table, m.group(2).strip().lower())
    if "." in name:
        left, field = name.rsplit(".", 1)
        return Column(name, left.split(".")[-1].strip().lower(), field.strip().lower())
    return Column(name, None, name.strip().lower())


def identify(f: InputFile, header: Header) -> str | None:
    """The table a file holds, by file name first, then by the table its headers name most."""
    stem = re.sub(r"[^a-z0-9_]", "", Path(f.name).stem.lower())
    if spec_for(stem):
        return stem
    named = Counter(c.table for c in map(parse_header, header.names) if c.table)
    for table, _ in named.most_common():
        if spec_for(table):
            return table
    return None


def _import_layout(header: Header) -> str | None:
    for name in header.names:
        if name.strip().lower() in IMPORT_LAYOUT_HEADERS:
            return IMPORT_LAYOUT_HEADERS[name.strip().lower()]
    return None


def matches(pkg: InputPackage) -> bool:
    for f in pkg.files:
        try:
            header = read_header(f)
        except InputError:
            if spec_for(Path(f.name).stem.lower()):
                return True  # a known table with an unreadable header: let read_raw say why
            continue
        if identify(f, header) or _import_layout(header):
            return True
    return False


def column_names(f: InputFile, table: str, header: Header) -> list[str]:
    """Names for the raw table: the field, or ``table.field`` for another table's field."""
    names: list[str] = []
    where: dict[str, str] = {}
    problems = []
    for h in header.names:
        col = parse_header(h)
        name = col.field if col.table in (None, table) else f"{col.table}.{col.field}"
        if name in where:
            problems.append(Problem(
                f"headers {where[name]!r} and {h!r} name the same field", file=f.name, line=1,
                field=h, hint="remove one of the two columns",
            ))
        where[name] = h
        names.append(name)
    if problems:
        raise InputError(problems)
    return names


def _check_columns(f: InputFile, spec: TableSpec, names: list[str]) -> None:
    missing = [c for c in spec.required if c not in names]
    if missing:
        raise InputError([
            Problem(
                f"the {spec.name} table has no {c} column", file=f.name, line=1,
                field=f"{spec.name}.{c}",
                hint=f"add {spec.name}.{c} to the export (a {spec.name} extract needs "
                f"{', '.join(spec.required)})",
            )
            for c in missing
        ])


def _check_values(
    cur: duckdb.DuckDBPyConnection, table: str, spec: TableSpec, file: str
) -> list[Problem]:
    """Keys unique and present, integers and dates parseable: located problems.

    One scan counts every kind of problem; only the kinds that occur are located row by row.
    """
    checks: list[tuple[str, str, str, str]] = []  # (field, sql predicate, message, hint)
    for k in spec.keys:
        checks.append((k, f'wb_text("{k}") IS NULL', f"{k} is empty",
                       f"every {spec.name} row needs its {k}"))
    for c in spec.integers:
        checks.append((c, f'wb_is_bad_int("{c}")', f"{c} is not a whole number",
                       "fix the value or re-export the table"))
    for c in spec.dates:
        checks.append((c, f'wb_is_bad_date("{c}")', f"{c} is not a date",
                       "use YYYY-MM-DD or MM/DD/YYYY"))
    problems: list[Problem] = []
    if checks:
        counts = cur.execute(
            "SELECT " + ", ".join(f"count(*) FILTER (WHERE {p})" for _, p, _, _ in checks)
            + f" FROM {table}"
        ).fetchone() or ()
        for (field, predicate, message, hint), n in zip(checks, counts, strict=True):
            if not n:
                continue
            rows = cur.execute(
                f'SELECT {line_of(table, table)}, "{field}" FROM {table} WHERE {predicate} '
                "ORDER BY rowid LIMIT ?", [MAX_PROBLEMS],
            ).fetchall()
            problems += [
                Problem(f"{message}: {v!r}" if v else message, file=file, line=int(line),
                        field=f"{spec.name}.{field}", hint=hint)
                for line, v in rows
            ]
    for k in spec.keys:
        dups = cur.execute(
            f'SELECT "{k}" FROM {table} WHERE wb_text("{k}") IS NOT NULL GROUP BY "{k}" '
            "HAVING count(*) > 1 LIMIT ?", [MAX_PROBLEMS],
        ).fetchall()
        if not dups:
            continue
        rows = cur.execute(
            f'SELECT "{k}", list({line_of(table, table)} ORDER BY rowid)[1:3] FROM {table} '
            f'WHERE "{k}" IN (SELECT unnest(?)) GROUP BY "{k}" ORDER BY min(rowid)',
            [[d for (d,) in dups]],
        ).fetchall()
        problems += [
            Problem(f"{k} {v!r} is used by more than one row (lines {', '.join(map(str, lines))})",
                    file=file, line=int(lines[0]), field=f"{spec.name}.{k}",
                    hint=f"{k} must be unique; remove the repeated rows or re-export")
            for v, lines in rows
        ]
    return problems


def _add_missing_columns(cur: duckdb.DuckDBPyConnection, table: str, spec: TableSpec,
                         names: list[str]) -> None:
    for c in spec.known:
        if c not in names:
            cur.execute(f'ALTER TABLE {table} ADD COLUMN "{c}" VARCHAR')


def _identify_all(pkg: InputPackage) -> tuple[dict[str, tuple[InputFile, Header]], list[Finding]]:
    found: dict[str, tuple[InputFile, Header]] = {}
    findings: list[Finding] = []
    for f in pkg.files:
        header = read_header(f)
        table = identify(f, header)
        if table is None:
            layout = _import_layout(header)
            if layout:
                raise InputError.one(
                    f"this is {layout}, not a PowerSchool table extract", file=f.name, line=1,
                    hint="export the tables themselves (Person, StudentContactAssoc, ...) with "
                    "Data Export Manager or AutoSend",
                )
            findings.append(Finding("unrecognised_file", f"{f.name} is not a PowerSchool table "
                                    "the workbench reads; ignored", "info", file=f.name))
            continue
        if table in found:
            raise InputError.one(
                f"two files hold the {table} table: {found[table][0].name} and {f.name}",
                file=f.name, hint="keep one file per table",
            )
        found[table] = (f, header)
    if not found:
        raise InputError.one(
            "no PowerSchool table found", file=Path(pkg.location).name,
            hint="name each file after its table (Students.csv, CC.csv ...) or use TABLE.FIELD headers",
        )
    return found, findings


def _check_needs(found: dict[str, tuple[InputFile, Header]]) -> None:
    problems = []
    for table, (f, _) in found.items():
        spec = spec_for(table)
        for need in spec.needs if spec else ():
            if need not in found:
                problems.append(Problem(
                    f"{SPECS[table].name} refers to {SPECS[need].name}, which the extract lacks",
                    file=f.name, hint=f"add {SPECS[need].name}.csv to the export",
                ))
    if problems:
        raise InputError(problems)


def read_raw(
    cur: duckdb.DuckDBPyConnection, pkg: InputPackage, source: str,
    progress: Callable[[str], None] | None = None,
) -> RawLoad:
    say = progress or (lambda _m: None)
    install_macros(cur)
    found, findings = _identify_all(pkg)
    _check_needs(found)
    raw = RawLoad(findings=findings)
    problems: list[Problem] = []
    for table, (f, header) in sorted(found.items()):
        spec = spec_for(table)
        assert spec is not None
        names = column_names(f, table, header)
        _check_columns(f, spec, names)
        say(f"Reading {f.name} as {spec.name}")
        target = raw_table(source, table)
        raw.tables[table] = read_text_table(cur, f, target, names, header)
        raw.files[f.name] = table
        raw.columns[table] = names
        _add_missing_columns(cur, target, spec, names)
        problems += _check_values(cur, target, spec, f.name)
    if problems:
        raise InputError(problems)
    for table, spec in SPECS.items():
        if table not in found:
            cols = ", ".join(f'"{c}" VARCHAR' for c in spec.known)
            cur.execute(f"CREATE TABLE {raw_table(source, table)} ({cols})")
    cur.execute("CREATE OR REPLACE TEMP TABLE wb_files (table_name VARCHAR, file VARCHAR)")
    cur.executemany("INSERT INTO wb_files VALUES (?, ?)", [[t, f] for f, t in raw.files.items()])
    return raw
