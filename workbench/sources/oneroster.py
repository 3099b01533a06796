"""OneRoster 1.1 CSV packages (folder or zip): read into raw text tables, check against the spec.

Every file is read as text into ``raw."{source}__{file stem}"`` (manifest included). What is wrong
with a package either refuses the load (``InputError``: nothing changes, the CLI exits 2) or becomes
a finding in ``dq.load_finding`` (the load goes on). The rule of thumb: refuse when a record cannot
be identified or placed, or when the package is not OneRoster 1.1 at all; record a finding when the
value can be read (perhaps as empty) and the steward should know.

Refused (``InputError`` naming file, line and field, with what to do):

* Microsoft School Data Sync files ("Microsoft SDS format, not OneRoster 1.1") and the OneRoster 1.0
  layout ("OneRoster 1.0 layout"; also a manifest declaring oneroster.version 1.0).
* manifest.csv: a header other than ``propertyName,value``; a property given twice; oneroster.version
  other than 1.1; a ``file.*`` value other than bulk/delta/absent; a rostering file declared bulk or
  delta that is not in the package; any file declared ``delta`` (a delta holds only changed rows and
  the workbench replaces a source's roster with each load: load a bulk package instead).
* Two files for the same OneRoster file; an empty (0-byte) file; a header that is not UTF-8.
* Headers: a required column missing, misspelled or in the wrong case (names are case-sensitive), or
  out of spec order; the message gives the expected order.
* Rows that do not fit the header: too few fields, an extra field that is not empty, a quote never
  closed, bytes that are not UTF-8 (the hint names Windows-1252 when it fits). Rows whose extra
  trailing fields are all empty are read, with a ``ragged_row`` finding.
* A package without a single data row; enrollments without classes.csv or users.csv.
* An empty key value (sourcedId everywhere; users.role; enrollments.classSourcedId, userSourcedId,
  role) and a sourcedId used twice in one file (the message names the lines).

Loaded with findings: a package without manifest.csv whose headers are OneRoster 1.1 (every file is
read as bulk). Findings (rule, severity; ``error`` means the value or record was not loaded):

* package: ``manifest_missing`` (warning: files read as bulk 1.1), ``manifest_version`` (warning),
  ``manifest_entry_missing`` (info), ``manifest_unknown_property`` (info), ``manifest_value_case``
  (warning), ``file_declared_absent`` (warning: present but declared absent, not read),
  ``file_not_declared`` (warning: read as bulk), ``file_name_case`` (warning), ``file_not_rostering``
  (info: gradebook/resource files are not read), ``file_unknown`` (info: not a OneRoster name, not
  loaded; a file with a OneRoster header is still checked), ``file_unreadable`` (warning: such a
  checked-only file could not be read), ``zip_top_folder`` (info), ``no_final_newline`` (info),
  ``empty_file`` (warning: header only).
* headers: ``header_optional_missing`` (warning), ``header_case`` (warning: optional column in the
  wrong case, read anyway), ``header_order`` (warning: optional columns out of order),
  ``header_unknown_column`` (warning), ``header_extension_position`` (warning: ``metadata.*`` left of
  spec columns).
* rows (one finding per row, at most ``ROW_FINDINGS_CAP`` per file, field and rule, then a count):
  ``ragged_row`` (warning), ``required_missing`` (error), ``enum_value`` (warning; error for an unknown
  users.role: the user is not loaded; a value differing only in case is read as the spec value),
  ``bool_value`` (warning for ``TRUE``/``False``, read as the boolean; error otherwise), ``date_format`` (warning when readable, e.g. a time part; error otherwise),
  ``datetime_format`` (warning), ``year_format`` (error), ``grade_value`` (warning),
  ``userids_format`` (warning), ``status_value`` (warning), ``bulk_delta_fields`` (warning: bulk rows
  must leave status and dateLastModified blank), ``deleted_row`` (warning: status tobedeleted, not
  loaded), ``dangling_reference`` (warning; error for enrollments of a class or user not in the
  package: not loaded), ``reference_target_absent`` (warning: the referenced file is not in the
  package), ``date_order`` (warning), ``duplicate_agent`` (info), ``primary_not_teacher`` (info).

The mapping (``workbench.model.oneroster``) adds findings about what it delivers and about
implausible content. Line numbers count the header as line 1; a quoted value spanning several lines
or a blank line shifts the count for the rows after it.
"""

from __future__ import annotations

import difflib
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from workbench.errors import InputError, Problem
from workbench.sources.base import Finding, RawLoad, line_of, raw_table
from workbench.sources.files import (
    Header,
    InputFile,
    InputPackage,
    open_package,
    read_header,
    reject_problem,  # same wording as other sources
)
from workbench.sources.oneroster_spec import (
    ALL_FILES,
    DELETED_STATUS,
    MANIFEST,
    MANIFEST_HEADER,
    MANIFEST_VERSION,
    MODES,
    NEEDS,
    ONEROSTER_VERSION,
    OTHER_FILES,
    SDS_COLUMNS,
    SDS_FILES,
    SDS_MINIMAL_HEADERS,
    SPECS,
    V10_COLUMNS,
    V10_MISSING,
    Check,
    FileSpec,
    Rows,
    canonical_name,
    q,
    ref_check,
    row_checks,
    sql_list,
)

