"""Holds: a plan that changes too much stops until a person approves it.

Thresholds come from the configuration (``holds.<entity>.<insert|update|delete>``: ``percent`` of
the committed records of that entity, and/or a ``count``). With ``per_school`` they also apply to
each school on its own, so one school losing half its students holds the plan even when the
district barely moves. Near a term boundary (``near_term_days`` before or after the first or last
day of a term in the roster) the thresholds are multiplied by ``near_term_factor``: back to school
and term rollover change a lot on purpose. A first sync (nothing committed yet) is judged on
counts only: there is no base for a percentage.

A held plan says which threshold tripped and which causes account for most of those changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import duckdb


@dataclass(frozen=True)
class HoldReason:
    entity: str
    op: str
    school: str | None
    changes: int
    base: int
    threshold: str
    causes: list[tuple[str, int]]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _near_term(cur: duckdb.DuckDBPyConnection, today: dt.date, days: int) -> bool:
    if days <= 0:
        return False
    row = cur.execute("""SELECT count(*) FROM cand.calendar
        WHERE abs(date_diff('day', start_date, ?::DATE)) <= ?
           OR abs(date_diff('day', end_date, ?::DATE)) <= ?""", [today, days, today, days]).fetchone()
    return bool(row and row[0])


def _bases(cur: duckdb.DuckDBPyConnection, entity: str, head: int) -> dict[str | None, int]:
    """Committed records of ``entity``, in all (key None) and per school."""
    from workbench.sync.plan import school_sql

    if head == 0:
        return {None: 0}
    school = school_sql(entity, "t", 'roster."current_student"', 'roster."current_student_contact"')
    rows = cur.execute(f"""SELECT CAST({school} AS VARCHAR), count(*)
        FROM roster."current_{entity}" t GROUP BY 1""").fetchall()
    out: dict[str | None, int] = {None: sum(int(n) for _, n in rows)}
    out.update({s: int(n) for s, n in rows if s is not None})
    return out


def _changes(cur: duckdb.DuckDBPyConnection, table: str, entity: str, op: str) -> dict[str | None, int]:
    rows = cur.execute(f"""SELECT school_sourced_id, count(*) FROM {table} WHERE entity = ? AND op = ?
        GROUP BY 1""", [entity, op]).fetchall()
    out: dict[str | None, int] = {None: sum(int(n) for _, n in rows)}
    out.update({s: int(n) for s, n in rows if s is not None})
    return out


def _top_causes(cur: duckdb.DuckDBPyConnection, table: str, entity: str, op: str,
                school: str | None) -> list[tuple[str, int]]:
    rows = cur.execute(f"""SELECT cause, count(*) AS n FROM {table} WHERE entity = ? AND op = ?
        AND (? IS NULL OR school_sourced_id = ?) GROUP BY 1 ORDER BY n DESC, cause LIMIT 3""",
                       [entity, op, school, school]).fetchall()
    return [(str(c), int(n)) for c, n in rows]


def _tripped(limit: Mapping[str, Any], changes: int, base: int, factor: float) -> str | None:
    """The threshold ``changes`` reaches, as text, or None."""
    count = limit.get("count")
    if count is not None and changes > count * factor:
        return f"more than {count * factor:g} records"
    percent = limit.get("percent")
    if percent is not None and base > 0 and changes * 100 > percent * factor * base:
        return f"more than {percent * factor:g}% of {base:,}"
    return None


def check_holds(cur: duckdb.DuckDBPyConnection, config: Mapping[str, Any], head: int,
                today: dt.date, table: str = "_plan") -> list[HoldReason]:
    """Every threshold the changes in ``table`` (entity, op, school_sourced_id, cause) trip
    (empty: not held)."""
    from workbench.sync.causes import describe_cause

    reasons = []
    for entity, rules in (config.get("holds") or {}).items():
        factor = float(rules.get("near_term_factor", 1)) if _near_term(
            cur, today, int(rules.get("near_term_days", 0))) else 1.0
        bases = _bases(cur, entity, head)
        for op in ("insert", "update", "delete"):
            limit = rules.get(op)
            if not limit:
                continue
            changes = _changes(cur, table, entity, op)
            scopes = [None] + (sorted(s for s in changes if s) if rules.get("per_school") else [])
            for school in scopes:
                n, base = changes.get(school, 0), bases.get(school, 0)
                tripped = _tripped(limit, n, base, factor)
                if not tripped:
                    continue
                causes = _top_causes(cur, table, entity, op, school)
                where = f" in school {school}" if school else ""
                why = "; ".join(f"{describe_cause(c)} ({k:,})" for c, k in causes)
                reasons.append(HoldReason(
                    entity, op, school, n, base, tripped, causes,
                    f"{n:,} {entity} {op}s{where}: {tripped}"
                    + (f" (thresholds x{factor:g} near a term boundary)" if factor != 1 else "")
                    + f". Mostly: {why}"))
    return reasons
