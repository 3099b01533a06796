"""The sync plan: what committing the candidate roster would change in the committed roster.

``build_plan`` compares ``cand.*`` (built by ``rules.build_candidate``) with the head version of the
committed roster, entity by entity, in DuckDB: inserts, updates with their field-level before and
after, and deletes (bulk upload mode: absence means delete; incremental mode: absence means
nothing). Every change gets the likely cause that explains it (``causes.py``), so that mass
changes are read as one decision, not ten thousand.

A plan is stored (schema ``sync``: ``plan``, ``plan_change``) under its content hash: the head
version, configuration version, loads, mode and every change. Holds (``hold.py``) are checked as
the plan is built.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from workbench.errors import InputError
from workbench.model.schema import ENTITIES, column_names
from workbench.rules.config import current_version, load_config
from workbench.sync import roster
from workbench.sync.causes import describe_cause, mark_causes
from workbench.sync.hold import HoldReason, check_holds
from workbench.sync.roster import committed_or_empty
from workbench.workspace import Workspace

NOT_PLANNED = "No plan was made; the committed roster is unchanged."
OPS = ("insert", "update", "delete")

# the school a record belongs to, for per-school counts and holds
SCHOOL = {
    "school": "sourced_id", "calendar": "school_sourced_id", "course": "school_sourced_id",
    "class": "school_sourced_id", "student": "school_sourced_id",
    "teacher": "school_sourced_ids[1]", "admin": "school_sourced_ids[1]", "contact": "NULL",
    "student_contact": "NULL", "enrollment": "school_sourced_id",
}
# child entity -> (reference column, parent entity) whose removal removes the child
DDL = (
    "CREATE SCHEMA IF NOT EXISTS sync",
    """CREATE TABLE IF NOT EXISTS sync.plan (
        plan_hash VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL, head_version BIGINT NOT NULL,
        config_version INTEGER, loads JSON NOT NULL, mode VARCHAR NOT NULL, today DATE NOT NULL,
        counts JSON NOT NULL, held BOOLEAN NOT NULL, hold_reasons JSON NOT NULL,
        causes JSON NOT NULL, fingerprint VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sync.plan_writeback (
        plan_hash VARCHAR NOT NULL, entity VARCHAR NOT NULL, sourced_id VARCHAR NOT NULL,
        source VARCHAR NOT NULL, source_id VARCHAR NOT NULL, attribute VARCHAR NOT NULL,
        source_value VARCHAR, value VARCHAR, correction_id BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sync.plan_change (
        plan_hash VARCHAR NOT NULL, entity VARCHAR NOT NULL, sourced_id VARCHAR NOT NULL,
        op VARCHAR NOT NULL, school_sourced_id VARCHAR, cause VARCHAR NOT NULL,
        cascade_of VARCHAR, diff STRUCT(field VARCHAR, "before" VARCHAR, "after" VARCHAR)[])""",
)


@dataclass(frozen=True)
class Cause:
    """One group of changes with a common likely cause."""

    cause: str
    changes: int
    by_entity: dict[str, dict[str, int]]

    @property
    def label(self) -> str:
        return describe_cause(self.cause)


@dataclass(frozen=True)
class Plan:
    """An immutable sync plan. ``counts[entity][op]``; ``causes`` biggest first."""

    hash: str
    head_version: int
    config_version: int | None
    loads: dict[str, int]
    mode: str
    today: dt.date
    counts: dict[str, dict[str, int]]
    held: bool
    hold_reasons: list[HoldReason]
    causes: list[Cause]
    created_at: dt.datetime = field(default_factory=dt.datetime.now)
    writebacks: int = 0

    def total(self, op: str | None = None) -> int:
        ops = OPS if op is None else (op,)
        return sum(c.get(o, 0) for c in self.counts.values() for o in ops)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``hash``, per entity ``insert``/``update``/``delete``, ``held``,
        ``hold_reasons``, ``causes``."""
        return {
            "hash": self.hash, "head_version": self.head_version,
            "config_version": self.config_version, "loads": self.loads, "mode": self.mode,
            "today": self.today.isoformat(), "entities": self.counts, "held": self.held,
            "hold_reasons": [r.to_dict() for r in self.hold_reasons],
            "causes": [{"cause": c.cause, "label": c.label, "changes": c.changes,
                        "by_entity": c.by_entity} for c in self.causes],
            "writebacks": self.writebacks,
        }


def ensure(cur: duckdb.DuckDBPyConnection) -> None:
    for ddl in DDL:
        cur.execute(ddl)


def diff_sql(entity: str) -> str:
    """List of (field, before, after) for the fields that differ between ``o`` and ``n``."""
    items = ", ".join(
        f"struct_pack(field := '{c}', \"before\" := CAST(o.\"{c}\" AS VARCHAR), "
        f"\"after\" := CAST(n.\"{c}\" AS VARCHAR))"
        for c in column_names(entity) if c not in ("load_id", "sourced_id"))
    return f"list_filter([{items}], lambda x: x.\"before\" IS DISTINCT FROM x.\"after\")"


def school_sql(entity: str, alias: str, students: str, links: str) -> str:
    """The school of a row: its own column; for a contact link the student's school, for a
    contact the first school of its linked students."""
    if entity == "student_contact":
        return (f"(SELECT s.school_sourced_id FROM {students} s "
                f"WHERE s.sourced_id = {alias}.student_sourced_id)")
    if entity == "contact":
        return (f"(SELECT min(s.school_sourced_id) FROM {links} l JOIN {students} s "
                f"ON s.sourced_id = l.student_sourced_id WHERE l.contact_sourced_id = {alias}.sourced_id)")
    return f"{alias}.{SCHOOL[entity]}"


def _changes_sql(entity: str, committed: str, incremental: bool,
                 old: tuple[str, str], new: tuple[str, str]) -> str:
    o_school, n_school = school_sql(entity, "o", *old), school_sql(entity, "n", *new)
    deletes = "AND n.sourced_id IS NOT NULL" if incremental else ""
    return f"""
        SELECT '{entity}' AS entity, coalesce(n.sourced_id, o.sourced_id) AS sourced_id,
               CASE WHEN o.sourced_id IS NULL THEN 'insert' WHEN n.sourced_id IS NULL THEN 'delete'
                    ELSE 'update' END AS op,
               CAST(coalesce({n_school}, {o_school}) AS VARCHAR) AS school_sourced_id,
               CASE WHEN o.sourced_id IS NOT NULL AND n.sourced_id IS NOT NULL
                    THEN {diff_sql(entity)} END AS diff
        FROM {committed} o FULL OUTER JOIN cand."{entity}" n ON n.sourced_id = o.sourced_id
        WHERE (o.sourced_id IS NULL OR n.sourced_id IS NULL
               OR ({_content(entity, "o")} IS DISTINCT FROM {_content(entity, "n")}
                   AND len({diff_sql(entity)}) > 0)) {deletes}"""


def _content(entity: str, alias: str) -> str:
    """The row's content as one value: a cheap test that lets the field-level diff list be built
    for changed rows only (no column is a float, so equal values also cast to equal text)."""
    return "row(" + ", ".join(f'{alias}."{c}"' for c in column_names(entity) if c != "load_id") + ")"


def _collect(cur: duckdb.DuckDBPyConnection, incremental: bool) -> None:
    """Temp table ``_plan`` of every change, without causes yet: one statement per entity (one
    UNION ALL of the ten joins builds their hash tables at once and needs several times the
    memory)."""
    old = (committed_or_empty(cur, "student"), committed_or_empty(cur, "student_contact"))
    new = ('cand."student"', 'cand."student_contact"')
    for i, entity in enumerate(ENTITIES):
        sql = _changes_sql(entity, committed_or_empty(cur, entity), incremental, old, new)
        cur.execute(("INSERT INTO _plan " if i else "CREATE OR REPLACE TEMP TABLE _plan AS ") + sql)
    cur.execute("ALTER TABLE _plan ADD COLUMN cause VARCHAR")
    cur.execute("ALTER TABLE _plan ADD COLUMN cascade_of VARCHAR")


def _counts(cur: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    rows = cur.execute("SELECT entity, op, count(*) FROM _plan GROUP BY ALL").fetchall()
    counts = {e: dict.fromkeys(OPS, 0) for e in ENTITIES}
    for entity, op, n in rows:
        counts[entity][op] = int(n)
    return counts


def _causes(cur: duckdb.DuckDBPyConnection) -> list[Cause]:
    rows = cur.execute("""SELECT cause, entity, op, count(*) FROM _plan GROUP BY ALL""").fetchall()
    grouped: dict[str, dict[str, dict[str, int]]] = {}
    for cause, entity, op, n in rows:
        grouped.setdefault(cause, {}).setdefault(entity, {})[op] = int(n)
    causes = [Cause(c, sum(sum(o.values()) for o in e.values()), e) for c, e in grouped.items()]
    return sorted(causes, key=lambda c: (-c.changes, c.cause))


def _fingerprint(cur: duckdb.DuckDBPyConnection) -> str:
    """Order-independent digest of every change (entity, ID, op, field diff)."""
    row = cur.execute("""SELECT count(*), coalesce(sum(hash(entity, sourced_id, op,
        CAST(diff AS VARCHAR))::HUGEINT), 0) FROM _plan""").fetchone()
    return f"{row[0]}:{row[1]}" if row else "0:0"


def source_loads(ws: Workspace) -> dict[str, int]:
    rows = ws.query("SELECT source, max(load_id) FROM meta.load GROUP BY 1 ORDER BY 1")
    return {str(s): int(i) for s, i in rows}


def _config_version(ws: Workspace) -> int | None:
    latest = current_version(ws)
    return latest.version if latest else None


def build_plan(ws: Workspace, config: Mapping[str, Any] | None = None, *,
               today: dt.date | None = None) -> Plan:
    """Build, store and return the plan of committing ``cand.*`` now."""
    cfg = dict(config) if config is not None else load_config(ws)
    today = today or dt.date.today()
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'cand' LIMIT 1"):
        raise InputError.one("there is no candidate roster to plan from", field="cand",
                             hint="load a source and build the candidate roster first "
                             "(workbench preview)", outcome=NOT_PLANNED)
    incremental = bool((cfg.get("advanced") or {}).get("incremental_sync")) or not bool(
        (cfg.get("advanced") or {}).get("bulk_upload_mode", True))
    mode = "incremental" if incremental else "bulk"
    head = roster.head_version(ws)
    loads, config_version = source_loads(ws), _config_version(ws)
    with ws.transaction() as cur:
        ensure(cur)
        _collect(cur, incremental)
        mark_causes(cur, today)
        counts, causes = _counts(cur), _causes(cur)
        fingerprint = _fingerprint(cur)
        writebacks = _writebacks(cur, cfg)
        basis = json.dumps({"head": head, "config": config_version, "loads": loads, "mode": mode,
                            "changes": fingerprint, "writebacks": writebacks}, sort_keys=True)
        plan_hash = hashlib.sha256(basis.encode()).hexdigest()[:16]
        reasons = check_holds(cur, cfg, head, today)
        plan = Plan(plan_hash, head, config_version, loads, mode, today, counts, bool(reasons),
                    reasons, causes, writebacks=int(writebacks.split(":")[0]))
        _store(cur, plan, fingerprint)
    return plan


def _writebacks(cur: duckdb.DuckDBPyConnection, config: Mapping[str, Any]) -> str:
    """Temp table ``_plan_wb``: steward corrections to send back to two-way sources; its digest."""
    from workbench.rules.corrections import ensure as ensure_corrections
    from workbench.rules.corrections import pending_writebacks_sql, two_way_sources

    ensure_corrections(cur)
    sql = pending_writebacks_sql(config)
    if sql is None:
        cur.execute("CREATE OR REPLACE TEMP TABLE _plan_wb AS SELECT * FROM sync.plan_writeback "
                    "EXCLUDE (plan_hash) LIMIT 0")
    else:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _plan_wb AS {sql}",
                    {"two_way": two_way_sources(config)})
    row = cur.execute("""SELECT count(*), coalesce(sum(hash(entity, sourced_id, attribute,
        value))::HUGEINT, 0) FROM _plan_wb""").fetchone()
    return f"{row[0]}:{row[1]}" if row else "0:0"


def _store(cur: duckdb.DuckDBPyConnection, plan: Plan, fingerprint: str) -> None:
    cur.execute("DELETE FROM sync.plan_change WHERE plan_hash = ?", [plan.hash])
    cur.execute("DELETE FROM sync.plan WHERE plan_hash = ?", [plan.hash])
    doc = plan.to_dict()
    cur.execute("INSERT INTO sync.plan VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [plan.hash, plan.created_at, plan.head_version, plan.config_version,
                 json.dumps(plan.loads), plan.mode, plan.today, json.dumps(plan.counts), plan.held,
                 json.dumps(doc["hold_reasons"]), json.dumps(doc["causes"]), fingerprint])
    cur.execute("""INSERT INTO sync.plan_change SELECT ?, entity, sourced_id, op, school_sourced_id,
        cause, cascade_of, diff FROM _plan""", [plan.hash])
    cur.execute("DELETE FROM sync.plan_writeback WHERE plan_hash = ?", [plan.hash])
    cur.execute("""INSERT INTO sync.plan_writeback SELECT ?, entity, sourced_id, source, source_id,
        attribute, source_value, value, correction_id FROM _plan_wb""", [plan.hash])


def _frame(ws: Workspace, sql: str, params: Any) -> pd.DataFrame:
    cur = ws.cursor()
    try:
        return cur.execute(sql, params).df()
    finally:
        cur.close()


def plan_changes(ws: Workspace, plan_hash: str, *, entity: str | None = None,
                 op: str | None = None, cause: str | None = None, cascades: bool | None = None,
                 limit: int = 1000) -> pd.DataFrame:
    """Changes of a stored plan (filters optional), with their field-level diff."""
    return _frame(ws, """SELECT entity, sourced_id, op, school_sourced_id, cause, cascade_of, diff
        FROM sync.plan_change WHERE plan_hash = $h AND ($e IS NULL OR entity = $e)
          AND ($o IS NULL OR op = $o) AND ($c IS NULL OR cause = $c)
          AND ($k IS NULL OR (cascade_of IS NOT NULL) = $k)
        ORDER BY entity, op, sourced_id LIMIT $n""",
                  {"h": plan_hash, "e": entity, "o": op, "c": cause, "k": cascades, "n": limit})


def field_changes(ws: Workspace, plan_hash: str, *, entity: str | None = None,
                  cause: str | None = None, limit: int = 1000) -> pd.DataFrame:
    """One row per changed field of the plan's updates: entity, ID, field, before, after."""
    return _frame(ws, """SELECT entity, sourced_id, d.field, d."before", d."after", cause
        FROM (SELECT entity, sourced_id, cause, unnest(diff) AS d FROM sync.plan_change
              WHERE plan_hash = $h AND op = 'update' AND ($e IS NULL OR entity = $e)
                AND ($c IS NULL OR cause = $c))
        ORDER BY entity, sourced_id, d.field LIMIT $n""",
                  {"h": plan_hash, "e": entity, "c": cause, "n": limit})


def plan_writebacks(ws: Workspace, plan_hash: str) -> pd.DataFrame:
    """Steward corrections this plan would send back to their two-way source."""
    return _frame(ws, """SELECT entity, sourced_id, source, source_id, attribute, source_value,
        value, correction_id FROM sync.plan_writeback WHERE plan_hash = ? ORDER BY ALL""",
                  [plan_hash])


def school_counts(ws: Workspace, plan_hash: str) -> pd.DataFrame:
    """Changes per school, entity and op (for the heat map)."""
    return _frame(ws, """SELECT coalesce(school_sourced_id, '(none)') AS school, entity, op,
        count(*) AS changes FROM sync.plan_change WHERE plan_hash = ? GROUP BY ALL ORDER BY ALL""",
                  [plan_hash])


def get_plan(ws: Workspace, plan_hash: str) -> Plan:
    """A stored plan by its hash (a unique prefix will do)."""
    from workbench.sync.hold import HoldReason

    rows = []
    if ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'sync' AND table_name = 'plan'"):
        rows = ws.query("""SELECT plan_hash, head_version, config_version, loads, mode, today, counts,
            held, hold_reasons, causes, created_at FROM sync.plan WHERE starts_with(plan_hash, ?)""",
                        [plan_hash])
    if len(rows) != 1:
        raise InputError.one(f"no plan {plan_hash!r}" if not rows else
                             f"{plan_hash!r} names {len(rows)} plans", field="plan",
                             hint="make one with `workbench plan WORKSPACE`; it prints the hash",
                             outcome=NOT_PLANNED)
    r = rows[0]
    reasons = [HoldReason(**{**h, "causes": [tuple(c) for c in h["causes"]]}) for h in json.loads(r[8])]
    causes = [Cause(c["cause"], c["changes"], c["by_entity"]) for c in json.loads(r[9])]
    writebacks = ws.query("SELECT count(*) FROM sync.plan_writeback WHERE plan_hash = ?", [r[0]])
    return Plan(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], json.loads(r[6]), r[7], reasons,
                causes, r[10], int(writebacks[0][0]))


