"""Steward decisions on duplicate pairs: merge, keep separate, re-link; remembered and reversible.

A decision names two canonical records of one entity, who decided, when and why. It is stored in
``link.decision`` and re-applied every time duplicates are scored, so it survives later loads as
long as the records keep their IDs. The steward's word wins over every rule: ``keep_separate``
makes the pair a never-link (``never:decision``), ``merge`` and ``relink`` (the same person under a
new ID) make it a match (``decision:merge`` / ``decision:relink``). Undoing a decision (unmerge)
marks it reversed, with who and when; nothing is erased.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from workbench.errors import InputError
from workbench.sync.roster import committed_relation
from workbench.workspace import Workspace, author_name

ACTIONS = ("merge", "keep_separate", "relink")
DECIDED_SCORE = 20.0  # |log-odds| a decision sets: probability 1 - 2e-9 or 2e-9
NOT_DECIDED = "Nothing was decided; the duplicates are unchanged."

DDL = (
    "CREATE SCHEMA IF NOT EXISTS link",
    "CREATE SEQUENCE IF NOT EXISTS link.decision_seq START 1",
    """CREATE TABLE IF NOT EXISTS link.decision (
        decision_id BIGINT PRIMARY KEY, entity VARCHAR NOT NULL, left_id VARCHAR NOT NULL,
        right_id VARCHAR NOT NULL, action VARCHAR NOT NULL, author VARCHAR NOT NULL,
        decided_at TIMESTAMP NOT NULL, note VARCHAR, reversed_by VARCHAR, reversed_at TIMESTAMP)""",
)
COLUMNS = ("decision_id", "entity", "left_id", "right_id", "action", "author", "decided_at", "note",
           "reversed_by", "reversed_at")


@dataclass(frozen=True)
class Decision:
    decision_id: int
    entity: str
    left_id: str
    right_id: str
    action: str
    author: str
    decided_at: datetime
    note: str | None
    reversed_by: str | None
    reversed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.reversed_at is None



def ensure(cur: duckdb.DuckDBPyConnection) -> None:
    for ddl in DDL:
        cur.execute(ddl)


def _where(cur: duckdb.DuckDBPyConnection, entity: str, sourced_id: str) -> set[str]:
    """Where a record is: ``loaded`` (in stg) and/or ``committed`` (in the committed roster)."""
    out = set()
    if cur.execute(f'SELECT 1 FROM stg."{entity}" WHERE sourced_id = ? LIMIT 1', [sourced_id]).fetchall():
        out.add("loaded")
    committed = committed_relation(cur, entity)
    if committed and cur.execute(f"SELECT 1 FROM {committed} WHERE sourced_id = ? LIMIT 1",
                                 [sourced_id]).fetchall():
        out.add("committed")
    return out


def _check_records(cur: duckdb.DuckDBPyConnection, entity: str, ids: tuple[str, str],
                   action: str) -> None:
    """Both records must exist; a re-link joins a committed record that vanished from the load to
    a loaded one that was never committed."""
    where = {i: _where(cur, entity, i) for i in ids}
    missing = [i for i, w in where.items() if not w]
    if missing:
        raise InputError.one(f"no {entity} with ID {', '.join(missing)} in the workspace",
                             field="sourced_id", hint="use the canonical IDs that "
                             "`workbench duplicates` shows", outcome=NOT_DECIDED)
    if action == "relink" and {frozenset(w) for w in where.values()} != {
            frozenset({"committed"}), frozenset({"loaded"})}:
        raise InputError.one(
            f"{ids[0]} and {ids[1]} are not a re-key: a re-link joins a committed record that "
            "vanished from the load and a new loaded record", field="action",
            hint="use merge for two loaded records", outcome=NOT_DECIDED)
    if action == "merge" and not all("loaded" in w for w in where.values()):
        raise InputError.one(
            f"{ids[0]} and {ids[1]} cannot be merged: one of them is no longer loaded",
            field="action", hint="a committed record that vanished is re-linked (relink) or kept "
            "separate", outcome=NOT_DECIDED)


def decide(ws: Workspace, entity: str, left: str, right: str, action: str, *,
           author: str | None = None, note: str | None = None) -> Decision:
    """Record a steward decision on a pair (order of the two IDs does not matter)."""
    from workbench.linkage.normalise import ENTITIES

    if entity not in ENTITIES:
        raise InputError.one(f"decisions are for {', '.join(ENTITIES)}, not {entity!r}",
                             field="entity", outcome=NOT_DECIDED)
    if action not in ACTIONS:
        raise InputError.one(f"unknown decision {action!r}", field="action",
                             hint=f"allowed: {', '.join(ACTIONS)}", outcome=NOT_DECIDED)
    if left == right:
        raise InputError.one("a record cannot be decided against itself", field="right",
                             outcome=NOT_DECIDED)
    left, right = sorted((left, right))
    with ws.transaction() as cur:
        ensure(cur)
        _check_records(cur, entity, (left, right), action)
        row = cur.execute("SELECT nextval('link.decision_seq')").fetchone()
        decision_id = int(row[0]) if row else 0
        cur.execute("INSERT INTO link.decision VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                    [decision_id, entity, left, right, action, author_name(author), datetime.now(), note])
    return get_decision(ws, decision_id)


def undo(ws: Workspace, decision_id: int, *, author: str | None = None) -> Decision:
    """Reverse a decision (e.g. unmerge): it stops applying from the next scoring on."""
    decision = get_decision(ws, decision_id)
    if not decision.active:
        raise InputError.one(f"decision {decision_id} was already reversed by "
                             f"{decision.reversed_by}", field="decision_id", outcome=NOT_DECIDED)
    with ws.transaction() as cur:
        cur.execute("UPDATE link.decision SET reversed_by = ?, reversed_at = ? WHERE decision_id = ?",
                    [author_name(author), datetime.now(), decision_id])
    return get_decision(ws, decision_id)


def _decisions(ws: Workspace, where: str, params: list[Any]) -> list[Decision]:
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' "
                    "AND table_name = 'decision'"):
        return []
    sql = f"SELECT {', '.join(COLUMNS)} FROM link.decision WHERE {where} ORDER BY decision_id"
    return [Decision(*r) for r in ws.query(sql, params)]


def list_decisions(ws: Workspace, entity: str | None = None, *,
                   active_only: bool = False) -> list[Decision]:
    where = "(? IS NULL OR entity = ?)" + (" AND reversed_at IS NULL" if active_only else "")
    return _decisions(ws, where, [entity, entity])


def get_decision(ws: Workspace, decision_id: int) -> Decision:
    found = _decisions(ws, "decision_id = ?", [decision_id])
    if found:
        return found[0]
    raise InputError.one(f"decision {decision_id} does not exist", field="decision_id",
                         hint="list them with `workbench decisions WORKSPACE`", outcome=NOT_DECIDED)


def add_decided_candidates(cur: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Make every actively decided pair of loaded records a candidate (``lk_cand``), so that its
    features are computed: the steward's decisions are the labels a learned model is fitted on."""
    ensure(cur)
    cur.execute("""INSERT INTO lk_cand
        SELECT DISTINCT d.left_id, d.right_id FROM link.decision d
        WHERE d.entity = ? AND d.reversed_at IS NULL
          AND d.left_id IN (SELECT id FROM lk_rec) AND d.right_id IN (SELECT id FROM lk_rec)
          AND (d.left_id, d.right_id) NOT IN (SELECT (left_id, right_id) FROM lk_cand)""", [entity])


