"""The candidate roster: what a sync would deliver under a configuration, and why the rest is not.

``build_candidate`` replaces schema ``cand`` with one table per canonical entity (the columns of
``stg``), ``cand.dropped`` (every record not delivered, with the rule that dropped it and why) and
``dq.finding`` (one long-form table of findings on delivered records: quarantined values as
``warning``, ``report_if_missing`` as ``error``). The decisions themselves are in
``workbench.rules.decisions``. When ``link.cluster`` holds duplicate clusters, each cluster's
delivered members become its golden record and references follow (``workbench.rules.merge``).
Findings are about the records as loaded, less those the delivered record no longer has (a value
its golden record or a steward's correction fills: ``settle_findings``).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from workbench.errors import InputError
from workbench.model.schema import ENTITIES
from workbench.rules.compile import (
    NOT_APPLIED,
    Scope,
    Sql,
    attribute_kind,
    compose,
    ident,
    join,
    param,
    raw,
)
from workbench.rules.config import validate_config
from workbench.rules.corrections import apply_corrections
from workbench.rules.decisions import (
    column_type,
    dec,
    decision_statements,
    enrollment_select,
    lineage_refusal,
    link_select,
    missing,
)
from workbench.rules.merge import merge_duplicates
from workbench.rules.prepare import prepared
from workbench.rules.quarantine import checks, quarantined
from workbench.workspace import Workspace

_SCHEMA = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FINDING_COLUMNS = ("entity", "sourced_id", "source", "school_sourced_id", "attribute", "rule",
                   "severity", "value", "message")


@dataclass(frozen=True)
class CandidateSummary:
    """Counts of a built candidate roster."""

    schema: str
    kept: dict[str, int]
    dropped: dict[str, int]
    dropped_by_rule: dict[str, int]
    findings: dict[str, int]
    seconds: float
    notes: tuple[str, ...] = ()


def check_config(config: Mapping[str, Any]) -> None:
    """Validate, and refuse what cannot be compiled (masked IDs)."""
    validate_config(dict(config))
    bad = lineage_refusal(config)
    if bad:
        raise InputError.one(f"{bad[0]}: an ID or lineage column cannot be masked", field=bad[0],
                             hint="mask other attributes; IDs are always delivered",
                             outcome=NOT_APPLIED)


def execute(cur: duckdb.DuckDBPyConnection, statement: Sql) -> duckdb.DuckDBPyConnection:
    """The one place rule SQL is run; a rule DuckDB cannot evaluate is an input error."""
    try:
        return cur.execute(statement.text, list(statement.params))
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        raise InputError.one(f"a rule could not be evaluated: {exc}",
                             hint="check the patterns of matches_pattern conditions",
                             outcome=NOT_APPLIED) from exc


@contextmanager
def private_cursor(ws: Workspace) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of our own: its temporary tables are invisible to everyone else."""
    cur = ws.cursor()
    try:
        yield cur
    finally:
        cur.close()


def decide(cur: duckdb.DuckDBPyConnection, config: Mapping[str, Any], scope: Scope) -> None:
    """Fill the ``_dec_*`` temporary tables of ``cur`` for every entity."""
    for statement in decision_statements(config, scope):
        execute(cur, statement)
    for entity, select in (("student_contact", link_select(config, scope)),
                           ("enrollment", enrollment_select(config, scope))):
        execute(cur, compose(f"CREATE OR REPLACE TEMP TABLE {dec(entity)} AS {{}}", select))


def _projection(entity: str, config: Mapping[str, Any], scope: Scope) -> Sql:
    """``t.*`` with quarantined values and masked attributes replaced."""
    masks = [a for a, r in ((config.get("requirements") or {}).get(entity) or {}).items()
             if r == "mask"]
    replaced = [compose(f"NULL::{column_type(entity, a)} AS {ident(a)}") for a in masks]
    for name in [c.attribute for c in checks(entity)] + (["emails"] if entity == "contact" else []):
        q = quarantined(entity, name, scope)
        if q is not None and name not in masks:
            replaced.append(compose(f"{{}} AS {ident(name)}", q))
    return compose("t.* REPLACE ({})", join(replaced, ", ")) if replaced else raw("t.*")


