"""Field discovery: every table and field a source offers, and what its values look like.

PowerSchool's own answer is "View Field List" (standard fields have no dot, other tables' fields
are ``TableName.FieldName``) and "Verify Extension Group Names" (System Management > Database
Extensions). Here the analyst asks the loaded extract, or the live server::

    import workbench as wb
    fields = wb.discovery.list_fields(ws)                      # one row per table and field
    fields[fields.name.str.contains("immun", case=False)]      # the Filter box of View Field List
    wb.discovery.list_tables(ws)                               # tables, their kind and core table
    wb.discovery.extension_groups(ws)                          # extension tables and their links
    wb.discovery.verify_fields(ws, ["U_DEF_EXT_STUDENTS.laptop_tag"])
    wb.discovery.profile_field(ws, "StudentCoreFields", "primarylanguage")
    with PowerSchoolClient(url, credentials) as client:
        wb.discovery.discover_api(client)                      # the same, from table metadata

Every field gets a profile: rows, filled values and fill rate, distinct values, a type guess with
the share of values that fit it, the commonest value shapes (digits as ``9``, letters as ``A`` or
``a``, runs of letters collapsed) and sample values, and whether it could be a key (every row
filled and unique). Counts cover every row; type, shapes and samples come from a reservoir sample
of ``sample`` rows (the same rows at every call).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.sources.base import raw_columns
from workbench.sources.powerschool.client import NO_ACCESS
from workbench.sources.powerschool_tables import SPECS, STUDENT_EXTENSION_KEY
from workbench.workspace import Workspace

TABLE_COLUMNS = ("source", "table", "kind", "core_table", "key_column", "rows", "fields", "file")
FIELD_COLUMNS = ("source", "table", "field", "name", "qualified", "kind", "core_table", "standard",
                 "used_as", "rows", "filled", "fill_rate", "distinct", "type", "type_share",
                 "patterns", "samples", "key")
SAMPLE_ROWS = 20_000

# The core tables an extension table can hang off, by the key column it carries (``<core>dcid``).
CORE_KEYS = {f"{t}dcid": SPECS[t].name if t in SPECS else t.title()
             for t in ("students", "users", "schools", "courses", "sections", "schoolstaff", "terms",
                       "cc", "person")}

# Type guesses, most specific first: (name, SQL predicate on the trimmed value ``v``).
_TYPES = (
    ("integer", r"regexp_full_match(v, '[+-]?[0-9]+')"),
    ("decimal", r"regexp_full_match(v, '[+-]?[0-9]*\.?[0-9]+')"),
    ("date (YYYY-MM-DD)", r"regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?')"),
    ("date (MM/DD/YYYY)", r"regexp_full_match(v, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}')"),
    ("email", r"regexp_full_match(v, '[^@\s]+@[^@\s]+\.[^@\s]+')"),
    ("phone", r"regexp_full_match(v, '[0-9 ().+-]{10,20}') "
              r"AND length(regexp_replace(v, '[^0-9]', '', 'g')) BETWEEN 10 AND 15"),
)
_BOOLEAN_VALUES = ("0", "1", "y", "n", "yes", "no", "true", "false", "t", "f")
TYPE_SHARE = 0.95  # a type is guessed when at least this share of the sampled values fit it


class DiscoveryError(WorkbenchError):
    """A table or field that the source does not have (the message says what it does have)."""


def _table_kind(table: str) -> str:
    """core, core_fields, default_extension, extension (district) or state_extension."""
    t = table.lower()
    if t.endswith("corefields"):
        return "core_fields"
    if t.startswith("u_def_ext_"):
        return "default_extension"
    if t.startswith("u_"):
        return "extension"
    if t.startswith("s_"):
        return "state_extension"
    return "core"


def _core_of(table: str, columns: Iterable[str]) -> tuple[str | None, str | None]:
    """(core table, key column) of an extension table: the ``<core>dcid`` column it carries."""
    if _table_kind(table) == "core":
        return (SPECS[table.lower()].name if table.lower() in SPECS else table), None
    for col in columns:
        if col.lower() in CORE_KEYS:
            return CORE_KEYS[col.lower()], col.lower()
    return None, None


def _display(table: str, file: str | None = None) -> str:
    """PowerSchool's spelling of a table: the file's, else the spec's, else upper case."""
    if file:
        stem = file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if stem.lower() == table.lower():
            return stem
    if table.lower() in SPECS:
        return SPECS[table.lower()].name
    return table.upper()


