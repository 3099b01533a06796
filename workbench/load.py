"""Loading a source into a workspace: one transaction, all or nothing.

A load detects the format of the input, reads it into ``raw`` text tables (replacing that source's
previous raw tables), maps it onto the canonical ``stg`` tables (replacing that source's previous
rows), and records the load (id, source, file fingerprints, time, counts, findings). Any error rolls
the whole load back: the workspace is left exactly as it was.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType

import duckdb
import pandas as pd

from .errors import InputError
from .model import oneroster as oneroster_model
from .model import powerschool as powerschool_model
from .model.schema import ENTITIES
from .sources import oneroster, powerschool_extract
from .sources.base import Finding, RawLoad
from .sources.files import InputPackage, open_package
from .workspace import Workspace, check_source_name

# kind -> (reader module, canonical mapping module); the reader is asked first whether it matches.
FORMATS: dict[str, tuple[ModuleType, ModuleType]] = {
    "oneroster": (oneroster, oneroster_model),
    "powerschool": (powerschool_extract, powerschool_model),
}

Progress = Callable[[str], None]


@dataclass
class LoadResult:
    load_id: int
    source: str
    kind: str
    id_prefix: str
    counts: dict[str, int]
    findings: int
    files: int
    seconds: float
    finding_rules: dict[str, int] = field(default_factory=dict)


def detect_kind(pkg: InputPackage) -> str:
    for kind, (reader, _) in FORMATS.items():
        if reader.matches(pkg):
            return kind
    names = ", ".join(f.name for f in pkg.files[:8]) or "no .csv/.tsv/.txt files"
    raise InputError.one(
        f"found neither a OneRoster package nor PowerSchool table extracts (files: {names})",
        file=Path(pkg.location).name,
        hint="a OneRoster package has manifest.csv; a PowerSchool extract has files such as "
        "Students.csv, Schools.csv, CC.csv",
    )


def _drop_raw(cur: duckdb.DuckDBPyConnection, source: str) -> None:
    rows = cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' AND starts_with(table_name, ?)",
        [f"{source}__"],
    ).fetchall()
    for (name,) in rows:
        cur.execute(f'DROP TABLE raw."{name}"')


def _check_unique(cur: duckdb.DuckDBPyConnection, source: str) -> None:
    problems = []
    for entity in ENTITIES:
        dups = cur.execute(
            f'SELECT sourced_id, count(*) FROM stg."{entity}" WHERE source = ? '
            "GROUP BY sourced_id HAVING count(*) > 1 ORDER BY sourced_id LIMIT 5",
            [source],
        ).fetchall()
        for sid, n in dups:
            problems.append(f"{entity} {sid} appears {n} times")
    if problems:
        raise InputError.one(
            "the source gives the same canonical ID to several records: " + "; ".join(problems),
            hint="each record needs its own ID; check the export for repeated rows",
        )


def _remember_schools(cur: duckdb.DuckDBPyConnection, source: str) -> None:
    """The source's schools and their student counts before this load replaces them."""
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE wb_previous_schools AS
        SELECT sc.sourced_id, sc.name, count(st.sourced_id) AS students
        FROM stg.school sc LEFT JOIN stg.student st
          ON st.source = sc.source AND st.school_sourced_id = sc.sourced_id
        WHERE sc.source = ? AND sc.org_type = 'school' GROUP BY ALL""", [source])


def _vanished_schools(cur: duckdb.DuckDBPyConnection, source: str) -> list[Finding]:
    """A school the previous load had and this one lacks: the classic cause of mass deletes."""
    rows = cur.execute("""
        SELECT p.sourced_id, p.name, p.students FROM wb_previous_schools p
        WHERE p.sourced_id NOT IN (SELECT sourced_id FROM stg.school WHERE source = ?)
        ORDER BY p.sourced_id""", [source]).fetchall()
    return [
        Finding("school_missing_from_load",
                f"school {sid} ({name}) was in the previous load with {n:,} student(s) and is "
                "missing from this one; a sync would remove its records",
                "error", record_id=sid, value=name)
        for sid, name, n in rows
    ]


def _insert_findings(
    cur: duckdb.DuckDBPyConnection, load_id: int, source: str, findings: list[Finding]
) -> None:
    """Findings found in Python; mappings insert their set-based findings with SQL directly."""
    if not findings:
        return
    frame = pd.DataFrame(
        [
            (load_id, source, x.file, x.line, x.field, x.record_id, x.rule, x.severity, x.value,
             x.message)
            for x in findings
        ],
        columns=["load_id", "source", "file", "line", "field", "record_id", "rule", "severity",
                 "value", "message"],
    )
    cur.register("wb_findings", frame)
    cur.execute("INSERT INTO dq.load_finding SELECT * FROM wb_findings")
    cur.unregister("wb_findings")


def _record(
    cur: duckdb.DuckDBPyConnection, *, load_id: int, source: str, kind: str, prefix: str,
    pkg: InputPackage, raw: RawLoad, started: datetime, counts: dict[str, int], location: str,
) -> dict[str, int]:
    """Write the load's metadata; returns the number of findings per rule."""
    now = datetime.now()
    exists = cur.execute("SELECT 1 FROM meta.source WHERE name = ?", [source]).fetchall()
    if exists:
        cur.execute(
            "UPDATE meta.source SET kind = ?, id_prefix = ?, location = ?, updated_at = ? WHERE name = ?",
            [kind, prefix, location, now, source],
        )
    else:
        cur.execute(
            "INSERT INTO meta.source VALUES (?, ?, ?, ?, ?, ?)",
            [source, kind, prefix, location, now, now],
        )
    rules = dict(
        cur.execute(
            "SELECT rule, count(*) FROM dq.load_finding WHERE load_id = ? GROUP BY rule ORDER BY rule",
            [load_id],
        ).fetchall()
    )
    cur.execute(
        "INSERT INTO meta.load VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, source, kind, location, prefix, started, now, json.dumps(counts),
         sum(rules.values())],
    )
    for f in pkg.files:
        table = raw.files.get(f.name)
        cur.execute(
            "INSERT INTO meta.load_file (load_id, file, table_name, sha256, bytes, rows, columns) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [load_id, f.name, table, f.sha256, f.size, raw.tables.get(table) if table else None,
             raw.columns.get(table) if table else None],
        )
    return rules