def _kept(entity: str) -> str:
    return (f"JOIN {dec(entity)} AS d ON d.source = t.source AND d.sourced_id = t.sourced_id "
            f"AND d.rule IS NULL")


def _entity_table(schema: str, entity: str, config: Mapping[str, Any], scope: Scope) -> Sql:
    return compose(f"CREATE TABLE {schema}.{ident(entity)} AS SELECT {{}} FROM "
                   f"{scope.rel(entity)} AS t {_kept(entity)}", _projection(entity, config, scope))


def _dropped_table(schema: str, scope: Scope) -> Sql:
    parts = [f"SELECT '{e}' AS entity, sourced_id, source, school_sourced_id, rule, reason "
             f"FROM {dec(e)} WHERE rule IS NOT NULL" for e in ENTITIES]
    if scope.read != "stg":  # records the preparation (e.g. terms merge) replaced
        parts.append(f"SELECT entity, sourced_id, source, school_sourced_id, rule, reason "
                     f"FROM {scope.read}.dropped")
    return raw(f"CREATE TABLE {schema}.dropped AS " + " UNION ALL ".join(parts))


def _finding(entity: str, attribute: str, when: Sql, rule: str, severity: str,
             message: str, scope: Scope) -> Sql:
    return compose(
        f"SELECT '{entity}', t.sourced_id, t.source, d.school_sourced_id, '{attribute}', "
        f"'{rule}', '{severity}', CAST(t.{ident(attribute)} AS VARCHAR), '{message}' "
        f"FROM {scope.rel(entity)} AS t {_kept(entity)} WHERE {{}}", when)


def finding_selects(config: Mapping[str, Any], scope: Scope) -> list[Sql]:
    """Quarantined values (warning) and report_if_missing (error) on delivered records."""
    out = []
    for entity in ENTITIES:
        for check in checks(entity):
            out.append(_finding(entity, check.attribute, check.invalid(scope.col(check.attribute),
                                scope), check.rule, "warning", check.message, scope))
        reqs = (config.get("requirements") or {}).get(entity) or {}
        for attribute, req in reqs.items():
            if req == "report_if_missing":
                kind = attribute_kind(entity, attribute)
                out.append(_finding(entity, attribute, missing(scope.col(attribute), kind),
                                    "report_if_missing", "error",
                                    f"{attribute} is missing (report if missing)", scope))
    missing_schools = _missing_schools(config, scope)
    if missing_schools is not None:
        out.append(missing_schools)
    return out


def _missing_schools(config: Mapping[str, Any], scope: Scope) -> Sql | None:
    """Schools the mapping selects that no loaded source has (``schools.flag_missing``)."""
    schools = config.get("schools") or {}
    selected = list(schools.get("selected") or [])
    if schools.get("mode") != "selected" or not schools.get("flag_missing", True) or not selected:
        return None
    return compose(
        "SELECT 'school', u.sid, NULL, u.sid, 'sourced_id', 'school_missing', 'error', u.sid, "
        "'mapped school ' || u.sid || ' is in no loaded source: check the extract or the schools "
        f"mapping' FROM (SELECT unnest({{}}) AS sid) AS u WHERE u.sid NOT IN "
        f"(SELECT sourced_id FROM {scope.rel('school')})", param(selected, "VARCHAR[]"))


def findings_table(schema: str) -> str:
    """Where a build of ``schema`` keeps its findings: ``dq.finding`` for the candidate roster
    (``cand``), ``<schema>.finding`` for any other (a draft never replaces the steward's)."""
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a candidate schema name: {schema!r}")
    return "dq.finding" if schema == "cand" else f"{schema}.finding"