# ---------------------------------------------------------------------------- profiling


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _shape_sql(v: str) -> str:
    """The value's shape: digits -> 9, upper-case runs -> A, lower-case runs -> a."""
    s = f"regexp_replace({v}, '[0-9]', '9', 'g')"
    s = f"regexp_replace({s}, '\\p{{Lu}}+', 'A', 'g')"
    s = f"regexp_replace({s}, '\\p{{Ll}}+', 'a', 'g')"
    return f"left({s}, 40)"


def profile_columns(cur: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str], *,
                    sample: int = SAMPLE_ROWS, samples: int = 5,
                    patterns: int = 3) -> dict[str, dict[str, Any]]:
    """A profile of each of ``columns`` of ``relation`` (a quoted table name or a subquery), keyed
    by column: rows, filled, fill_rate, distinct, type, type_share, patterns, samples, key.

    Values are read as text; blank text counts as empty.
    """
    if not columns:
        return {}
    val = {c: f"nullif(trim(CAST({_q(c)} AS VARCHAR)), '')" for c in columns}
    wide = ", ".join(f"count({val[c]}), count(DISTINCT {val[c]})" for c in columns)
    row = cur.execute(f"SELECT count(*), {wide} FROM {relation}").fetchall()[0]
    rows = int(row[0])
    out: dict[str, dict[str, Any]] = {}
    for i, c in enumerate(columns):
        filled, distinct = int(row[1 + 2 * i]), int(row[2 + 2 * i])
        out[c] = {"rows": rows, "filled": filled, "fill_rate": filled / rows if rows else 0.0,
                  "distinct": distinct, "type": "empty", "type_share": 0.0, "patterns": "",
                  "samples": [], "key": _key(rows, filled, distinct)}
    if rows == 0:
        return out
    # the long form of a repeatable sample: (column, value), blanks dropped
    picked = ", ".join(f"{val[c]} AS c{i}" for i, c in enumerate(columns))
    names = {f"c{i}": c for i, c in enumerate(columns)}
    cur.execute(f"CREATE OR REPLACE TEMP TABLE wb_profile_sample AS SELECT {picked} FROM "
                f"(SELECT * FROM {relation}) USING SAMPLE reservoir({int(sample)} ROWS) "
                "REPEATABLE (7)")
    cur.execute("CREATE OR REPLACE TEMP TABLE wb_profile_long AS SELECT col, v FROM "
                "(UNPIVOT wb_profile_sample ON COLUMNS(*) INTO NAME col VALUE v) WHERE v IS NOT NULL")
    checks = ", ".join(f"count(*) FILTER (WHERE {pred})" for _, pred in _TYPES)
    bools = ", ".join(f"'{b}'" for b in _BOOLEAN_VALUES)
    for col, n, n_bool, n_distinct, *fits in cur.execute(
            f"SELECT col, count(*), count(*) FILTER (WHERE lower(v) IN ({bools})), "
            f"count(DISTINCT lower(v)) FILTER (WHERE lower(v) IN ({bools})), {checks} "
            "FROM wb_profile_long GROUP BY col").fetchall():
        out[names[col]].update(_guess(int(n), int(n_bool), int(n_distinct), [int(f) for f in fits]))
    shapes = cur.execute(
        "SELECT col, shape, n, total FROM (SELECT col, shape, n, sum(n) OVER (PARTITION BY col) "
        "AS total, row_number() OVER (PARTITION BY col ORDER BY n DESC, shape) AS r FROM "
        f"(SELECT col, {_shape_sql('v')} AS shape, count(*) AS n FROM wb_profile_long GROUP BY 1, 2)) "
        f"WHERE r <= {int(patterns)} ORDER BY col, n DESC, shape"
    ).fetchall()
    for col, shape, n, total in shapes:
        entry = out[names[col]]
        part = f"{shape} ({n / total:.0%})"
        entry["patterns"] = f"{entry['patterns']}, {part}" if entry["patterns"] else part
    for col, values in cur.execute(
            f"SELECT col, list(v ORDER BY n DESC, v)[1:{int(samples)}] FROM "
            "(SELECT col, v, count(*) AS n FROM wb_profile_long GROUP BY ALL) GROUP BY col").fetchall():
        out[names[col]]["samples"] = list(values)
    cur.execute("DROP TABLE IF EXISTS wb_profile_long")
    cur.execute("DROP TABLE IF EXISTS wb_profile_sample")
    return out