Progress = Callable[[str], None]
FINDINGS_TABLE = "temp.wb_or_findings"
FILES_TABLE = "temp.wb_or_files"
ROW_FINDINGS_CAP = 1000
MAX_PROBLEMS = 20
PAD = "wb_extra_field"
_NO_NULL = "\x01wb-no-null\x01"

SDS_MESSAGE = "Microsoft SDS format, not OneRoster 1.1"
SDS_HINT = ("School Data Sync CSV has OneRoster-like file names but other columns; export "
            "OneRoster 1.1 CSV (with manifest.csv) from the SIS instead")
V10_MESSAGE = "OneRoster 1.0 layout"
V10_HINT = "export the package as OneRoster 1.1 CSV (with manifest.csv) from the SIS or rostering hub"

_MACROS = (
    "CREATE OR REPLACE TEMP MACRO wb_or_text(x) AS NULLIF(trim(x), '')",
    "CREATE OR REPLACE TEMP MACRO wb_or_list(x) AS "
    "list_filter(list_transform(string_split(x, ','), lambda e: trim(e)), lambda e: e <> '')",
    "CREATE OR REPLACE TEMP MACRO wb_or_date(x) AS "
    "CASE WHEN regexp_matches(trim(x), '^\\d{4}-\\d{1,2}-\\d{1,2}([ T].*)?$') THEN "
    "try_strptime(regexp_extract(trim(x), '^\\d{4}-\\d{1,2}-\\d{1,2}'), '%Y-%m-%d')::DATE END",
    "CREATE OR REPLACE TEMP MACRO wb_or_bool(x) AS "
    "CASE lower(trim(x)) WHEN 'true' THEN true WHEN 'false' THEN false END",
)


def install_macros(cur: duckdb.DuckDBPyConnection) -> None:
    """Temporary SQL helpers shared by this reader and the OneRoster mapping."""
    for sql in _MACROS:
        cur.execute(sql)


@dataclass
class Entry:
    """A data file to read: its spec, its file and where it lands."""

    spec: FileSpec
    file: InputFile
    header: Header
    table: str
    mapped: bool = True  # False: not a OneRoster file name, checked for information only
    mode: str = "bulk"  # delta only when checked without loading (validate_package)
    rows: int = 0
    columns: set[str] = field(default_factory=set)  # spec columns present (spec spelling)


@dataclass
class Inventory:
    known: dict[str, InputFile] = field(default_factory=dict)  # OneRoster name -> file
    manifest: InputFile | None = None
    unknown: list[InputFile] = field(default_factory=list)


@dataclass
class Manifest:
    modes: dict[str, tuple[str, int]] = field(default_factory=dict)  # file -> (mode, line)
    oneroster_version: str | None = None
    present: bool = True


# ----------------------------------------------------------------------------------------- detect


def _stem(f: InputFile) -> str:
    return Path(f.name).stem


def matches(pkg: InputPackage) -> bool:
    """True for anything OneRoster-like: a manifest.csv, or a OneRoster/SDS file name whose header
    names a ``...sourcedId`` column (PowerSchool's Users.csv or Courses.csv do not)."""
    sds = {n.lower() for n in SDS_FILES}
    for f in pkg.files:
        name = canonical_name(_stem(f))
        if name == MANIFEST and Path(f.name).suffix.lower() == ".csv":
            return True
        if name or _stem(f).lower() in sds:
            try:
                header = read_header(f)
            except InputError:
                continue
            if any(n.lower().endswith("sourcedid") for n in header.names):
                return True
    return False


def _inventory(pkg: InputPackage, findings: list[Finding]) -> Inventory:
    inv = Inventory()
    seen: dict[str, InputFile] = {}
    for f in pkg.files:
        name = canonical_name(_stem(f)) if Path(f.name).suffix.lower() == ".csv" else None
        if name is None:
            inv.unknown.append(f)
            continue
        if name in seen:
            raise InputError.one(
                f"two files hold {name}.csv: {seen[name].name} and {f.name}", file=f.name,
                hint="a OneRoster package has one file per type, at its root; remove one",
            )
        seen[name] = f
        if _stem(f) != name:
            findings.append(Finding(
                "file_name_case", f"{f.name} should be named {name}.csv (file names are "
                "case-sensitive); read as {name}.csv", file=f.name))
        if name == MANIFEST:
            inv.manifest = f
        else:
            inv.known[name] = f
    return inv


def _sds_signs(inv: Inventory, headers: dict[str, Header]) -> list[Problem]:
    signs = [Problem(f"{SDS_MESSAGE}: {f.name} is a School Data Sync file", file=f.name)
             for f in inv.unknown if _stem(f).lower() in {n.lower() for n in SDS_FILES}]
    for name, header in headers.items():
        file = inv.known[name].name
        for col, instead in SDS_COLUMNS.get(name, {}).items():
            if col in header.names and instead not in header.names:
                signs.append(Problem(f"{SDS_MESSAGE}: {file} has the SDS column {col}", file=file,
                                     line=1, field=col))
        minimal = SDS_MINIMAL_HEADERS.get(name)
        if minimal and tuple(header.names) == minimal:
            signs.append(Problem(f"{SDS_MESSAGE}: {file} has the SDS header {','.join(minimal)}",
                                 file=file, line=1))
    return signs