def load_path(
    ws: Workspace,
    path: str | Path,
    *,
    source: str | None = None,
    id_prefix: str | None = None,
    kind: str | None = None,
    progress: Progress | None = None,
    location: str | None = None,
) -> LoadResult:
    """Load a folder, zip or file into the workspace as ``source`` (default: the format's name).

    ``id_prefix`` None keeps the source's previous prefix ('' clears it); ``location`` is what the
    load history shows as the input (default: the path), e.g. the name of an uploaded file.
    """
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    started = datetime.now()
    with open_package(path) as pkg:
        kind = kind or detect_kind(pkg)
        if kind not in FORMATS:
            raise InputError.one(f"unknown source kind {kind!r}", hint=f"use one of {sorted(FORMATS)}")
        reader, mapping = FORMATS[kind]
        source = check_source_name(source or kind)
        if id_prefix is None:
            known = [s for s in ws.sources() if s["name"] == source]
            id_prefix = known[0]["id_prefix"] if known else ""
        say(f"Reading {len(pkg.files)} file(s) as {kind} into source '{source}'")
        with ws.transaction() as cur:
            row = cur.execute("SELECT nextval('meta.load_seq')").fetchone()
            load_id = int(row[0]) if row else 0
            _drop_raw(cur, source)
            raw = reader.read_raw(cur, pkg, source, progress=say)
            say("Mapping onto the canonical roster")
            _remember_schools(cur, source)
            for entity in ENTITIES:
                cur.execute(f'DELETE FROM stg."{entity}" WHERE source = ?', [source])
            findings = list(raw.findings)
            # raw tables keep file order (it gives line numbers); canonical rows need no order
            cur.execute("SET preserve_insertion_order = false")
            findings += mapping.build_canonical(cur, source, id_prefix, load_id)
            cur.execute("RESET preserve_insertion_order")
            _check_unique(cur, source)
            findings += _vanished_schools(cur, source)
            _insert_findings(cur, load_id, source, findings)
            counts = {
                e: int(cur.execute(f'SELECT count(*) FROM stg."{e}" WHERE source = ?', [source]).fetchone()[0])  # type: ignore[index]
                for e in ENTITIES
            }
            say("Recording the load")
            rules = _record(cur, load_id=load_id, source=source, kind=kind, prefix=id_prefix,
                            pkg=pkg, raw=raw, started=started, counts=counts,
                            location=location or pkg.location)
    return LoadResult(load_id, source, kind, id_prefix, counts, sum(rules.values()), len(pkg.files),
                      time.perf_counter() - t0, rules)
