"""Advanced Settings: delivery options of the sync, duplicate-score bands and the schedule.

Master fields are edited on the Master Fields page, beside the golden records they make."""

from datetime import date, datetime, time
from typing import Any

import streamlit as st

import ui
from ui import config as cfg
from ui import config_frames as frames
from workbench.model.schema import ENTITIES
from workbench.rules.schema import PERSON_ENTITIES, config_schema

SWITCHES = {
    "sync_co_teachers": ("Sync co-teachers", "PowerSchool supports co-teacher roles in sections; "
                         "by default only the lead teacher of a section is synced."),
    "terms_merge": ("Merge terms with the same title and dates", "Terms with the same title, start "
                    "date and end date become one, titled with the format below."),
    "bulk_upload_mode": ("Bulk upload mode", "Detect deleted records by comparing each upload "
                         "with the previous one."),
    "multiple_sources": ("Data comes from several sources", "For example the SIS and Active "
                         "Directory; leave off for a single source."),
    "compare_by_uniqueness": ("Compare records by domains of uniqueness",
                              "Turns on duplicate detection."),
    "preview_before_sync": ("Preview before sync", "Approve every sync by hand: new data is not "
                            "delivered until you accept the changes."),
    "prior_data_consumption": ("Prior data consumption", "Use the SIS data before the new "
                               "academic calendar begins."),
    "incremental_sync": ("Incremental sync", "Only import or sync the data that changed since "
                         "the last sync."),
}
WEEKDAYS: list[str] = config_schema()["properties"]["schedule"]["properties"]["weekday"]["enum"]
FREQUENCIES: list[str] = config_schema()["properties"]["schedule"]["properties"]["frequency"]["enum"]
SOURCE = config_schema()["properties"]["sources"]["items"]["properties"]


def edit_sources(draft: dict[str, Any]) -> None:
    st.subheader("Sources")
    loaded = ", ".join(f"{s['name']} ({s['kind']}, prefix '{s['id_prefix']}')"
                       for s in ui.status()["sources"])
    st.caption("Where roster data comes from. The SIS ID prefix keeps two sources of the same "
               "kind from merging records with the same IDs; 2-way sync sends changes back."
               + (f" Loaded so far: {ui.escape_md(loaded)}." if loaded else ""))
    edited = st.data_editor(
        frames.sources_frame(draft.get("sources") or []), num_rows="dynamic",
        key=cfg.wkey("sources"), hide_index=True,
        column_config={
            "Kind": st.column_config.SelectboxColumn(options=SOURCE["kind"]["enum"]),
            "Sync mode": st.column_config.SelectboxColumn(options=SOURCE["sync_mode"]["enum"]),
        })
    changed(draft, "sources", frames.sources_from(edited))


def changed(draft: dict[str, Any], section: str, value: Any) -> None:
    """Write a section edited as a table only when it differs (keeps the saved key order)."""
    if value != draft.get(section):
        draft[section] = value


def edit_holds(draft: dict[str, Any]) -> None:
    st.subheader("Sync hold thresholds")
    st.caption("A sync that would insert, update or delete more than these (a percentage of the "
               "entity's records or a count) is held until a steward approves it. Per school "
               "applies the thresholds to each school; near a term boundary they are looser by "
               "the factor.")
    edited = st.data_editor(
        frames.holds_frame(draft.get("holds") or {}), num_rows="dynamic", key=cfg.wkey("holds"),
        hide_index=True,
        column_config={"Entity": st.column_config.SelectboxColumn(options=list(ENTITIES))})
    changed(draft, "holds", frames.holds_from(edited))


def edit_uniqueness(draft: dict[str, Any]) -> None:
    st.subheader("Domains of uniqueness")
    st.caption("Attributes that together must be unique, to find duplicates: `+` joins "
               "attributes of one set, `;` separates sets tried in order.")
    section = dict(draft.get("uniqueness") or {})
    for entity in PERSON_ENTITIES:
        text = st.text_input(ui.label(entity), key=cfg.wkey(f"uniqueness.{entity}"),
                             value=frames.uniqueness_text(section.get(entity) or []))
        sets = frames.uniqueness_from(text)
        if sets:
            section[entity] = sets
        else:
            section.pop(entity, None)
    changed(draft, "uniqueness", section)


