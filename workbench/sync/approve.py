"""Approval of a plan, whole or in part, and the roster that the approved part would make.

A selection is two lists of filters, ``include`` and ``exclude``; a filter names any of
``entity``, ``school``, ``op``, ``cause`` (``school_missing`` matches ``school_missing:100``),
``sourced_id`` and ``field``. A change is approved when an include filter matches it (no include
filters: every change) and no exclude filter does. A filter with a ``field`` approves or leaves
out that one field of an update. So "everything but the deletes of school 100" is
``exclude=[{"school": "100", "op": "delete"}]``.

The approved part must stand on its own: an approved enrollment needs its class and its user, a
contact link its student and contact, a class its course and school, in the roster it would make;
and a parent cannot be deleted while a child stays. Otherwise the approval is refused and every
reason is named. Approving past a hold needs a written reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from workbench.errors import InputError, Problem, WorkbenchError
from workbench.model.schema import ENTITIES, column_names
from workbench.workspace import Workspace, author_name

NOT_APPROVED = "Nothing was approved; the committed roster is unchanged."
FILTER_KEYS = ("entity", "school", "op", "cause", "sourced_id", "field")
# child entity -> (reference column, parent entities it may point to)
REFERENCES = {
    "enrollment": (("class_sourced_id", ("class",)), ("user_sourced_id", ("student", "teacher"))),
    "student_contact": (("student_sourced_id", ("student",)), ("contact_sourced_id", ("contact",))),
    "class": (("course_sourced_id", ("course",)), ("school_sourced_id", ("school",))),
}

DDL = (
    "CREATE SEQUENCE IF NOT EXISTS sync.approval_seq START 1",
    """CREATE TABLE IF NOT EXISTS sync.approval (
        approval_id BIGINT PRIMARY KEY, plan_hash VARCHAR NOT NULL, author VARCHAR NOT NULL,
        approved_at TIMESTAMP NOT NULL, selection JSON NOT NULL, override_reason VARCHAR,
        counts JSON NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sync.approved_change (
        approval_id BIGINT NOT NULL, entity VARCHAR NOT NULL, sourced_id VARCHAR NOT NULL,
        op VARCHAR NOT NULL, fields VARCHAR[])""",
)


class HeldError(WorkbenchError):
    """The plan is held: a person must approve it with a written reason (CLI exit 3)."""


@dataclass(frozen=True)
class Selection:
    include: list[dict[str, str]] = field(default_factory=list)
    exclude: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def everything(cls) -> Selection:
        return cls()

    def to_dict(self) -> dict[str, Any]:
        return {"include": self.include, "exclude": self.exclude}

    def check(self) -> None:
        problems = [Problem(f"unknown key {k!r} in a selection filter", field=k,
                            hint=f"use {', '.join(FILTER_KEYS)}")
                    for f in self.include + self.exclude for k in f if k not in FILTER_KEYS]
        if problems:
            raise InputError(problems, NOT_APPROVED)


@dataclass(frozen=True)
class Approval:
    approval_id: int
    plan_hash: str
    author: str
    approved_at: datetime
    selection: Selection
    override_reason: str | None
    counts: dict[str, dict[str, int]]


def _filters(cur: duckdb.DuckDBPyConnection, selection: Selection) -> None:
    rows = [(kind, *(f.get(k) for k in FILTER_KEYS))
            for kind, fs in (("include", selection.include), ("exclude", selection.exclude))
            for f in fs]
    cur.execute("CREATE OR REPLACE TEMP TABLE _sel (kind VARCHAR, entity VARCHAR, school VARCHAR, "
                "op VARCHAR, cause VARCHAR, sourced_id VARCHAR, field VARCHAR)")
    if rows:
        cols = [list(c) for c in zip(*rows, strict=True)]
        cur.execute("INSERT INTO _sel SELECT " + ", ".join(
            f"unnest(${i + 1}::VARCHAR[])" for i in range(len(cols))), cols)


_MATCH = """(f.entity IS NULL OR f.entity = p.entity)
    AND (f.school IS NULL OR f.school = p.school_sourced_id) AND (f.op IS NULL OR f.op = p.op)
    AND (f.cause IS NULL OR f.cause = p.cause OR starts_with(p.cause, f.cause || ':'))
    AND (f.sourced_id IS NULL OR f.sourced_id = p.sourced_id)"""


def select_changes(cur: duckdb.DuckDBPyConnection, plan_hash: str, selection: Selection) -> None:
    """Temp table ``_approved(entity, sourced_id, op, fields)``; ``fields`` (updates only) lists
    the approved fields."""
    _filters(cur, selection)
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE _approved AS
        WITH flagged AS (
          SELECT p.entity, p.sourced_id, p.op, list_transform(p.diff, lambda d: d.field) AS changed,
            (NOT EXISTS (SELECT 1 FROM _sel WHERE kind = 'include')
             OR EXISTS (SELECT 1 FROM _sel f WHERE f.kind = 'include' AND f.field IS NULL
                        AND {_MATCH})) AS whole_in,
            EXISTS (SELECT 1 FROM _sel f WHERE f.kind = 'exclude' AND f.field IS NULL
                    AND {_MATCH}) AS whole_out,
            coalesce((SELECT list(f.field) FROM _sel f WHERE f.kind = 'include'
                      AND f.field IS NOT NULL AND {_MATCH}), []) AS fields_in,
            coalesce((SELECT list(f.field) FROM _sel f WHERE f.kind = 'exclude'
                      AND f.field IS NOT NULL AND {_MATCH}), []) AS fields_out
          FROM sync.plan_change p WHERE p.plan_hash = ?)
        SELECT entity, sourced_id, op,
               CASE WHEN op = 'update' THEN list_filter(changed, lambda c:
                 (whole_in OR list_contains(fields_in, c)) AND NOT list_contains(fields_out, c))
               END AS fields
        FROM flagged WHERE NOT whole_out AND (whole_in OR len(fields_in) > 0)""", [plan_hash])
    cur.execute("DELETE FROM _approved WHERE op = 'update' AND len(fields) = 0")


