"""Attribute mapping: a canonical attribute taken from another source field.

The configuration's ``attributes`` section says, per entity, which source field fills a canonical
attribute, e.g. ``student.email <- U_DEF_EXT_STUDENTS.student_email`` (a district keeps student
emails in an extension) or ``student.identifier <- Students.State_StudentNumber``. Fields of the
entity's own PowerSchool table and of extension tables (``U_*``, ``S_*``, ``StudentCoreFields``,
kept in the ``extensions`` JSON) are read from the source's raw tables. Values are bound
parameters; table and column names are checked against what the source actually has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from workbench.errors import InputError, Problem
from workbench.model.macros import install_macros
from workbench.model.schema import columns
from workbench.sources.base import raw_columns

# entity -> (PowerSchool table, SQL giving the canonical source_id from that table's row)
MAIN_TABLE: dict[str, tuple[str, str]] = {
    "student": ("students", "'S' || trim(r.dcid)"),
    "teacher": ("users", "'T' || trim(r.dcid)"),
    "admin": ("users", "'T' || trim(r.dcid)"),
    "contact": ("person", "'C' || trim(r.id)"),
    "class": ("sections", "trim(r.dcid)"),
    "course": ("courses", "trim(r.dcid)"),
    "school": ("schools", "trim(r.school_number)"),
    "calendar": ("terms", "trim(r.schoolid) || '-' || trim(r.id)"),
    "enrollment": ("cc", "'E' || trim(r.dcid)"),
}
NOT_MAPPABLE = {"sourced_id", "source", "source_id", "load_id", "extensions"}


@dataclass(frozen=True)
class Mapping:
    entity: str
    attribute: str
    table: str  # lower-case
    field: str  # lower-case
    source: str | None


def parse_mappings(config: dict[str, Any]) -> list[Mapping]:
    out = []
    for entity, attrs in sorted((config.get("attributes") or {}).items()):
        for attribute, spec in sorted(attrs.items()):
            table, _, field = spec["field"].rpartition(".")
            out.append(Mapping(entity, attribute, table.lower(), field.lower(), spec.get("source")))
    return out


def _cast(entity: str, attribute: str, expr: str) -> str:
    kind = next(c.type for c in columns(entity) if c.name == attribute).split()[0]
    if kind == "DATE":
        return f"wb_date({expr})"
    if kind == "BOOLEAN":
        return f"wb_bool({expr})"
    if kind.endswith("[]"):
        return f"CASE WHEN wb_text({expr}) IS NOT NULL THEN [trim({expr})] END"
    if kind == "VARCHAR":
        return f"wb_text({expr})"
    return f"TRY_CAST(wb_text({expr}) AS {kind})"


def _update_sql(m: Mapping, schema: str, source: str, cols: set[str]) -> str | None:
    """The UPDATE for one mapping and one PowerSchool source, or None if the field is absent."""
    table_name, key = MAIN_TABLE.get(m.entity, (None, None))
    target = f'{schema}."{m.entity}"'
    if m.table in ("", table_name) and m.field in cols:
        value = f'r."{m.field}"'
    elif m.entity == "student" and m.table.startswith(("u_", "s_", "studentcorefields")):
        return (f'UPDATE {target} SET "{m.attribute}" = '
                f"{_cast(m.entity, m.attribute, 'json_extract_string(extensions, $key)')} "
                "WHERE source = $source")
    else:
        return None
    return (f'UPDATE {target} t SET "{m.attribute}" = {_cast(m.entity, m.attribute, value)} '
            f'FROM raw."{source}__{table_name}" r WHERE t.source = $source AND t.source_id = {key}')


def apply_attribute_mappings(
    cur: duckdb.DuckDBPyConnection, config: dict[str, Any], sources: list[dict[str, Any]],
    *, schema: str = "cand",
) -> list[Problem]:
    """Fill mapped attributes in ``schema``; returns problems for fields no source has."""
    install_macros(cur)
    problems = []
    ps_sources = [s["name"] for s in sources if s["kind"] == "powerschool"]
    for m in parse_mappings(config):
        if m.attribute in NOT_MAPPABLE:
            raise InputError.one(f"{m.attribute} cannot be mapped", field=f"attributes.{m.entity}",
                                 hint="map a data attribute, not a lineage column",
                                 outcome="Nothing was saved; the configuration is unchanged.")
        applied = False
        for source in ps_sources if m.source is None else [m.source]:
            if source not in ps_sources:
                continue
            table = MAIN_TABLE.get(m.entity, ("", ""))[0] if m.table in ("",) else m.table
            sql = _update_sql(m, schema, source, set(raw_columns(cur, source, table)))
            if sql is None:
                continue
            params: dict[str, Any] = {"source": source}
            if "$key" in sql:
                params["key"] = f"{m.table}.{m.field}"
            cur.execute(sql, params)
            applied = True
        if not applied:
            problems.append(Problem(
                f"no loaded PowerSchool source has the field {m.table}.{m.field}",
                field=f"attributes.{m.entity}.{m.attribute}",
                hint="check the field name against the extract's headers (Field discovery)",
            ))
    return problems