def _key(rows: int, filled: int, distinct: int) -> str:
    if rows and filled == rows and distinct == rows:
        return "unique"
    if filled and distinct == filled:
        return "unique when present"
    return ""


def _guess(n: int, n_bool: int, n_distinct: int, fits: list[int]) -> dict[str, Any]:
    if n == 0:
        return {"type": "empty", "type_share": 0.0}
    if n_bool / n >= TYPE_SHARE and n_distinct <= 2:  # n_distinct: of the boolean-like values
        return {"type": "boolean", "type_share": n_bool / n}
    for (name, _), fit in zip(_TYPES, fits, strict=True):
        if fit / n >= TYPE_SHARE:
            return {"type": name, "type_share": fit / n}
    return {"type": "text", "type_share": 1.0}


# ---------------------------------------------------------------------------- a workspace


@dataclass(frozen=True)
class _RawTable:
    source: str
    kind: str  # the source's kind: powerschool, oneroster
    table: str  # lower-case, as in raw."<source>__<table>"
    file: str | None
    rows: int
    columns: tuple[str, ...] | None  # the file's own columns (None: not recorded by that load)

    @property
    def relation(self) -> str:
        return f'raw."{self.source}__{self.table}"'


def _raw_tables(ws: Workspace, source: str | None) -> list[_RawTable]:
    sources = {s["name"]: s["kind"] for s in ws.sources()}
    if source is not None and source not in sources:
        raise DiscoveryError(f"no source named {source!r} is loaded; loaded: "
                             f"{', '.join(sorted(sources)) or 'none'}")
    recorded = ws.query("SELECT 1 FROM duckdb_columns() WHERE schema_name = 'meta' "
                        "AND table_name = 'load_file' AND column_name = 'columns'")
    files = {(s, _bare_table(t)): (f, r, c) for s, t, f, r, c in ws.query(
        "SELECT l.source, f.table_name, f.file, f.rows, "
        f"{'f.columns' if recorded else 'NULL'} FROM meta.load_file f "
        "JOIN meta.load l USING (load_id) WHERE f.table_name IS NOT NULL "
        "AND l.load_id = (SELECT max(load_id) FROM meta.load WHERE source = l.source)")}
    out = []
    for (name,) in ws.query("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' "
                            "ORDER BY table_name"):
        src, _, table = name.partition("__")
        if src not in sources or (source is not None and src != source):
            continue
        file, rows, cols = files.get((src, table), (None, None, None))
        if file is None:  # a table the loader made empty because the extract lacks it
            continue
        out.append(_RawTable(src, sources[src], table, file, int(rows or 0),
                             tuple(c.lower() for c in cols) if cols is not None else None))
    return out


def _bare_table(name: str) -> str:
    """``students`` from ``students`` or from a quoted raw name ``raw."sis__students"``."""
    if name.startswith('raw."'):
        return name[5:].rstrip('"').partition("__")[2].lower()
    return name.lower()


def _columns(ws: Workspace, t: _RawTable) -> list[str]:
    """The raw table's columns that came from the file (not those the loader added empty)."""
    with ws.cursor() as cur:
        cols = raw_columns(cur, t.source, t.table)
    if t.columns is None:
        return cols
    return [c for c in cols if c.lower() in t.columns]


def _mapped(ws: Workspace) -> dict[str, list[str]]:
    """``table.field`` (lower-case) -> the ``entity.attribute`` names the configuration maps it to."""
    from workbench.rules.config import load_config

    out: dict[str, list[str]] = {}
    for entity, attrs in (load_config(ws).get("attributes") or {}).items():
        for attribute, spec in (attrs or {}).items():
            out.setdefault(str(spec.get("field", "")).lower(), []).append(f"{entity}.{attribute}")
    return out


def _used_as(t: _RawTable, table: str, field: str, core: str | None,
             mapped: Mapping[str, list[str]]) -> str:
    """How the workbench uses a field today: mapped to an attribute, read as a standard field,
    kept in the student's extensions (the loader keeps every field of a table extending Students),
    or not used (OneRoster ``metadata.*`` columns, other tables' extensions)."""
    if f"{table.lower()}.{field}" in mapped:
        return "mapped: " + ", ".join(mapped[f"{table.lower()}.{field}"])
    if t.kind != "powerschool":
        return "" if field.lower().startswith("metadata.") else "standard"
    if _table_kind(table) != "core":
        if core != "Students":
            return ""
        return "extension" if field != STUDENT_EXTENSION_KEY else "key"
    spec = SPECS.get(table.lower())
    if spec is not None and field in spec.known:
        return "standard"
    return ""


