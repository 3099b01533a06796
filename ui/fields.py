"""The Fields page's cached views: field discovery of the loaded sources, and the plugin zip."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import workbench as wb
from workbench.model.schema import column_names
from workbench.rules.attributes import NOT_MAPPABLE
from workbench.sources.powerschool.plugin import (
    ENTITY_OF_TABLE,
    FieldPick,
    add_fields_to_mapping,
    build_plugin,
    delivered_picks,
    extended_table,
    write_plugin_zip,
)

from .workspace import _current, require_workspace

KINDS = {"core": "PowerSchool table", "core_fields": "core fields", "default_extension":
         "default extension", "extension": "district extension", "state_extension": "state extension",
         "oneroster": "OneRoster file"}
FIELD_VIEW = ("Pick", "Fills attribute", "Name", "Kind", "Used as", "Fill %", "Distinct", "Type",
              "Shapes", "Samples", "Key", "Table", "Field", "Core table", "Source")


@st.cache_data(show_spinner="Profiling every field…", max_entries=8)
def _fields(_ws: wb.Workspace, path: str, stamp: Any) -> pd.DataFrame:
    return wb.discovery.list_fields(_ws)


@st.cache_data(show_spinner=False, max_entries=8)
def _tables(_ws: wb.Workspace, path: str, stamp: Any) -> pd.DataFrame:
    return wb.discovery.list_tables(_ws)


@st.cache_data(show_spinner=False, max_entries=8)
def _groups(_ws: wb.Workspace, path: str, stamp: Any) -> pd.DataFrame:
    return wb.discovery.extension_groups(_ws)


def fields() -> pd.DataFrame:
    """Every field of the loaded sources with its profile (``wb.discovery.list_fields``)."""
    return _fields(*_current())


def student_extension_fields() -> list[str]:
    """``TABLE.field`` of every loaded field the loader keeps in the students' extensions."""
    frame = fields()
    kept = frame[frame["used_as"] == "extension"]
    return [f"{t}.{f}" for t, f in zip(kept["table"], kept["field"], strict=True)]


def tables() -> pd.DataFrame:
    return _tables(*_current())


def groups() -> pd.DataFrame:
    return _groups(*_current())


def tables_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.rename(columns={"source": "Source", "table": "Table", "core_table": "Core table",
                                "key_column": "Key column", "rows": "Rows", "fields": "Fields",
                                "file": "File"})
    out.insert(2, "Kind", frame["kind"].map(KINDS).fillna(frame["kind"]))
    return out.drop(columns=["kind"])


def groups_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Source": frame["source"], "Extension table": frame["group"],
        "Kind": frame["kind"].map(KINDS), "Hangs off": frame["core_table"],
        "Key column": frame["key_column"], "Fields": frame["field_names"].map(", ".join),
        "Rows": frame["rows"], "Linked": frame["linked"], "Orphans": frame["orphans"]})


def attribute_choices(core_table: str | None) -> list[str]:
    """``entity.attribute`` names a field of ``core_table`` (or its extensions) may fill."""
    entity = ENTITY_OF_TABLE.get((core_table or "").lower())
    if entity is None:
        return []
    return [f"{entity}.{c}" for c in column_names(entity) if c not in NOT_MAPPABLE]


def fields_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The field list as the page shows it, with the Pick and Fills attribute columns empty."""
    return pd.DataFrame({
        "Pick": False, "Fills attribute": None, "Name": frame["name"],
        "Kind": frame["kind"].map(KINDS).fillna(frame["kind"]), "Used as": frame["used_as"],
        "Fill %": (frame["fill_rate"] * 100).round(1), "Distinct": frame["distinct"],
        "Type": frame["type"], "Shapes": frame["patterns"],
        "Samples": frame["samples"].map(lambda v: ", ".join(map(str, v))), "Key": frame["key"],
        "Table": frame["table"], "Field": frame["field"], "Core table": frame["core_table"],
        "Source": frame["source"]}, columns=list(FIELD_VIEW))


def filter_fields(frame: pd.DataFrame, text: str, kinds: list[str], unused: bool) -> pd.DataFrame:
    out = frame
    if text.strip():
        out = out[out["Name"].str.contains(text.strip(), case=False, regex=False)]
    if kinds:
        out = out[out["Kind"].isin(kinds)]
    if unused:
        out = out[out["Used as"].isin(["", "extension"])]
    return out.reset_index(drop=True)


def picks_of(edited: pd.DataFrame) -> list[FieldPick]:
    """The picked rows as plugin fields (PowerSchool sources only; OneRoster has no plugin)."""
    rows = edited[edited["Pick"].fillna(False).astype(bool) & (edited["Kind"] != KINDS["oneroster"])]
    return [FieldPick(r["Table"], r["Field"], _text(r["Fills attribute"]),
                      core_table=_text(r["Core table"])) for _, r in rows.iterrows()]


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value.strip() else None


def not_kept(picks: list[FieldPick]) -> list[str]:
    """Picked extension fields of tables that do not extend Students (the loader drops them)."""
    return [p.column for p in picks if extended_table(p) not in (None, "students")]


def plugin_zip(picks: list[FieldPick], name: str) -> bytes:
    """The plugin zip's bytes (ValueError names a bad pick or name)."""
    plugin = build_plugin(picks, name=name)
    with tempfile.TemporaryDirectory(prefix="wb-plugin-") as tmp:
        return write_plugin_zip(plugin, Path(tmp) / "plugin.zip").read_bytes()


def save_mapping(picks: list[FieldPick], author: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Save the attributes the picks fill and the extension fields delivered; (attributes added
    by entity, fields delivered)."""
    added = add_fields_to_mapping(require_workspace(), picks, author=author or None)
    st.cache_data.clear()
    return added, delivered_picks(picks)


def value_counts(table: str, field: str, source: str) -> wb.discovery.FieldProfile:
    return wb.discovery.profile_field(require_workspace(), table, field, source=source)


def values_figure(profile: wb.discovery.FieldProfile) -> go.Figure:
    frame = profile.values.assign(value=profile.values["value"].fillna("(empty)"))
    fig = px.bar(frame, x="rows", y="value", orientation="h", text="rows",
                 labels={"rows": "rows", "value": ""})
    fig.update_layout(height=max(220, 26 * len(frame) + 80), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      yaxis={"autorange": "reversed", "type": "category"})
    return fig
