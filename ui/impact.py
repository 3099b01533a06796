"""The live impact of the draft: what it would keep and drop compared with the saved version."""

from __future__ import annotations

from typing import Any

import streamlit as st

import workbench as wb
from workbench import rules

from . import quality
from .config import draft, problems_markdown, saved
from .formatting import escape_md, label
from .workspace import require_workspace


def preview() -> rules.Impact | str:
    """The impact of this session's draft, or the located problems that prevent one."""
    try:
        return rules.preview_impact(require_workspace(), rules.complete_config(draft()),
                                    base=saved())
    except wb.InputError as exc:
        return problems_markdown(exc).replace("The configuration was not saved:",
                                              "No preview: the draft has problems:")


def show_impact(*, key: str) -> None:
    """Kept and dropped per entity, per school, enrollments lost through cascades, top rules."""
    st.subheader("Impact of the draft")
    impact = preview()
    if isinstance(impact, str):
        st.error(impact, icon=":material/block:")
        return
    show_summary(impact)
    st.plotly_chart(quality.impact_figure(impact.entities), key=f"{key}_impact_chart")
    st.dataframe(quality.impact_entities_frame(impact.entities), hide_index=True)
    show_details(impact)


def show_summary(impact: rules.Impact) -> None:
    changed = impact.entities[impact.entities["kept_change"] != 0]
    cascade = impact.cascades.get("enrollments_dropped_by_cascade_draft", 0)
    if changed.empty:
        st.caption(f"The draft keeps the same records as the saved configuration "
                   f"(previewed in {impact.seconds:.2f}s).")
    else:
        parts = [f"{label(r['entity'])} {int(r['kept_change']):+,}"
                 for r in changed.to_dict("records")]
        st.info("Compared with the saved configuration, records kept: " + ", ".join(parts)
                + f". Enrollments dropped through cascades: {cascade:,}"
                + f" (previewed in {impact.seconds:.2f}s).")
    for note in impact.notes:
        st.caption(escape_md(note))


def show_details(impact: rules.Impact) -> None:
    schools = quality.impact_schools_frame(impact.schools)
    by_rule = quality.impact_rules_frame(impact.rules)
    left, right = st.columns(2)
    with left:
        st.caption("Schools where the draft changes what is kept")
        _table_or_none(schools, "No school changes.")
    with right:
        st.caption("Rules that drop the most records")
        _table_or_none(by_rule, "No record is dropped.")


def _table_or_none(frame: Any, empty: str) -> None:
    if frame.empty:
        st.caption(empty)
    else:
        st.dataframe(frame, hide_index=True)