def list_tables(ws: Workspace, source: str | None = None) -> pd.DataFrame:
    """Every table of the loaded sources (the latest load of each), one row per table:
    source, table, kind (core, core_fields, default_extension, extension, state_extension, or the
    OneRoster file), core_table and key_column (what an extension table hangs off), rows, fields,
    file."""
    out = []
    for t in _raw_tables(ws, source):
        cols = _columns(ws, t)
        name = _display(t.table, t.file)
        if t.kind == "powerschool":
            core, key = _core_of(name, cols)
            kind = _table_kind(name)
        else:
            core, key, kind = name, None, "oneroster"
        own = [c for c in cols if "." not in c or t.kind != "powerschool"]
        out.append((t.source, name, kind, core, key, t.rows, len(own), t.file))
    return pd.DataFrame(out, columns=list(TABLE_COLUMNS))


def _field_rows(ws: Workspace, t: _RawTable, mapped: Mapping[str, list[str]], *,
                sample: int) -> list[dict[str, Any]]:
    cols = _columns(ws, t)
    name = _display(t.table, t.file)
    core, _ = _core_of(name, cols) if t.kind == "powerschool" else (name, None)
    with ws.cursor() as cur:
        profiles = profile_columns(cur, t.relation, cols, sample=sample)
    out = []
    for col in cols:
        table, field = name, col
        if t.kind == "powerschool" and "." in col:  # another table's field inside this file
            inner, _, field = col.rpartition(".")
            table = _display(inner)
        kind = _table_kind(table) if t.kind == "powerschool" else "oneroster"
        standard = kind == "core" and table == name
        qualified = f"{table.upper()}.{field.upper()}" if t.kind == "powerschool" else f"{table}.{field}"
        out.append({
            "source": t.source, "table": table, "field": field,
            "name": field if standard else f"{table}.{field}", "qualified": qualified, "kind": kind,
            "core_table": core,  # a field exported inside another table's file hangs off it
            "standard": standard, "used_as": _used_as(t, table, field, core, mapped), **profiles[col],
        })
    return out


def list_fields(ws: Workspace, source: str | None = None, *, table: str | None = None,
                sample: int = SAMPLE_ROWS) -> pd.DataFrame:
    """Every field of the loaded sources with its profile (see the module's docs), one row per
    (source, table, field); ``table`` keeps one table (any spelling)."""
    mapped = _mapped(ws)
    rows: list[dict[str, Any]] = []
    tables = _raw_tables(ws, source)
    if table is not None:
        tables = [t for t in tables if t.table == table.lower()]
        if not tables:
            known = sorted({_display(t.table, t.file) for t in _raw_tables(ws, source)})
            raise DiscoveryError(f"no table {table!r} is loaded; loaded: {', '.join(known)}")
    for t in tables:
        rows += _field_rows(ws, t, mapped, sample=sample)
    return pd.DataFrame(rows, columns=list(FIELD_COLUMNS))


def find_fields(ws: Workspace, text: str, source: str | None = None) -> pd.DataFrame:
    """The fields whose field-list name contains ``text`` (case-insensitive): the Filter box of
    PowerSchool's View Field List."""
    fields = list_fields(ws, source)
    return fields[fields["name"].str.contains(text, case=False, regex=False)].reset_index(drop=True)


def extension_groups(ws: Workspace, source: str | None = None) -> pd.DataFrame:
    """The extension tables of the PowerSchool sources (core fields, default, district and state
    extensions): what they hang off, their fields, and how many rows link to a row of their core
    table (``linked``) or to none (``orphans``: a wrong group or table name shows here)."""
    out = []
    for t in _raw_tables(ws, source):
        name = _display(t.table, t.file)
        if t.kind != "powerschool" or _table_kind(name) == "core":
            continue
        cols = _columns(ws, t)
        core, key = _core_of(name, cols)
        linked = orphans = None
        if core is not None and key is not None:
            core_raw = f'raw."{t.source}__{core.lower()}"'
            exists = ws.query("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' "
                              "AND table_name = ?", [f"{t.source}__{core.lower()}"])[0][0]
            if exists:
                linked, orphans = ws.query(
                    f"SELECT count(*) FILTER (WHERE c.dcid IS NOT NULL), "
                    f"count(*) FILTER (WHERE c.dcid IS NULL) FROM {t.relation} e "
                    f"LEFT JOIN (SELECT DISTINCT trim(dcid) AS dcid FROM {core_raw}) c "
                    f"ON c.dcid = trim(e.{_q(key)})")[0]
        fields = [c for c in cols if c != key]
        out.append({"source": t.source, "group": name, "kind": _table_kind(name), "core_table": core,
                    "key_column": key, "fields": len(fields), "field_names": fields,
                    "rows": t.rows, "linked": linked, "orphans": orphans})
    return pd.DataFrame(out, columns=["source", "group", "kind", "core_table", "key_column",
                                      "fields", "field_names", "rows", "linked", "orphans"])


