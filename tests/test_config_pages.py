"""The configuration pages through AppTest, on real DuckDB workspaces: edit, save, see the version.

Config widgets have keys ``cfg.<generation>.<name>``; the generation moves on after each save, so
tests find a widget by the name after the generation (``widget(at.toggle, "advanced.x")``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import workbench as wb
from tests.test_app import APP, app_on, table
from workbench import rules

SCHOOLS, ADVANCED, REQUIREMENTS = "pages/schools.py", "pages/advanced.py", "pages/requirements.py"
HISTORY, FILTERS, QUALITY = "pages/config_history.py", "pages/filters.py", "pages/quality.py"


def widget(elements: Any, name: str) -> Any:
    """The one config widget of ``elements`` whose key ends with ``.name``."""
    found = [w for w in elements if w.key and w.key.startswith("cfg.") and w.key.endswith("." + name)]
    assert len(found) == 1, f"{len(found)} widgets named {name}"
    return found[0]


def edit(at: AppTest, name: str, rows: dict[int, dict[str, Any]]) -> AppTest:
    """Apply cell edits to a keyed data editor, then run."""
    at.session_state[widget(at.data_editor, name).key] = {
        "edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def save(at: AppTest, note: str = "") -> AppTest:
    at.text_input(key="cfg_author").set_value("dana")
    widget(at.text_input, "note").set_value(note)
    at.button(key="cfg_save").click().run()
    assert not at.exception
    return at


def on_page(workspace: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> AppTest:
    at = app_on(workspace, monkeypatch)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def saved_config(workspace: Path) -> dict[str, Any]:
    with wb.open_workspace(workspace) as ws:
        return rules.load_config(ws)


def saved_history(workspace: Path) -> list[rules.ConfigVersion]:
    with wb.open_workspace(workspace) as ws:
        return rules.history(ws)


@pytest.fixture
def two_schools(loaded_workspace: Path, second_extract: Path) -> Path:
    with wb.open_workspace(loaded_workspace) as ws:
        wb.load_path(ws, second_extract, source="district2", id_prefix="d2-")
    return loaded_workspace


# --- Schools & Attributes ----------------------------------------------------------------------

def test_schools_select_two_and_save_makes_a_version_with_its_diff(two_schools: Path, monkeypatch):
    at = on_page(two_schools, monkeypatch, SCHOOLS)
    assert at.title[0].value == "Schools & Attributes"
    widget(at.radio, "schools.mode").set_value("Only the schools ticked below").run()
    frame = widget(at.data_editor, "schools.selected").value
    schools = frame[frame["Number"] != ""]
    assert sorted(schools["Students"].tolist()) == [3, 5]
    rows = {int(i): {"Sync": True} for i in schools.index}
    edit(at, "schools.selected", rows)
    save(at, note="two schools")
    assert "Saved as version 1 by dana" in at.success[0].value
    assert "+  mode: selected" in at.code[0].value

    config = saved_config(two_schools)
    assert config["schools"]["mode"] == "selected"
    assert sorted(config["schools"]["selected"]) == ["100", "d2-200"]
    [version] = saved_history(two_schools)
    assert version.author == "dana" and version.note == "two schools"
    assert "d2-200" in version.diff


def test_attribute_mapping_from_an_extension_field(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, SCHOOLS)
    at.selectbox(key="cfg_map_entity").set_value("student").run()
    frame = widget(at.data_editor, "attributes.student").value
    row = int(frame.index[frame["Attribute"] == "username"][0])
    edit(at, "attributes.student", {row: {"Source field": "U_DEF_EXT_STUDENTS.laptop_tag"}})
    save(at)
    assert saved_config(loaded_workspace)["attributes"] == {
        "student": {"username": {"field": "U_DEF_EXT_STUDENTS.laptop_tag"}}}


# --- Advanced Settings ---------------------------------------------------------------------------

def test_advanced_toggle_co_teachers_and_weekly_schedule(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, ADVANCED)
    assert at.title[0].value == "Advanced Settings"
    widget(at.toggle, "advanced.sync_co_teachers").set_value(True).run()
    widget(at.selectbox, "schedule.frequency").set_value("weekly").run()
    widget(at.selectbox, "schedule.weekday").set_value("friday").run()
    save(at, note="co-teachers")
    config = saved_config(loaded_workspace)
    assert config["advanced"]["sync_co_teachers"] is True
    assert config["schedule"]["frequency"] == "weekly"
    assert config["schedule"]["weekday"] == "friday"
    assert widget(at.toggle, "advanced.sync_co_teachers").value is True  # the new draft


def test_discard_goes_back_to_the_saved_configuration(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, ADVANCED)
    widget(at.toggle, "advanced.incremental_sync").set_value(True).run()
    assert "Unsaved changes" in at.expander[0].label
    at.button(key="cfg_discard").click().run()
    assert widget(at.toggle, "advanced.incremental_sync").value is False
    assert at.button(key="cfg_save").disabled
    assert saved_history(loaded_workspace) == []


# --- Data Requirements ---------------------------------------------------------------------------

def _requirement_row(at: AppTest, entity: str, attribute: str) -> int:
    frame = widget(at.data_editor, f"requirements.{entity}").value
    return int(frame.index[frame["Attribute"] == attribute][0])


def test_requirements_contact_email_skip_if_missing(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, REQUIREMENTS)
    assert at.title[0].value == "Data Requirements"
    at.selectbox(key="cfg_req_entity").set_value("contact").run()
    row = _requirement_row(at, "contact", "email")
    edit(at, "requirements.contact", {row: {"Requirement": "skip_if_missing"}})
    at.selectbox(key="cfg_req_entity").set_value("student").run()
    students = widget(at.data_editor, "requirements.student").value.set_index("Attribute")
    assert students.loc["middle_name", "Missing now"] == 3  # every student lacks one
    save(at, note="contacts need an email")
    assert saved_config(loaded_workspace)["requirements"] == {"contact": {"email": "skip_if_missing"}}
    assert "+  contact:" in at.code[0].value


def test_an_invalid_requirement_is_located_and_nothing_is_saved(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, REQUIREMENTS)
    at.selectbox(key="cfg_req_entity").set_value("contact").run()
    row = _requirement_row(at, "contact", "email")
    edit(at, "requirements.contact", {row: {"Requirement": "sometimes"}})
    save(at)
    message = at.error[0].value
    assert "**requirements.contact.email**" in message
    assert "allowed: include, report\\_if\\_missing, skip\\_if\\_missing, mask" in message
    assert "Nothing was saved" in message
    assert saved_history(loaded_workspace) == []


# --- Configuration history -----------------------------------------------------------------------

def test_history_diff_and_restore_makes_a_new_equal_version(loaded_workspace: Path, monkeypatch):
    with wb.open_workspace(loaded_workspace) as ws:
        first = rules.load_config(ws)
        rules.save_config(ws, first, author="ana", note="defaults")
        changed = rules.load_config(ws)
        changed["advanced"]["sync_co_teachers"] = True
        rules.save_config(ws, changed, author="ana", note="co-teachers")
    at = on_page(loaded_workspace, monkeypatch, HISTORY)
    versions = table(at, "Version", "Author")
    assert versions["Version"].tolist() == [2, 1]
    assert versions["Note"].tolist() == ["co-teachers", "defaults"]
    assert "+  sync_co_teachers: true" in at.code[0].value
    at.selectbox(key="cfg_hist_restore").set_value(1).run()
    at.text_input(key="cfg_author").set_value("ben")
    at.button(key="cfg_restore").click().run()
    assert not at.exception
    assert "Saved as version 3 by ben" in at.success[0].value
    history = saved_history(loaded_workspace)
    assert [v.version for v in history] == [1, 2, 3]
    assert history[2].yaml == history[0].yaml and history[2].note == "restore of version 1"


def test_history_without_versions_says_so(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, HISTORY)
    assert "No configuration was saved yet" in at.info[0].value


@pytest.mark.parametrize("page", [SCHOOLS, ADVANCED, REQUIREMENTS, HISTORY, FILTERS, QUALITY])
def test_config_pages_render_on_an_empty_workspace(empty_workspace: Path, monkeypatch, page):
    on_page(empty_workspace, monkeypatch, page)


# --- Filter Rules --------------------------------------------------------------------------------

def add_template(at: AppTest, entity: str, template: str, action: str = "include") -> AppTest:
    at.segmented_control(key="cfg_filter_entity").set_value(entity).run()
    widget(at.radio, "filters.new.kind").set_value("From a template").run()
    widget(at.radio, "filters.new.action").set_value(action).run()
    widget(at.selectbox, f"filters.new.{entity}.template").set_value(template).run()
    return at


def click(at: AppTest, name: str) -> AppTest:
    widget(at.button, name).click().run()
    assert not at.exception, at.exception
    return at


def test_filters_two_schools_and_active_students(two_schools: Path, monkeypatch):
    at = on_page(two_schools, monkeypatch, FILTERS)
    assert at.title[0].value == "Filter Rules"
    add_template(at, "student", "active_students")
    click(at, "filters.new.add")
    add_template(at, "student", "schools_in_list")
    widget(at.multiselect, "filters.new.schools").set_value(["100", "d2-200"]).run()
    click(at, "filters.new.add")
    assert [m.value for m in at.markdown if "include" in m.value][:2] == [
        "include active students", "include schools in list (schools=\\[100, d2-200\\])"]
    save(at, note="two schools, active students")
    rules_saved = saved_config(two_schools)["filters"]["student"]["rules"]
    assert rules_saved == [
        {"action": "include", "template": "active_students"},
        {"action": "include", "template": "schools_in_list", "params": {"schools": ["100", "d2-200"]}},
    ]


def test_filters_custom_condition_disable_and_delete(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, FILTERS)
    widget(at.radio, "filters.new.kind").set_value("Custom conditions").run()
    widget(at.radio, "filters.new.action").set_value("exclude").run()
    key = widget(at.data_editor, "filters.new.student.conditions").key
    at.session_state[key] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"Attribute": "grade", "Operator": "in_list", "Value": "11, 12"}]}
    at.run()
    click(at, "filters.new.add")
    add_template(at, "student", "grade_range")
    click(at, "filters.new.add")
    widget(at.toggle, "filters.student.1.on").set_value(False).run()
    click(at, "filters.student.0.delete")
    save(at)
    assert saved_config(loaded_workspace)["filters"] == {"student": {
        "rules": [{"action": "include", "template": "grade_range", "params": {"from": "KG", "to": "12"},
                   "enabled": False}],
        "include_linked": True}}


def test_a_condition_on_an_unknown_attribute_is_refused(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, FILTERS)
    widget(at.radio, "filters.new.kind").set_value("Custom conditions").run()
    key = widget(at.data_editor, "filters.new.student.conditions").key
    at.session_state[key] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"Attribute": "shoe_size", "Operator": "equals", "Value": "9"}]}
    at.run()
    click(at, "filters.new.add")
    assert "**filters.student.rules.0.conditions.0**" in at.error[0].value
    assert "'shoe\\_size' is not an attribute of student" in at.error[0].value
    assert cfg_draft_rules(at) == []


def cfg_draft_rules(at: AppTest) -> list[Any]:
    return (at.session_state["cfg_draft"]["filters"].get("student") or {}).get("rules", [])


# --- Data Quality --------------------------------------------------------------------------------

def test_quality_shows_missing_values_and_the_load_trend(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, QUALITY)
    assert at.title[0].value == "Data Quality"
    at.selectbox(key="dq_entity").set_value("student").run()
    assert not at.exception
    missing = table(at, "Attribute", "Missing")
    middle = missing[missing["Attribute"] == "middle_name"].iloc[0]
    assert middle["School"] == "Maple Elementary" and middle["Missing"] == 3
    assert "No candidate roster was built yet" in at.info[0].value


def test_filters_show_the_impact_of_the_draft_before_saving(two_schools: Path, monkeypatch):
    at = on_page(two_schools, monkeypatch, FILTERS)
    add_template(at, "student", "schools_in_list")
    widget(at.multiselect, "filters.new.schools").set_value(["100"]).run()
    click(at, "filters.new.add")
    summary = next(i.value for i in at.info if i.value.startswith("Compared with the saved"))
    assert "Students -5" in summary and "Enrollments dropped through cascades: 5" in summary
    impact = table(at, "Kept (saved)", "Kept (draft)", "Records")
    students = impact.set_index("Entity").loc["Students"]
    assert (students["Kept (saved)"], students["Kept (draft)"]) == (8, 3)
    schools = table(at, "School ID", "Change")
    assert "d2-200" in schools["School ID"].tolist()
    assert saved_history(two_schools) == []  # previewed, not saved


def test_quality_builds_the_candidate_and_filters_its_findings(loaded_workspace: Path, monkeypatch):
    with wb.open_workspace(loaded_workspace) as ws:
        config = rules.load_config(ws)
        config["requirements"] = {"student": {"email": "report_if_missing"}}
        rules.save_config(ws, config, author="ana")
    at = on_page(loaded_workspace, monkeypatch, QUALITY)
    at.button(key="dq_build").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Built in")
    found = table(at, "Rule", "Severity", "Record")
    assert set(found["Rule"]) == {"report_if_missing"} and len(found) == 3
    at.multiselect(key="dq_Rule").set_value(["report_if_missing"]).run()
    assert len(table(at, "Rule", "Severity", "Record")) == 3
    csv = at.get("download_button")[0]
    assert csv is not None


def test_advanced_sources_holds_and_uniqueness(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch, ADVANCED)
    assert not at.expander  # the tables read back as they are: no unsaved change
    key = widget(at.data_editor, "sources").key
    at.session_state[key] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"Name": "sis", "Kind": "powerschool", "ID prefix": "ps-", "Sync mode": "two_way"}]}
    at.run()
    holds = widget(at.data_editor, "holds").value
    row = int(holds.index[holds["Entity"] == "student"][0])
    edit(at, "holds", {row: {"Delete count": 25}})
    widget(at.text_input, "uniqueness.contact").set_value("email; given_name + family_name + phone")
    save(at)
    config = saved_config(loaded_workspace)
    assert config["sources"] == [{"name": "sis", "kind": "powerschool", "id_prefix": "ps-",
                                  "sync_mode": "two_way"}]
    assert config["holds"]["student"]["delete"] == {"percent": 10, "count": 25}
    assert config["uniqueness"]["contact"] == [["email"], ["given_name", "family_name", "phone"]]


# --- the whole steward flow: one draft across pages, one save ------------------------------------

def test_one_draft_across_pages_saved_once_and_found_in_history(two_schools: Path, monkeypatch):
    at = on_page(two_schools, monkeypatch, SCHOOLS)
    widget(at.radio, "schools.mode").set_value("Only the schools ticked below").run()
    frame = widget(at.data_editor, "schools.selected").value
    edit(at, "schools.selected", {int(frame.index[frame["ID"] == "100"][0]): {"Sync": True}})
    at.switch_page(FILTERS).run()
    add_template(at, "student", "active_students")
    click(at, "filters.new.add")
    at.switch_page(REQUIREMENTS).run()
    at.selectbox(key="cfg_req_entity").set_value("contact").run()
    edit(at, "requirements.contact", {_requirement_row(at, "contact", "email"): {
        "Requirement": "skip_if_missing"}})
    summary = next(i.value for i in at.info if i.value.startswith("Compared with the saved"))
    assert "Students -5" in summary
    save(at, note="one school, active students, contact emails")
    config = saved_config(two_schools)
    assert config["schools"]["selected"] == ["100"]
    assert config["filters"]["student"]["rules"] == [{"action": "include", "template": "active_students"}]
    assert config["requirements"] == {"contact": {"email": "skip_if_missing"}}
    at.switch_page(HISTORY).run()
    assert table(at, "Version", "Author")["Note"].tolist() == [
        "one school, active students, contact emails"]
    diff = at.code[0].value
    assert "+  - '100'" in diff and "active_students" in diff and "skip_if_missing" in diff


@pytest.mark.parametrize("page", [SCHOOLS, ADVANCED, REQUIREMENTS, HISTORY, FILTERS, QUALITY])
def test_config_pages_work_without_the_router(loaded_workspace: Path, monkeypatch, page):
    at = app_on(loaded_workspace, monkeypatch, router=False)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title and not at.sidebar.code  # the page stood on its own


# --- the table conversions (no Streamlit) --------------------------------------------------------

def test_tables_read_back_as_the_sections_they_show():
    from ui import config_frames as frames

    defaults = rules.default_config()
    assert frames.holds_from(frames.holds_frame(defaults["holds"])) == defaults["holds"]
    student = defaults["uniqueness"]["student"]
    assert frames.uniqueness_from(frames.uniqueness_text(student)) == student
    assert frames.uniqueness_from(" ; a + b ;; c ") == [["a", "b"], ["c"]]
    master = {"contact": {"emails": {"strategy": "aggregate"}}}
    assert frames.master_from(frames.master_frame(master)) == master
    reqs = {"email": "skip_if_missing", "phone": "mask"}
    assert frames.requirements_from(frames.requirements_frame("contact", reqs)) == reqs
    mapping = {"username": {"field": "U_DEF_EXT_STUDENTS.laptop_tag", "source": "sis"}}
    assert frames.mapping_from(frames.mapping_frame("student", mapping)) == mapping


def test_conditions_from_the_builder_rows():
    import pandas as pd

    from ui import config_frames as frames

    rows = pd.DataFrame([
        {"Attribute": "grade", "Operator": "in_list", "Value": "11, 12,"},
        {"Attribute": "email", "Operator": "is_empty", "Value": "ignored"},
        {"Attribute": None, "Operator": "equals", "Value": "x"},
        {"Attribute": "family_name", "Operator": "starts_with", "Value": " Mc "},
    ])
    assert frames.conditions_from(rows) == [
        {"attribute": "grade", "op": "in_list", "value": ["11", "12"]},
        {"attribute": "email", "op": "is_empty"},
        {"attribute": "family_name", "op": "starts_with", "value": "Mc"},
    ]
    rule = frames.custom_rule(frames.conditions_from(rows), "any", "exclude", "")
    assert frames.describe_rule(rule) == (
        "exclude grade in list [11, 12] or email is empty or family_name starts with 'Mc'")


def test_a_save_from_another_session_sets_unsaved_changes_aside(loaded_workspace: Path, monkeypatch):
    mine = on_page(loaded_workspace, monkeypatch, ADVANCED)
    widget(mine.toggle, "advanced.incremental_sync").set_value(True).run()
    theirs = AppTest.from_file(APP, default_timeout=30).run()  # a second browser tab
    theirs.switch_page(ADVANCED).run()
    widget(theirs.toggle, "advanced.sync_co_teachers").set_value(True).run()
    save(theirs)
    mine.run()
    assert "saved meanwhile from another session" in mine.warning[0].value
    assert widget(mine.toggle, "advanced.incremental_sync").value is False
    assert widget(mine.toggle, "advanced.sync_co_teachers").value is True