def _v10_signs(inv: Inventory, headers: dict[str, Header], manifest: Manifest) -> list[Problem]:
    signs = []
    if manifest.oneroster_version == "1.0":
        signs.append(Problem(f"{V10_MESSAGE}: manifest.csv declares oneroster.version 1.0",
                             file="manifest.csv", field="oneroster.version"))
    for name, header in headers.items():
        file = inv.known[name].name
        for old, new in V10_COLUMNS.get(name, {}).items():
            if old in header.names and new not in header.names:
                signs.append(Problem(f"{V10_MESSAGE}: {file} has the 1.0 column {old} (1.1 has {new})",
                                     file=file, line=1, field=old))
        missing = V10_MISSING.get(name)
        if missing and not manifest.present and missing not in header.names:
            signs.append(Problem(f"{V10_MESSAGE}: {file} has no {missing} column (new in 1.1)",
                                 file=file, line=1, field=missing))
    if signs and not manifest.present:
        signs.append(Problem(f"{V10_MESSAGE}: the package has no manifest.csv (1.1 requires one)"))
    return signs


def _refuse_foreign(inv: Inventory, headers: dict[str, Header], manifest: Manifest) -> None:
    sds = _sds_signs(inv, headers)
    if sds:
        sds[-1].hint = SDS_HINT
        raise InputError(sds)
    old = _v10_signs(inv, headers, manifest)
    if old:
        old[-1].hint = V10_HINT
        raise InputError(old)


# --------------------------------------------------------------------------------------- manifest


def _read_manifest(
    cur: duckdb.DuckDBPyConnection, f: InputFile | None, source: str, raw: RawLoad
) -> Manifest:
    if f is None:
        raw.findings.append(Finding(
            "manifest_missing", "the package has no manifest.csv: every OneRoster file present is "
            "read as a bulk OneRoster 1.1 file", file="manifest.csv"))
        return Manifest(present=False)
    header = read_header(f)
    if tuple(header.names) != MANIFEST_HEADER:
        raise InputError.one(
            f"the header is {','.join(header.names)!r}, expected 'propertyName,value'", file=f.name,
            line=1, field=header.names[0], hint="manifest.csv starts with the line propertyName,value")
    table = raw_table(source, MANIFEST)
    raw.tables[table] = read_file(cur, f, header, table, raw.findings)
    raw.files[f.name] = table
    rows = cur.execute(
        f'SELECT {line_of("m", table)}, coalesce(trim(m."propertyName"), \'\'), trim(m."value") '
        f"FROM {table} m ORDER BY 1"
    ).fetchall()
    props: dict[str, tuple[str | None, int]] = {}
    for line, prop, value in rows:
        if prop in props:
            raise InputError.one(
                f"{prop} is given twice (lines {props[prop][1]} and {line})", file=f.name, line=line,
                field=prop, hint="keep one line per property")
        props[prop] = (value, int(line))
    return _parse_manifest(f, props, raw.findings)


def _parse_manifest(
    f: InputFile, props: dict[str, tuple[str | None, int]], findings: list[Finding]
) -> Manifest:
    man = Manifest()
    version, line = props.get("manifest.version", (None, 1))
    if version != MANIFEST_VERSION:
        findings.append(Finding(
            "manifest_version", f"manifest.version is {version!r}, the spec says {MANIFEST_VERSION!r}; "
            "read as 1.0", file=f.name, line=line, field="manifest.version", value=version))
    orv, line = props.get("oneroster.version", (None, 1))
    man.oneroster_version = orv
    if orv is None:
        findings.append(Finding(
            "manifest_version", "oneroster.version is missing; read as 1.1", file=f.name,
            field="oneroster.version"))
    elif orv not in (ONEROSTER_VERSION, "1.0"):
        raise InputError.one(
            f"oneroster.version is {orv!r}; the workbench reads OneRoster 1.1 packages", file=f.name,
            line=line, field="oneroster.version", hint="export the package as OneRoster 1.1 CSV")
    for prop, (value, line) in props.items():
        _manifest_property(f, prop, value, line, man, findings)
    unlisted = [n for n in ALL_FILES if n not in man.modes]
    if unlisted:
        findings.append(Finding(
            "manifest_entry_missing", "the manifest does not list " + ", ".join(
                f"file.{n}" for n in unlisted) + " (the spec lists all 13 files)", "info", file=f.name))
    return man


def _manifest_property(
    f: InputFile, prop: str, value: str | None, line: int, man: Manifest, findings: list[Finding]
) -> None:
    if prop in ("manifest.version", "oneroster.version") or prop.startswith("source."):
        return
    name = canonical_name(prop[5:]) if prop.startswith("file.") else None
    if name is None or name == MANIFEST:
        findings.append(Finding("manifest_unknown_property", f"unknown property {prop!r}; ignored",
                                "info", file=f.name, line=line, field=prop, value=value))
        return
    mode = (value or "").lower()
    if mode not in MODES:
        raise InputError.one(
            f"{prop} is {value!r}; it must be bulk, delta or absent", file=f.name, line=line,
            field=prop, hint="fix the manifest line")
    if value != mode or prop != f"file.{name}":
        findings.append(Finding(
            "manifest_value_case", f"{prop},{value} should read file.{name},{mode} (case-sensitive); "
            f"read as {mode}", file=f.name, line=line, field=prop, value=value))
    man.modes[name] = (mode, line)


# ------------------------------------------------------------------------------------------- plan


