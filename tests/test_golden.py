"""Golden records: master-field strategies, contacts' every phone and e-mail, lineage, and the
candidate roster that delivers them (references rewritten to the survivor)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workbench as wb
from tests.conftest import _write, write_extract
from workbench.cli import main
from workbench.linkage import decide, find_duplicates
from workbench.linkage.golden import build_golden
from workbench.rules import build_candidate, default_config
from workbench.sandbox import generate_district

# --- two sources side by side, one student and one teacher merged by the steward ---------------

KID, KID_X = "S4101", "x-S4101"  # Ava in source sis and in source staff (prefix x-)
TOM, TOM_X = "T301", "x-T301"


HEADER = ["ID", "DCID", "Student_Number", "First_Name", "Middle_Name", "Last_Name", "Grade_Level",
          "SchoolID", "Enroll_Status", "DOB", "Gender", "EntryDate", "ExitDate", "Home_Phone",
          "Street", "City"]


def _student(i: int, school: int, given: str, middle: str, family: str, grade: int, dob: str,
             phone: str = "", street: str = "") -> list[Any]:
    return [i, 4090 + i, 230000 + i, given, middle, family, grade, school, 0, dob, "F",
            "2026-08-20", "2027-06-05", phone, street, "Alder"]


def _sis_extract(folder: Path) -> Path:
    """Three unrelated students; Ava (S4101) has no middle name, phone or street."""
    write_extract(folder, students=3)
    _write(folder, "Students", HEADER, [
        _student(11, 100, "Ava", "", "Jones", 5, "2015-03-02"),
        _student(12, 100, "Ben", "", "Okafor", 3, "2017-01-20", "541-555-0202", "9 Oak Rd"),
        _student(13, 100, "Cal", "", "Price", 1, "2019-11-05", "541-555-0303", "4 Fir Ln")])
    return folder


def _staff_extract(folder: Path) -> Path:
    """Ava as a second system sees her: 'Avery Jonas', born a day later, in grade 4, with a middle
    name, phone and street; Tom Hall works at school 200 there."""
    write_extract(folder, students=1, school=200)
    _write(folder, "Students", HEADER, [
        _student(11, 200, "Avery", "Ann", "Jonas", 4, "2015-03-03", "541-555-0101", "1 Elm St")])
    return folder


@pytest.fixture()
def two_sources(tmp_path: Path) -> Iterator[wb.Workspace]:
    ws = wb.init_workspace(tmp_path / "ws")
    wb.load_path(ws, _sis_extract(tmp_path / "sis"), source="sis")
    wb.load_path(ws, _staff_extract(tmp_path / "staff"), source="staff", id_prefix="x-")
    decide(ws, "student", KID, KID_X, "merge", author="test")
    decide(ws, "teacher", TOM, TOM_X, "merge", author="test")
    for entity in ("student", "teacher"):
        find_duplicates(ws, entity)
    yield ws
    ws.close()


def _config(master: dict[str, Any]) -> dict[str, Any]:
    config = default_config()
    config["master_fields"] = master
    return config


def _golden(ws: wb.Workspace, entity: str, master: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one golden record of the entity whose members include the merged pair."""
    found = build_golden(ws, entity, _config(master or {}))
    rows = [r for r in found.to_dict()["golden"] if KID in r["members"] or TOM in r["members"]]
    assert len(rows) == 1, rows
    return rows[0]


def test_default_takes_the_first_source_added_and_skips_empty_values(two_sources) -> None:  # type: ignore[no-untyped-def]
    g = _golden(two_sources, "student")
    assert g["members"] == [KID, KID_X] and g["golden_id"] == KID  # sis was added first
    record = g["record"]
    assert (record["given_name"], record["family_name"], record["birth_date"]) == \
        ("Ava", "Jones", "2015-03-02")
    # sis has no phone, middle name or street: the staff record gives them
    assert (record["phone"], record["middle_name"], record["street"]) == \
        ("541-555-0101", "Ann", "1 Elm St")
    assert g["lineage"]["phone"] == [{"source": "staff", "sourced_id": KID_X, "strategy": "default"}]
    assert g["lineage"]["family_name"] == [{"source": "sis", "sourced_id": KID, "strategy": "default"}]
    assert g["lineage"]["sourced_id"] == [{"source": "sis", "sourced_id": KID, "strategy": "survivor"}]


