"""Read-only views of the canonical roster that the steward's pages show (lists, not rules)."""

from __future__ import annotations

from typing import Any

from .model.schema import COMMON, ENTITIES, column_names, columns
from .workspace import Workspace

_LINEAGE = {c.name for c in COMMON}
FINDING_COLUMNS = ("entity", "sourced_id", "source", "school_sourced_id", "attribute", "rule",
                   "severity", "value", "message")

_SCHOOLS_SQL = """
SELECT s.sourced_id, s.name, s.org_type, s.school_number, s.source,
       count(st.sourced_id) AS students
FROM stg.school AS s
LEFT JOIN stg.student AS st ON st.school_sourced_id = s.sourced_id
GROUP BY s.sourced_id, s.name, s.org_type, s.school_number, s.source
ORDER BY s.org_type <> 'district', s.name, s.sourced_id
"""
_SCHOOL_COLUMNS = ("sourced_id", "name", "org_type", "school_number", "source", "students")


def list_schools(ws: Workspace) -> list[dict[str, Any]]:
    """Every organisation of the workspace (district first, then schools by name), with its
    number of students: what the schools mapping chooses from."""
    rows = ws.query(_SCHOOLS_SQL)
    return [dict(zip(_SCHOOL_COLUMNS, r, strict=True)) for r in rows]


def _school_of(entity: str) -> str:
    """The SQL expression of a record's school (trusted text from the canonical schema)."""
    names = column_names(entity)
    if entity == "school":
        return "t.sourced_id"
    if "school_sourced_id" in names:
        return "t.school_sourced_id"
    if "school_sourced_ids" in names:
        return "t.school_sourced_ids[1]"
    if entity == "contact":  # a contact counts at its first linked student's school
        return ("(SELECT min(s.school_sourced_id) FROM stg.student_contact AS l JOIN stg.student AS s "
                "ON s.sourced_id = l.student_sourced_id WHERE l.contact_sourced_id = t.sourced_id)")
    if entity == "student_contact":
        return "(SELECT s.school_sourced_id FROM stg.student AS s WHERE s.sourced_id = t.student_sourced_id)"
    return "NULL"


def missing_values(ws: Workspace, entity: str) -> list[dict[str, Any]]:
    """Missing values (NULL, blank text, empty list) per attribute and school of one entity:
    one row per (school_sourced_id, school_name, attribute) with ``missing`` and ``records``."""
    if entity not in ENTITIES:
        raise ValueError(f"not a canonical entity: {entity!r}")
    attrs = [c for c in columns(entity) if c.name not in _LINEAGE]
    counts = ", ".join(f'count(*) FILTER (WHERE {_missing_sql(c.name, c.type)}) AS "{c.name}"'
                       for c in attrs)
    sql = (f"SELECT {_school_of(entity)} AS school, count(*) AS records, {counts} "
           f'FROM stg."{entity}" AS t GROUP BY ALL')
    names = {s["sourced_id"]: s["name"] for s in list_schools(ws)}
    out = []
    for row in ws.query(sql):
        school, records, values = row[0], int(row[1]), row[2:]
        out += [{"school_sourced_id": school, "school_name": names.get(school, school or "(none)"),
                 "attribute": c.name, "missing": int(n), "records": records}
                for c, n in zip(attrs, values, strict=True)]
    return out


def _missing_sql(name: str, type_: str) -> str:
    col = f't."{name}"'
    if type_.endswith("[]"):
        return f"({col} IS NULL OR len({col}) = 0)"
    if type_.startswith(("VARCHAR", "JSON")):
        return f"({col} IS NULL OR trim(CAST({col} AS VARCHAR)) = '')"
    return f"({col} IS NULL)"


def _findings(schema: str) -> tuple[str, str]:
    """(schema, table) of the findings of a built ``schema`` (see ``rules.build_candidate``)."""
    from .rules.candidate import findings_table

    where, _, table = findings_table(schema).partition(".")
    return where, table


def _has_findings(ws: Workspace, schema: str = "cand") -> bool:
    return bool(ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = ? "
                         "AND table_name = ?", list(_findings(schema))))


def finding_counts(ws: Workspace, schema: str = "cand") -> list[dict[str, Any]] | None:
    """Findings on the candidate roster (or on a draft built in ``schema``) per entity, rule and
    severity; None before a build."""
    if not _has_findings(ws, schema):
        return None
    table = ".".join(_findings(schema))
    rows = ws.query(f"SELECT entity, rule, severity, count(*) FROM {table} GROUP BY ALL "
                    "ORDER BY 4 DESC, 1, 2")
    return [{"entity": e, "rule": r, "severity": s, "findings": int(n)} for e, r, s, n in rows]


def findings(ws: Workspace, limit: int = 100_000, schema: str = "cand") -> list[dict[str, Any]] | None:
    """The findings on the candidate roster (``dq.finding``; a draft's: ``schema``), at most
    ``limit``, or None before one was built."""
    if not _has_findings(ws, schema):
        return None
    cols = ", ".join(FINDING_COLUMNS)
    table = ".".join(_findings(schema))
    rows = ws.query(f"SELECT {cols} FROM {table} ORDER BY severity, rule, entity, sourced_id "
                    "LIMIT ?", [limit])
    return [dict(zip(FINDING_COLUMNS, r, strict=True)) for r in rows]
