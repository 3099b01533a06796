"""The Preview and Commit pages through AppTest: a held plan, approval in part, commit, rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb
from tests.test_app import app_on
from workbench.rules import build_candidate
from workbench.rules.config import load_config
from workbench.sandbox import generate_district
from workbench.sandbox.variants import drop_school, rename_students
from workbench.sync import head_version, roster_history
from workbench.sync.commit import commit_plan
from workbench.sync.plan import build_plan

PREVIEW, COMMIT = "pages/preview.py", "pages/commit.py"


@pytest.fixture()
def held_workspace(tmp_path: Path) -> tuple[Path, str]:
    """Version 1 committed; the next load lacks a school and renames one student."""
    generate_district(tmp_path / "v1", students=300, seed=13)
    school = drop_school(tmp_path / "v1", tmp_path / "v2")
    rename_students(tmp_path / "v2", tmp_path / "v3", count=1)
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, tmp_path / "v1", source="sis")
        build_candidate(ws, load_config(ws))
        commit_plan(ws, build_plan(ws).hash, author="ana")
        wb.load_path(ws, tmp_path / "v3", source="sis")
    return tmp_path / "ws", school


def test_preview_builds_a_held_plan_and_names_the_school(held_workspace: tuple[Path, str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path, school = held_workspace
    at = app_on(path, monkeypatch)
    at.switch_page(PREVIEW).run()
    assert not at.exception, at.exception
    assert any("committed as version 1" in i.value for i in at.info)
    at.button(key="plan_build").click().run()
    assert not at.exception, at.exception
    assert any("This plan is held" in e.value and f"school {school} is missing" in e.value
               for e in at.error)
    frames = [d.value for d in at.dataframe]
    causes = next(f for f in frames if "code" in f.columns)
    assert causes.iloc[0]["code"] == f"school_missing:{school}"
    fields = next(f for f in frames if "field" in f.columns)
    assert list(fields["field"]) == ["given_name"] and list(fields["after"]) == ["Renamed0"]
    deletes = next(f for f in frames if "cascade_of" in f.columns)
    assert len(deletes) > 0 and set(deletes["cause"]) == {f"school_missing:{school}"}


def test_commit_all_but_the_missing_school_then_roll_back(held_workspace: tuple[Path, str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path, school = held_workspace
    with wb.open_workspace(path) as ws:
        build_candidate(ws, load_config(ws))
        build_plan(ws)
    at = app_on(path, monkeypatch)
    at.switch_page(COMMIT).run()
    assert not at.exception, at.exception
    assert any("Held" in e.value for e in at.error)
    at.text_input(key="commit_author").set_value("ben")
    at.multiselect(key="commit_skip_schools").set_value([school]).run()
    at.button(key="commit_approve").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Approval #2 by ben") for s in at.success), [s.value for s in at.success]
    at.checkbox(key="commit_sure").check().run()
    at.button(key="commit_go").click().run()
    assert not at.exception, at.exception
    assert any("Committed version 2" in s.value and "0 deleted" in s.value for s in at.success)
    with wb.open_workspace(path) as ws:
        assert head_version(ws) == 2
    at.run()
    at.selectbox(key="commit_view_version").set_value(2)
    at.selectbox(key="commit_view_old").set_value(1).run()
    assert not at.exception, at.exception
    diff = next(d.value for d in at.dataframe if "changes" in d.value.columns)
    assert list(diff["op"]) == ["update"] and diff.iloc[0]["changes"].startswith("given_name: ")
    at.selectbox(key="commit_rollback_to").set_value(1)
    at.checkbox(key="commit_rollback_sure").check().run()
    at.button(key="commit_rollback").click().run()
    assert not at.exception, at.exception
    with wb.open_workspace(path) as ws:
        history = roster_history(ws)
    assert (history[0].version, history[0].kind, history[0].restored_from) == (3, "rollback", 1)


def test_leave_out_one_field_and_one_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate_district(tmp_path / "v1", students=300, seed=13)
    renamed = rename_students(tmp_path / "v1", tmp_path / "v2", count=3)
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, tmp_path / "v1", source="sis")
        build_candidate(ws, load_config(ws))
        commit_plan(ws, build_plan(ws).hash, author="ana")
        wb.load_path(ws, tmp_path / "v2", source="sis")
        build_candidate(ws, load_config(ws))
        build_plan(ws)
    at = app_on(tmp_path / "ws", monkeypatch)
    at.switch_page(COMMIT).run()
    assert "student.given_name" in at.multiselect(key="commit_skip_fields").options
    at.text_input(key="commit_skip_records").set_value(f"{renamed[0]}, {renamed[1]}").run()
    at.button(key="commit_approve").click().run()
    assert not at.exception, at.exception
    assert any("Students: update 1" in s.value for s in at.success), [s.value for s in at.success]
    at.multiselect(key="commit_skip_fields").set_value(["student.given_name"]).run()
    at.text_input(key="commit_skip_records").set_value("").run()
    at.button(key="commit_approve").click().run()
    assert any(": nothing." in s.value for s in at.success), [s.value for s in at.success]