def apply_decisions(cur: duckdb.DuckDBPyConnection, entity: str) -> int:
    """Impose the active decisions on the scored pairs (temp table ``lk_scored``) before clustering.

    A decided pair gets the decided score; its contributions gain ``steward_decision`` so that they
    still sum to the score. Pairs the scorer never compared are added. Returns decisions applied.
    """
    ensure(cur)
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE lk_decided AS
        SELECT left_id, right_id, arg_max(action, decision_id) AS action
        FROM link.decision WHERE entity = ? AND reversed_at IS NULL GROUP BY ALL""", [entity])
    row = cur.execute("SELECT count(*) FROM lk_decided").fetchone()
    if not row or not row[0]:
        return 0
    params: dict[str, Any] = {"s": DECIDED_SCORE}
    cur.execute("""
        INSERT INTO lk_scored (left_id, right_id, score, probability, band, rule, contributions)
        SELECT d.left_id, d.right_id, 0, 0.5, 'possible', 'score', '{}'::JSON FROM lk_decided d
        WHERE NOT EXISTS (SELECT 1 FROM lk_scored s
                          WHERE s.left_id = d.left_id AND s.right_id = d.right_id)""")
    cur.execute("""
        UPDATE lk_scored s SET
          score = CASE WHEN d.action = 'keep_separate' THEN -$s ELSE $s END,
          probability = 1 / (1 + exp(-(CASE WHEN d.action = 'keep_separate' THEN -$s ELSE $s END))),
          band = CASE WHEN d.action = 'keep_separate' THEN 'non_match' ELSE 'match' END,
          rule = CASE WHEN d.action = 'keep_separate' THEN 'never:decision'
                      ELSE 'decision:' || d.action END,
          contributions = json_merge_patch(s.contributions, json_object('steward_decision',
              (CASE WHEN d.action = 'keep_separate' THEN -$s ELSE $s END) - s.score))
        FROM lk_decided d WHERE s.left_id = d.left_id AND s.right_id = d.right_id""", params)
    return int(row[0])
