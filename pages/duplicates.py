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


def review(ws: Workspace, entity: str, ids: tuple[str, str], item: dict[str, Any], *,
           prefix: str, actions: tuple[tuple[str, str, str], ...]) -> None:
    """Both records side by side, the reasons, and the decision buttons (``actions``: label,
    decision, button key; the first is the primary one; then Decide later)."""
    a, b = ids
    st.markdown(side_by_side_markdown(pair_records(ws, entity, a, b), a, b))
    st.plotly_chart(contributions_figure(contributions_frame(item["contributions"])),
                    key=f"{prefix}_chart_{a}_{b}")
    columns = st.columns(len(actions) + 1)
    for i, (label, action, key) in enumerate(actions):
        if columns[i].button(label, key=key, type="primary" if i == 0 else "secondary"):
            record_decision(ws, entity, a, b, action)
            st.rerun()
    if columns[-1].button("Decide later", key=f"{prefix}_later"):
        st.session_state.setdefault("dup_skipped", []).append((a, b))
        st.rerun()


def show_pair(ws: Workspace, entity: str, pair: dict[str, Any]) -> None:
    left, right = pair["left"], pair["right"]
    st.subheader(f"{left} ~ {right}")
    st.caption(f"probability {pair['probability']:.3f} · band {pair['band']} · rule {pair['rule']}")
    review(ws, entity, (left, right), pair, prefix="dup",
           actions=(("Merge", "merge", "dup_merge"), ("Keep separate", "keep_separate", "dup_keep")))


def show_rekey(ws: Workspace, entity: str, offer: dict[str, Any]) -> None:
    old, new = offer["old"], offer["new"]
    st.subheader(f"{old} → {new}")
    st.caption(f"{old} was delivered in the last commit and is gone from the load; {new} is new "
               f"and matches it (probability {offer['probability']:.3f}, rule {offer['rule']}). "
               "A re-link delivers it as the same person, not as a delete plus an insert.")
    review(ws, entity, (old, new), offer, prefix="rk",
           actions=(("Re-link (same person)", "relink", "rk_relink"),
                    ("Keep separate", "keep_separate", "rk_keep")))


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
