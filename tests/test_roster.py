"""The committed roster: versions that keep every row, one transaction per commit, rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb
from workbench.errors import InputError
from workbench.rules import build_candidate
from workbench.rules.config import load_config
from workbench.sync import (
    ConflictError,
    commit_roster,
    head_version,
    rollback_roster,
    roster_history,
    roster_rows,
)
from workbench.sync.roster import diff_versions


@pytest.fixture
def ws(loaded_workspace: Path) -> wb.Workspace:
    w = wb.open_workspace(loaded_workspace)
    build_candidate(w, load_config(w))
    yield w
    w.close()


def _names(ws: wb.Workspace, version: int | None = None) -> dict[str, str]:
    rows = roster_rows(ws, "student", version)
    return dict(zip(rows["sourced_id"], rows["given_name"], strict=True))


def test_first_commit_inserts_everything_and_a_second_changes_nothing(ws: wb.Workspace) -> None:
    assert head_version(ws) == 0 and roster_history(ws) == []
    v1 = commit_roster(ws, author="ana", note="first sync")
    assert (v1.version, v1.author, v1.kind, v1.based_on) == (1, "ana", "commit", 0)
    assert v1.counts["student"] == {"insert": 3, "update": 0, "delete": 0}
    assert v1.counts["enrollment"]["insert"] == 4  # three students and the teacher
    v2 = commit_roster(ws, author="ana")
    assert v2.total("insert") == v2.total("update") == v2.total("delete") == 0
    assert len(roster_rows(ws, "student")) == 3


def test_changes_are_versioned_and_old_versions_stay_readable(ws: wb.Workspace) -> None:
    commit_roster(ws, author="ana")
    first = _names(ws)
    ws.con.execute("UPDATE cand.student SET given_name = 'Renamed' WHERE sourced_id = 'S4101'")
    ws.con.execute("DELETE FROM cand.student WHERE sourced_id = 'S4102'")
    v2 = commit_roster(ws, author="ben")
    assert v2.counts["student"] == {"insert": 0, "update": 1, "delete": 1}
    assert _names(ws) == {"S4101": "Renamed", "S4103": "Kid13"}
    assert _names(ws, 1) == first
    changes = ws.query("SELECT sourced_id, op FROM roster.change WHERE version = 2 "
                       "AND entity = 'student' ORDER BY 1")
    assert changes == [("S4101", "update"), ("S4102", "delete")]
    diff = diff_versions(ws, 1, 2)
    assert list(zip(diff["entity"], diff["sourced_id"], diff["op"], strict=True)) == [
        ("student", "S4102", "delete"), ("student", "S4101", "update")]
    assert list(diff.iloc[1]["diff"]) == [{"field": "given_name", "before": "Kid11", "after": "Renamed"}]
    back = diff_versions(ws, 2, 1)
    assert set(zip(back["sourced_id"], back["op"], strict=True)) == {("S4102", "insert"), ("S4101", "update")}


def test_rollback_makes_a_new_version_equal_to_the_old_one(ws: wb.Workspace) -> None:
    commit_roster(ws, author="ana")
    ws.con.execute("DELETE FROM cand.student")
    commit_roster(ws, author="ana")
    assert _names(ws) == {}
    v3 = rollback_roster(ws, 1, author="ben")
    assert (v3.version, v3.kind, v3.restored_from) == (3, "rollback", 1)
    assert _names(ws) == _names(ws, 1) and len(_names(ws)) == 3
    assert _names(ws, 2) == {}  # nothing is erased
    assert [h.version for h in roster_history(ws)] == [3, 2, 1]
    with pytest.raises(InputError, match="no version 9"):
        rollback_roster(ws, 9)


def test_a_commit_prepared_against_an_old_head_is_refused(ws: wb.Workspace) -> None:
    commit_roster(ws, author="ana")
    with pytest.raises(ConflictError, match="version 1.*version 0"):
        commit_roster(ws, author="ben", expected_head=0)
    assert head_version(ws) == 1


def test_duplicate_ids_are_refused_and_nothing_is_written(ws: wb.Workspace) -> None:
    commit_roster(ws, author="ana")
    ws.con.execute("INSERT INTO cand.student SELECT * FROM cand.student WHERE sourced_id = 'S4101'")
    ws.con.execute("DELETE FROM cand.enrollment")
    with pytest.raises(InputError, match="student IDs are not unique: S4101") as err:
        commit_roster(ws, author="ana")
    assert "unchanged" in str(err.value)
    assert head_version(ws) == 1
    assert ws.query("SELECT count(*) FROM roster.current_enrollment")[0][0] == 4


def test_commit_needs_a_candidate_roster(loaded_workspace: Path) -> None:
    with wb.open_workspace(loaded_workspace) as w, pytest.raises(InputError, match="candidate"):
        commit_roster(w)