def _plan(
    inv: Inventory, headers: dict[str, Header], man: Manifest, source: str, findings: list[Finding],
    allow_delta: bool = False,
) -> list[Entry]:
    """The files to read, after matching the package against its manifest (delta files are
    refused unless ``allow_delta``: the package is then only checked, never mapped)."""
    problems, entries = [], []
    for name in ALL_FILES:
        f = inv.known.get(name)
        mode, line = man.modes.get(name, (None, 1))
        if man.present and mode in ("bulk", "delta") and f is None:
            if name in OTHER_FILES:
                findings.append(Finding("file_not_rostering", f"the manifest declares {name}.csv "
                                        f"{mode} but it is not in the package (not needed for a "
                                        "roster)", "info", file="manifest.csv", line=line))
                continue
            problems.append(Problem(
                f"file.{name} is declared {mode} but {name}.csv is not in the package",
                file="manifest.csv", line=line, field=f"file.{name}",
                hint=f"add {name}.csv to the package, or declare file.{name},absent"))
            continue
        if f is None:
            continue
        if name in OTHER_FILES:
            findings.append(Finding("file_not_rostering", f"{f.name} is not part of a roster; "
                                    "not read", "info", file=f.name))
        elif mode == "absent":
            findings.append(Finding("file_declared_absent", f"{f.name} is in the package but the "
                                    f"manifest declares file.{name} absent; not read", file=f.name))
        elif mode == "delta" and allow_delta:
            entries.append(Entry(SPECS[name], f, headers[name], raw_table(source, name), mode="delta"))
        elif mode == "delta":
            problems.append(Problem(
                f"file.{name} is declared delta: the workbench loads complete (bulk) packages; a "
                "delta holds only the changed rows and would replace the roster with them",
                file="manifest.csv", line=line, field=f"file.{name}",
                hint="load the latest bulk export (ask the SIS for a full OneRoster package)"))
        else:
            if man.present and mode is None:
                findings.append(Finding("file_not_declared", f"the manifest does not list "
                                        f"file.{name}; {f.name} is read as bulk", file=f.name))
            spec = SPECS[name]
            entries.append(Entry(spec, f, headers[name], raw_table(source, name)))
    if problems:
        raise InputError(problems)
    return entries + _checked_only(inv, source, findings)


def _checked_only(inv: Inventory, source: str, findings: list[Finding]) -> list[Entry]:
    """Files with another name: ignored, but checked when their header is a OneRoster layout."""
    entries: list[Entry] = []
    used = {n.lower() for n in (*SPECS, MANIFEST)}
    for f in inv.unknown:
        try:
            header = read_header(f)
        except InputError:
            header = None
        spec = next((s for s in SPECS.values()
                     if header and tuple(_spec_part(header.names)) == s.columns), None)
        if spec is None:
            findings.append(Finding("file_unknown", f"{f.name} is not a OneRoster 1.1 file name; "
                                    "not loaded", "info", file=f.name))
            continue
        findings.append(Finding(
            "file_unknown", f"{f.name} is not a OneRoster 1.1 file name; it has the "
            f"{spec.file_name} header, so it is checked but not loaded (rename it to "
            f"{spec.file_name} to load it)", "warning", file=f.name))
        name = re.sub(r"[^a-z0-9_.-]", "_", _stem(f).lower())
        while name in used:
            name += "_"
        used.add(name)
        entries.append(Entry(spec, f, header, raw_table(source, name), mapped=False))  # type: ignore[arg-type]
    return entries


# ---------------------------------------------------------------------------------------- headers


def _spec_part(names: list[str]) -> list[str]:
    return [n for n in names if not n.lower().startswith("metadata.")]


def _out_of_order(present: list[str], expected: list[str]) -> list[str]:
    """Columns outside the longest run that keeps spec order (the ones that moved)."""
    pos = [expected.index(c) for c in present]
    best: list[list[int]] = []
    for i, p in enumerate(pos):
        prev = [best[j] for j in range(i) if pos[j] < p]
        best.append(max(prev, key=len, default=[]) + [i])
    keep = set(max(best, key=len, default=[]))
    return [c for i, c in enumerate(present) if i not in keep]


def _check_header(e: Entry, findings: list[Finding]) -> list[Problem]:
    spec, file, names = e.spec, e.file.name, e.header.names
    expected = list(spec.columns)
    order = f"the {spec.file_name} header is: {','.join(expected)}"
    part = _spec_part(names)
    lower = {n.lower(): n for n in part}
    unknown = [n for n in part if n not in expected]
    problems: list[Problem] = []
    for fld in spec.fields:
        if fld.name in part:
            e.columns.add(fld.name)
            continue
        found = lower.get(fld.name.lower())
        close = difflib.get_close_matches(fld.name, unknown, n=1, cutoff=0.75)
        if fld.need == "R":
            why = (f"; {found!r} differs only in case (header names are case-sensitive)" if found
                   else f"; {close[0]!r} looks like a misspelling" if close else "")
            problems.append(Problem(f"required column {fld.name} is missing{why}", file=file,
                                    line=1, field=fld.name, hint=order))
        elif found:
            e.columns.add(fld.name)
            unknown.remove(found)
            findings.append(Finding("header_case", f"column {found!r} should be {fld.name!r} "
                                    "(case-sensitive); read anyway", file=file, line=1, field=found))
        else:
            findings.append(Finding("header_optional_missing", f"column {fld.name} is missing; "
                                    f"read as empty ({order})", file=file, line=1, field=fld.name))
    for n in unknown:
        if n.lower() not in {c.lower() for c in e.columns}:
            findings.append(Finding("header_unknown_column", f"column {n!r} is not in the spec "
                                    "(extensions are named metadata.*); not loaded", file=file,
                                    line=1, field=n))
    problems += _check_order(e, [n for n in part if n in expected], expected, order, findings)
    _check_extensions(e, findings)
    return problems


