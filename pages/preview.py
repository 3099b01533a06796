"""Preview: what the sync would change, per entity and school, field by field, and why."""

import streamlit as st

import ui
from ui.sync import causes_frame, counts_figure, diff_styler, school_figure
from workbench import Workspace
from workbench.errors import WorkbenchError
from workbench.rules import build_candidate
from workbench.rules.config import load_config
from workbench.sync.plan import (
    Plan,
    committed_version,
    field_changes,
    latest_plan,
    plan_changes,
    school_counts,
)

OPS = ("insert", "update", "delete")


def build(ws: Workspace) -> None:
    try:
        with st.spinner("Building the candidate roster and the plan…"):
            config = load_config(ws)
            build_candidate(ws, config)
            from workbench.sync.plan import build_plan

            plan = build_plan(ws, config)
    except WorkbenchError as exc:
        st.error(ui.escape_md(str(exc)))
        return
    st.session_state["plan_built"] = plan.hash


def show_summary(plan: Plan) -> None:
    st.caption(f"Plan `{plan.hash}` against version {plan.head_version} ({plan.mode} mode), "
               f"built {plan.created_at:%Y-%m-%d %H:%M}.")
    cols = st.columns(3)
    for col, op in zip(cols, OPS, strict=True):
        col.metric(f"{op.capitalize()}s", f"{plan.total(op):,}", border=True)
    if plan.held:
        st.error("**This plan is held.** " + " ".join(f"\n* {ui.escape_md(r.message)}"
                                                      for r in plan.hold_reasons))
    if plan.total() == 0:
        st.success("Nothing to change: the committed roster is up to date.")


def show_charts(ws: Workspace, plan: Plan) -> None:
    left, right = st.columns(2)
    left.markdown("**Changes per entity**")
    left.plotly_chart(counts_figure(plan.counts), key="plan_bars")
    schools = school_counts(ws, plan.hash)
    right.markdown("**Changes per school**")
    right.plotly_chart(school_figure(schools), key="plan_heat")


def show_causes(plan: Plan) -> None:
    st.subheader("Why: the changes grouped by their likely cause")
    st.dataframe(causes_frame(plan.causes), hide_index=True, key="plan_causes",
                 column_config={"code": st.column_config.TextColumn("code", width="small")})


def show_fields(ws: Workspace, plan: Plan) -> None:
    st.subheader("Field by field")
    updated = [e for e, c in plan.counts.items() if c["update"]]
    if not updated:
        st.caption("No updates in this plan.")
        return
    entity = st.selectbox("Entity", updated, format_func=ui.label, key="plan_field_entity")
    fields = field_changes(ws, plan.hash, entity=entity, limit=2000)
    st.dataframe(diff_styler(fields), hide_index=True, key="plan_fields")


def show_removals(ws: Workspace, plan: Plan) -> None:
    st.subheader("Deletes and cascades")
    deleted = [e for e, c in plan.counts.items() if c["delete"]]
    if not deleted:
        st.caption("No deletes in this plan.")
        return
    entity = st.selectbox("Entity", deleted, format_func=ui.label, key="plan_delete_entity")
    frame = plan_changes(ws, plan.hash, entity=entity, op="delete", limit=2000)
    cascades = frame["cascade_of"].notna().sum()
    st.caption(f"{len(frame):,} shown; {cascades:,} of them go with the record they hang on "
               "(cascade_of).")
    st.dataframe(frame.drop(columns=["diff", "op"]), hide_index=True, key="plan_deletes")


ui.require_router()
st.title("Preview")
ws = ui.require_workspace()
st.caption("What committing the candidate roster would change in the last committed roster. "
           "Nothing is written to the roster here; approve and commit on the **Commit** page.")
if st.button("Build the plan", key="plan_build", type="primary"):
    build(ws)
plan = latest_plan(ws)
if plan is None:
    st.info("No plan yet. Press **Build the plan** to compare the latest loads with the committed "
            "roster.")
    st.stop()
version = committed_version(ws, plan.hash)
if version is not None:
    st.info(f"The latest plan was committed as version {version}. Press **Build the plan** to "
            "compare the latest loads with it.")
    st.stop()
show_summary(plan)
if plan.total():
    show_charts(ws, plan)
    show_causes(plan)
    show_fields(ws, plan)
    show_removals(ws, plan)
    st.page_link("pages/commit.py", label="Approve and commit", icon=":material/task_alt:")