def _state_sql(entity: str, committed: str | None) -> str:
    """The rows ``entity`` would have after the approved changes (``o`` committed, ``n`` cand)."""
    cols = column_names(entity)
    if committed is None:
        committed = f'(SELECT * FROM stg."{entity}" LIMIT 0)'
    updated = ", ".join(
        f'n."{c}"' if c in ("sourced_id", "load_id")
        else f'CASE WHEN list_contains(a.fields, \'{c}\') THEN n."{c}" ELSE o."{c}" END AS "{c}"'
        for c in cols)
    names = ", ".join(f'"{c}"' for c in cols)
    return f"""
        SELECT {names} FROM {committed} o WHERE sourced_id NOT IN
          (SELECT sourced_id FROM _approved WHERE entity = '{entity}' AND op <> 'insert')
        UNION ALL
        SELECT {", ".join(f'n."{c}"' for c in cols)} FROM cand."{entity}" n
          JOIN _approved a ON a.entity = '{entity}' AND a.op = 'insert' AND a.sourced_id = n.sourced_id
        UNION ALL
        SELECT {updated} FROM {committed} o JOIN cand."{entity}" n USING (sourced_id)
          JOIN _approved a ON a.entity = '{entity}' AND a.op = 'update' AND a.sourced_id = o.sourced_id"""


