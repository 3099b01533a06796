"""Figures and tables of the sync pages: plan bars, the per-school heat map, the field diff."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from .formatting import label

OP_COLOURS = {"insert": "#2e7d32", "update": "#f9a825", "delete": "#c62828"}


def counts_frame(counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    """Long form: entity, op, changes (entities with changes only)."""
    rows = [(label(e), op, n) for e, ops in counts.items() for op, n in ops.items() if n]
    return pd.DataFrame(rows, columns=["entity", "op", "changes"])


def counts_figure(counts: dict[str, dict[str, int]]) -> go.Figure:
    frame = counts_frame(counts)
    fig = px.bar(frame, x="entity", y="changes", color="op", barmode="group",
                 color_discrete_map=OP_COLOURS, category_orders={"op": list(OP_COLOURS)})
    fig.update_layout(height=320, margin={"t": 10, "b": 10}, legend_title_text="")
    return fig


def school_figure(schools: pd.DataFrame) -> go.Figure:
    """Heat map: schools down, entities across, all changes in each cell."""
    pivot = schools.groupby(["school", "entity"])["changes"].sum().unstack(fill_value=0)
    fig = px.imshow(pivot, color_continuous_scale="Reds", aspect="auto", text_auto=True,
                    labels={"x": "entity", "y": "school", "color": "changes"})
    fig.update_layout(height=max(240, 28 * len(pivot) + 80), margin={"t": 10, "b": 10})
    return fig


def causes_frame(causes: list[Any]) -> pd.DataFrame:
    rows = [{"cause": c.label, "changes": c.changes,
             "entities": ", ".join(f"{label(e)}: " + ", ".join(f"{op} {n:,}" for op, n in ops.items())
                                   for e, ops in c.by_entity.items()),
             "code": c.cause} for c in causes]
    return pd.DataFrame(rows, columns=["cause", "changes", "entities", "code"])


def diff_styler(frame: pd.DataFrame) -> Any:
    """Before in red, after in green, so the eye goes to what changes."""
    return frame.style.map(lambda _v: "background-color: #fde0dc", subset=["before"]) \
        .map(lambda _v: "background-color: #dcf5dc", subset=["after"])


def history_figure(versions: list[Any]) -> go.Figure:
    rows = [(f"v{v.version}", op, v.total(op)) for v in reversed(versions)
            for op in ("insert", "update", "delete")]
    frame = pd.DataFrame(rows, columns=["version", "op", "changes"])
    fig = px.bar(frame, x="version", y="changes", color="op", color_discrete_map=OP_COLOURS)
    fig.update_layout(height=260, margin={"t": 10, "b": 10}, legend_title_text="")
    return fig


def history_frame(versions: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([{
        "version": v.version, "committed": v.committed_at.strftime("%Y-%m-%d %H:%M"),
        "by": v.author, "kind": v.kind if v.kind != "rollback" else f"rollback to v{v.restored_from}",
        "inserts": v.total("insert"), "updates": v.total("update"), "deletes": v.total("delete"),
        "hold overridden": v.override_reason or "", "note": v.note or "",
        "plan": v.plan_hash or ""} for v in versions])


def version_diff_frame(changes: pd.DataFrame) -> pd.DataFrame:
    """One row per changed record: its op and the fields that changed, as ``field: before → after``."""
    def fields(diff: Any) -> str:
        if diff is None or len(diff) == 0:
            return ""
        return "; ".join(f"{d['field']}: {d['before']} → {d['after']}" for d in diff)
    return pd.DataFrame({"sourced_id": changes["sourced_id"], "op": changes["op"],
                         "changes": [fields(d) for d in changes["diff"]]})