def verify_fields(ws: Workspace, names: Iterable[str], source: str | None = None, *,
                  role: str = "Students") -> pd.DataFrame:
    """Check field names against what the sources hold: ``TABLE.FIELD`` (any case), or a bare
    View Field List name, which is a field of the ``role``'s own table (Students by default).
    One row per name: found, table, field and, for a name that is not there, a suggestion (the
    same field in another table, or the closest names)."""
    fields = list_fields(ws, source, sample=1)
    by_qualified = {q.lower(): (t, f) for q, t, f in zip(fields["qualified"], fields["table"],
                                                          fields["field"], strict=True)}
    out = []
    for raw_name in names:
        name = raw_name.strip()
        table, _, field = name.rpartition(".")
        table = table or role
        hit = by_qualified.get(f"{table}.{field}".lower())
        if hit:
            out.append({"name": raw_name, "found": True, "table": hit[0], "field": hit[1],
                        "suggestion": ""})
            continue
        same = sorted({q for q, (_, f) in by_qualified.items() if f == field.lower()})
        if same:
            hint = f"{field} is in {', '.join(s.upper() for s in same)}, not in {table}"
        else:
            close = difflib.get_close_matches(f"{table}.{field}".lower(), list(by_qualified),
                                              n=3, cutoff=0.6)
            hint = ("closest: " + ", ".join(c.upper() for c in close)) if close else "no close name"
        out.append({"name": raw_name, "found": False, "table": table, "field": field,
                    "suggestion": hint})
    return pd.DataFrame(out, columns=["name", "found", "table", "field", "suggestion"])


@dataclass(frozen=True)
class FieldProfile:
    """One field in depth: its profile row and its commonest values with their counts."""

    summary: dict[str, Any]
    values: pd.DataFrame  # value, rows, share (every row, not a sample)
    lengths: dict[str, int]  # min, max length of the filled values


def profile_field(ws: Workspace, table: str, field: str, *, source: str | None = None,
                  top: int = 20) -> FieldProfile:
    """The profile of one field and its ``top`` commonest values (counted over every row).
    Table and field names are matched without regard to case."""
    try:
        fields = list_fields(ws, source, table=table)
    except DiscoveryError:  # a field exported inside another table's file
        fields = list_fields(ws, source)
    in_table = fields[fields["table"].str.lower() == table.lower()]
    hit = in_table[in_table["field"].str.lower() == field.lower()]
    if hit.empty:
        raise DiscoveryError(f"{table}.{field} is not a loaded field; fields of {table}: "
                             + (", ".join(in_table["field"].tolist()[:40]) or "none"))
    summary = hit.iloc[0].to_dict()
    relation, col = _locate(ws, summary["source"], table, summary["field"])
    v = f"nullif(trim(CAST({_q(col)} AS VARCHAR)), '')"
    counts = ws.query(f"SELECT {v} AS value, count(*) AS n FROM {relation} GROUP BY 1 "
                      f"ORDER BY n DESC, value NULLS FIRST LIMIT ?", [top])
    total = max(int(summary["rows"]), 1)
    values = pd.DataFrame([(val, int(n), int(n) / total) for val, n in counts],
                          columns=["value", "rows", "share"])
    lo, hi = ws.query(f"SELECT min(length({v})), max(length({v})) FROM {relation}")[0]
    return FieldProfile(summary, values, {"min": int(lo or 0), "max": int(hi or 0)})


