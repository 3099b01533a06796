"""Steward decisions on duplicates: remembered across loads, the steward's word wins, reversible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import workbench as wb
from workbench.cli import main
from workbench.linkage import decide, find_duplicates, list_decisions, undo
from workbench.sandbox import generate_district


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("decisions") / "d"
    generate_district(out, students=800, seed=31)
    return out


@pytest.fixture()
def ws(tmp_path: Path, district: Path):  # type: ignore[no-untyped-def]
    workspace = wb.init_workspace(tmp_path / "ws")
    wb.load_path(workspace, district, source="sis")
    yield workspace
    workspace.close()


def _pair(ws, left: str, right: str):  # type: ignore[no-untyped-def]
    left, right = sorted((left, right))
    rows = ws.query("SELECT band, rule, probability, score, contributions FROM link.pair "
                    "WHERE entity = 'student' AND left_id = ? AND right_id = ?", [left, right])
    return rows[0] if rows else None


def _clustered_together(dups, left: str, right: str) -> bool:  # type: ignore[no-untyped-def]
    return any(left in c.members and right in c.members for c in dups.clusters)


def test_keep_separate_survives_a_reload_and_undo_restores_the_match(ws, district) -> None:  # type: ignore[no-untyped-def]
    truth = json.loads((district / "truth.json").read_text())
    dups = find_duplicates(ws, "student")
    left, right = next(p for p in truth["duplicate_students"]
                       if (_pair(ws, *p) or ("",))[0] == "match")
    decision = decide(ws, "student", left, right, "keep_separate", author="ann", note="not the same")
    dups = find_duplicates(ws, "student")
    band, rule, probability, score, contributions = _pair(ws, left, right)
    assert (band, rule) == ("non_match", "never:decision") and probability < 1e-6
    assert abs(sum(json.loads(contributions).values()) - score) < 1e-6
    assert not _clustered_together(dups, left, right)

    wb.load_path(ws, district, source="sis")  # a later load: the decision is re-applied
    find_duplicates(ws, "student")
    assert _pair(ws, left, right)[:2] == ("non_match", "never:decision")

    reversed_ = undo(ws, decision.decision_id, author="bo")
    assert (reversed_.reversed_by, reversed_.active) == ("bo", False)
    find_duplicates(ws, "student")
    assert _pair(ws, left, right)[0] == "match"
    assert [d.action for d in list_decisions(ws, "student")] == ["keep_separate"]  # history kept


def test_merge_links_a_pair_the_scorer_would_not(ws) -> None:  # type: ignore[no-untyped-def]
    a, b = (r[0] for r in ws.query(
        "SELECT sourced_id FROM stg.student ORDER BY sourced_id LIMIT 2"))
    find_duplicates(ws, "student")
    assert (_pair(ws, a, b) or ("non_match",))[0] != "match"
    decide(ws, "student", b, a, "merge", author="ann")
    dups = find_duplicates(ws, "student")
    assert _pair(ws, a, b)[:2] == ("match", "decision:merge")
    assert _clustered_together(dups, a, b)


def test_bad_decisions_are_refused(ws) -> None:  # type: ignore[no-untyped-def]
    sid = ws.query("SELECT min(sourced_id) FROM stg.student")[0][0]
    for args, words in [
        (("student", sid, "S0", "merge"), "no student with ID S0"),
        (("student", sid, sid, "merge"), "against itself"),
        (("student", sid, "S1", "fuse"), "allowed: merge, keep_separate, relink"),
        (("course", sid, "S1", "merge"), "not 'course'"),
    ]:
        with pytest.raises(wb.InputError) as err:
            decide(ws, *args)
        assert words in str(err.value)
    assert list_decisions(ws) == []


def test_cli_decide_list_and_undo(ws, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    a, b = (r[0] for r in ws.query("SELECT sourced_id FROM stg.student ORDER BY sourced_id LIMIT 2"))
    root = str(ws.root)
    ws.close()
    assert main(["decide", root, "--entity", "student", "keep_separate", a, b, "--author", "cy"]) == 0
    capsys.readouterr()
    assert main(["decisions", root, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["action"], d["author"], d["active"]) for d in listed] == [("keep_separate", "cy", True)]
    assert main(["undo-decision", root, str(listed[0]["decision_id"])]) == 0
    assert main(["undo-decision", root, str(listed[0]["decision_id"])]) == 2
    assert "already reversed" in capsys.readouterr().err
