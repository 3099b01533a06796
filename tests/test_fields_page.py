"""The Fields page through AppTest on a real workspace: the field list, a field in depth, picks
that become a plugin zip the mock installs, and an attribute mapping saved as a version."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import workbench as wb
from tests.test_app import table
from tests.test_config_pages import on_page as on_config_page
from workbench.sandbox import generate_district
from workbench.sandbox.mock_powerschool import load_plugin

PAGE = "pages/fields.py"


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fields") / "district"
    generate_district(folder, students=150, seed=4)
    return folder


@pytest.fixture
def workspace(district: Path, tmp_path: Path) -> Path:
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, district, source="sis")
    return tmp_path / "ws"


def on_page(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return on_config_page(workspace, monkeypatch, PAGE)


def pick(at: AppTest, rows: dict[int, dict[str, object]]) -> AppTest:
    at.session_state["fl_editor"] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def test_the_field_list_filters_like_view_field_list(workspace: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    at = on_page(workspace, monkeypatch)
    groups = table(at, "Extension table", "Orphans")
    assert set(groups["Extension table"]) == {"StudentCoreFields", "U_DEF_EXT_STUDENTS"}
    assert (groups["Orphans"] == 0).all()
    at.text_input(key="fl_filter").set_value("laptop").run()
    shown = at.data_editor(key="fl_editor").value
    assert shown["Name"].tolist() == ["U_DEF_EXT_STUDENTS.laptop_tag"]
    assert shown["Key"].tolist() == ["unique when present"]
    # the field in depth: its commonest values, counted over every row
    assert at.selectbox(key="fl_profile").value == "U_DEF_EXT_STUDENTS.laptop_tag (sis)"
    assert [m.label for m in at.metric] == ["Filled", "Distinct values", "Type", "Length"]
    assert at.metric[2].value == "text"


def test_picked_fields_become_a_plugin_and_a_saved_mapping(workspace: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    at = on_page(workspace, monkeypatch)
    at.text_input(key="fl_filter").set_value("U_DEF_EXT_STUDENTS.").run()
    shown = at.data_editor(key="fl_editor").value
    rows = {name: i for i, name in enumerate(shown["Name"])}
    at = pick(at, {rows["U_DEF_EXT_STUDENTS.laptop_tag"]: {"Pick": True,
                                                           "Fills attribute": "student.username"},
                   rows["U_DEF_EXT_STUDENTS.bus_route_am"]: {"Pick": True}})
    assert not at.exception, at.exception
    button = at.get("download_button")
    assert len(button) == 1
    assert any("`U_DEF_EXT_STUDENTS.LAPTOP_TAG` → student.username" in m.value for m in at.markdown)
    # the zip the page offers (built by the same function) grants exactly what was picked
    from ui import fields as fl

    frame = at.data_editor(key="fl_editor").value.copy()
    frame.loc[rows["U_DEF_EXT_STUDENTS.laptop_tag"], ["Pick", "Fills attribute"]] = [True, "student.username"]
    frame.loc[rows["U_DEF_EXT_STUDENTS.bus_route_am"], "Pick"] = True
    zipped = tmp_path / "plugin.zip"
    zipped.write_bytes(fl.plugin_zip(fl.picks_of(frame), "Roster Workbench custom fields"))
    plugin = load_plugin(zipped)
    assert plugin.can_read("u_def_ext_students", "laptop_tag")
    assert plugin.can_read("u_def_ext_students", "bus_route_am")
    assert not plugin.can_read("u_def_ext_students", "parent_portal_opt_in")
    with zipfile.ZipFile(io.BytesIO(zipped.read_bytes())) as z:
        assert "plugin.xml" in z.namelist()
    at.text_input(key="fl_author").set_value("dana").run()
    at.button(key="fl_save").click().run()
    assert not at.exception, at.exception
    assert "student.username ← U_DEF_EXT_STUDENTS.laptop_tag" in at.success[0].value
    assert "U_DEF_EXT_STUDENTS.bus_route_am delivered" in at.success[0].value
    with wb.open_workspace(workspace) as ws:
        config = wb.rules.load_config(ws)
        assert config["attributes"]["student"]["username"] == {"field": "U_DEF_EXT_STUDENTS.laptop_tag"}
        assert config["extensions"] == {"student": ["U_DEF_EXT_STUDENTS.bus_route_am"]}
        assert wb.rules.history(ws)[-1].author == "dana"


def test_delivered_fields_are_chosen_on_schools_and_attributes(workspace: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_config_pages import save, widget

    at = on_config_page(workspace, monkeypatch, "pages/schools.py")
    deliver = widget(at.multiselect, "extensions.student")
    assert "U_DEF_EXT_STUDENTS.laptop_tag" in deliver.options
    assert "StudentCoreFields.allergies" in deliver.options
    assert not any(o.startswith("Students.") for o in deliver.options)  # extensions only
    deliver.set_value(["U_DEF_EXT_STUDENTS.laptop_tag"]).run()
    save(at, "deliver laptop tags")
    assert not at.exception, at.exception
    with wb.open_workspace(workspace) as ws:
        assert wb.rules.load_config(ws)["extensions"] == {"student": ["U_DEF_EXT_STUDENTS.laptop_tag"]}
    widget(at.multiselect, "extensions.student").set_value([]).run()
    save(at, "stop")
    with wb.open_workspace(workspace) as ws:
        assert "extensions" not in wb.rules.load_config(ws) or not wb.rules.load_config(ws)["extensions"]
