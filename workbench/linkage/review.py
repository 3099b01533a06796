"""The steward's review queue: scored pairs awaiting a decision, most uncertain first."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from workbench.linkage.normalise import ENTITIES
from workbench.model.schema import column_names
from workbench.workspace import Workspace

# what a steward compares, per entity (canonical attributes present on the entity)
SHOWN = ("given_name", "middle_name", "family_name", "birth_date", "email", "emails", "phone",
         "phones", "street", "postal_code", "school_sourced_id", "school_sourced_ids", "grade",
         "identifier", "state_id", "username", "role", "source", "source_id")


def _has_pairs(ws: Workspace) -> bool:
    return bool(ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' "
                         "AND table_name = 'pair'"))


def _undecided(left: str, right: str, ws: Workspace) -> str:
    """SQL condition: no active steward decision on the pair (``left`` < ``right``)."""
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' "
                    "AND table_name = 'decision'"):
        return ""
    return (f"AND NOT EXISTS (SELECT 1 FROM link.decision d WHERE d.entity = p.entity "
            f"AND d.left_id = {left} AND d.right_id = {right} AND d.reversed_at IS NULL)")


def review_queue(ws: Workspace, entity: str, *, limit: int = 200) -> pd.DataFrame:
    """Undecided pairs in the possible and match bands: the most uncertain (nearest 0.5) first."""
    if entity not in ENTITIES:
        raise ValueError(f"no review queue for {entity!r}")
    cols = ["left", "right", "probability", "band", "rule", "contributions"]
    if not _has_pairs(ws):
        return pd.DataFrame(columns=cols)
    rows = ws.query(f"""
        SELECT left_id, right_id, probability, band, rule, contributions FROM link.pair p
        WHERE entity = ? AND band IN ('possible', 'match') {_undecided("p.left_id", "p.right_id", ws)}
        ORDER BY abs(probability - 0.5), left_id, right_id LIMIT ?""", [entity, limit])
    frame = pd.DataFrame(rows, columns=cols)
    frame["contributions"] = [json.loads(c) for c in frame["contributions"]]
    return frame


def rekey_queue(ws: Workspace, entity: str, *, limit: int = 200) -> pd.DataFrame:
    """Re-key offers (a committed record vanished, a new one matches it) with no decision yet,
    the most uncertain first."""
    cols = ["old", "new", "probability", "band", "rule", "contributions"]
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' AND table_name = 'rekey'"):
        return pd.DataFrame(columns=cols)
    rows = ws.query(f"""
        SELECT old_id, new_id, probability, band, rule, contributions FROM link.rekey p
        WHERE entity = ? {_undecided("least(p.old_id, p.new_id)", "greatest(p.old_id, p.new_id)", ws)}
        ORDER BY abs(probability - 0.5), old_id, new_id LIMIT ?""", [entity, limit])
    frame = pd.DataFrame(rows, columns=cols)
    frame["contributions"] = [json.loads(c) for c in frame["contributions"]]
    return frame


def _record(ws: Workspace, entity: str, sourced_id: str, select: str) -> list[tuple[Any, ...]]:
    """The loaded record, else the committed one (a record that vanished from the load)."""
    rows = ws.query(f'SELECT {select} FROM stg."{entity}" WHERE sourced_id = ? LIMIT 1', [sourced_id])
    if rows or not ws.query("SELECT 1 FROM duckdb_views() WHERE schema_name = 'roster' "
                            "AND view_name = ?", [f"current_{entity}"]):
        return rows
    return ws.query(f'SELECT {select} FROM roster."current_{entity}" WHERE sourced_id = ? LIMIT 1',
                    [sourced_id])


def pair_records(ws: Workspace, entity: str, left: str, right: str) -> pd.DataFrame:
    """The two records side by side: one row per attribute, as text."""
    shown = [c for c in SHOWN if c in column_names(entity)]
    select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in shown)
    rows = {sid: _record(ws, entity, sid, select) for sid in (left, right)}
    values = {sid: (r[0] if r else (None,) * len(shown)) for sid, r in rows.items()}
    return pd.DataFrame({"attribute": shown, "left": list(values[left]), "right": list(values[right])})


def contributions_frame(contributions: dict[str, Any]) -> pd.DataFrame:
    """Feature contributions to a pair's score, largest effect first."""
    frame = pd.DataFrame(sorted(contributions.items(), key=lambda kv: -abs(float(kv[1]))),
                         columns=["feature", "contribution"])
    frame["contribution"] = frame["contribution"].astype(float)
    return frame
