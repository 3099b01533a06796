"""Charts and tables of the Data Quality page and of the impact preview (plotly, pandas)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from .formatting import label

FINDING_HEADERS = {"entity": "Entity", "sourced_id": "Record", "source": "Source",
                   "school_sourced_id": "School", "attribute": "Attribute", "rule": "Rule",
                   "severity": "Severity", "value": "Value", "message": "Message"}


def missing_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Missing values per attribute and school, only where something is missing."""
    frame = pd.DataFrame(rows, columns=["school_sourced_id", "school_name", "attribute", "missing",
                                        "records"])
    frame["school_name"] = frame["school_name"].fillna("(none)")
    frame = frame.astype({"missing": "int64", "records": "int64"})
    frame = frame[frame["missing"] > 0].copy()
    frame["percent"] = (100 * frame["missing"] / frame["records"]).astype("float64").round(1)
    return frame.rename(columns={"school_name": "School", "attribute": "Attribute",
                                 "missing": "Missing", "records": "Records", "percent": "% missing"})


def missing_figure(frame: pd.DataFrame) -> go.Figure:
    fig = px.bar(frame, x="Attribute", y="Missing", color="School", barmode="stack",
                 hover_data=["Records", "% missing"], title="Missing values by attribute and school")
    return fig.update_layout(legend_title_text="School", xaxis_title=None)


def findings_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(FINDING_HEADERS)).rename(columns=FINDING_HEADERS)


def by_rule_figure(counts: list[dict[str, Any]]) -> go.Figure:
    frame = pd.DataFrame(counts, columns=["entity", "rule", "severity", "findings"])
    frame["Entity"] = frame["entity"].map(label)
    frame = frame.rename(columns={"rule": "Rule", "severity": "Severity", "findings": "Findings"})
    return px.bar(frame, x="Rule", y="Findings", color="Severity", hover_data=["Entity"],
                  title="Findings by rule")


def load_trend_frame(loads: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [{"Load": x["load_id"], "Finished": x["finished_at"], "Source": x["source"],
             "Findings": x["findings"]} for x in reversed(loads)]
    return pd.DataFrame(rows, columns=["Load", "Finished", "Source", "Findings"])


def load_trend_figure(frame: pd.DataFrame) -> go.Figure:
    return px.line(frame, x="Load", y="Findings", color="Source", markers=True,
                   title="Findings of each load")


def filter_findings(frame: pd.DataFrame, choices: dict[str, list[str]]) -> pd.DataFrame:
    """Rows whose value in each column is one of the chosen (no choice = every value)."""
    mask = pd.Series(True, index=frame.index)
    for column, chosen in choices.items():
        if chosen:
            mask &= frame[column].isin(chosen)
    return frame[mask]


# --- impact preview ------------------------------------------------------------------------

def impact_entities_frame(entities: pd.DataFrame) -> pd.DataFrame:
    frame = entities.assign(Entity=entities["entity"].map(label))
    return frame.rename(columns={
        "total": "Records", "kept_base": "Kept (saved)", "kept_draft": "Kept (draft)",
        "kept_change": "Change", "dropped_draft": "Dropped (draft)"})[
        ["Entity", "Records", "Kept (saved)", "Kept (draft)", "Change", "Dropped (draft)"]]


def impact_figure(entities: pd.DataFrame) -> go.Figure:
    long = entities.melt(id_vars="entity", value_vars=["kept_base", "kept_draft"],
                         var_name="which", value_name="Kept")
    long["Configuration"] = long["which"].map({"kept_base": "saved", "kept_draft": "draft"})
    long["Entity"] = long["entity"].map(label)
    return px.bar(long, x="Entity", y="Kept", color="Configuration", barmode="group",
                  title="Records kept: saved configuration and draft")


def impact_schools_frame(schools: pd.DataFrame) -> pd.DataFrame:
    changed = schools[schools["kept_change"] != 0]
    frame = changed.assign(Entity=changed["entity"].map(label))
    return frame.rename(columns={
        "school_name": "School", "school_sourced_id": "School ID", "kept_base": "Kept (saved)",
        "kept_draft": "Kept (draft)", "kept_change": "Change"})[
        ["School", "School ID", "Entity", "Kept (saved)", "Kept (draft)", "Change"]]


def impact_rules_frame(rules: pd.DataFrame) -> pd.DataFrame:
    frame = rules.assign(Entity=rules["entity"].map(label))
    return frame.rename(columns={"rule": "Rule", "dropped_base": "Dropped (saved)",
                                 "dropped_draft": "Dropped (draft)", "dropped_change": "Change"})[
        ["Entity", "Rule", "Dropped (saved)", "Dropped (draft)", "Change"]]