def edit_contacts(section: dict[str, Any]) -> None:
    st.subheader("Contacts")
    section["contact_module"] = st.toggle(
        "Use the contact module", value=section.get("contact_module", True),
        key=cfg.wkey("advanced.contact_module"),
        help="On: contacts come from the contact module and contact filters apply. Off: contact "
        "names are parsed from one field, split on the separator below.")
    section["contact_name_separator"] = st.text_input(
        "Contact name separator", value=section.get("contact_name_separator", " "), max_chars=3,
        key=cfg.wkey("advanced.contact_name_separator"), disabled=section["contact_module"],
        help="The character between the parts of a contact name, such as a comma or a space "
        "(used when the contact module is off).")


def edit_switches(section: dict[str, Any]) -> None:
    st.subheader("Delivery")
    left, right = st.columns(2)
    for i, (name, (label, help_text)) in enumerate(SWITCHES.items()):
        column = left if i % 2 == 0 else right
        section[name] = column.toggle(label, value=bool(section.get(name)), help=help_text,
                                      key=cfg.wkey(f"advanced.{name}"))
    section["terms_title_format"] = st.text_input(
        "Merged term title format", value=section.get("terms_title_format", "{name} ({start} {end})"),
        key=cfg.wkey("advanced.terms_title_format"), disabled=not section["terms_merge"],
        help="{name}, {start} and {end} are replaced by the term's name, first and last day.")


def edit_linkage(section: dict[str, Any]) -> None:
    st.subheader("Duplicate scores")
    left, right = st.columns(2)
    section["match_threshold"] = left.number_input(
        "Match at or above", 0.0, 1.0, float(section.get("match_threshold", 0.9)), 0.05,
        key=cfg.wkey("linkage.match_threshold"),
        help="Pairs scoring at least this are the same person.")
    section["possible_threshold"] = right.number_input(
        "Possible match at or above", 0.0, 1.0, float(section.get("possible_threshold", 0.5)), 0.05,
        key=cfg.wkey("linkage.possible_threshold"),
        help="Pairs between the two bands go to the steward's review queue; below, not a match.")


def edit_schedule(section: dict[str, Any]) -> None:
    st.subheader("Sync schedule")
    left, middle, right = st.columns(3)
    frequency = section.get("frequency", "off")
    section["frequency"] = left.selectbox(
        "How often", FREQUENCIES, index=FREQUENCIES.index(frequency),
        key=cfg.wkey("schedule.frequency"))
    at = middle.time_input("At", value=_time(section.get("time", "00:00")), step=900,
                           key=cfg.wkey("schedule.time"))
    section["time"] = at.strftime("%H:%M")
    if section["frequency"] == "weekly":
        day = section.get("weekday") or "monday"
        section["weekday"] = right.selectbox("On", WEEKDAYS, index=WEEKDAYS.index(day),
                                             format_func=str.capitalize,
                                             key=cfg.wkey("schedule.weekday"))
    else:
        section.pop("weekday", None)
    edit_expiry(section)
    section["first_day_of_calendar"] = st.toggle(
        "Sync on the first day of the school calendar", key=cfg.wkey("schedule.first_day"),
        value=section.get("first_day_of_calendar", True),
        help="New data syncs automatically on the first day of the school calendar at midnight.")


def edit_expiry(section: dict[str, Any]) -> None:
    expires = st.toggle("The schedule expires", value="expires" in section,
                        key=cfg.wkey("schedule.expires_on"))
    if not expires:
        section.pop("expires", None)
        return
    current = section.get("expires")
    day = st.date_input("Last day of the schedule",
                        value=date.fromisoformat(current) if current else date.today(),
                        key=cfg.wkey("schedule.expires"))
    section["expires"] = day.isoformat()


def _time(text: str) -> time:
    return datetime.strptime(text, "%H:%M").time()


ui.require_router()
st.title("Advanced Settings")
st.caption("How the sync delivers, when it runs, and how duplicate scores are read. "
           "Changes stay a draft until you save them as a new version.")
cfg.show_outcome()
draft = cfg.draft()
edit_contacts(draft.setdefault("advanced", {}))
edit_switches(draft["advanced"])
edit_linkage(draft.setdefault("linkage", {}))
edit_schedule(draft.setdefault("schedule", {}))
edit_sources(draft)
edit_holds(draft)
edit_uniqueness(draft)
st.caption("Master fields (which source wins each attribute of a duplicate) are set on the "
           "**Master Fields** page, beside the golden records they make.")
cfg.save_panel()