def _check_order(
    e: Entry, present: list[str], expected: list[str], order: str, findings: list[Finding]
) -> list[Problem]:
    problems = []
    for col in _out_of_order(present, expected):
        at = e.header.names.index(col) + 1
        fld = e.spec.field(col)
        if fld is not None and fld.need == "R":
            problems.append(Problem(f"column {col} is out of order (column {at})", file=e.file.name,
                                    line=1, field=col, hint=order))
        else:
            findings.append(Finding("header_order", f"column {col} is out of order (column {at}); "
                                    f"read by name ({order})", file=e.file.name, line=1, field=col))
    return problems


def _check_extensions(e: Entry, findings: list[Finding]) -> None:
    names = e.header.names
    last_spec = max((i for i, n in enumerate(names) if n in e.spec.columns), default=-1)
    for n in names[:last_spec]:
        if n.lower().startswith("metadata."):
            findings.append(Finding("header_extension_position", f"extension column {n} sits left "
                                    "of spec columns; extensions go to the right", file=e.file.name,
                                    line=1, field=n))


# ---------------------------------------------------------------------------------------- reading


def _has_quote(path: Path) -> bool:
    """True when the file holds a double quote anywhere (only then may a value span lines)."""
    with path.open("rb") as fh:
        return any(b'"' in chunk for chunk in iter(lambda: fh.read(1 << 24), b""))


def _csv_options(f: InputFile, names: list[str]) -> tuple[str, list[Any]]:
    spec = "{" + ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for n in names) + "}"
    # DuckDB's parallel reader refuses null_padding when a quoted value spans lines; a file
    # without any quote cannot have one.
    parallel = "false" if _has_quote(f.path) else "true"
    return (f"auto_detect=false, header=true, delim=?, quote='\"', escape='\"', columns={spec}, "
            f"null_padding=true, nullstr=?, parallel={parallel}"), [str(f.path)]


def read_file(cur: duckdb.DuckDBPyConnection, f: InputFile, header: Header, table: str,
              findings: list[Finding]) -> int:
    """Read a CSV file into ``table`` (VARCHAR columns named as in the header, empty -> NULL).

    DuckDB's reader silently drops empty fields beyond the header, so the file is read with one
    spare column, ``null_padding`` and a ``nullstr`` that never occurs: an extra empty field reads
    as '' in the spare column (a ``ragged_row`` finding), a missing field as NULL. Rows the reader
    rejects, short rows and rows with a filled extra field refuse the load, located by line.
    Rejected rows are stored, not raised: an error inside the load transaction would abort it.
    """
    names = list(header.names)
    options, params = _csv_options(f, names + [PAD])
    cols = ", ".join(f"NULLIF({q(n)}, '') AS {q(n)}" for n in names)
    cur.execute("DROP TABLE IF EXISTS temp.wb_or_rejects")
    cur.execute("DROP TABLE IF EXISTS temp.wb_or_reject_scans")
    try:
        cur.execute(
            f"CREATE TABLE {table} AS SELECT {cols}, {q(names[-1])} IS NULL AS wb_short, {PAD} "
            f"FROM read_csv(?, {options}, store_rejects=true, rejects_table='wb_or_rejects', "
            "rejects_scan='wb_or_reject_scans', rejects_limit=1000)",
            [*params, header.delimiter, _NO_NULL])
    except duckdb.Error as exc:
        raise InputError.one(f"the file cannot be read as CSV: {str(exc).splitlines()[0]}",
                             file=f.name, hint="check that it is a complete CSV export") from exc
    problems = _rejected(cur, f, header) or _misshapen(cur, f, header, table)
    if problems:
        raise InputError(problems)
    _ragged_findings(cur, f, header, table, findings)
    cur.execute(f"ALTER TABLE {table} DROP COLUMN wb_short")
    cur.execute(f"ALTER TABLE {table} DROP COLUMN {PAD}")
    row = cur.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _rejected(cur: duckdb.DuckDBPyConnection, f: InputFile, header: Header) -> list[Problem]:
    rows = cur.execute(
        "SELECT line, column_name, error_type, csv_line FROM temp.wb_or_rejects ORDER BY line "
        "LIMIT ?", [MAX_PROBLEMS]).fetchall()
    return [reject_problem(f, header.names, header, *r) for r in rows]


def _misshapen(cur: duckdb.DuckDBPyConnection, f: InputFile, header: Header,
               table: str) -> list[Problem]:
    """Rows with too few fields, or with an extra field that is not empty."""
    n = len(header.names)
    rows = cur.execute(
        f"SELECT {line_of('t', table)} AS line, t.wb_short FROM {table} t "
        f"WHERE t.wb_short OR t.{PAD} <> '' ORDER BY line LIMIT ?", [MAX_PROBLEMS]).fetchall()
    if not rows:
        return []
    short_lines = [int(line) for line, short in rows if short]
    missing = _first_missing(cur, f, header, short_lines)
    unclosed = short_lines[-1] if short_lines and _quote_count(f.path) % 2 else None
    return [
        Problem("a quoted value is never closed", file=f.name, line=line, field=missing[line],
                hint="the file is probably truncated; re-export it") if line == unclosed else
        Problem(f"row ends early: field {missing[line]} and after are missing (header has {n})",
                file=f.name, line=line, field=missing[line],
                hint="the file may be truncated or a value holds an unquoted line break; "
                "re-export it") if short else
        Problem(f"row has more than {n} fields (the header has {n})", file=f.name, line=line,
                hint="a value probably contains an unquoted comma; quote it or re-export")
        for line, short in ((int(x), s) for x, s in rows)
    ]


