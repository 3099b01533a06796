"""Steward corrections: delivered by the candidate roster, remembered, reversible, and listed as
write-backs for a two-way source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import workbench as wb
from workbench.cli import main
from workbench.errors import InputError
from workbench.rules import build_candidate
from workbench.rules.config import load_config, save_config
from workbench.rules.corrections import (
    correct,
    list_corrections,
    pending_writebacks,
    undo_correction,
)
from workbench.sync.plan import build_plan, plan_writebacks


def _email(ws: wb.Workspace, sid: str) -> str | None:
    return ws.query("SELECT email FROM cand.student WHERE sourced_id = ?", [sid])[0][0]


def test_a_correction_is_delivered_survives_a_reload_and_can_be_undone(
        loaded_workspace: Path, extract: Path) -> None:
    with wb.open_workspace(loaded_workspace) as ws:
        c = correct(ws, "student", "S4101", "email", "kid11@mvusd.org", author="ana", note="typo")
        build_candidate(ws, load_config(ws))
        assert _email(ws, "S4101") == "kid11@mvusd.org"
        wb.load_path(ws, extract, source=ws.sources()[0]["name"])
        build_candidate(ws, load_config(ws))
        assert _email(ws, "S4101") == "kid11@mvusd.org"
        correct(ws, "student", "S4101", "birth_date", "2015-03-09", author="ana")
        build_candidate(ws, load_config(ws))
        row = ws.query("SELECT CAST(birth_date AS VARCHAR) FROM cand.student WHERE sourced_id = 'S4101'")
        assert row == [("2015-03-09",)]
        undo_correction(ws, c.correction_id, author="ben")
        build_candidate(ws, load_config(ws))
        assert _email(ws, "S4101") is None
        assert [x.active for x in list_corrections(ws)] == [False, True]


def test_bad_corrections_are_refused(loaded_workspace: Path) -> None:
    with wb.open_workspace(loaded_workspace) as ws:
        with pytest.raises(InputError, match="not a valid DATE"):
            correct(ws, "student", "S4101", "birth_date", "03/09/2015")
        with pytest.raises(InputError, match="cannot be corrected"):
            correct(ws, "student", "S4101", "sourced_id", "S1")
        with pytest.raises(InputError, match="no student with ID S9"):
            correct(ws, "student", "S9", "email", "x@y.org")
        with pytest.raises(InputError, match="not an attribute of student"):
            correct(ws, "student", "S4101", "shoe_size", "9")
        assert list_corrections(ws) == []


def test_marked_corrections_of_a_two_way_source_are_planned_write_backs(
        loaded_workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with wb.open_workspace(loaded_workspace) as ws:
        correct(ws, "student", "S4101", "email", "kid11@mvusd.org", author="ana")
        correct(ws, "student", "S4102", "given_name", "Kiddo", author="ana")
        cfg = load_config(ws)
        source = ws.sources()[0]["name"]
        assert pending_writebacks(ws, cfg).empty  # not two-way, nothing marked
        cfg["sources"] = [{"name": source, "kind": "powerschool", "sync_mode": "two_way"}]
        cfg["writeback"] = {"student": ["email"]}
        save_config(ws, cfg, author="ana", note="send fixed emails back")
        pending = pending_writebacks(ws, cfg)
        assert list(zip(pending["sourced_id"], pending["attribute"], pending["value"], strict=True)) == [
            ("S4101", "email", "kid11@mvusd.org")]
        assert pending.iloc[0]["source_value"] is None
        build_candidate(ws, cfg)
        plan = build_plan(ws, cfg)
        assert plan.writebacks == 1 and plan.to_dict()["writebacks"] == 1
        assert list(plan_writebacks(ws, plan.hash)["source_id"]) == [pending.iloc[0]["source_id"]]
    capsys.readouterr()
    assert main(["corrections", str(loaded_workspace), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["corrections"]) == 2 and len(doc["pending_writebacks"]) == 1


def test_cli_correct_and_undo(loaded_workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(loaded_workspace)
    assert main(["correct", ws, "--entity", "student", "S4101", "email", "k@x.org", "--author", "ana"]) == 0
    assert "correction #1" in capsys.readouterr().out
    assert main(["correct", ws, "--entity", "student", "S4101", "birth_date", "bad"]) == 2
    assert main(["undo-correction", ws, "1", "--author", "ben"]) == 0
    assert main(["undo-correction", ws, "1"]) == 2


def test_a_corrected_value_is_no_longer_a_finding(loaded_workspace: Path) -> None:
    with wb.open_workspace(loaded_workspace) as ws:
        config = load_config(ws)
        config["requirements"] = {"student": {"email": "report_if_missing"}}
        save_config(ws, config, author="ana")

        def missing() -> set[str]:
            build_candidate(ws, load_config(ws))
            return {s for (s,) in ws.query("SELECT sourced_id FROM dq.finding WHERE entity = 'student' "
                                           "AND attribute = 'email' AND rule = 'report_if_missing'")}

        assert missing() == {"S4101", "S4102", "S4103"}
        c = correct(ws, "student", "S4101", "email", "kid11@mvusd.org", author="ana")
        assert missing() == {"S4102", "S4103"}
        undo_correction(ws, c.correction_id, author="ben")
        assert missing() == {"S4101", "S4102", "S4103"}
