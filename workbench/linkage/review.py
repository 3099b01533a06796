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


def review_queue(ws: Workspace, entity: str, *, limit: int = 200) -> pd.DataFrame:
    """Undecided pairs in the possible and match bands: the most uncertain (nearest 0.5) first."""
    if entity not in ENTITIES:
        raise ValueError(f"no review queue for {entity!r}")
    cols = ["left", "right", "probability", "band", "rule", "contributions"]
    if not _has_pairs(ws):
        return pd.DataFrame(columns=cols)
    decided = ("AND NOT EXISTS (SELECT 1 FROM link.decision d WHERE d.entity = p.entity "
               "AND d.left_id = p.left_id AND d.right_id = p.right_id AND d.reversed_at IS NULL)"
               if ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' "
                           "AND table_name = 'decision'") else "")
    rows = ws.query(f"""
        SELECT left_id, right_id, probability, band, rule, contributions FROM link.pair p
        WHERE entity = ? AND band IN ('possible', 'match') {decided}
        ORDER BY abs(probability - 0.5), left_id, right_id LIMIT ?""", [entity, limit])
    frame = pd.DataFrame(rows, columns=cols)
    frame["contributions"] = [json.loads(c) for c in frame["contributions"]]
    return frame


def pair_records(ws: Workspace, entity: str, left: str, right: str) -> pd.DataFrame:
    """The two records side by side: one row per attribute, as text."""
    shown = [c for c in SHOWN if c in column_names(entity)]
    select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in shown)
    rows = {sid: ws.query(f'SELECT {select} FROM stg."{entity}" WHERE sourced_id = ? LIMIT 1', [sid])
            for sid in (left, right)}
    values = {sid: (r[0] if r else (None,) * len(shown)) for sid, r in rows.items()}
    return pd.DataFrame({"attribute": shown, "left": list(values[left]), "right": list(values[right])})


def contributions_frame(contributions: dict[str, Any]) -> pd.DataFrame:
    """Feature contributions to a pair's score, largest effect first."""
    frame = pd.DataFrame(sorted(contributions.items(), key=lambda kv: -abs(float(kv[1]))),
                         columns=["feature", "contribution"])
    frame["contribution"] = frame["contribution"].astype(float)
    return frame
