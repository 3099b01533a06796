"""The sync plan, holds, approval in part and commit, on the sandbox district (real DuckDB)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workbench as wb
from workbench.errors import InputError
from workbench.rules import build_candidate
from workbench.rules.config import load_config, save_config
from workbench.sandbox import generate_district
from workbench.sandbox.variants import drop_school, rename_students
from workbench.sync import head_version, rollback_roster, roster_rows
from workbench.sync.approve import HeldError, approve_plan
from workbench.sync.commit import StaleError, commit_plan
from workbench.sync.plan import build_plan, get_plan, plan_changes

TODAY = dt.date(2026, 11, 2)  # mid-term: no boundary leniency


def _sync(ws: wb.Workspace, extract: Path) -> Any:
    wb.load_path(ws, extract, source="sis")
    build_candidate(ws, load_config(ws), today=TODAY)
    return build_plan(ws, today=TODAY)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sync")
    generate_district(root / "v1", students=400, seed=3)
    return root


@pytest.fixture
def committed(district: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A workspace whose first sync is committed (version 1)."""
    ws = wb.init_workspace(tmp_path / "ws")
    plan = _sync(ws, district / "v1")
    commit_plan(ws, plan.hash, author="ana")
    yield {"ws": ws, "root": district, "tmp": tmp_path, "v1": plan}
    ws.close()


def test_first_plan_inserts_everything_and_is_not_held(committed: dict[str, Any]) -> None:
    plan, ws = committed["v1"], committed["ws"]
    assert not plan.held and plan.head_version == 0
    assert plan.counts["student"]["insert"] == len(roster_rows(ws, "student")) > 400
    assert plan.total("update") == plan.total("delete") == 0
    assert [c.cause for c in plan.causes] == ["new_in_load"]
    assert head_version(ws) == 1


def test_an_unchanged_load_plans_nothing(committed: dict[str, Any]) -> None:
    plan = _sync(committed["ws"], committed["root"] / "v1")
    assert plan.total() == 0 and not plan.held and plan.head_version == 1


def test_field_level_updates_name_the_column(committed: dict[str, Any]) -> None:
    ws, tmp = committed["ws"], committed["tmp"]
    renamed = rename_students(committed["root"] / "v1", tmp / "v2", count=2)
    plan = _sync(ws, tmp / "v2")
    assert plan.counts["student"] == {"insert": 0, "update": 2, "delete": 0}
    changes = plan_changes(ws, plan.hash, entity="student")
    assert sorted(changes["sourced_id"]) == sorted(renamed)
    diff = changes.iloc[0]["diff"]
    assert [d["field"] for d in diff] == ["given_name"] and diff[0]["after"].startswith("Renamed")
    assert {c.cause for c in plan.causes} == {"column_changed:given_name"}


def test_a_vanished_school_is_held_and_named_then_the_rest_commits(committed: dict[str, Any]) -> None:
    ws, tmp = committed["ws"], committed["tmp"]
    school = drop_school(committed["root"] / "v1", tmp / "v2")
    renamed = rename_students(tmp / "v2", tmp / "v3", count=1)
    plan = _sync(ws, tmp / "v3")
    assert plan.held
    students = [r for r in plan.hold_reasons if r.entity == "student" and r.op == "delete"]
    assert students and students[0].causes[0][0] == f"school_missing:{school}"
    assert f"school {school} is missing from the load" in students[0].message
    assert plan.causes[0].cause == f"school_missing:{school}"
    assert plan.counts["school"]["delete"] == 1
    enrollment_causes = plan_changes(ws, plan.hash, entity="enrollment", op="delete")["cause"]
    assert set(enrollment_causes) == {f"school_missing:{school}"}

    with pytest.raises(HeldError, match="needs a written reason"):
        commit_plan(ws, plan.hash, author="ben")
    before = roster_rows(ws, "student")
    approval = approve_plan(ws, plan.hash, {"exclude": [{"school": school, "op": "delete"}]},
                            author="ben")
    assert approval.counts == {"student": {"update": 1}}
    version = commit_plan(ws, plan.hash, author="ben")
    assert version.counts["student"] == {"insert": 0, "update": 1, "delete": 0}
    assert version.plan_hash == plan.hash and version.override_reason is None
    after = roster_rows(ws, "student")
    assert len(after) == len(before)
    assert after.set_index("sourced_id").at[renamed[0], "given_name"] == "Renamed0"

    rolled = rollback_roster(ws, 1, author="ben")
    assert roster_rows(ws, "student").equals(roster_rows(ws, "student", 1))
    assert rolled.counts["student"]["update"] == 1


def test_approving_past_a_hold_records_the_reason(committed: dict[str, Any]) -> None:
    ws, tmp = committed["ws"], committed["tmp"]
    drop_school(committed["root"] / "v1", tmp / "v2")
    plan = _sync(ws, tmp / "v2")
    version = commit_plan(ws, plan.hash, author="ben", override_reason="the school closed")
    assert version.override_reason == "the school closed"
    assert version.counts["student"]["delete"] == plan.counts["student"]["delete"]


def test_an_inconsistent_part_is_refused_with_reasons(committed: dict[str, Any]) -> None:
    ws, tmp = committed["ws"], committed["tmp"]
    school = drop_school(committed["root"] / "v1", tmp / "v2")
    plan = _sync(ws, tmp / "v2")
    with pytest.raises(InputError) as err:  # classes go, their enrollments stay
        approve_plan(ws, plan.hash, {"include": [{"entity": "class"}]}, author="ben",
                     override_reason="testing")
    text = str(err.value)
    assert "would be deleted while enrollment" in text and "still refers to it" in text
    assert "unchanged" in text
    assert head_version(ws) == 1
    assert school


def test_a_plan_is_stale_once_the_data_or_the_configuration_moves(committed: dict[str, Any]) -> None:
    ws, tmp = committed["ws"], committed["tmp"]
    rename_students(committed["root"] / "v1", tmp / "v2", count=1)
    plan = _sync(ws, tmp / "v2")
    cfg = load_config(ws)
    cfg["holds"]["student"]["delete"] = {"percent": 20}
    save_config(ws, cfg, author="ana", note="looser")
    with pytest.raises(StaleError, match="configuration moved"):
        commit_plan(ws, plan.hash, author="ben")
    plan = build_plan(ws, today=TODAY)
    wb.load_path(ws, tmp / "v2", source="sis")
    with pytest.raises(StaleError, match="loaded again"):
        commit_plan(ws, plan.hash, author="ben")
    assert head_version(ws) == 1
    fresh = build_plan(ws, today=TODAY)
    assert commit_plan(ws, fresh.hash, author="ben").version == 2
    with pytest.raises(InputError, match="already committed"):
        commit_plan(ws, fresh.hash)
    assert get_plan(ws, fresh.hash[:8]).hash == fresh.hash