def _quote_count(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b'"') for chunk in iter(lambda: fh.read(1 << 24), b""))


def _first_missing(cur: duckdb.DuckDBPyConnection, f: InputFile, header: Header,
                   lines: list[int]) -> dict[int, str]:
    """The first missing field of short rows (error path: the file is read again, unchanged)."""
    if not lines:
        return {}
    names = list(header.names)
    options, params = _csv_options(f, names)
    t = "temp.wb_or_short"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE wb_or_short AS SELECT * FROM read_csv(?, {options})",
                [*params, header.delimiter, _NO_NULL])
    nulls = ", ".join(f"s.{q(n)} IS NULL" for n in names)
    found = dict(cur.execute(
        f"SELECT {line_of('s', t)} AS line, list_position([{nulls}], true) FROM {t} s "
        f"WHERE list_contains(?, line)", [lines]).fetchall())
    cur.execute(f"DROP TABLE {t}")
    return {line: names[int(found[line]) - 1] if found.get(line) else names[-1] for line in lines}


def _ragged_findings(cur: duckdb.DuckDBPyConnection, f: InputFile, header: Header, table: str,
                     findings: list[Finding]) -> None:
    row = cur.execute(f"SELECT count(*) FROM {table} WHERE {PAD} = ''").fetchone()
    extra = int(row[0]) if row else 0
    if not extra:
        return
    lines = cur.execute(
        f"SELECT {line_of('p', table)} AS line, trim(p.\"{header.names[0]}\") FROM {table} p "
        f"WHERE p.{PAD} = '' ORDER BY line LIMIT ?", [ROW_FINDINGS_CAP]).fetchall()
    n = len(header.names)
    for line, sid in lines:
        findings.append(Finding(
            "ragged_row", f"the row has more fields than the header's {n}; the extra trailing "
            "field is empty and was dropped", file=f.name, line=int(line), record_id=sid))
    if extra > len(lines):
        findings.append(Finding("ragged_row", f"and {extra - len(lines)} more row(s) with an "
                                "empty extra trailing field", file=f.name))


def _base(e: Entry) -> str:
    """The raw rows with their file line and trimmed sourcedId."""
    return (f'(SELECT {line_of("r", e.table)} AS wb_line, trim(r."sourcedId") AS wb_id, r.* '
            f"FROM {e.table} r)")


# ------------------------------------------------------------------------------------- refusals


def _refuse_structure(cur: duckdb.DuckDBPyConnection, entries: list[Entry]) -> None:
    mapped = [e for e in entries if e.mapped]
    if mapped and not any(e.rows for e in mapped):
        raise InputError.one(
            "the package has no data rows: " + ", ".join(e.file.name for e in mapped)
            + " hold a header only", hint="export the roster again; a OneRoster file without rows "
            "should be left out and declared absent in manifest.csv")
    have = {e.spec.name for e in mapped}
    problems = [
        Problem(f"{e.file.name} refers to {need}.csv, which the package lacks", file=e.file.name,
                hint=f"add {need}.csv; enrollments are delivered only with their classes and users")
        for e in mapped if e.rows and e.mode == "bulk" for need in NEEDS.get(e.spec.name, ())
        if need not in have
    ]
    for e in mapped:
        problems += _key_problems(cur, e) + _duplicate_problems(cur, e)
    if problems:
        raise InputError(problems[:MAX_PROBLEMS * 3])


def _key_problems(cur: duckdb.DuckDBPyConnection, e: Entry) -> list[Problem]:
    problems = []
    for fld in e.spec.fields:
        if not fld.key or fld.name not in e.columns:
            continue
        lines = cur.execute(
            f"SELECT wb_line FROM {_base(e)} WHERE wb_or_text({q(fld.name)}) IS NULL "
            "ORDER BY wb_line LIMIT ?", [MAX_PROBLEMS]).fetchall()
        problems += [Problem(f"{fld.name} is empty", file=e.file.name, line=int(line),
                             field=fld.name, hint=f"every {e.spec.file_name} row needs its "
                             f"{fld.name}; fill it in or remove the row") for (line,) in lines]
    return problems


def _duplicate_problems(cur: duckdb.DuckDBPyConnection, e: Entry) -> list[Problem]:
    rows = cur.execute(
        f"SELECT wb_id, list(wb_line ORDER BY wb_line)[1:5], count(*) FROM {_base(e)} "
        "WHERE wb_id <> '' GROUP BY wb_id HAVING count(*) > 1 ORDER BY min(wb_line) LIMIT ?",
        [MAX_PROBLEMS]).fetchall()
    return [
        Problem(f"sourcedId {sid!r} is used by {n} rows (lines {', '.join(map(str, lines))}"
                f"{', ...' if n > len(lines) else ''})", file=e.file.name, line=int(lines[0]),
                field="sourcedId", hint="a sourcedId must be unique within its file; remove the "
                "repeated rows or re-export")
        for sid, lines, n in rows
    ]


