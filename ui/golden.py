"""Master Fields page helpers: one entity's master fields as a table, and a golden record beside
the members it was made from (pure functions over ``workbench.linkage.golden.Golden``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from workbench.linkage.golden import Golden

from . import config_frames as frames

ENTITY_MASTER_COLUMNS = ["Attribute", "Strategy", "Source priority"]
INFO_COLUMNS = ["Golden", "Source", "Record", "Strategy"]
WIN = "background-color: #c8e6c9; font-weight: bold"


def master_rows(master: dict[str, Any], entity: str) -> pd.DataFrame:
    """The configured master fields of one entity, one row per attribute."""
    frame = frames.master_frame({entity: dict(master.get(entity) or {})})
    return frame[ENTITY_MASTER_COLUMNS].reset_index(drop=True)


def master_with(master: dict[str, Any], entity: str, edited: pd.DataFrame) -> dict[str, Any]:
    """The master fields section with ``entity``'s part replaced by the edited rows."""
    rows = edited.assign(Entity=entity)
    section = {e: a for e, a in master.items() if e != entity}
    section.update(frames.master_from(rows))
    return section


def text(value: Any) -> str:
    """A cell as the steward reads it: lists joined, dates as ISO, empty as blank."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if hasattr(value, "tolist") and not isinstance(value, pd.Timestamp):
        value = value.tolist()
    if isinstance(value, list):
        return ", ".join(text(v) for v in value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and pd.isna(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def clusters_frame(golden: Golden) -> pd.DataFrame:
    """One row per golden record: its ID, the members and their sources."""
    rows = []
    for record in golden.records.itertuples(index=False):
        members = golden.members[golden.members["cluster_id"] == record.cluster_id]
        rows.append({"Golden ID": record.sourced_id, "Members": ", ".join(members["sourced_id"]),
                     "Sources": ", ".join(dict.fromkeys(members["source"])),
                     "Records": len(members)})
    return pd.DataFrame(rows, columns=["Golden ID", "Members", "Sources", "Records"])


def cluster_frame(golden: Golden, golden_id: str) -> pd.DataFrame:
    """Attributes x members of one golden record: each member's value, the golden value, and
    where it came from (source, record, strategy)."""
    record = golden.records[golden.records["sourced_id"] == golden_id].iloc[0]
    members = golden.members[golden.members["cluster_id"] == record["cluster_id"]]
    lineage = golden.lineage[golden.lineage["golden_id"] == golden_id]
    rows = []
    for attribute in golden.records.columns.drop("cluster_id"):
        given = lineage[lineage["attribute"] == attribute]
        row = {"Attribute": attribute}
        row |= {m["sourced_id"]: text(m[attribute]) for _, m in members.iterrows()}
        row |= {"Golden": text(record[attribute]),
                "Source": ", ".join(dict.fromkeys(given["source"].dropna())),
                "Record": ", ".join(given["sourced_id"].dropna()),
                "Strategy": ", ".join(dict.fromkeys(given["strategy"]))}
        rows.append(row)
    return pd.DataFrame(rows, columns=["Attribute", *members["sourced_id"], *INFO_COLUMNS])


def highlighted(frame: pd.DataFrame) -> Styler:
    """The cluster table with the cells that gave the golden value (and the golden value) marked."""
    members = [c for c in frame.columns if c not in ("Attribute", *INFO_COLUMNS)]

    def mark(row: pd.Series) -> list[str]:
        winners = {r.strip() for r in str(row["Record"]).split(",") if r.strip()}
        return [WIN if (c in members and c in winners) or (c == "Golden" and winners) else ""
                for c in frame.columns]

    return frame.style.apply(mark, axis=1)


def winners(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Attribute -> the member columns that are highlighted (what ``highlighted`` marks)."""
    members = [c for c in frame.columns if c not in ("Attribute", *INFO_COLUMNS)]
    return {row["Attribute"]: [m for m in members if m in str(row["Record"]).split(", ")]
            for _, row in frame.iterrows()}
