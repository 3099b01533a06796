"""Duplicates: the review queue, most uncertain first, with both records side by side and reasons."""

from typing import Any

import streamlit as st

import ui
from ui.duplicates import contributions_figure, side_by_side_markdown
from workbench import Workspace
from workbench.errors import InputError
from workbench.linkage import decide, find_duplicates
from workbench.linkage.review import contributions_frame, pair_records, rekey_queue, review_queue

ENTITIES = ("student", "contact", "teacher", "admin")


def score(ws: Workspace, entity: str) -> None:
    with st.spinner(f"Scoring {entity} duplicates…"):
        found = find_duplicates(ws, entity)
    st.session_state["dup_skipped"] = []
    model = found.extra.get("model", {})
    how = (f"a logistic regression fitted on your {sum(model['labels'].values())} decisions"
           if model.get("model") == "learned" else "the default household-aware model")
    st.success(f"{len(found.pairs):,} pair(s) kept for {entity}s in {found.seconds:.1f}s; "
               f"{len(found.clusters):,} cluster(s); scored by {how}.")


def record_decision(ws: Workspace, entity: str, left: str, right: str, action: str) -> None:
    author = st.session_state.get("dup_author") or None
    try:
        d = decide(ws, entity, left, right, action, author=author,
                   note=st.session_state.get("dup_note") or None)
    except InputError as exc:
        st.error(str(exc))
        return
    st.session_state["dup_last"] = (f"Decision #{d.decision_id}: {action.replace('_', ' ')} "
                                    f"{left} and {right}, by {d.author}. It applies from the next "
                                    "scoring on, and survives later loads.")


def show_pair(ws: Workspace, entity: str, pair: dict[str, Any]) -> None:
    left, right = pair["left"], pair["right"]
    st.subheader(f"{left} ~ {right}")
    st.caption(f"probability {pair['probability']:.3f} · band {pair['band']} · rule {pair['rule']}")
    records = pair_records(ws, entity, left, right)
    st.markdown(side_by_side_markdown(records, left, right))
    st.plotly_chart(contributions_figure(contributions_frame(pair["contributions"])),
                    key=f"dup_chart_{left}_{right}")
    c1, c2, c3 = st.columns(3)
    if c1.button("Merge", key="dup_merge", type="primary"):
        record_decision(ws, entity, left, right, "merge")
        st.rerun()
    if c2.button("Keep separate", key="dup_keep"):
        record_decision(ws, entity, left, right, "keep_separate")
        st.rerun()
    if c3.button("Decide later", key="dup_later"):
        st.session_state.setdefault("dup_skipped", []).append((left, right))
        st.rerun()


def show_rekey(ws: Workspace, entity: str, offer: dict[str, Any]) -> None:
    old, new = offer["old"], offer["new"]
    st.subheader(f"{old} → {new}")
    st.caption(f"{old} was delivered in the last commit and is gone from the load; {new} is new "
               f"and matches it (probability {offer['probability']:.3f}, rule {offer['rule']}). "
               "A re-link delivers it as the same person, not as a delete plus an insert.")
    records = pair_records(ws, entity, old, new)
    st.markdown(side_by_side_markdown(records, old, new))
    st.plotly_chart(contributions_figure(contributions_frame(offer["contributions"])),
                    key=f"rk_chart_{old}_{new}")
    c1, c2, c3 = st.columns(3)
    if c1.button("Re-link (same person)", key="rk_relink", type="primary"):
        record_decision(ws, entity, old, new, "relink")
        st.rerun()
    if c2.button("Keep separate", key="rk_keep"):
        record_decision(ws, entity, old, new, "keep_separate")
        st.rerun()
    if c3.button("Decide later", key="rk_later"):
        st.session_state.setdefault("dup_skipped", []).append((old, new))
        st.rerun()


def rekeys(ws: Workspace, entity: str) -> None:
    skipped = set(map(tuple, st.session_state.get("dup_skipped", [])))
    offers = [r for r in rekey_queue(ws, entity).to_dict(orient="records")
              if (r["old"], r["new"]) not in skipped]
    if not offers:
        st.info(f"No {entity} re-keys await review: no committed {entity} vanished while a new one "
                "that matches it appeared (or every offer is decided or put off).")
        return
    st.caption(f"{len(offers):,} re-key(s) await a decision, the most uncertain first.")
    show_rekey(ws, entity, offers[0])


def duplicates(ws: Workspace, entity: str) -> None:
    queue = review_queue(ws, entity)
    skipped = set(map(tuple, st.session_state.get("dup_skipped", [])))
    waiting = [row for row in queue.to_dict(orient="records")
               if (row["left"], row["right"]) not in skipped]
    if queue.empty:
        st.info(f"No {entity} pairs await review. Press **Score duplicates** to find them.")
    elif not waiting:
        st.info("Every pair in the queue was put off for later. Score again to bring them back.")
    else:
        st.caption(f"{len(waiting):,} pair(s) await a decision, the most uncertain first.")
        show_pair(ws, entity, waiting[0])


ui.require_router()
st.title("Duplicates")
ws = ui.require_workspace()
entity = st.segmented_control("Entity", ENTITIES, default="contact", key="dup_entity") or "contact"
st.text_input("Your name (recorded with each decision)", key="dup_author")
st.text_input("Note (optional)", key="dup_note")
if st.button("Score duplicates", key="dup_score"):
    score(ws, entity)
if st.session_state.get("dup_last"):
    st.info(st.session_state.pop("dup_last"))
view = st.segmented_control("Review", ("Duplicates", "New IDs (re-keys)"), default="Duplicates",
                            key="dup_view") or "Duplicates"
if view == "Duplicates":
    duplicates(ws, entity)
else:
    rekeys(ws, entity)
