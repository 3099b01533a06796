"""Impact preview: what a draft configuration would change, before it is saved.

``preview_impact`` decides every record under the draft and under the saved (base) configuration
on a private cursor (temporary tables only: nothing persistent is written, the ``cand`` schema is
untouched) and compares the counts: kept and dropped per entity, per school, enrollments dropped
through cascades, and the rules that drop most. Only counts leave DuckDB. A profile (the counts of
one configuration on one state of the data) is cached, so typing that changes one rule re-decides
the draft only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from workbench.model.schema import ENTITIES
from workbench.rules.candidate import check_config, execute, private_cursor
from workbench.rules.compile import Scope, compose, join, raw
from workbench.rules.config import load_config
from workbench.rules.decisions import dec, decision_statements, enrollment_select, link_select
from workbench.rules.prepare import prepared
from workbench.rules.schema import PERSON_ENTITIES
from workbench.workspace import Workspace

CASCADE_RULES = ("class_dropped", "student_dropped", "teacher_dropped")
_CACHE: OrderedDict[tuple[str, ...], tuple[pd.DataFrame, list[str]]] = OrderedDict()
_CACHE_SIZE = 16
_LOCK = threading.Lock()  # Streamlit runs sessions in threads


@dataclass
class Impact:
    """The difference a draft makes. ``entities``: one row per entity (total, kept and dropped
    under base and draft, and the change); ``schools``: kept per school and entity where anything
    differs or is kept; ``rules``: dropped per rule (top first); ``cascades``: enrollments dropped
    because their class, student or teacher is."""

    entities: pd.DataFrame
    schools: pd.DataFrame
    rules: pd.DataFrame
    cascades: dict[str, int]
    seconds: float
    notes: list[str] = field(default_factory=list)

    def kept(self, entity: str, which: str = "draft") -> int:
        row = self.entities.set_index("entity").loc[entity]
        return int(row[f"kept_{which}"])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(df.to_json(orient="records"))
        return {"entities": records(self.entities), "schools": records(self.schools),
                "rules": records(self.rules), "cascades": dict(self.cascades),
                "seconds": self.seconds, "notes": list(self.notes)}


def _count_sql(scope: Scope, config: Mapping[str, Any]) -> Any:
    """Counts per entity, school and rule (NULL rule = kept)."""
    small = [raw(f"SELECT '{e}' AS entity, school_sourced_id, rule FROM {dec(e)}")
             for e in ENTITIES if e not in ("student_contact", "enrollment")]
    if scope.read != "stg":  # records the preparation (e.g. terms merge) replaced
        small.append(raw(f"SELECT entity, school_sourced_id, rule FROM {scope.read}.dropped"))
    large = [compose(f"SELECT '{e}' AS entity, school_sourced_id, rule FROM ({{}}) AS q", select)
             for e, select in (("student_contact", link_select(config, scope, reasons=False)),
                               ("enrollment", enrollment_select(config, scope, reasons=False)))]
    return compose("SELECT entity, school_sourced_id, rule, count(*) AS n FROM ({}) AS a "
                   "GROUP BY ALL", join(small + large, " UNION ALL "))


def profile(ws: Workspace, cur: duckdb.DuckDBPyConnection, config: Mapping[str, Any],
            today: dt.date) -> tuple[pd.DataFrame, list[str]]:
    """Counts (entity, school_sourced_id, rule, n) of one configuration, and the preparation's
    notes; temporary tables and a detached in-memory copy only."""
    with prepared(cur, dict(config), ws.sources()) as (read, notes):
        scope = Scope(today=today, read=read)
        for statement in decision_statements(config, scope):
            execute(cur, statement)
        _mark_merged(cur)
        return execute(cur, _count_sql(scope, config)).df(), notes


def _mark_merged(cur: duckdb.DuckDBPyConnection) -> None:
    """Duplicates the candidate roster would merge count as dropped (``merged_duplicate``): in each
    cluster of ``link.cluster`` with two kept members or more, all but one (the smallest ID; the
    real survivor may differ, which moves a count between schools, not the totals)."""
    if not cur.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' "
                       "AND table_name = 'cluster'").fetchall():
        return
    for entity in PERSON_ENTITIES:
        cur.execute(f"""UPDATE {dec(entity)} d SET rule = 'merged_duplicate'
            FROM (SELECT c.sourced_id, min(c.sourced_id) OVER (PARTITION BY c.cluster_id) AS keep,
                         count(*) OVER (PARTITION BY c.cluster_id) AS kept
                  FROM link.cluster c JOIN {dec(entity)} k
                    ON k.sourced_id = c.sourced_id AND k.rule IS NULL
                  WHERE c.entity = ?) m
            WHERE d.sourced_id = m.sourced_id AND d.rule IS NULL AND m.kept > 1
              AND m.sourced_id <> m.keep""", [entity])


def _fingerprint(cur: duckdb.DuckDBPyConnection) -> str:
    """Changes whenever a load changes the canonical roster."""
    row = cur.execute("SELECT max(load_id), count(*) FROM meta.load").fetchone()
    clusters = cur.execute("""SELECT count(*), coalesce(sum(hash(entity, cluster_id, sourced_id)),
        0) FROM link.cluster""").fetchone() if cur.execute(
        "SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' AND table_name = 'cluster'"
    ).fetchall() else None
    return repr((row, clusters))


def _key(ws: Workspace, data: str, config: Mapping[str, Any], today: dt.date) -> tuple[str, ...]:
    text = json.dumps(config, sort_keys=True, default=str)
    return (str(ws.db_path), data, today.isoformat(), hashlib.sha256(text.encode()).hexdigest())


def cached_profile(ws: Workspace, cur: duckdb.DuckDBPyConnection, config: Mapping[str, Any],
                   today: dt.date) -> tuple[pd.DataFrame, list[str]]:
    key = _key(ws, _fingerprint(cur), config, today)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    counts = profile(ws, cur, config, today)
    with _LOCK:
        _CACHE[key] = counts
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return counts


def _entities(base: pd.DataFrame, draft: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for entity in ENTITIES:
        b, d = base[base.entity == entity], draft[draft.entity == entity]
        kb, kd = int(b[b.rule.isna()].n.sum()), int(d[d.rule.isna()].n.sum())
        db, dd = int(b[b.rule.notna()].n.sum()), int(d[d.rule.notna()].n.sum())
        rows.append({"entity": entity, "total": kb + db, "kept_base": kb, "kept_draft": kd,
                     "kept_change": kd - kb, "dropped_base": db, "dropped_draft": dd,
                     "dropped_change": dd - db})
    return pd.DataFrame(rows)


def _kept_by_school(counts: pd.DataFrame, name: str) -> pd.DataFrame:
    kept = counts[counts.rule.isna()].fillna({"school_sourced_id": "(none)"})
    return kept.groupby(["school_sourced_id", "entity"], as_index=False).n.sum().rename(
        columns={"n": name})


def _schools(base: pd.DataFrame, draft: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    merged = pd.merge(_kept_by_school(base, "kept_base"), _kept_by_school(draft, "kept_draft"),
                      on=["school_sourced_id", "entity"], how="outer").fillna(0)
    for col in ("kept_base", "kept_draft"):
        merged[col] = merged[col].astype(int)
    merged["kept_change"] = merged.kept_draft - merged.kept_base
    merged.insert(1, "school_name", merged.school_sourced_id.map(names).fillna(""))
    return merged.sort_values(["school_sourced_id", "entity"]).reset_index(drop=True)


def _rules(base: pd.DataFrame, draft: pd.DataFrame, top: int) -> pd.DataFrame:
    def by_rule(counts: pd.DataFrame, name: str) -> pd.DataFrame:
        dropped = counts[counts.rule.notna()]
        return dropped.groupby(["entity", "rule"], as_index=False).n.sum().rename(columns={"n": name})
    merged = pd.merge(by_rule(base, "dropped_base"), by_rule(draft, "dropped_draft"),
                      on=["entity", "rule"], how="outer").fillna(0)
    for col in ("dropped_base", "dropped_draft"):
        merged[col] = merged[col].astype(int)
    merged["dropped_change"] = merged.dropped_draft - merged.dropped_base
    merged = merged.sort_values(["dropped_draft", "dropped_base", "entity", "rule"],
                                ascending=[False, False, True, True])
    return merged.head(top).reset_index(drop=True)


def _cascades(base: pd.DataFrame, draft: pd.DataFrame) -> dict[str, int]:
    def count(counts: pd.DataFrame) -> int:
        hit = (counts.entity == "enrollment") & counts.rule.isin(CASCADE_RULES)
        return int(counts[hit].n.sum())
    b, d = count(base), count(draft)
    return {"enrollments_dropped_by_cascade_base": b, "enrollments_dropped_by_cascade_draft": d,
            "enrollments_dropped_by_cascade_change": d - b}


def preview_impact(ws: Workspace, draft: Mapping[str, Any], *,
                   base: Mapping[str, Any] | None = None, today: dt.date | None = None,
                   top: int = 10) -> Impact:
    """Compare the roster ``draft`` would deliver with that of ``base`` (default: the saved
    configuration). Writes nothing persistent."""
    started = time.perf_counter()
    check_config(draft)
    base = base if base is not None else load_config(ws)
    day = today or dt.date.today()
    with private_cursor(ws) as cur:
        b, _ = cached_profile(ws, cur, base, day)
        d, notes = cached_profile(ws, cur, draft, day)
        names = dict(cur.execute("SELECT sourced_id, name FROM stg.school").fetchall())
    return Impact(_entities(b, d), _schools(b, d, names), _rules(b, d, top), _cascades(b, d),
                  round(time.perf_counter() - started, 4), list(notes))
