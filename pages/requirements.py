"""Data Requirements: per entity attribute, what a missing value does to the record."""

from typing import Any

import streamlit as st

import ui
from ui import config as cfg
from ui import config_frames as frames
from ui.impact import show_impact
from workbench.rules.schema import REQUIREMENTS

MEANINGS = {
    "include": "deliver the value as it is (the default)",
    "report_if_missing": "keep the record, and report it when the value is missing",
    "skip_if_missing": "drop the record when the value is missing, and say so",
    "mask": "deliver the record without this value",
}


def explain() -> None:
    st.caption("Choose, per attribute, how a missing value is handled. "
               + "; ".join(f"**{r.replace('_', ' ')}**: {MEANINGS[r]}" for r in REQUIREMENTS) + ".")


def edit_requirements(section: dict[str, Any], entity: str) -> None:
    missing = frames.missing_by_attribute(cfg.missing_values(entity))
    frame = frames.requirements_frame(entity, section.get(entity, {}), missing)
    edited = st.data_editor(
        frame, hide_index=True, key=cfg.wkey(f"requirements.{entity}"),
        disabled=["Attribute", "Meaning", "Missing now"],
        column_config={"Requirement": st.column_config.SelectboxColumn(
            options=list(REQUIREMENTS), required=True)},
    )
    chosen = frames.requirements_from(edited)
    if chosen:
        section[entity] = chosen
    else:
        section.pop(entity, None)


def show_summary(section: dict[str, Any]) -> None:
    rows = [{"Entity": ui.label(e), "Attribute": a, "Requirement": r}
            for e, attrs in section.items() for a, r in attrs.items()]
    if rows:
        st.caption("Every attribute that is not simply included:")
        st.dataframe(rows, hide_index=True)


ui.require_router()
st.title("Data Requirements")
explain()
cfg.show_outcome()
draft = cfg.draft()
requirements = draft.setdefault("requirements", {})
entity = st.selectbox("Entity", frames.ENTITY_CHOICES, index=frames.STUDENT,
                      format_func=ui.label, key="cfg_req_entity")
edit_requirements(requirements, entity)
show_summary(requirements)
show_impact(key="requirements")
cfg.save_panel()
