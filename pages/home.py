"""Home: what the workspace holds, where it came from, and what the latest load found."""

from typing import Any

import streamlit as st

import ui

TILES_PER_ROW = 5


def show_empty() -> None:
    st.info(
        "This workspace is empty. Go to **Load** to load a PowerSchool extract (a folder or .zip "
        "of table exports such as Students.csv, Schools.csv, CC.csv) or a OneRoster package."
    )
    st.page_link("pages/load.py", label="Go to Load", icon=":material/upload_file:")


def show_counts(status: dict[str, Any]) -> None:
    latest = status["loads"][0]
    changes = ui.latest_changes(status["loads"])
    entities = list(status["counts"])
    for start in range(0, len(entities), TILES_PER_ROW):
        row = entities[start:start + TILES_PER_ROW]
        for col, entity in zip(st.columns(TILES_PER_ROW), row, strict=False):
            change = changes.get(entity, 0)
            col.metric(ui.label(entity), f"{status['counts'][entity]:,}",
                       delta=f"{change:+,}" if change else None, border=True)
    st.caption(f"Totals over every source. Changes are those of the latest load, "
               f"#{latest['load_id']} of source '{ui.escape_md(latest['source'])}'.")


def show_sources(status: dict[str, Any]) -> None:
    st.subheader("By source")
    st.dataframe(ui.counts_by_source_frame(status), hide_index=True)


def show_history(status: dict[str, Any]) -> None:
    st.subheader("Load history")
    st.dataframe(ui.loads_frame(status["loads"]), hide_index=True)


def show_findings(latest: dict[str, Any]) -> None:
    st.subheader(f"Findings of the latest load (#{latest['load_id']})")
    if not latest["findings"]:
        st.success("The latest load had no findings.")
        return
    findings = ui.latest_findings()
    if len(findings) < latest["findings"]:
        st.caption(f"The first {len(findings):,} of {latest['findings']:,}, most severe first.")
    st.dataframe(ui.findings_frame(findings), hide_index=True)


ui.require_router()
st.title("Workspace")
status = ui.status()
if status["loads"]:
    show_counts(status)
    show_sources(status)
    show_history(status)
    show_findings(status["loads"][0])
else:
    show_empty()