def _findings_table(config: Mapping[str, Any], scope: Scope, target: str) -> Sql:
    cols = ", ".join(FINDING_COLUMNS)
    body = join(finding_selects(config, scope), " UNION ALL ")
    return compose(f"CREATE OR REPLACE TABLE {target} ({cols}) AS SELECT * FROM ({{}}) "
                   "ORDER BY 1, 2, 5", body)


def settle_findings(cur: duckdb.DuckDBPyConnection, schema: str) -> int:
    """Drop the findings the delivered record no longer has: a value quarantined or missing as
    loaded that its golden record (a duplicate merge) or a steward's correction fills. Returns
    the findings dropped."""
    target = findings_table(schema)
    pairs = cur.execute(f"SELECT DISTINCT entity, attribute FROM {target} "
                        "WHERE rule <> 'school_missing' ORDER BY 1, 2").fetchall()
    dropped = 0
    for entity, attribute in pairs:
        if entity not in ENTITIES:
            continue
        gone = missing(raw(f"c.{ident(attribute)}"), attribute_kind(entity, attribute))
        row = execute(cur, compose(
            f"DELETE FROM {target} AS f USING {schema}.{ident(entity)} AS c "
            "WHERE f.entity = {} AND f.attribute = {} AND f.rule <> 'school_missing' "
            "AND c.sourced_id = f.sourced_id AND NOT {}",
            param(entity, "VARCHAR"), param(attribute, "VARCHAR"), gone)).fetchone()
        dropped += int(row[0]) if row else 0
    return dropped


def materialise(cur: duckdb.DuckDBPyConnection, schema: str, config: Mapping[str, Any],
                scope: Scope) -> None:
    """Replace the candidate schema and its findings in one transaction."""
    cur.execute("BEGIN TRANSACTION")
    try:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        cur.execute(f"CREATE SCHEMA {schema}")
        for entity in ENTITIES:
            execute(cur, _entity_table(schema, entity, config, scope))
        execute(cur, _dropped_table(schema, scope))
        merge_duplicates(cur, schema, config)
        apply_corrections(cur, schema)
        execute(cur, _findings_table(config, scope, findings_table(schema)))
        settle_findings(cur, schema)
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    cur.execute("COMMIT")


def summarise(cur: duckdb.DuckDBPyConnection, schema: str, seconds: float,
              notes: list[str]) -> CandidateSummary:
    kept = {e: cur.execute(f"SELECT count(*) FROM {schema}.{ident(e)}").fetchone()[0]  # type: ignore[index]
            for e in ENTITIES}
    dropped = dict(cur.execute(f"SELECT entity, count(*) FROM {schema}.dropped GROUP BY 1").fetchall())
    by_rule = cur.execute(f"SELECT entity || ': ' || rule, count(*) FROM {schema}.dropped "
                          "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    findings = cur.execute(f"SELECT rule, count(*) FROM {findings_table(schema)} GROUP BY 1 "
                           "ORDER BY 1").fetchall()
    return CandidateSummary(schema, kept, {e: dropped.get(e, 0) for e in ENTITIES}, dict(by_rule),
                            dict(findings), round(seconds, 3), tuple(notes))


def build_candidate(ws: Workspace, config: Mapping[str, Any], *, today: dt.date | None = None,
                    schema: str = "cand") -> CandidateSummary:
    """Materialise the candidate roster of ``config`` in ``schema`` (replaced) and its findings
    (``dq.finding`` for ``cand``; ``<schema>.finding`` for a draft schema, leaving the candidate
    roster's untouched)."""
    if not _SCHEMA.match(schema) or schema in ("stg", "raw", "meta", "dq"):
        raise ValueError(f"not a candidate schema name: {schema!r}")
    check_config(config)
    started = time.perf_counter()
    with private_cursor(ws) as cur, prepared(cur, dict(config), ws.sources()) as (read, notes):
        scope = Scope(today=today or dt.date.today(), read=read)
        decide(cur, config, scope)
        materialise(cur, schema, config, scope)
        return summarise(cur, schema, time.perf_counter() - started, notes)