# --------------------------------------------------------------------------------- row findings


def emit_findings(cur: duckdb.DuckDBPyConnection, file: str, c: Check, source: str) -> None:
    """Queue the findings of one check in ``temp.wb_or_findings``: the first ``ROW_FINDINGS_CAP``
    rows by line, then one line counting the rest."""
    src = c.source or source
    params = {"file": file, "field": c.field, "rule": c.rule, "cap": ROW_FINDINGS_CAP}
    row = cur.execute(
        f"INSERT INTO {FINDINGS_TABLE} SELECT $file, wb_line, $field, wb_id, $rule, {c.severity}, "
        f"{c.value}, {c.message} FROM {src} t WHERE {c.cond} ORDER BY wb_line LIMIT $cap",
        params).fetchone()
    if not row or int(row[0]) < ROW_FINDINGS_CAP:
        return
    more = cur.execute(
        f"SELECT count(*) - $cap, min({c.severity}) FROM {src} t WHERE {c.cond}",
        {"cap": ROW_FINDINGS_CAP}).fetchone()
    if more and more[0] > 0:
        cur.execute(
            f"INSERT INTO {FINDINGS_TABLE} VALUES ($file, NULL, $field, NULL, $rule, $severity, NULL, "
            "$msg)", {"file": file, "field": c.field, "rule": c.rule, "severity": more[1],
                      "msg": f"and {more[0]} more row(s) with the same problem"})


def _ref_checks(e: Entry, by_name: dict[str, Entry], findings: list[Finding],
                known: dict[str, str] | None = None) -> list[Check]:
    refs = [(f.name, f.ref, f.is_list) for f in e.spec.fields if f.ref and f.name in e.columns]
    if e.spec.name == "demographics":
        refs.append(("sourcedId", "users", False))
    if e.mode == "delta":
        return _delta_ref_checks(e, refs, by_name, findings, known or {})
    checks = []
    for name, ref, is_list in refs:
        target = e if ref == e.spec.name else by_name.get(ref)  # type: ignore[arg-type]
        if target is None:
            if e.rows:
                findings.append(Finding(
                    "reference_target_absent", f"{name} refers to {ref}.csv, which is not in the "
                    "package; the references are not checked", file=e.file.name, field=name))
            continue
        checks.append(ref_check(_rows(e), name, target.spec, target.table, is_list))
    return checks


def _alive(e: Entry, alias: str) -> str:
    """SQL: the row is not being deleted (its status is not tobedeleted)."""
    if "status" not in e.columns:
        return "true"
    return (f"NOT coalesce(list_contains({sql_list(DELETED_STATUS)}, lower(trim({alias}.status))), "
            "false)")


def _delta_ref_checks(e: Entry, refs: list[tuple[str, str | None, bool]], by_name: dict[str, Entry],
                      findings: list[Finding], known: dict[str, str]) -> list[Check]:
    """A delta's live rows may refer to live rows of the package or to rows the receiver holds
    (``known``: OneRoster file -> a relation with column ``id``); rows being deleted are not checked."""
    rows = Rows(e.spec, e.columns, f"(SELECT * FROM {_base(e)} b WHERE {_alive(e, 'b')})", e.mode)
    checks = []
    for name, ref, is_list in refs:
        if ref not in known:
            findings.append(Finding(
                "reference_not_checked", f"{name} may refer to {ref}.csv rows outside this delta; "
                "without the receiver's rows such references are not checked", "info",
                file=e.file.name, field=name))
            continue
        target = e if ref == e.spec.name else by_name.get(ref)  # type: ignore[arg-type]
        parts = [f"SELECT id FROM {known[ref]}"] + (  # type: ignore[index]
            [f'SELECT trim(x."sourcedId") FROM {target.table} x WHERE {_alive(target, "x")}']
            if target else [])
        ids = "(SELECT DISTINCT id FROM (" + " UNION ALL ".join(parts) + "))"
        checks.append(ref_check(rows, name, SPECS[ref], "", is_list, ids))  # type: ignore[index]
    return checks


def _rows(e: Entry) -> Rows:
    return Rows(e.spec, e.columns, _base(e), e.mode)


# ------------------------------------------------------------------------------------ file level


def _file_findings(pkg: InputPackage, entries: list[Entry], manifest: InputFile | None,
                   findings: list[Finding]) -> None:
    for f in [e.file for e in entries] + ([manifest] if manifest else []):
        with f.path.open("rb") as fh:
            fh.seek(max(f.size - 1, 0))
            last = fh.read(1)
        if last != b"\n":
            findings.append(Finding("no_final_newline", "the last line has no line break "
                                    "(accepted)", "info", file=f.name))
    for e in entries:
        if e.mapped and not e.rows:
            findings.append(Finding("empty_file", f"{e.file.name} has a header but no rows; the "
                                    "spec wants such a file left out and declared absent",
                                    file=e.file.name))
    if pkg.location.lower().endswith(".zip"):
        with zipfile.ZipFile(pkg.location) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
        tops = {n.split("/")[0] for n in names}
        if names and len(tops) == 1 and all("/" in n for n in names):
            findings.append(Finding("zip_top_folder", f"the files sit in the folder {tops.pop()}/ "
                                    "inside the zip; the spec puts them at the root (read anyway)",
                                    "info", file=Path(pkg.location).name))


# ---------------------------------------------------------------------------------------- entry


