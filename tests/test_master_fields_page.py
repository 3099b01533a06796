"""The Master Fields page through AppTest: edit one entity's master fields, save them, and see the
golden record of a cluster beside its members, the winning cells highlighted."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import workbench as wb
from tests.test_app import app_on
from tests.test_config_pages import save, saved_config, widget
from tests.test_golden import KID, KID_X, _sis_extract, _staff_extract
from ui import golden as gold
from workbench.linkage import decide, find_duplicates
from workbench.linkage.golden import build_golden

PAGE = "pages/master_fields.py"


@pytest.fixture()
def merged(tmp_path: Path) -> Path:
    """Two sources; Ava (sis) and Avery Jonas (staff) merged by the steward."""
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, _sis_extract(tmp_path / "sis"), source="sis")
        wb.load_path(ws, _staff_extract(tmp_path / "staff"), source="staff", id_prefix="x-")
        decide(ws, "student", KID, KID_X, "merge", author="test")
        find_duplicates(ws, "student")
    return tmp_path / "ws"


def on_page(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = app_on(workspace, monkeypatch)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def cluster_table(at: AppTest) -> dict[str, dict[str, str]]:
    """Attribute -> row of the golden-record table."""
    frames = [d.value for d in at.dataframe if "Golden" in d.value.columns]
    assert len(frames) == 1
    return {row["Attribute"]: row for row in frames[0].to_dict(orient="records")}


def add_rows(at: AppTest, entity: str, rows: list[dict[str, str]]) -> AppTest:
    at.session_state[widget(at.data_editor, f"master_fields.{entity}").key] = {
        "edited_rows": {}, "deleted_rows": [], "added_rows": rows}
    return at.run()


def test_without_clusters_it_says_to_run_duplicates_first(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch)
    assert at.title[0].value == "Master Fields"
    assert any("run duplicates first" in i.value and "Score duplicates" in i.value for i in at.info)
    assert not [d for d in at.dataframe if "Golden" in d.value.columns]


def test_edit_two_entities_and_save_one_version(loaded_workspace: Path, monkeypatch):
    at = on_page(loaded_workspace, monkeypatch)
    add_rows(at, "student", [{"Attribute": "email", "Strategy": "source_priority",
                              "Source priority": "sis, ad"}])
    at.segmented_control(key="mf_entity").set_value("contact").run()
    add_rows(at, "contact", [{"Attribute": "phones", "Strategy": "aggregate"}])
    assert not at.exception, at.exception
    save(at)
    assert saved_config(loaded_workspace)["master_fields"] == {
        "contact": {"phones": {"strategy": "aggregate"}},
        "student": {"email": {"strategy": "source_priority", "sources": ["sis", "ad"]}}}


def test_golden_record_beside_its_members_follows_the_draft(merged: Path, monkeypatch):
    at = on_page(merged, monkeypatch)
    clusters = [d.value for d in at.dataframe if "Golden ID" in d.value.columns][0]
    assert clusters.to_dict(orient="records") == [
        {"Golden ID": KID, "Members": f"{KID}, {KID_X}", "Sources": "sis, staff", "Records": 2}]
    rows = cluster_table(at)
    assert (rows["family_name"][KID], rows["family_name"][KID_X]) == ("Jones", "Jonas")
    assert (rows["family_name"]["Golden"], rows["family_name"]["Record"],
            rows["family_name"]["Strategy"]) == ("Jones", KID, "default")
    assert (rows["phone"]["Golden"], rows["phone"]["Source"]) == ("541-555-0101", "staff")
    # an unsaved change: staff first for family_name
    add_rows(at, "student", [{"Attribute": "family_name", "Strategy": "source_priority",
                              "Source priority": "staff"}])
    rows = cluster_table(at)
    assert (rows["family_name"]["Golden"], rows["family_name"]["Record"],
            rows["family_name"]["Strategy"]) == ("Jonas", KID_X, "source_priority")
    assert saved_config(merged)["master_fields"] == {}


def test_the_winning_cells_are_the_ones_highlighted(merged: Path) -> None:
    with wb.open_workspace(merged) as ws:
        golden = build_golden(ws, "student", store=False)
    table = gold.cluster_frame(golden, KID)
    styles = gold.highlighted(table)._compute().ctx  # (row, column) -> css of styled cells
    marked = {(table.iloc[r]["Attribute"], table.columns[c]) for (r, c), css in styles.items() if css}
    assert ("phone", KID_X) in marked and ("phone", KID) not in marked
    assert ("family_name", KID) in marked and ("family_name", KID_X) not in marked
    assert ("phone", "Golden") in marked
    assert gold.winners(table)["phone"] == [KID_X]


def test_the_page_works_without_the_router(merged: Path, monkeypatch):
    at = app_on(merged, monkeypatch, router=False)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Master Fields" and not at.sidebar.code
