"""Fields: PowerSchool's View Field List for the loaded sources, with a profile of every field,
the extension groups, and a custom plugin built from the fields the steward picks."""

import streamlit as st

import ui
import workbench as wb
from ui import fields as fl


def show_tables() -> None:
    with st.expander("Tables", expanded=False):
        st.dataframe(fl.tables_frame(fl.tables()), hide_index=True)
    groups = fl.groups()
    st.subheader("Extension groups")
    if groups.empty:
        st.caption("No extension table (core fields, U_DEF_EXT_*, district U_* or state S_* "
                   "tables) in the loaded PowerSchool data.")
        return
    st.dataframe(fl.groups_frame(groups), hide_index=True, key="fl_groups")
    for _, g in groups[groups["orphans"].fillna(0) > 0].iterrows():
        st.warning(f"{int(g['orphans']):,} row(s) of **{g['group']}** hang off no "
                   f"{g['core_table']} row: check the extension group and table names "
                   "(System Management > Database Extensions) before picking its fields.")


def show_fields() -> None:
    st.subheader("Fields")
    st.caption("Standard fields have no dot; other tables' fields are `TableName.FieldName`, as "
               "in PowerSchool's View Field List. Fill, distinct values and keys count every row; "
               "types, shapes (9 = digit, A/a = letters) and samples come from a sample.")
    frame = fl.fields_frame(fl.fields())
    left, mid, right = st.columns([2, 2, 1])
    text = left.text_input("Filter", placeholder="e.g. immun, laptop, email", key="fl_filter")
    kinds = mid.multiselect("Kind", sorted(frame["Kind"].unique()), key="fl_kinds")
    unused = right.toggle("Not used yet", key="fl_unused",
                          help="fields the workbench neither reads as standard nor maps")
    shown = fl.filter_fields(frame, text, kinds, unused)
    st.caption(f"{len(shown):,} of {len(frame):,} field(s). Tick **Pick** for the fields your "
               "roster needs; choose the attribute a field fills, or leave it empty to keep the "
               "field in the record's extensions.")
    choices = sorted({a for core in shown["Core table"].dropna().unique()
                      for a in fl.attribute_choices(core)})
    edited = st.data_editor(
        shown, hide_index=True, key="fl_editor",
        disabled=[c for c in fl.FIELD_VIEW if c not in ("Pick", "Fills attribute")],
        column_config={"Pick": st.column_config.CheckboxColumn("Pick"),
                       "Fills attribute": st.column_config.SelectboxColumn(
                           "Fills attribute", options=choices)})
    show_profile(shown)
    show_plugin(edited)


def show_profile(shown) -> None:  # type: ignore[no-untyped-def]
    st.subheader("One field in depth")
    if shown.empty:
        st.caption("No field matches the filter.")
        return
    labels = [f"{n} ({s})" for n, s in zip(shown["Name"], shown["Source"], strict=True)]
    chosen = st.selectbox("Field", labels, key="fl_profile")
    row = shown.iloc[labels.index(chosen)]
    profile = fl.value_counts(row["Table"], row["Field"], row["Source"])
    cols = st.columns(4)
    cols[0].metric("Filled", f"{row['Fill %']:.1f}%")
    cols[1].metric("Distinct values", f"{row['Distinct']:,}")
    cols[2].metric("Type", row["Type"])
    cols[3].metric("Length", f"{profile.lengths['min']}–{profile.lengths['max']}")
    if profile.values.empty or int(profile.values["rows"].max()) <= 1:
        st.caption("Every value is different: nothing repeats to chart.")
        return
    st.plotly_chart(fl.values_figure(profile), key="fl_values_chart")


def show_plugin(edited) -> None:  # type: ignore[no-untyped-def]
    st.subheader("Custom plugin")
    picks = fl.picks_of(edited)
    if not picks:
        st.caption("Pick fields above to build a PowerSchool plugin that grants them (with every "
                   "standard field the workbench reads) and queries them.")
        return
    st.markdown("Picked: " + ", ".join(f"`{p.column}`" + (f" → {p.attribute}" if p.attribute else "")
                                       for p in picks))
    unkept = fl.not_kept(picks)
    if unkept:
        st.warning("The workbench keeps extension fields of Students only: "
                   + ", ".join(unkept) + " will be granted by the plugin but not loaded.")
    name = st.text_input("Plugin name", value="Roster Workbench custom fields", max_chars=40,
                         key="fl_plugin_name")
    try:
        data = fl.plugin_zip(picks, name)
    except ValueError as exc:
        st.error(f"The plugin cannot be built: {ui.escape_md(str(exc))}")
        return
    st.download_button("Download the plugin (zip)", data, file_name="roster-workbench-plugin.zip",
                       mime="application/zip", key="fl_download")
    st.caption("Install it in PowerSchool under System Management > Server > Plugin "
               "Configuration > Install, enable it, and use its client ID and secret on Connect.")
    st.markdown("**Save to the configuration**: a field that fills an attribute is added to the "
                "attribute mapping; a student extension field without one is delivered with the "
                "students, as a `metadata.<field>` column of the OneRoster users.csv.")
    author = st.text_input("Your name", key="fl_author")
    if st.button("Save the mapping and delivered fields", key="fl_save", type="primary"):
        try:
            added, delivered = fl.save_mapping(picks, author)
        except wb.InputError as exc:
            st.error(ui.problems_markdown(exc))
            return
        said = [f"{e}.{a} ← {s['field']}" for e, attrs in added.items() for a, s in attrs.items()]
        said += [f"{f} delivered" for f in delivered]
        if not said:
            st.info("Nothing to save: these picks neither fill an attribute nor extend Students.")
            return
        st.success("Saved a configuration version: " + ", ".join(said) + ".")


ui.require_router()
st.title("Fields")
if not ui.status()["loads"]:
    st.info(ui.NOTHING_LOADED)
    st.stop()
show_tables()
show_fields()
