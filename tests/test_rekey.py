"""Re-key detection: a committed record that vanishes while a new one that matches it appears is
offered as a re-link (same person, new ID), not as a delete plus an insert."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import workbench as wb
from workbench.errors import InputError
from workbench.linkage import decide, find_duplicates, undo
from workbench.rules import build_candidate
from workbench.rules.config import load_config
from workbench.sync import commit_roster

REKEYED = 3  # students given a new DCID (a new record for the same child)


def _students(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "Students.csv", dtype=str, keep_default_na=False)


def _rekeyed_extract(src: Path, out: Path) -> dict[str, Any]:
    """A copy of ``src`` in which three students have new DCIDs (the third also lost its state
    ID, login and e-mail, so only the scores can tie it), one student left and one new student arrived."""
    shutil.copytree(src, out)
    st = _students(out)
    active = st[st["Students.Enroll_Status"] == "0"].index
    moved, gone, twin_of = active[:REKEYED], active[REKEYED], active[REKEYED + 1]
    old = ["S" + st.at[i, "Students.DCID"] for i in moved]
    for n, i in enumerate(moved):
        st.at[i, "Students.DCID"] = str(900_000 + n)
    st.at[moved[-1], "Students.State_StudentNumber"] = ""
    st.at[moved[-1], "Students.Student_Web_ID"] = ""
    st.at[moved[-1], "Students.Person_ID"] = ""  # and its e-mail
    gone_id = "S" + st.at[gone, "Students.DCID"]
    newcomer = st.loc[[twin_of]].copy()
    newcomer["Students.ID"] = "99999"
    newcomer["Students.DCID"] = "990000"
    newcomer["Students.Student_Number"] = "999999"
    newcomer["Students.State_StudentNumber"] = "7777777777"
    newcomer["Students.First_Name"] = "Zebulon"
    newcomer["Students.DOB"] = "2010-01-01"
    st = pd.concat([st.drop(index=gone), newcomer])
    st.to_csv(out / "Students.csv", index=False)
    return {"old": old, "new": [f"S{900_000 + n}" for n in range(REKEYED)], "gone": gone_id,
            "newcomer": "S990000"}


@pytest.fixture(scope="module")
def rekeyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from workbench.sandbox import generate_district

    root = tmp_path_factory.mktemp("rekey")
    generate_district(root / "v1", students=400, seed=5)
    ws = wb.init_workspace(root / "ws")
    wb.load_path(ws, root / "v1", source="sis")
    build_candidate(ws, load_config(ws))
    commit_roster(ws, author="steward", note="first sync")
    truth = _rekeyed_extract(root / "v1", root / "v2")
    wb.load_path(ws, root / "v2", source="sis")
    yield {"ws": ws, "truth": truth, "found": find_duplicates(ws, "student")}
    ws.close()


def test_a_new_id_for_a_committed_student_is_offered_as_a_relink(rekeyed: dict[str, Any]) -> None:
    rk = rekeyed["found"].rekeys
    offered = set(zip(rk["old"], rk["new"], strict=True))
    truth = rekeyed["truth"]
    assert offered == set(zip(truth["old"], truth["new"], strict=True))
    assert set(rk["band"]) == {"match"}
    by_new = rk.set_index("new")
    assert by_new.at[truth["new"][0], "rule"] == "always:state_id"
    scored = by_new.loc[truth["new"][-1]]  # no state ID: the scores alone tie it
    assert scored["rule"] == "score"
    assert scored["contributions"]["given_name"] > 0 and scored["contributions"]["birth_date"] > 0
    assert sum(scored["contributions"].values()) == pytest.approx(scored["score"])


def test_a_student_who_left_and_one_who_arrived_are_not_a_rekey(rekeyed: dict[str, Any]) -> None:
    rk, truth = rekeyed["found"].rekeys, rekeyed["truth"]
    assert truth["gone"] not in set(rk["old"])
    assert truth["newcomer"] not in set(rk["new"])


def test_rekeys_stay_out_of_the_duplicate_pairs_and_clusters(rekeyed: dict[str, Any]) -> None:
    found, truth = rekeyed["found"], rekeyed["truth"]
    ids = set(truth["old"])
    assert not ids & (set(found.pairs["left"]) | set(found.pairs["right"]))
    assert not ids & {m for c in found.clusters for m in c.members}
    doc = found.to_dict()
    assert {(r["old"], r["new"]) for r in doc["rekeys"]} == set(zip(truth["old"], truth["new"], strict=True))


def test_relink_is_remembered_and_reversible(rekeyed: dict[str, Any]) -> None:
    ws, truth = rekeyed["ws"], rekeyed["truth"]
    old, new = truth["old"][-1], truth["new"][-1]
    d = decide(ws, "student", new, old, "relink", author="steward", note="re-entered in August")
    rk = find_duplicates(ws, "student").rekeys.set_index("new")
    assert rk.at[new, "rule"] == "decision:relink" and rk.at[new, "old"] == old
    undo(ws, d.decision_id, author="steward")
    rk = find_duplicates(ws, "student").rekeys.set_index("new")
    assert rk.at[new, "rule"] == "score"


def test_relink_and_merge_are_refused_where_they_make_no_sense(rekeyed: dict[str, Any]) -> None:
    ws, truth = rekeyed["ws"], rekeyed["truth"]
    loaded = truth["new"][0]
    with pytest.raises(InputError, match="not a re-key"):
        decide(ws, "student", loaded, truth["newcomer"], "relink")
    with pytest.raises(InputError, match="no longer loaded"):
        decide(ws, "student", truth["old"][0], loaded, "merge")
    with pytest.raises(InputError, match="no student with ID"):
        decide(ws, "student", "S0", loaded, "relink")


def test_before_any_commit_there_is_nothing_to_rekey(tmp_path: Path, extract: Path) -> None:
    ws = wb.init_workspace(tmp_path / "ws")
    wb.load_path(ws, extract, source="sis")
    assert find_duplicates(ws, "student").rekeys.empty
    ws.close()


def test_a_relinked_student_is_delivered_under_the_committed_id(rekeyed: dict[str, Any]) -> None:
    from workbench.sync.plan import build_plan, plan_changes

    ws, truth = rekeyed["ws"], rekeyed["truth"]
    old, new = truth["old"][0], truth["new"][0]
    decision = decide(ws, "student", old, new, "relink", author="steward")
    build_candidate(ws, load_config(ws))
    ids = {r[0]: r[1] for r in ws.query("SELECT sourced_id, source_id FROM cand.student "
                                        "WHERE sourced_id IN (?, ?)", [old, new])}
    assert ids == {old: new}  # the committed ID; source_id keeps the new record's
    enrolled = ws.query("SELECT count(*) FILTER (user_sourced_id = ?), count(*) FILTER "
                        "(user_sourced_id = ?) FROM cand.enrollment", [old, new])[0]
    assert enrolled[0] > 0 and enrolled[1] == 0
    links = ws.query("SELECT count(*) FROM cand.student_contact WHERE student_sourced_id = ?", [new])
    assert links[0][0] == 0
    plan = build_plan(ws)
    changes = plan_changes(ws, plan.hash, entity="student")
    mine = changes[changes["sourced_id"].isin([old, new])]
    assert list(mine["op"]) == ["update"] and list(mine["cause"]) == ["relinked"]
    undo(ws, decision.decision_id, author="steward")
    build_candidate(ws, load_config(ws))
    assert {r[0] for r in ws.query("SELECT sourced_id FROM cand.student WHERE sourced_id IN (?, ?)",
                                   [old, new])} == {new}