def _locate(ws: Workspace, source: str, table: str, field: str) -> tuple[str, str]:
    """(raw relation, column) holding ``table.field`` of ``source``: the table's own column, or
    a ``table.field`` column inside another table's file."""
    inline = f"{table.lower()}.{field.lower()}"
    for t in _raw_tables(ws, source):
        for col in _columns(ws, t):
            if (t.table == table.lower() and col.lower() == field.lower()) or col.lower() == inline:
                return t.relation, col
    raise DiscoveryError(f"{table}.{field} is not a loaded field of {source}")


# ---------------------------------------------------------------------------- the live server


def _rostering(table: str) -> bool:
    return table.lower() in SPECS or _table_kind(table) != "core"


def discover_api(client: Any, *, client_id: str | None = None, client_secret: str | None = None,
                 tables: Sequence[str] | None = None, sample: int = 500,
                 include_all: bool = False) -> pd.DataFrame:
    """Every field of the server's tables from their metadata, with the caller's ``access``
    (ViewOnly, FullAccess, NoAccess ...) and a profile of about ``sample`` rows of the fields it
    may read, from pages spread over the table. ``client`` is a
    ``workbench.sources.powerschool.PowerSchoolClient``, or the server's URL with the plugin's
    ``client_id`` / ``client_secret`` (else ``PS_CLIENT_ID`` / ``PS_CLIENT_SECRET``).

    By default the tables the workbench reads and every extension table; ``tables`` names others,
    ``include_all`` takes every table the server lists. Columns: those of ``list_fields`` with
    ``source`` = the server's URL, plus ``access``; ``rows`` is the table's full count, the other
    counts are of the sample.
    """
    if isinstance(client, str):
        from workbench.sources.powerschool import PowerSchoolClient, resolve_credentials

        with PowerSchoolClient(client, resolve_credentials(client_id, client_secret)) as own:
            return discover_api(own, tables=tables, sample=sample, include_all=include_all)
    listed = client.table_names() or []
    names = list(tables) if tables is not None else [t for t in listed if include_all or _rostering(t)]
    con = duckdb.connect(":memory:")
    out: list[dict[str, Any]] = []
    try:
        for table in names:
            out += _api_table(client, con, table, sample)
    finally:
        con.close()
    return pd.DataFrame(out, columns=[*FIELD_COLUMNS, "access"])


SAMPLE_PAGES = 4


def _api_sample(client: Any, table: str, columns: list[str], total: int,
                sample: int) -> list[Mapping[str, Any]]:
    """About ``sample`` rows of ``table``: up to ``SAMPLE_PAGES`` pages spread evenly over it
    (the first rows alone are the oldest records, not a fair sample)."""
    size = max(1, min(client.page_size(), -(-sample // SAMPLE_PAGES)))
    pages = -(-total // size)
    chosen = sorted({1 + (pages - 1) * i // max(1, SAMPLE_PAGES - 1) for i in range(SAMPLE_PAGES)})
    rows: list[Mapping[str, Any]] = []
    for page in chosen[: max(1, -(-sample // size))]:
        rows += client.table_page(table, columns, page, size)
    return rows


def _api_table(client: Any, con: duckdb.DuckDBPyConnection, table: str,
               sample: int) -> list[dict[str, Any]]:
    access = {c: a or "ViewOnly" for c, a in (client.table_access(table) or {}).items()}
    readable = [c for c, a in access.items() if a not in NO_ACCESS]
    name = _display(table)
    core, _ = _core_of(name, access)
    total = client.table_count(table)
    profiles: dict[str, dict[str, Any]] = {}
    if readable and total:
        rows = _api_sample(client, table, readable, total, sample)
        frame = pd.DataFrame([{c: r.get(c) for c in readable} for r in rows], columns=readable,
                             dtype=object)
        con.register("wb_api_sample", frame)
        profiles = profile_columns(con, "wb_api_sample", readable, sample=sample)
        con.unregister("wb_api_sample")
    kind = _table_kind(name)
    rows = []
    for col, acc in access.items():
        prof = profiles.get(col, {"rows": 0, "filled": 0, "fill_rate": 0.0, "distinct": 0,
                                  "type": "no access" if acc in NO_ACCESS else "empty",
                                  "type_share": 0.0, "patterns": "", "samples": [], "key": ""})
        rows.append({"source": client.url, "table": name, "field": col,
                     "name": col if kind == "core" else f"{name}.{col}",
                     "qualified": f"{name.upper()}.{col.upper()}", "kind": kind, "core_table": core,
                     "standard": kind == "core", "used_as": "", **prof, "rows": total,
                     "access": acc})
    return rows
