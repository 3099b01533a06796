"""Commit an approved plan: one DuckDB transaction, or nothing.

``commit_plan`` refuses a plan that is stale (the roster, the configuration, a load or the
candidate roster changed since the plan was made: ``StaleError``, CLI exit 4) or held without a
written reason (``HeldError``, exit 3). Otherwise it writes, in one transaction, the new roster
version (only the approved changes), the changes and the audit row (who, when, plan hash,
configuration version, counts, hold override reason). Of two concurrent commits one wins and the
other gets a ``ConflictError``. A process killed at any moment leaves the old version or the new
one: DuckDB's write-ahead log replays a committed transaction and drops an unfinished one.
"""

from __future__ import annotations

import duckdb

from workbench.errors import InputError, WorkbenchError
from workbench.rules.config import current_version
from workbench.sync import roster
from workbench.sync.approve import (
    approve_plan,
    build_state,
    consistency_problems,
    latest_approval,
)
from workbench.sync.plan import current_fingerprint, get_plan
from workbench.workspace import Workspace, author_name

NOT_COMMITTED = roster.NOT_COMMITTED


class StaleError(WorkbenchError):
    """The plan no longer describes what a commit would do (CLI exit 4)."""


def _stale_reason(ws: Workspace, cur: duckdb.DuckDBPyConnection, plan_hash: str) -> str | None:
    from workbench.sync.plan import source_loads

    plan = get_plan(ws, plan_hash)
    head = roster.head_of(cur) if roster.exists(cur) else 0
    if head != plan.head_version:
        return f"the roster moved from version {plan.head_version} to {head}"
    latest = current_version(ws)
    config_version = latest.version if latest else None
    if config_version != plan.config_version:
        return f"the configuration moved from version {plan.config_version} to {config_version}"
    loads = source_loads(ws)
    if loads != plan.loads:
        changed = sorted(s for s in set(loads) | set(plan.loads) if loads.get(s) != plan.loads.get(s))
        return f"source(s) {', '.join(changed)} were loaded again"
    row = cur.execute("SELECT fingerprint FROM sync.plan WHERE plan_hash = ?", [plan.hash]).fetchone()
    if not row or current_fingerprint(cur, plan.mode) != row[0]:
        return "the candidate roster changed (it was rebuilt with other data or on another day)"
    return None


def _restore_approved(cur: duckdb.DuckDBPyConnection, approval_id: int) -> None:
    cur.execute("""CREATE OR REPLACE TEMP TABLE _approved AS SELECT entity, sourced_id, op, fields
        FROM sync.approved_change WHERE approval_id = ?""", [approval_id])


def commit_plan(ws: Workspace, plan_hash: str, *, author: str | None = None,
                override_reason: str | None = None, note: str | None = None) -> roster.Version:
    """Commit the latest approval of a plan (no approval yet: the whole plan, approved now)."""
    plan = get_plan(ws, plan_hash)
    committed = ws.query("SELECT version FROM roster.version WHERE plan_hash = ?", [plan.hash]) \
        if roster.head_version(ws) else []
    if committed:
        raise InputError.one(f"plan {plan.hash} was already committed as version {committed[0][0]}",
                             field="plan", hint="make a new plan", outcome=NOT_COMMITTED)
    approval = latest_approval(ws, plan.hash)
    reason = override_reason or (approval.override_reason if approval else None)
    cur = ws.cursor()
    try:
        stale = _stale_reason(ws, cur, plan.hash)
    finally:
        cur.close()
    if stale:
        raise StaleError(f"plan {plan.hash} is stale: {stale}. {NOT_COMMITTED} Make a new plan.")
    if approval is None:  # committing an unreviewed plan approves all of it (held: needs a reason)
        approval = approve_plan(ws, plan.hash, author=author, override_reason=reason)
    audit = {"author": author_name(author), "kind": "commit", "note": note,
             "config_version": plan.config_version, "plan_hash": plan.hash,
             "override_reason": reason}

    def relations(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
        _restore_approved(cur, approval.approval_id)
        state = build_state(cur)
        problems = consistency_problems(cur)
        if problems:
            raise InputError(problems, NOT_COMMITTED)
        return state

    return roster.write_version(ws, relations, label=f"plan {plan.hash}",
                                     expected_head=plan.head_version, audit=audit)
