"""Delivery: a committed roster version as a OneRoster 1.1 CSV package, bulk or delta.

    from workbench.sync.export import export_oneroster
    export_oneroster(ws, Path("out"))                          # bulk, head version
    export_oneroster(ws, Path("d.zip"), delta_since=3, zip=True)  # what changed after version 3

The files are written by DuckDB ``COPY`` from the projections of ``export_sql`` (no row passes
through Python) into a staging folder next to ``out``, checked by the project's own OneRoster
reader, and only then moved to ``out``; a package with error findings is never left behind.

* **bulk**: every row of the version; ``status`` and ``dateLastModified`` blank, as the spec wants
  for bulk files (the reader warns about bulk rows that fill them). The check loads the package
  into a throwaway workspace, mapping included.
* **delta since N**: the rows whose OneRoster content differs between version N and the target
  (``status`` active; ``dateLastModified`` the commit time of the last version that wrote them),
  and the rows present at N but not in the target (``tobedeleted``, with their last values and the
  time of the version that deleted them). The reader refuses to *load* a delta (a load replaces a
  source), so a delta is checked with ``validate_package``: headers, statuses, dates, and
  references of live rows against the delta and the target version's rows.
* Files without rows are left out and declared ``absent``.
* Formula cells: a value a spreadsheet would run is prefixed with ``'`` (OWASP CSV injection):
  one starting with ``=``, ``@``, tab or CR (after spaces for ``=`` and ``@``), or with ``+`` or
  ``-`` followed by anything but digits, spaces and ``( ) . + - /``. So ``+1 555 0100``,
  ``-12`` and ``555-0100`` stay as they are, ``=HYPERLINK(...)`` and ``+cmd|...`` do not. List
  values are neutralised item by item, IDs included, so references stay consistent.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from workbench.errors import InputError, Problem
from workbench.load import load_path
from workbench.sandbox.oneroster_sql import HEADERS, MANIFEST_FILES
from workbench.sources.base import Finding
from workbench.sources.oneroster import validate_package
from workbench.sources.oneroster_spec import SPECS
from workbench.sync.export_sql import (
    ENTITIES_OF,
    MACROS,
    PROJECTIONS,
    at,
    metadata_columns,
    users_sql,
)
from workbench.sync.roster import head_version
from workbench.workspace import Workspace, init_workspace

SYSTEM_NAME = "Roster Workbench"
SYSTEM_CODE = "roster-workbench"
NOT_EXPORTED = "Nothing was exported."
DATA_KINDS = ("text", "enum")  # values from the roster, neutralised; dates etc. are ours

# OWASP CSV injection: = @ tab CR start a formula; + and - only when followed by more than a number.
SAFE_MACRO = (
    "CREATE OR REPLACE TEMP MACRO wb_safe(x) AS CASE "
    r"WHEN regexp_matches(x, '^([\t\r]|\s*[=@])') "
    r"OR (regexp_matches(x, '^\s*[+-]') AND NOT regexp_full_match(x, '\s*[+-][0-9 ().+/-]*')) "
    "THEN '''' || x ELSE nullif(x, '') END"
)


@dataclass
class ExportResult:
    """What an export wrote: rows per file (manifest excluded), and the check's findings."""

    path: Path
    version: int
    mode: str  # bulk | delta
    since: int | None
    counts: dict[str, int]
    deleted: dict[str, int] = field(default_factory=dict)  # delta: tobedeleted rows per file
    findings: list[Finding] = field(default_factory=list)  # warnings (errors raise)
    seconds: float = 0.0
    metadata: list[str] = field(default_factory=list)  # delivered extension columns of users.csv

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "version": self.version, "mode": self.mode,
                "since": self.since, "counts": self.counts, "deleted": self.deleted,
                "findings": [f.__dict__ for f in self.findings], "seconds": round(self.seconds, 3),
                "metadata": self.metadata}


# ------------------------------------------------------------------------------------------ SQL


Extra = Sequence[tuple[str, str]]  # delivered extension fields: (metadata.<field>, key)


def _headers(name: str, extra: Extra = ()) -> list[str]:
    """The file's header: the spec's columns, then (users) the delivered extension fields."""
    return [*HEADERS[name], *(col for col, _ in extra)] if name == "users" else list(HEADERS[name])


def _projection(name: str, extra: Extra = ()) -> Callable[[str], str]:
    return (lambda v: users_sql(v, extra)) if name == "users" else PROJECTIONS[name]


def _columns(name: str, extra: Extra = ()) -> list[str]:
    """The projection's columns: the header's, without status and dateLastModified."""
    return [c for c in _headers(name, extra) if c not in ("status", "dateLastModified")]


def _out(name: str, col: str) -> str:
    fld = SPECS[name].field(col)
    ref = f'p."{col}"'
    if fld is None or fld.kind in DATA_KINDS:
        return f'wb_safe(CAST({ref} AS VARCHAR)) AS "{col}"'
    if fld.is_list:
        return f"nullif(array_to_string(list_transform({ref}, lambda x: wb_safe(x)), ','), '') AS \"{col}\""
    return f'{ref} AS "{col}"'


