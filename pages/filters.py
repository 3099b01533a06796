"""Filter Rules: which records of each entity sync, from templates or custom conditions."""

from typing import Any

import streamlit as st

import ui
from ui import config as cfg
from ui import config_frames as frames
from ui.impact import show_impact
from workbench.rules.schema import FILTER_ENTITIES, OPERATORS

TEMPLATE, CUSTOM = "From a template", "Custom conditions"


def load_spec(filters: dict[str, Any], entity: str) -> dict[str, Any]:
    spec = filters.get(entity) or {}
    return {"rules": list(spec.get("rules") or []), "include_linked": spec.get("include_linked", True)}


def store_spec(filters: dict[str, Any], entity: str, spec: dict[str, Any]) -> None:
    """Write the entity's rules back; an entity with nothing set stays out of the file."""
    if spec["rules"] or not spec["include_linked"]:
        filters[entity] = spec
    else:
        filters.pop(entity, None)


def edit_linked(spec: dict[str, Any], entity: str) -> None:
    spec["include_linked"] = st.toggle(
        "Include linked records", value=spec["include_linked"], key=cfg.wkey(f"filters.{entity}.linked"),
        help="A kept record keeps what it needs: a kept class keeps its course, term and "
        "enrollments. Removing a teacher or a student also removes their enrollments.")


def list_rules(spec: dict[str, Any], filters: dict[str, Any], entity: str) -> None:
    if not spec["rules"]:
        st.caption(f"No rule: every {entity} record syncs.")
        return
    for i, rule in enumerate(spec["rules"]):
        text, on, delete = st.columns([6, 1, 1], vertical_alignment="center")
        text.markdown(ui.escape_md(frames.describe_rule(rule)))
        enabled = on.toggle("On", value=rule.get("enabled", True), key=cfg.wkey(f"filters.{entity}.{i}.on"))
        if enabled:
            rule.pop("enabled", None)
        else:
            rule["enabled"] = False
        if delete.button("Delete", key=cfg.wkey(f"filters.{entity}.{i}.delete")):
            spec["rules"].pop(i)
            store_spec(filters, entity, spec)
            cfg.refresh_widgets()
            st.rerun()


def template_params(template: str, entity: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name in frames.template_params(template):
        key = cfg.wkey(f"filters.new.{name}")
        if name in ("from", "to"):
            params[name] = st.selectbox(f"Grade {name}", frames.GRADES, key=key,
                                        index=frames.GRADES.index("KG" if name == "from" else "12"))
        elif name == "schools":
            names = {s["sourced_id"]: f"{s['name']} ({s['school_number'] or s['sourced_id']})"
                     for s in cfg.schools()}
            params[name] = st.multiselect("Schools", list(names), format_func=names.get, key=key)
        else:
            params[name] = st.text_input(name, key=key)
    return params


def new_template_rule(entity: str, action: str, name: str) -> dict[str, Any] | None:
    templates = frames.templates_for(entity)
    template = st.selectbox("Template", templates, key=cfg.wkey(f"filters.new.{entity}.template"),
                            format_func=lambda t: t.replace("_", " ").capitalize())
    params = template_params(template, entity)
    return frames.template_rule(template, action, params, name)


def new_custom_rule(entity: str, action: str, name: str) -> dict[str, Any]:
    match = st.radio("Match", ["all", "any"], horizontal=True, key=cfg.wkey("filters.new.match"),
                     format_func=lambda m: f"{m} of the conditions")
    edited = st.data_editor(
        frames.empty_conditions(), num_rows="dynamic", key=cfg.wkey(f"filters.new.{entity}.conditions"),
        column_config={
            "Attribute": st.column_config.SelectboxColumn(options=frames.filterable(entity)),
            "Operator": st.column_config.SelectboxColumn(options=list(OPERATORS)),
            "Value": st.column_config.TextColumn(
                help="in list: values separated by commas; before/after: a date (2026-08-20); "
                "is empty, is not empty, is future and is past take no value"),
        },
    )
    return frames.custom_rule(frames.conditions_from(edited), match, action, name)


def add_rule(spec: dict[str, Any], filters: dict[str, Any], entity: str) -> None:
    st.subheader("Add a rule")
    kind = st.radio("Rule", [TEMPLATE, CUSTOM], horizontal=True, key=cfg.wkey("filters.new.kind"))
    left, right = st.columns(2)
    action = left.radio("Records that match are", ["include", "exclude"], horizontal=True,
                        key=cfg.wkey("filters.new.action"),
                        format_func=lambda a: "kept (include)" if a == "include" else "dropped (exclude)")
    name = right.text_input("Name (optional)", key=cfg.wkey("filters.new.name"), max_chars=80)
    if kind == TEMPLATE:
        rule = new_template_rule(entity, action, name.strip())
    else:
        rule = new_custom_rule(entity, action, name.strip())
    if st.button("Add rule", key=cfg.wkey("filters.new.add")):
        append(spec, filters, entity, rule)


def append(spec: dict[str, Any], filters: dict[str, Any], entity: str, rule: dict[str, Any]) -> None:
    if rule.get("conditions") == []:
        st.warning("Add at least one condition (attribute and operator) first.")
        return
    trial = {**cfg.draft(), "filters": {**filters, entity: {**spec, "rules": [*spec["rules"], rule]}}}
    problems = cfg.check(trial)
    if problems:
        st.error(problems, icon=":material/block:")
        return
    spec["rules"].append(rule)
    store_spec(filters, entity, spec)
    cfg.refresh_widgets()
    st.rerun()


ui.require_router()
st.title("Filter Rules")
st.caption("Choose which records sync: an include rule keeps the records it matches, an exclude "
           "rule drops them. Changes stay a draft until you save them as a new version.")
cfg.show_outcome()
draft = cfg.draft()
filters = draft.setdefault("filters", {})
entity = st.segmented_control("Entity", FILTER_ENTITIES, default="student", key="cfg_filter_entity",
                              format_func=ui.label) or "student"
spec = load_spec(filters, entity)
edit_linked(spec, entity)
list_rules(spec, filters, entity)
store_spec(filters, entity, spec)
add_rule(spec, filters, entity)
show_impact(key="filters")
cfg.save_panel()
