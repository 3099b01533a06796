"""Master Fields: which source wins each attribute of a person, and the golden records it makes."""

import streamlit as st

import ui
from ui import config as cfg
from ui import golden as gold
from workbench import InputError
from workbench.linkage.golden import Golden, attributes, build_golden
from workbench.rules.schema import MASTER_STRATEGIES, PERSON_ENTITIES

HOW = ("**source_priority**: the first source of the list that has a value, then the others · "
       "**most_recent**: the record of the latest load · **most_complete**: the record with the "
       "most attributes filled · **aggregate**: every value of a list (phones, e-mails, schools), "
       "in priority order. Not listed: the first source added that has a value. Contacts always "
       "keep every phone and e-mail. `sourced_id` with a source list picks the surviving ID.")


def edit_master_fields(entity: str) -> None:
    st.subheader("Which source wins")
    st.caption(HOW)
    loaded = [s["name"] for s in ui.status()["sources"]]
    if loaded:
        st.caption(f"Sources loaded: {ui.escape_md(', '.join(loaded))}.")
    draft = cfg.draft()
    master = dict(draft.get("master_fields") or {})
    edited = st.data_editor(
        gold.master_rows(master, entity), num_rows="dynamic", hide_index=True,
        key=cfg.wkey(f"master_fields.{entity}"),
        column_config={
            "Attribute": st.column_config.SelectboxColumn(options=["sourced_id", *attributes(entity)]),
            "Strategy": st.column_config.SelectboxColumn(options=list(MASTER_STRATEGIES)),
            "Source priority": st.column_config.TextColumn(help="source names, first wins"),
        })
    section = gold.master_with(master, entity, edited)
    if section != master:
        draft["master_fields"] = section


def golden_of(entity: str) -> Golden:
    """The golden records under the draft's master fields (the saved ones if the draft is invalid)."""
    ws = ui.require_workspace()
    try:
        return build_golden(ws, entity, cfg.draft(), store=False)
    except InputError:
        st.warning(cfg.check(cfg.draft()) or "The draft is not valid; showing the saved settings.")
        return build_golden(ws, entity, cfg.saved(), store=False)


def show_golden(entity: str) -> None:
    st.subheader("Golden records")
    golden = golden_of(entity)
    if golden.records.empty:
        st.info(f"No {entity} duplicates to merge yet: run duplicates first. Open **Duplicates** "
                f"(under Review), choose {entity}, and press **Score duplicates** (or run "
                f"`workbench duplicates WORKSPACE --entity {entity}`). Each cluster it finds "
                "becomes one golden record here.")
        return
    st.caption(f"{len(golden.records):,} golden record(s) under the settings above, unsaved "
               "changes included. The highlighted cells gave the golden value.")
    clusters = gold.clusters_frame(golden)
    st.dataframe(clusters, hide_index=True, key="mf_clusters")
    chosen = st.selectbox("Golden record", clusters["Golden ID"].tolist(), key="mf_cluster",
                          format_func=lambda g: f"{g} ← {clusters.set_index('Golden ID').loc[g, 'Members']}")
    table = gold.cluster_frame(golden, chosen)
    st.dataframe(gold.highlighted(table), hide_index=True)


ui.require_router()
st.title("Master Fields")
st.caption("When the same person is in the roster twice, the golden record takes each attribute "
           "from the record that wins it. Changes stay a draft until you save them.")
cfg.show_outcome()
picked = st.segmented_control("Entity", PERSON_ENTITIES, default="student", key="mf_entity")
entity = picked or "student"
edit_master_fields(entity)
show_golden(entity)
cfg.save_panel()