def _select(name: str, status: str, stamp: str, extra: Extra = ()) -> str:
    exprs = {"status": f'{status} AS "status"', "dateLastModified": f'{stamp} AS "dateLastModified"'}
    return ", ".join(exprs.get(c) or _out(name, c) for c in _headers(name, extra))


def bulk_sql(name: str, extra: Extra = ()) -> str:
    """Every row of the file in version ``$t``."""
    return (f"SELECT {_select(name, 'NULL', 'NULL', extra)} FROM ({_projection(name, extra)('$t')}) p "
            'ORDER BY p."sourcedId"')


def _deleted_at(name: str) -> str:
    """sourcedId -> the last version in (``$n``, ``$t``] that ended one of its records."""
    ends = " UNION ALL ".join(f'SELECT sourced_id, v_to FROM roster."{e}"' for e in ENTITIES_OF[name])
    return f"(SELECT sourced_id, max(v_to) AS v FROM ({ends}) WHERE v_to > $n AND v_to <= $t GROUP BY 1)"


def delta_sql(name: str, extra: Extra = ()) -> str:
    """The rows of the file that changed between ``$n`` and ``$t``, and those deleted."""
    cols = _columns(name, extra)
    differs = " OR ".join(f't."{c}" IS DISTINCT FROM n."{c}"' for c in cols)
    project = _projection(name, extra)
    rows = f"""WITH t AS ({project('$t')}), n AS ({project('$n')})
        SELECT t.* EXCLUDE (wb_v), 'active' AS wb_status,
               CASE WHEN t.wb_v > $n THEN t.wb_v ELSE $t END AS wb_when
        FROM t LEFT JOIN n ON n."sourcedId" = t."sourcedId"
        WHERE n."sourcedId" IS NULL OR {differs}
        UNION ALL
        SELECT n.* EXCLUDE (wb_v), 'tobedeleted', coalesce(d.v, $t)
        FROM n ANTI JOIN t ON t."sourcedId" = n."sourcedId"
        LEFT JOIN {_deleted_at(name)} d ON d.sourced_id = n."sourcedId" """
    return (f"SELECT {_select(name, 'p.wb_status', 's.stamp', extra)} FROM ({rows}) p "
            "JOIN wb_export_stamps s ON s.version = p.wb_when ORDER BY p.\"sourcedId\"")


def _known_sql(name: str) -> str:
    """The (neutralised) sourcedIds of the file in version ``$t``: a delta's receiver holds them."""
    return " UNION ALL ".join(f"SELECT wb_safe(sourced_id) AS id FROM {at(e, '$t')}"
                              for e in ENTITIES_OF[name])


# ---------------------------------------------------------------------------------------- writing


def _params(sql: str, values: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in values.items() if f"${k}" in sql}


def _copy(cur: duckdb.DuckDBPyConnection, sql: str, values: dict[str, int], path: Path) -> int:
    target = "'" + str(path).replace("'", "''") + "'"
    rows = cur.execute(f"COPY ({sql}) TO {target} (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"')",
                       _params(sql, values)).fetchall()
    return int(rows[0][0]) if rows else 0


def _stamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and Z (committed_at is local wall time)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _prepare(cur: duckdb.DuckDBPyConnection) -> None:
    for sql in (*MACROS, SAFE_MACRO):
        cur.execute(sql)
    rows = cur.execute("SELECT version, committed_at FROM roster.version").fetchall()
    stamps = pd.DataFrame({"version": [int(v) for v, _ in rows], "stamp": [_stamp(t) for _, t in rows]})
    cur.register("wb_export_stamps", stamps)


def _write_files(cur: duckdb.DuckDBPyConnection, folder: Path, values: dict[str, int],
                 delta: bool, extra: Extra = ()) -> tuple[dict[str, int], dict[str, int]]:
    counts, deleted = {}, {}
    for name in HEADERS:
        path = folder / f"{name}.csv"
        rows = _copy(cur, delta_sql(name, extra) if delta else bulk_sql(name, extra), values, path)
        if not rows:
            path.unlink()
            continue
        counts[name] = rows
        if delta:
            found = cur.execute("SELECT count(*) FROM read_csv(?, header=true, all_varchar=true) "
                                "WHERE status = 'tobedeleted'", [str(path)]).fetchall()
            deleted[name] = int(found[0][0])
    return counts, deleted