def build_state(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Temp tables ``_next_<entity>``: the roster the approved changes make."""
    from workbench.sync.roster import committed_relation

    out = {}
    for entity in ENTITIES:
        cur.execute(f'CREATE OR REPLACE TEMP TABLE "_next_{entity}" AS '
                    f"{_state_sql(entity, committed_relation(cur, entity))}")
        out[entity] = f'"_next_{entity}"'
    return out


def consistency_problems(cur: duckdb.DuckDBPyConnection, limit: int = 20) -> list[Problem]:
    """References the approved part would break: a child approved without its parent, or a parent
    deleted while a child stays."""
    problems: list[Problem] = []
    for child, refs in REFERENCES.items():
        for column, parents in refs:
            exists = " OR ".join(f'c."{column}" IN (SELECT sourced_id FROM "_next_{p}")' for p in parents)
            rows = cur.execute(f"""SELECT c.sourced_id, c."{column}",
                    coalesce(a.op, 'kept') AS why FROM "_next_{child}" c
                LEFT JOIN _approved a ON a.entity = '{child}' AND a.sourced_id = c.sourced_id
                WHERE c."{column}" IS NOT NULL AND NOT ({exists})
                  AND (a.op IS NOT NULL OR c."{column}" IN (SELECT sourced_id FROM _approved
                       WHERE op = 'delete' AND entity IN ({", ".join(f"'{p}'" for p in parents)})))
                ORDER BY 1 LIMIT ?""", [limit]).fetchall()
            for sid, ref, why in rows:
                if why == "kept":
                    msg = (f"{'/'.join(parents)} {ref} would be deleted while {child} {sid} "
                           "(not approved for deletion) still refers to it")
                    hint = f"approve the delete of {child} {sid} too, or leave {ref} out"
                else:
                    msg = f"{child} {sid} ({why}) refers to {'/'.join(parents)} {ref}, which is not approved"
                    hint = f"approve {ref} too, or leave {child} {sid} out"
                problems.append(Problem(msg, field=column, hint=hint))
    return problems


def approved_holds(ws: Workspace, cur: duckdb.DuckDBPyConnection, plan: Any) -> list[Any]:
    """The hold thresholds the approved part alone trips (a held plan whose tripping changes are
    left out can be approved without an override)."""
    from workbench.rules.config import load_config
    from workbench.sync.hold import check_holds

    cur.execute("""CREATE OR REPLACE TEMP TABLE _approved_plan AS
        SELECT p.entity, p.op, p.school_sourced_id, p.cause FROM sync.plan_change p
        SEMI JOIN _approved a ON a.entity = p.entity AND a.sourced_id = p.sourced_id
        WHERE p.plan_hash = ?""", [plan.hash])
    return check_holds(cur, load_config(ws), plan.head_version, plan.today, "_approved_plan")


def ensure(cur: duckdb.DuckDBPyConnection) -> None:
    from workbench.sync.plan import ensure as ensure_plan

    ensure_plan(cur)
    for ddl in DDL:
        cur.execute(ddl)


def _counts(cur: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for entity, op, n in cur.execute("SELECT entity, op, count(*) FROM _approved GROUP BY ALL").fetchall():
        counts.setdefault(entity, {})[op] = int(n)
    return counts


def approve_plan(ws: Workspace, plan_hash: str, selection: Selection | Mapping[str, Any] | None = None,
                 *, author: str | None = None, override_reason: str | None = None) -> Approval:
    """Approve all of a stored plan or the part ``selection`` names; refused (``InputError``) when
    the part is inconsistent, ``HeldError`` when the plan is held and no reason is given."""
    from workbench.sync.plan import get_plan

    sel = selection if isinstance(selection, Selection) else Selection(
        **{k: list(v) for k, v in (selection or {}).items()})
    sel.check()
    plan = get_plan(ws, plan_hash)
    with ws.transaction() as cur:
        ensure(cur)
        select_changes(cur, plan.hash, sel)
        build_state(cur)
        problems = consistency_problems(cur)
        if problems:
            raise InputError(problems, NOT_APPROVED)
        reasons = approved_holds(ws, cur, plan) if plan.held else []
        if reasons and not (override_reason or "").strip():
            raise HeldError("the approved part is held: " + "; ".join(r.message for r in reasons)
                            + ". Approving past a hold needs a written reason "
                            "(--override-hold REASON); or leave those changes out.")
        row = cur.execute("SELECT nextval('sync.approval_seq')").fetchone()
        approval_id = int(row[0]) if row else 0
        counts = _counts(cur)
        cur.execute("INSERT INTO sync.approval VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [approval_id, plan.hash, author_name(author), datetime.now(),
                     json.dumps(sel.to_dict()), override_reason, json.dumps(counts)])
        cur.execute("INSERT INTO sync.approved_change SELECT ?, entity, sourced_id, op, fields "
                    "FROM _approved", [approval_id])
    return get_approval(ws, approval_id)


def _approvals(ws: Workspace, where: str, params: Sequence[Any]) -> list[Approval]:
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'sync' AND table_name = 'approval'"):
        return []
    rows = ws.query(f"""SELECT approval_id, plan_hash, author, approved_at, selection, override_reason,
        counts FROM sync.approval WHERE {where} ORDER BY approval_id DESC""", list(params))
    return [Approval(r[0], r[1], r[2], r[3], Selection(**json.loads(r[4])), r[5], json.loads(r[6]))
            for r in rows]


def get_approval(ws: Workspace, approval_id: int) -> Approval:
    found = _approvals(ws, "approval_id = ?", [approval_id])
    if not found:
        raise InputError.one(f"approval {approval_id} does not exist", field="approval",
                             outcome=NOT_APPROVED)
    return found[0]


def latest_approval(ws: Workspace, plan_hash: str) -> Approval | None:
    found = _approvals(ws, "plan_hash = ?", [plan_hash])
    return found[0] if found else None
