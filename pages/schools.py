"""Schools & Attributes: which schools sync, and which source field feeds each canonical attribute."""

from typing import Any

import streamlit as st

import ui
from ui import config as cfg
from ui import config_frames as frames
from ui import fields as fl
from ui.impact import show_impact

AUTO, SELECTED = "Auto mapping: every school", "Only the schools ticked below"


def edit_schools(section: dict[str, Any]) -> None:
    st.subheader("Schools mapping")
    schools = cfg.schools()
    mode = st.radio("Which schools sync?", [AUTO, SELECTED], horizontal=True,
                    index=0 if section.get("mode", "all") == "all" else 1, key=cfg.wkey("schools.mode"))
    section["mode"] = "all" if mode == AUTO else "selected"
    frame = frames.schools_frame(schools, section.get("selected", []), section["mode"] == "all")
    if section["mode"] == "all":
        st.dataframe(frame, hide_index=True, column_config={"ID": None})
    else:
        edited = st.data_editor(
            frame, hide_index=True, key=cfg.wkey("schools.selected"),
            disabled=[c for c in frame.columns if c != "Sync"], column_config={"ID": None},
        )
        section["selected"] = frames.selected_from(edited, section.get("selected", []))
        show_missing(schools, section["selected"])
    section["flag_missing"] = st.toggle(
        "Flag mapped schools missing from a load", value=section.get("flag_missing", True),
        key=cfg.wkey("schools.flag_missing"),
        help="A school that a load lacks is reported instead of silently dropping its roster.",
    )


def show_missing(schools: list[dict[str, Any]], selected: list[str]) -> None:
    missing = frames.missing_schools(schools, selected)
    if missing:
        st.warning("Selected but not in this workspace: " + ", ".join(map(ui.escape_md, missing)))
    if not selected:
        st.warning("No school is ticked: nothing would sync.")


def edit_attributes(section: dict[str, Any]) -> None:
    st.subheader("Attribute mapping")
    st.caption("Feed a canonical attribute from a source field, for example an extension field "
               "such as `U_DEF_EXT_STUDENTS.laptop_tag` or `StudentCoreFields.immunizaton_dpt` "
               "(PowerSchool's spelling; the Fields page lists every field). Leave the source "
               "blank for every source.")
    entity = st.selectbox("Entity", frames.ENTITY_CHOICES, index=frames.STUDENT,
                          format_func=ui.label, key="cfg_map_entity")
    sources = [""] + [s["name"] for s in ui.status()["sources"]]
    frame = frames.mapping_frame(entity, section.get(entity, {}))
    edited = st.data_editor(
        frame, hide_index=True, key=cfg.wkey(f"attributes.{entity}"),
        disabled=["Attribute", "Meaning"],
        column_config={"Source": st.column_config.SelectboxColumn(options=sources)},
    )
    mapping = frames.mapping_from(edited)
    if mapping:
        section[entity] = mapping
    else:
        section.pop(entity, None)


def edit_delivered(draft: dict[str, Any]) -> None:
    st.subheader("Delivered extension fields")
    st.caption("Students' extension fields delivered as `metadata.<field>` columns of the "
               "OneRoster users.csv. The others stay in the workbench.")
    listed = list((draft.get("extensions") or {}).get("student") or [])
    options = list(dict.fromkeys([*listed, *fl.student_extension_fields()]))
    chosen = st.multiselect("Deliver", options, default=listed, key=cfg.wkey("extensions.student"))
    if chosen == listed:
        return
    section = draft.setdefault("extensions", {})
    if chosen:
        section["student"] = chosen
    else:
        section.pop("student", None)
    if not section:
        draft.pop("extensions")


ui.require_router()
st.title("Schools & Attributes")
st.caption("Choose the schools that sync and map source fields onto the canonical roster. "
           "Changes stay a draft until you save them as a new version.")
cfg.show_outcome()
draft = cfg.draft()
edit_schools(draft.setdefault("schools", {}))
edit_attributes(draft.setdefault("attributes", {}))
edit_delivered(draft)
show_impact(key="schools")
cfg.save_panel()