def _write_manifest(cur: duckdb.DuckDBPyConnection, folder: Path, counts: dict[str, int],
                    mode: str) -> None:
    rows = [("manifest.version", "1.0"), ("oneroster.version", "1.1"),
            *((f"file.{f}", mode if f in counts else "absent") for f in MANIFEST_FILES),
            ("source.systemName", SYSTEM_NAME), ("source.systemCode", SYSTEM_CODE)]
    cur.register("wb_export_manifest", pd.DataFrame(rows, columns=["propertyName", "value"]))
    try:
        _copy(cur, "SELECT * FROM wb_export_manifest", {}, folder / "manifest.csv")
    finally:
        cur.unregister("wb_export_manifest")


def _zip(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.glob("*.csv")):
            zf.write(f, f.name)  # at the root, as the spec wants


# ------------------------------------------------------------------------------------- checking


def _check_bulk(package: Path) -> list[Finding]:
    """Load the package into a throwaway workspace; its findings (mapping included)."""
    with (tempfile.TemporaryDirectory(prefix="workbench-export-check-") as tmp,
          init_workspace(Path(tmp) / "ws") as ws):
        load_path(ws, package, source="export", id_prefix="")
        rows = ws.query("SELECT rule, message, severity, file, line, field, record_id, value "
                        "FROM dq.load_finding ORDER BY file, line NULLS LAST")
    return [Finding(*r) for r in rows]


def _check_delta(cur: duckdb.DuckDBPyConnection, package: Path, values: dict[str, int]) -> list[Finding]:
    refs = {f.ref for s in SPECS.values() for f in s.fields if f.ref} | {"users"}
    known = {name: cur.execute(_known_sql(name), _params(_known_sql(name), values)).df()
             for name in sorted(refs)}
    return validate_package(package, known=known)


def _judge(findings: list[Finding], out: Path) -> list[Finding]:
    """Warnings are kept for the result; an error refuses the export."""
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise InputError([Problem(f"{f.rule}: {f.message}", file=f.file, line=f.line, field=f.field)
                          for f in errors], outcome=f"{NOT_EXPORTED} {out} was not written.")
    return [f for f in findings if f.severity == "warning"]


# ---------------------------------------------------------------------------------------- export


def _versions(ws: Workspace, version: int | None, delta_since: int | None) -> int:
    head = head_version(ws)
    if head == 0:
        raise InputError.one("nothing has been committed yet; there is no roster to export",
                             field="version", hint="commit a roster first (workbench commit)",
                             outcome=NOT_EXPORTED)
    target = head if version is None else version
    if not 1 <= target <= head:
        raise InputError.one(f"there is no version {target}; the roster is at version {head}",
                             field="version", hint="list them with `workbench history WORKSPACE`",
                             outcome=NOT_EXPORTED)
    if delta_since is not None and not 0 <= delta_since <= target:
        raise InputError.one(f"a delta since version {delta_since} cannot lead to version {target}",
                             field="delta_since", hint=f"give a version from 0 to {target}",
                             outcome=NOT_EXPORTED)
    return target


def _check_out(out: Path, zip: bool) -> None:
    if zip and out.exists() or not zip and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError.one(f"{out} already exists{'' if zip else ' and is not an empty folder'}",
                             file=str(out), hint="choose a new path; an export never overwrites",
                             outcome=NOT_EXPORTED)


def export_oneroster(ws: Workspace, out: Path, *, version: int | None = None,
                     delta_since: int | None = None, zip: bool = False) -> ExportResult:
    """Write committed ``version`` (default: the head) to ``out`` as a OneRoster 1.1 package:
    a folder, or with ``zip`` a zip file; bulk, or a delta since version ``delta_since``.

    The students' extension fields listed in the current configuration's ``extensions.student``
    are delivered as ``metadata.<field>`` columns of users.csv (empty for the other users).
    """
    t0 = time.perf_counter()
    out = Path(out)
    target = _versions(ws, version, delta_since)
    _check_out(out, zip)
    values = {"t": target, "n": delta_since if delta_since is not None else 0}
    extra = metadata_columns(delivered_fields(ws))
    mode = "bulk" if delta_since is None else "delta"
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    cur = ws.cursor()
    try:
        _prepare(cur)
        files = staging / "package"
        files.mkdir()
        counts, deleted = _write_files(cur, files, values, mode == "delta", extra)
        _write_manifest(cur, files, counts, mode)
        package = files
        if zip:
            package = staging / "package.zip"
            _zip(files, package)
        try:
            found = _check_delta(cur, package, values) if mode == "delta" else _check_bulk(package)
        except InputError as exc:
            raise InputError(exc.problems, outcome=f"{NOT_EXPORTED} {out} was not written.") from exc
        findings = _judge(found, out)
        if out.is_dir():
            out.rmdir()
        os.replace(package, out)
    finally:
        cur.close()
        shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(out, target, mode, delta_since, counts, deleted, findings,
                        time.perf_counter() - t0, [col for col, _ in extra])


def delivered_fields(ws: Workspace) -> list[str]:
    """The students' extension fields the configuration delivers (``TABLE.FIELD``)."""
    from workbench.rules.config import load_config

    return list((load_config(ws).get("extensions") or {}).get("student") or [])