def _headers(inv: Inventory, man: Manifest) -> dict[str, Header]:
    """Headers of the rostering files; unreadable ones matter only if the file is to be read."""
    headers = {}
    for name, f in inv.known.items():
        if name not in SPECS:
            continue
        try:
            headers[name] = read_header(f)
        except InputError:
            if man.modes.get(name, ("", 0))[0] != "absent":
                raise
    return headers


def _read_all(cur: duckdb.DuckDBPyConnection, entries: list[Entry], raw: RawLoad,
              say: Progress) -> list[Entry]:
    kept = []
    for e in entries:
        say(f"Reading {e.file.name}")
        try:
            e.rows = read_file(cur, e.file, e.header, e.table, raw.findings)
        except InputError as exc:
            if e.mapped:
                raise
            try:  # a file that is only checked does not stop the load
                cur.execute(f"DROP TABLE IF EXISTS {e.table}")
            except duckdb.Error:
                raise exc from None  # the reader itself failed: the transaction is lost
            raw.findings.append(Finding("file_unreadable", f"{e.file.name} cannot be read, so it "
                                        f"is not checked: {exc.problems[0].render()}",
                                        file=e.file.name))
            continue
        raw.tables[e.table] = e.rows
        raw.files[e.file.name] = e.table
        raw.columns[e.table] = list(e.header.names)
        kept.append(e)
    return kept


def _check_rows(cur: duckdb.DuckDBPyConnection, entries: list[Entry], say: Progress,
                findings: list[Finding], known: dict[str, str] | None = None) -> None:
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {FINDINGS_TABLE[5:]} (file VARCHAR, line BIGINT, "
                "field VARCHAR, record_id VARCHAR, rule VARCHAR, severity VARCHAR, value VARCHAR, "
                "message VARCHAR)")
    by_name = {e.spec.name: e for e in entries if e.mapped}
    for e in entries:
        if not e.rows:
            continue
        say(f"Checking {e.file.name}")
        for check in row_checks(_rows(e)) + _ref_checks(e, by_name, findings, known):
            emit_findings(cur, e.file.name, check, _base(e))


def _record_files(cur: duckdb.DuckDBPyConnection, entries: list[Entry]) -> None:
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {FILES_TABLE[5:]} (name VARCHAR, file VARCHAR, "
                "table_name VARCHAR, mapped BOOLEAN)")
    for e in entries:
        cur.execute(f"INSERT INTO {FILES_TABLE} VALUES (?, ?, ?, ?)",
                    [e.spec.name, e.file.name, e.table, e.mapped])


def read_raw(cur: duckdb.DuckDBPyConnection, pkg: InputPackage, source: str,
             progress: Progress | None = None, *, allow_delta: bool = False,
             known: dict[str, str] | None = None) -> RawLoad:
    """Read a OneRoster 1.1 package into raw tables; refuse or record what deviates (see above).

    Row-level findings wait in ``temp.wb_or_findings`` until the mapping writes them with the
    load's id (``workbench.model.oneroster.build_canonical``). ``allow_delta`` and ``known`` are
    for checking without loading (``validate_package``).
    """
    say = progress or (lambda _m: None)
    install_macros(cur)
    raw = RawLoad()
    inv = _inventory(pkg, raw.findings)
    if not inv.known and inv.manifest is None:
        raise InputError.one("no OneRoster file found (manifest.csv, orgs.csv, users.csv ...)",
                             file=Path(pkg.location).name,
                             hint="point at the folder or zip that holds the OneRoster CSV files")
    man = _read_manifest(cur, inv.manifest, source, raw)
    headers = _headers(inv, man)
    _refuse_foreign(inv, headers, man)
    entries = _plan(inv, headers, man, source, raw.findings, allow_delta)
    problems = []
    for e in entries:
        found = _check_header(e, raw.findings if e.mapped else [])
        problems += found if e.mapped else []
    if problems:
        raise InputError(problems)
    entries = _read_all(cur, entries, raw, say)
    _refuse_structure(cur, entries)
    _record_files(cur, entries)
    _check_rows(cur, entries, say, raw.findings, known)
    _file_findings(pkg, entries, inv.manifest, raw.findings)
    return raw


def validate_package(path: str | Path, *, known: dict[str, Any] | None = None) -> list[Finding]:
    """Check a OneRoster 1.1 package, bulk or delta, without loading it into any workspace.

    The reader's refusals raise ``InputError`` as for a load; its findings are returned (the
    mapping's are not: nothing is mapped). Delta files are checked as deltas: status and
    dateLastModified are required, and the references of rows that are not being deleted must
    name a live row of the package or one of ``known`` (OneRoster file -> a table DuckDB can scan,
    e.g. a DataFrame, with the column ``id``: the rows the receiver holds after applying the
    delta). References into a file without ``known`` rows are not checked in a delta.
    """
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA raw")
        names = {}
        for i, (name, table) in enumerate((known or {}).items()):
            con.register(f"wb_or_known_{i}", table)
            names[name] = f"wb_or_known_{i}"
        with open_package(path) as pkg:
            raw = read_raw(con, pkg, "check", allow_delta=True, known=names)
        rows = con.execute(
            "SELECT rule, message, severity, file, line, field, record_id, value "
            f"FROM {FINDINGS_TABLE} ORDER BY file, line NULLS LAST").fetchall()
    finally:
        con.close()
    return raw.findings + [Finding(*r) for r in rows]
