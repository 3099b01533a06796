"""Commit: approve the plan, whole or in part, commit it, and the history with rollback."""

import streamlit as st

import ui
from ui.sync import history_figure, history_frame, version_diff_frame
from workbench import Workspace
from workbench.errors import WorkbenchError
from workbench.model.schema import ENTITIES
from workbench.sync import rollback_roster, roster_history, roster_rows
from workbench.sync.approve import approve_plan, latest_approval
from workbench.sync.commit import commit_plan
from workbench.sync.plan import (
    Plan,
    changed_fields,
    committed_version,
    latest_plan,
    school_counts,
)
from workbench.sync.roster import diff_versions


def exclusions(ws: Workspace, plan: Plan) -> dict[str, list[dict[str, str]]]:
    """The parts the steward leaves out: entities, causes, a school's deletes, fields, records."""
    changed = [e for e, c in plan.counts.items() if any(c.values())]
    entities = st.multiselect("Leave out these entities", changed, format_func=ui.label,
                              key="commit_skip_entities")
    causes = st.multiselect("Leave out these causes", [c.cause for c in plan.causes],
                            format_func=lambda c: next(x.label for x in plan.causes if x.cause == c),
                            key="commit_skip_causes")
    schools = school_counts(ws, plan.hash)
    deleting = sorted(set(schools[(schools["op"] == "delete") & (schools["school"] != "(none)")]["school"]))
    no_delete = st.multiselect("Leave out the deletes of these schools", deleting,
                               key="commit_skip_schools")
    fields = changed_fields(ws, plan.hash)
    options = [f"{e}.{f}" for e, f in zip(fields["entity"], fields["field"], strict=True)]
    no_fields = st.multiselect("Leave out these fields of the updates", options,
                               key="commit_skip_fields")
    records = st.text_input("Leave out these records (IDs, separated by commas or spaces)",
                            key="commit_skip_records")
    ids = [i for i in records.replace(",", " ").split() if i]
    return {"exclude": [{"entity": e} for e in entities] + [{"cause": c} for c in causes]
            + [{"school": s, "op": "delete"} for s in no_delete]
            + [{"entity": ef.split(".", 1)[0], "field": ef.split(".", 1)[1]} for ef in no_fields]
            + [{"sourced_id": i} for i in ids]}


def approve(ws: Workspace, plan: Plan) -> None:
    st.subheader("Approve")
    selection = exclusions(ws, plan)
    reason = st.text_input("Reason to approve past the hold", key="commit_reason") if plan.held else ""
    author = st.text_input("Your name", key="commit_author")
    if st.button("Approve", key="commit_approve"):
        try:
            a = approve_plan(ws, plan.hash, selection, author=author or None,
                             override_reason=reason or None)
        except WorkbenchError as exc:
            st.error(ui.escape_md(str(exc)))
            return
        parts = "; ".join(f"{ui.label(e)}: " + ", ".join(f"{op} {n:,}" for op, n in ops.items())
                          for e, ops in a.counts.items()) or "nothing"
        st.success(f"Approval #{a.approval_id} by {a.author}: {parts}.")


def commit(ws: Workspace, plan: Plan) -> None:
    st.subheader("Commit")
    approval = latest_approval(ws, plan.hash)
    if approval is None:
        st.caption("Approve the plan (or the part you want) first.")
        return
    st.caption(f"Commits approval #{approval.approval_id} by {approval.author} in one transaction.")
    sure = st.checkbox("I have reviewed the approved changes", key="commit_sure")
    if st.button("Commit", key="commit_go", type="primary", disabled=not sure):
        try:
            v = commit_plan(ws, plan.hash, author=st.session_state.get("commit_author") or None)
        except WorkbenchError as exc:
            st.error(ui.escape_md(str(exc)))
            return
        st.success(f"Committed version {v.version}: {v.total('insert'):,} inserted, "
                   f"{v.total('update'):,} updated, {v.total('delete'):,} deleted.")


def compare(ws: Workspace, numbers: list[int]) -> None:
    """View one version, or what changed between two."""
    with st.expander("View a version, or compare two"):
        c1, c2, c3 = st.columns(3)
        new = c1.selectbox("Version", numbers, key="commit_view_version")
        old = c2.selectbox("Compared with", [None, *numbers, 0], key="commit_view_old",
                           format_func=lambda v: "—" if v is None else f"version {v}")
        entity = c3.selectbox("Entity", list(ENTITIES), format_func=ui.label, key="commit_view_entity",
                              index=list(ENTITIES).index("student"))
        if old is None:
            st.dataframe(roster_rows(ws, entity, new), hide_index=True, key="commit_view_rows")
            return
        changes = diff_versions(ws, old, new, entity=entity)
        st.caption(f"{len(changes):,} {ui.label(entity).lower()} change(s) from version {old} to {new}.")
        st.dataframe(version_diff_frame(changes), hide_index=True, key="commit_view_diff")


def history(ws: Workspace) -> None:
    st.subheader("History")
    versions = roster_history(ws)
    if not versions:
        st.caption("Nothing committed yet.")
        return
    st.plotly_chart(history_figure(versions), key="commit_history_chart")
    st.dataframe(history_frame(versions), hide_index=True, key="commit_history")
    compare(ws, [v.version for v in versions])
    target = st.selectbox("Roll back to version", [v.version for v in versions[1:]] + [0],
                          key="commit_rollback_to")
    sure = st.checkbox("Make a new version equal to that one", key="commit_rollback_sure")
    if st.button("Roll back", key="commit_rollback", disabled=not sure):
        try:
            v = rollback_roster(ws, int(target), author=st.session_state.get("commit_author") or None)
        except WorkbenchError as exc:
            st.error(ui.escape_md(str(exc)))
            return
        st.success(f"Version {v.version} restores version {target}.")
        st.rerun()


ui.require_router()
st.title("Commit")
ws = ui.require_workspace()
plan = latest_plan(ws)
if plan is None:
    st.info("No plan yet: build one on the **Preview** page.")
    st.page_link("pages/preview.py", label="Go to Preview", icon=":material/difference:")
elif committed_version(ws, plan.hash) is not None:
    st.info(f"The latest plan `{plan.hash}` was committed as version "
            f"{committed_version(ws, plan.hash)}. Build a new plan on the Preview page.")
elif plan.total() == 0:
    st.success("The latest plan changes nothing: the committed roster is up to date.")
else:
    if plan.held:
        st.error("**Held.** " + " ".join(f"\n* {ui.escape_md(r.message)}" for r in plan.hold_reasons)
                 + "\n\nLeave out the changes that tripped the hold, or give a reason to approve "
                 "past it.")
    st.caption(f"Plan `{plan.hash}`: {plan.total('insert'):,} inserts, {plan.total('update'):,} "
               f"updates, {plan.total('delete'):,} deletes.")
    approve(ws, plan)
    commit(ws, plan)
history(ws)
