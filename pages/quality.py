"""Data Quality: missing values by attribute and school, findings by rule, trends across loads."""

import pandas as pd
import streamlit as st

import ui
from ui import config as cfg
from ui import config_frames as frames
from ui import quality

FILTERS = ("Entity", "Severity", "Rule", "School")


def show_missing() -> None:
    st.subheader("Missing values")
    entity = st.selectbox("Entity", frames.ENTITY_CHOICES, index=frames.STUDENT,
                          format_func=ui.label, key="dq_entity")
    frame = quality.missing_frame(cfg.missing_values(entity))
    if frame.empty:
        st.success(f"No {ui.label(entity).lower()} record misses a value.")
        return
    st.plotly_chart(quality.missing_figure(frame), key="dq_missing_chart")
    with st.expander("As a table"):
        st.dataframe(frame[["School", "Attribute", "Missing", "Records", "% missing"]],
                     hide_index=True)


def offer_build() -> None:
    if cfg.candidate_is_current():
        return
    st.caption("The candidate roster is the roster a sync would deliver under the saved "
               "configuration; build it again after a load or a saved change.")
    if st.button("Build the candidate roster", key="dq_build", type="primary"):
        with st.spinner("Building the candidate roster…"):
            summary = cfg.build_candidate()
        st.success(f"Built in {summary.seconds:.1f}s: {sum(summary.kept.values()):,} records kept, "
                   f"{sum(summary.dropped.values()):,} dropped, "
                   f"{sum(summary.findings.values()):,} finding(s).")


def show_findings() -> None:
    st.subheader("Findings on the candidate roster")
    offer_build()
    found = cfg.findings()
    if found is None:
        st.info("No candidate roster was built yet: its findings (quarantined values, values "
                "reported missing) show here once it is.")
        return
    counts, rows = found
    if not counts:
        st.success("The candidate roster has no findings.")
        return
    st.plotly_chart(quality.by_rule_figure(counts), key="dq_rule_chart")
    frame = quality.findings_frame(rows)
    shown = quality.filter_findings(frame, choose_filters(frame))
    total = sum(c["findings"] for c in counts)
    first = f" (the first {len(frame):,} of {total:,})" if len(frame) < total else ""
    st.caption(f"{len(shown):,} of {len(frame):,} finding(s){first}")
    st.dataframe(shown, hide_index=True)
    st.download_button("Download as CSV", shown.to_csv(index=False).encode("utf-8"),
                       file_name="findings.csv", mime="text/csv", key="dq_download")


def choose_filters(frame: pd.DataFrame) -> dict[str, list[str]]:
    columns = st.columns(len(FILTERS))
    return {name: col.multiselect(name, sorted(frame[name].dropna().unique()), key=f"dq_{name}")
            for name, col in zip(FILTERS, columns, strict=True)}


def show_trend() -> None:
    st.subheader("Across loads")
    frame = quality.load_trend_frame(ui.status()["loads"])
    if frame.empty:
        st.caption("Nothing was loaded yet.")
        return
    st.plotly_chart(quality.load_trend_figure(frame), key="dq_trend_chart")


ui.require_router()
st.title("Data Quality")
st.caption("What is missing or invalid in the roster, where, and how it moves from load to load.")
show_missing()
show_findings()
show_trend()