def current_fingerprint(cur: duckdb.DuckDBPyConnection, mode: str) -> str:
    """The change digest a plan of ``mode`` would have now (to tell a stale plan)."""
    _collect(cur, mode == "incremental")
    return _fingerprint(cur)


def latest_plan(ws: Workspace) -> Plan | None:
    """The plan built last, or None."""
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'sync' AND table_name = 'plan'"):
        return None
    rows = ws.query("SELECT plan_hash FROM sync.plan ORDER BY created_at DESC LIMIT 1")
    return get_plan(ws, rows[0][0]) if rows else None


def committed_version(ws: Workspace, plan_hash: str) -> int | None:
    """The version a plan was committed as, or None."""
    if not roster.head_version(ws):
        return None
    rows = ws.query("SELECT version FROM roster.version WHERE plan_hash = ?", [plan_hash])
    return int(rows[0][0]) if rows else None


def changed_fields(ws: Workspace, plan_hash: str) -> pd.DataFrame:
    """Per entity and field, how many updates of the plan change it."""
    return _frame(ws, """SELECT entity, d.field, count(*) AS updates
        FROM (SELECT entity, unnest(diff) AS d FROM sync.plan_change
              WHERE plan_hash = ? AND op = 'update') GROUP BY ALL ORDER BY updates DESC, entity, d.field""",
                  [plan_hash])
