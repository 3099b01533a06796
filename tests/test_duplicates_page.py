"""The Duplicates page through AppTest on a sandbox district: score, review, decide."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb
from tests.test_app import app_on
from ui.duplicates import diff_markdown
from workbench.linkage import list_decisions
from workbench.linkage.review import review_queue
from workbench.sandbox import generate_district

PAGE = "pages/duplicates.py"


@pytest.fixture()
def district_workspace(tmp_path: Path) -> Path:
    generate_district(tmp_path / "d", students=300, seed=41)
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, tmp_path / "d", source="sis")
    return tmp_path / "ws"


def test_score_review_and_keep_separate(district_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_on(district_workspace, monkeypatch)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert any("Score duplicates" in i.value for i in at.info)
    at.button(key="dup_score").click().run()
    assert not at.exception, at.exception
    assert any("pair(s) kept for contacts" in s.value for s in at.success)
    heading = at.subheader[0].value
    left, right = heading.split(" ~ ")
    assert any("attribute" in m.value and left in m.value for m in at.markdown)
    at.text_input(key="dup_author").set_value("sam")
    at.button(key="dup_keep").click().run()
    assert not at.exception, at.exception
    with wb.open_workspace(district_workspace) as ws:
        decisions = list_decisions(ws, "contact")
        queue = review_queue(ws, "contact")
    assert [(d.left_id, d.right_id, d.action, d.author) for d in decisions] == \
        [(min(left, right), max(left, right), "keep_separate", "sam")]
    assert not ((queue["left"] == min(left, right)) & (queue["right"] == max(left, right))).any()
    assert at.subheader[0].value != heading  # the next pair is up


def test_differences_are_highlighted_character_by_character() -> None:
    a, b = diff_markdown("Katherine", "Kathryn")
    assert ":red-background[" in a and ":red-background[" in b
    assert diff_markdown("same", "same") == ("same", "same")
    assert diff_markdown(None, "x") == ("—", ":red-background[x]")
    assert diff_markdown("relative", "parent") == (":red-background[relative]", ":red-background[parent]")
    assert diff_markdown("Jon", "John")[1] == "Jo:red-background[h]n"


def test_a_rekey_is_offered_and_relinked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_rekey import _rekeyed_extract
    from workbench.rules import build_candidate
    from workbench.rules.config import load_config
    from workbench.sync import commit_roster

    generate_district(tmp_path / "v1", students=300, seed=41)
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, tmp_path / "v1", source="sis")
        build_candidate(ws, load_config(ws))
        commit_roster(ws, author="sam")
        truth = _rekeyed_extract(tmp_path / "v1", tmp_path / "v2")
        wb.load_path(ws, tmp_path / "v2", source="sis")
    at = app_on(tmp_path / "ws", monkeypatch)
    at.switch_page(PAGE).run()
    at.segmented_control(key="dup_entity").set_value("student").run()
    at.segmented_control(key="dup_view").set_value("New IDs (re-keys)").run()
    assert any("No student re-keys" in i.value for i in at.info)
    at.button(key="dup_score").click().run()
    assert not at.exception, at.exception
    assert any("3 re-key(s) await" in c.value for c in at.caption)
    old, new = at.subheader[0].value.split(" → ")
    assert (old, new) in set(zip(truth["old"], truth["new"], strict=True))
    at.button(key="rk_relink").click().run()
    assert not at.exception, at.exception
    with wb.open_workspace(tmp_path / "ws") as ws:
        decisions = list_decisions(ws, "student")
    assert [(d.action, {d.left_id, d.right_id}) for d in decisions] == [("relink", {old, new})]
    assert any("2 re-key(s) await" in c.value for c in at.caption)
