"""The sync from the command line: plan, approve, commit (exit 3 held, 4 stale), history,
rollback, sync and schedule, on a real workspace."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.rules.config import load_config, save_config
from workbench.sandbox import generate_district
from workbench.sandbox.variants import drop_school, rename_students
from workbench.workspace import open_workspace

TODAY = "2026-11-02"


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli_sync")
    generate_district(root / "v1", students=300, seed=9)
    school = drop_school(root / "v1", root / "v2")
    (root / "school.txt").write_text(school)
    return root


def test_plan_approve_commit_history_rollback(district: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(tmp_path / "ws")
    assert main(["init", ws]) == 0
    assert main(["load", ws, str(district / "v1"), "--source", "sis", "--quiet"]) == 0
    plan = _json(capsys, ["plan", ws, "--json", "--today", TODAY])
    assert set(plan) >= {"hash", "entities", "held", "hold_reasons", "causes"}
    assert plan["entities"]["student"]["insert"] > 300 and not plan["held"]
    assert main(["commit", ws, "--plan", plan["hash"], "--author", "ana"]) == 0

    assert main(["load", ws, str(district / "v2"), "--source", "sis", "--quiet"]) == 0
    held = _json(capsys, ["plan", ws, "--json", "--today", TODAY])
    school = (district / "school.txt").read_text()
    assert held["held"] and held["causes"][0]["cause"] == f"school_missing:{school}"
    assert any(f"school {school} is missing" in r["message"] for r in held["hold_reasons"])
    capsys.readouterr()
    assert main(["commit", ws, "--plan", held["hash"]]) == 3
    assert "written reason" in capsys.readouterr().out
    assert main(["approve", ws, "--plan", held["hash"][:8], "--exclude", f"school={school},op=delete",
                 "--author", "ben"]) == 0
    assert main(["commit", ws, "--plan", held["hash"], "--author", "ben"]) == 0  # nothing left: v2

    history = _json(capsys, ["history", ws, "--json"])
    assert [v["version"] for v in history] == [2, 1]
    assert history[0]["delete"] == 0 and history[1]["author"] == "ana"
    capsys.readouterr()
    assert main(["history", ws, "--diff", "1", "2", "--entity", "student", "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff == []  # version 2 left the school's deletes out: nothing else changed
    assert main(["history", ws, "--show", "1", "--entity", "school"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[0].startswith("sourced_id,") and any(line.startswith(f"{school},") for line in shown)
    assert main(["rollback", ws, "--to", "1", "--author", "ben"]) == 0
    history = _json(capsys, ["history", ws, "--json"])
    assert history[0]["kind"] == "rollback" and history[0]["restored_from"] == 1

    capsys.readouterr()
    assert main(["commit", ws, "--plan", held["hash"]]) == 2  # already committed
    assert "already committed" in capsys.readouterr().err


def test_a_stale_plan_exits_4(district: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(tmp_path / "ws")
    main(["init", ws])
    main(["load", ws, str(district / "v1"), "--source", "sis", "--quiet"])
    plan = _json(capsys, ["plan", ws, "--json", "--today", TODAY])
    main(["load", ws, str(district / "v1"), "--source", "sis", "--quiet"])
    capsys.readouterr()
    assert main(["commit", ws, "--plan", plan["hash"]]) == 4
    assert "loaded again" in capsys.readouterr().out


def test_sync_commits_unless_held_and_logs_every_run(district: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(tmp_path / "ws")
    main(["init", ws])
    main(["load", ws, str(district / "v1"), "--source", "sis", "--quiet"])
    assert main(["sync", ws, "--quiet", "--today", TODAY]) == 3  # preview_before_sync is on
    assert "preview every sync" in capsys.readouterr().out
    with open_workspace(ws) as w:
        cfg = load_config(w)
        cfg["advanced"]["preview_before_sync"] = False
        save_config(w, cfg, author="ana", note="unattended syncs")
    assert main(["sync", ws, "--quiet", "--today", TODAY]) == 0
    assert "committed version 1" in capsys.readouterr().out
    assert main(["sync", ws, "--quiet", "--today", TODAY]) == 0
    assert "up to date" in capsys.readouterr().out
    rename_students(district / "v1", tmp_path / "renamed", count=2)
    main(["load", ws, str(tmp_path / "renamed"), "--source", "sis", "--quiet"])
    assert main(["sync", ws, "--quiet", "--today", TODAY]) == 0  # reloads from there
    assert "committed version 2" in capsys.readouterr().out
    with open_workspace(ws, read_only=True) as w:
        runs = w.query("SELECT outcome FROM sync.run ORDER BY run_id")
    assert [r[0] for r in runs] == ["held", "committed", "unchanged", "committed"]


def test_schedule_runs_when_due_and_prints_a_cron_line(district: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(tmp_path / "ws")
    main(["init", ws])
    main(["load", ws, str(district / "v1"), "--source", "sis", "--quiet"])
    with open_workspace(ws) as w:
        cfg = load_config(w)
        cfg["schedule"] = {"frequency": "weekly", "weekday": "tuesday", "time": "06:30",
                           "expires": "2027-06-30", "first_day_of_calendar": False}
        save_config(w, cfg, author="ana")
    capsys.readouterr()
    assert main(["schedule", ws, "--cron"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("30 6 * * 2 ") and line.endswith(f"schedule {Path(ws).resolve()}")
    tuesday = dt.datetime(2026, 11, 3, 7, 0)
    assert main(["schedule", ws, "--now", tuesday.isoformat()]) == 3  # ran; preview holds it
    assert "due since 2026-11-03 06:30" in capsys.readouterr().out
    assert main(["schedule", ws, "--now", (tuesday + dt.timedelta(hours=1)).isoformat()]) == 0
    assert "not due" in capsys.readouterr().out
    next_week = tuesday + dt.timedelta(days=7)
    assert main(["schedule", ws, "--now", next_week.isoformat()]) == 3
    assert "due since 2026-11-10 06:30" in capsys.readouterr().out
    assert main(["schedule", ws, "--now", "2027-07-06T07:00"]) == 0
    assert "expired on 2027-06-30" in capsys.readouterr().out


def test_the_demo_has_a_committed_day_and_a_next_day_to_review(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    ws = str(tmp_path / "demo")
    assert main(["demo", ws, "--students", "300"]) == 0
    history = _json(capsys, ["history", ws, "--json"])
    assert [v["version"] for v in history] == [1] and history[0]["author"] == "demo"
    plan = _json(capsys, ["plan", ws, "--json"])
    causes = {c["cause"]: c["changes"] for c in plan["causes"]}
    assert causes["column_changed:given_name"] == 5
    assert causes["rekey_offer"] >= 4  # two students out, two in, and what follows them
    assert plan["entities"]["student"] == {"insert": 2, "update": 5, "delete": 2}
    dups = _json(capsys, ["duplicates", ws, "--entity", "student", "--json"])
    assert len(dups["rekeys"]) == 2
    assert (tmp_path / "demo" / "extracts" / "day2" / "Students.csv").exists()  # sync reloads it