def test_source_priority_most_recent_most_complete_and_aggregate(two_sources) -> None:  # type: ignore[no-untyped-def]
    g = _golden(two_sources, "student", {"student": {
        "family_name": {"strategy": "source_priority", "sources": ["staff", "sis"]},
        "given_name": {"strategy": "most_recent"},
        "birth_date": {"strategy": "most_complete"},
        "grade": {"strategy": "aggregate", "sources": ["staff"]},
        "phone": {"strategy": "source_priority", "sources": ["sis"]},
    }})
    record = g["record"]
    assert record["family_name"] == "Jonas"  # staff first
    assert record["given_name"] == "Avery"  # staff was loaded last
    assert record["birth_date"] == "2015-03-03"  # the staff record has more attributes filled
    assert record["grade"] == "04"  # a scalar aggregate is the priority winner
    assert record["phone"] == "541-555-0101"  # sis first, but sis has none
    assert g["lineage"]["given_name"] == [{"source": "staff", "sourced_id": KID_X,
                                           "strategy": "most_recent"}]
    assert g["lineage"]["birth_date"][0]["sourced_id"] == KID_X
    assert g["golden_id"] == KID  # the survivor does not follow attribute choices


def test_most_recent_follows_the_latest_load(two_sources, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    master = {"student": {"given_name": {"strategy": "most_recent"}}}
    assert _golden(two_sources, "student", master)["record"]["given_name"] == "Avery"
    wb.load_path(two_sources, _sis_extract(tmp_path / "sis2"), source="sis")
    find_duplicates(two_sources, "student")
    assert _golden(two_sources, "student", master)["record"]["given_name"] == "Ava"


def test_aggregate_lists_are_the_union_in_priority_order(two_sources) -> None:  # type: ignore[no-untyped-def]
    g = _golden(two_sources, "teacher", {"teacher": {"school_sourced_ids": {"strategy": "aggregate"}}})
    assert g["record"]["school_sourced_ids"] == ["100", "x-200"]
    assert {(r["source"], r["sourced_id"]) for r in g["lineage"]["school_sourced_ids"]} == \
        {("sis", TOM), ("staff", TOM_X)}
    g = _golden(two_sources, "teacher", {"teacher": {
        "school_sourced_ids": {"strategy": "aggregate", "sources": ["staff"]}}})
    assert g["record"]["school_sourced_ids"] == ["x-200", "100"]
    g = _golden(two_sources, "teacher")  # not configured: one record's list, not the union
    assert g["record"]["school_sourced_ids"] == ["100"]


def test_survivor_is_the_member_in_the_committed_roster(two_sources) -> None:  # type: ignore[no-untyped-def]
    cur = two_sources.cursor()
    cur.execute("CREATE SCHEMA roster")
    cur.execute("CREATE VIEW roster.current_student AS SELECT * FROM stg.student WHERE source = 'staff'")
    cur.close()
    g = _golden(two_sources, "student")
    assert g["golden_id"] == KID_X
    assert g["record"]["source"] == "staff" and g["record"]["family_name"] == "Jones"


def test_sourced_id_priority_picks_the_survivor_and_golden_is_stored(two_sources) -> None:  # type: ignore[no-untyped-def]
    master = {"student": {"sourced_id": {"strategy": "source_priority", "sources": ["staff"]}}}
    g = _golden(two_sources, "student", master)
    assert g["golden_id"] == KID_X
    rows = two_sources.query("SELECT sourced_id, family_name FROM link.golden_student")
    assert rows == [(KID_X, "Jones")]
    lineage = two_sources.query("SELECT attribute, source, sourced_id FROM link.lineage WHERE "
                                "entity = 'student' AND attribute IN ('phone', 'family_name') "
                                "ORDER BY attribute")
    assert lineage == [("family_name", "sis", KID), ("phone", "staff", KID_X)]


def test_candidate_delivers_the_golden_record_and_moves_enrollments(two_sources) -> None:  # type: ignore[no-untyped-def]
    summary = build_candidate(two_sources, _config({}))
    assert summary.dropped_by_rule["student: merged_duplicate"] == 1
    assert summary.dropped_by_rule["teacher: merged_duplicate"] == 1
    row = two_sources.query("SELECT given_name, family_name, phone FROM cand.student "
                            "WHERE sourced_id = ?", [KID])
    assert row == [("Ava", "Jones", "541-555-0101")]
    assert two_sources.query("SELECT rule, reason FROM cand.dropped WHERE sourced_id = ?", [KID_X]) \
        == [("merged_duplicate", f"merged into {KID} (the golden record of its duplicates)")]
    users = two_sources.query("SELECT user_sourced_id, class_sourced_id FROM cand.enrollment "
                              "WHERE user_sourced_id IN (?, ?, ?, ?) ORDER BY 2, 1",
                              [KID, KID_X, TOM, TOM_X])
    # both sections now name the survivors; nothing points at a merged-away record
    assert users == [(KID, "9001"), (TOM, "9001"), (KID, "x-9001"), (TOM, "x-9001")]


def test_cli_golden_json(two_sources, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    root = str(two_sources.root)
    two_sources.close()
    assert main(["golden", root, "--entity", "student", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["entity"] == "student"
    assert [(g["golden_id"], g["members"]) for g in doc["golden"]] == [(KID, [KID, KID_X])]
    assert main(["golden", root, "--entity", "teacher"]) == 0
    assert f"{TOM}  <- {TOM}, {TOM_X}" in capsys.readouterr().out


# --- the sandbox district ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[wb.Workspace]:
    root = tmp_path_factory.mktemp("golden")
    generate_district(root / "d", students=800, seed=7)
    ws = wb.init_workspace(root / "ws")
    wb.load_path(ws, root / "d", source="sis")
    for entity in ("student", "contact"):
        find_duplicates(ws, entity)
    yield ws
    ws.close()


def _clusters(ws: wb.Workspace, entity: str) -> dict[str, list[str]]:
    rows = ws.query("SELECT cluster_id, list(sourced_id ORDER BY sourced_id) FROM link.cluster "
                    "WHERE entity = ? GROUP BY 1", [entity])
    return dict(rows)


def test_one_golden_record_per_cluster_with_lineage_to_a_member(district: wb.Workspace) -> None:
    found = build_golden(district, "student")
    clusters = _clusters(district, "student")
    assert clusters and dict(zip(found.records["cluster_id"], found.records["sourced_id"],
                                 strict=True)) == {c: m[0] for c, m in clusters.items()}
    members = {(r.cluster_id, r.sourced_id): r for r in found.members.itertuples()}
    for record in found.records.itertuples():
        rows = found.lineage[found.lineage["golden_id"] == record.sourced_id]
        for lin in rows.itertuples():
            assert (record.cluster_id, lin.sourced_id) in members, lin
            assert lin.source == "sis"
            if lin.attribute in ("given_name", "family_name", "birth_date", "grade"):
                given = getattr(members[(record.cluster_id, lin.sourced_id)], lin.attribute)
                assert given == getattr(record, lin.attribute)


def _texts(values: Any) -> list[str]:
    """The non-blank strings of a list cell (an array, a list, or a missing value)."""
    if isinstance(values, str):
        values = [values]
    try:
        return [v for v in values if isinstance(v, str) and v.strip()]
    except TypeError:  # pandas' NA for a missing list
        return []


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def test_contacts_keep_every_phone_and_email(district: wb.Workspace) -> None:
    found = build_golden(district, "contact")
    assert len(found.records) == len(_clusters(district, "contact"))
    richer = 0
    for record in found.records.itertuples():
        mine = found.members[found.members["cluster_id"] == record.cluster_id]
        emails = {e.lower() for col in ("email", "emails") for v in mine[col] for e in _texts(v)}
        phones = {_digits(p) for col in ("phone", "phones") for v in mine[col] for p in _texts(v)}
        golden_emails, golden_phones = _texts(record.emails), _texts(record.phones)
        assert {e.lower() for e in golden_emails} == emails
        assert {_digits(p) for p in golden_phones} == phones
        assert len(golden_phones) == len(phones)  # distinct by digits
        if _texts(record.email):
            assert golden_emails[0] == record.email
        if _texts(record.phone):
            assert golden_phones[0] == record.phone
        richer += len(golden_emails) > max(len(_texts(v)) for v in mine["emails"])
    assert richer > 0  # some merged contacts gained an e-mail (a typo'd copy) from another record


def test_candidate_rewrites_enrollments_and_contact_links(district: wb.Workspace) -> None:
    build_candidate(district, default_config())
    merged = dict(district.query("SELECT sourced_id, regexp_extract(reason, 'merged into (\\S+)', 1) "
                                 "FROM cand.dropped WHERE rule = 'merged_duplicate' AND entity IN "
                                 "('student', 'contact')"))
    assert merged
    for table, col in (("enrollment", "user_sourced_id"), ("student_contact", "student_sourced_id"),
                       ("student_contact", "contact_sourced_id")):
        assert not district.query(f"SELECT 1 FROM cand.{table} WHERE list_contains(?, {col})",
                                  [list(merged)]), (table, col)
    # every class a merged-away student was in is now a class of its survivor
    for old, survivor in merged.items():
        if not old.startswith("S"):
            continue
        before = {r[0] for r in district.query(
            "SELECT class_sourced_id FROM stg.enrollment WHERE user_sourced_id = ?", [old])}
        after = {r[0] for r in district.query(
            "SELECT class_sourced_id FROM cand.enrollment WHERE user_sourced_id = ?", [survivor])}
        assert before <= after, old
    # a merged-away contact's students are linked to the survivor, once per student
    pairs = district.query("SELECT student_sourced_id, contact_sourced_id, count(*) FROM "
                           "cand.student_contact GROUP BY ALL HAVING count(*) > 1")
    assert pairs == []
    moved = district.query("""SELECT l.student_sourced_id, l.contact_sourced_id FROM stg.student_contact l
        WHERE list_contains(?, l.contact_sourced_id)""", [list(merged)])
    assert moved
    for student, contact in moved:
        assert district.query("SELECT 1 FROM cand.student_contact WHERE student_sourced_id = ? "
                              "AND contact_sourced_id = ?", [student, merged[contact]]), (student, contact)
    for entity in ("student", "contact", "enrollment", "student_contact"):
        total = district.query(f"SELECT count(*) FROM stg.{entity}")[0][0]
        kept = district.query(f"SELECT count(*) FROM cand.{entity}")[0][0]
        dropped = district.query("SELECT count(*) FROM cand.dropped WHERE entity = ?", [entity])[0][0]
        assert kept + dropped == total, entity


def test_keep_separate_splits_the_golden_record_on_the_next_run(district: wb.Workspace) -> None:
    clusters = _clusters(district, "student")
    cluster_id, (a, b) = next((c, m) for c, m in sorted(clusters.items()) if len(m) == 2)
    assert build_golden(district, "student").records["cluster_id"].tolist().count(cluster_id) == 1
    decision = decide(district, "student", a, b, "keep_separate", author="test")
    try:
        find_duplicates(district, "student")
        found = build_golden(district, "student")
        assert cluster_id not in set(found.records["cluster_id"])
        assert len(found.records) == len(clusters) - 1
        build_candidate(district, default_config())
        assert len(district.query("SELECT 1 FROM cand.student WHERE list_contains(?, sourced_id)",
                                  [[a, b]])) == 2
    finally:
        wb.linkage.undo(district, decision.decision_id, author="test")
        find_duplicates(district, "student")


def test_no_clusters_leave_the_candidate_as_loaded(tmp_path: Path) -> None:
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, write_extract(tmp_path / "x", students=3), source="sis")
        summary = build_candidate(ws, default_config())
        assert "student: merged_duplicate" not in summary.dropped_by_rule
        assert summary.kept["student"] == 3
        found = build_golden(ws, "student")
        assert found.records.empty and found.to_dict() == {"entity": "student", "golden": []}
        with pytest.raises(ValueError, match="not 'class'"):
            build_golden(ws, "class")


def test_a_value_the_golden_record_fills_is_no_longer_a_finding(two_sources) -> None:  # type: ignore[no-untyped-def]
    config = _config({})
    config["requirements"] = {"student": {"phone": "report_if_missing", "middle_name": "report_if_missing"}}
    build_candidate(two_sources, config)
    findings = {(s, a) for s, a in two_sources.query(
        "SELECT sourced_id, attribute FROM dq.finding WHERE entity = 'student'")}
    # Ava as loaded in sis has neither; her golden record takes both from the staff source
    assert (KID, "phone") not in findings and (KID, "middle_name") not in findings
    assert two_sources.query("SELECT phone, middle_name FROM cand.student WHERE sourced_id = ?",
                             [KID]) == [("541-555-0101", "Ann")]
    # Ben and Cal have no middle name in any source: still findings
    assert {s for s, a in findings if a == "middle_name"} == {"S4102", "S4103"}
