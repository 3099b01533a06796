"""Delivery: the committed roster as a OneRoster 1.1 package, bulk or delta, checked by our reader."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

import workbench as wb
from workbench.cli import main
from workbench.errors import InputError
from workbench.rules import build_candidate
from workbench.rules.config import load_config
from workbench.sandbox import generate_district
from workbench.sources.oneroster import validate_package
from workbench.sync import commit_roster, roster_rows
from workbench.sync.export import SAFE_MACRO, export_oneroster
from workbench.sync.export_sql import PROJECTIONS
from workbench.sync.roster import get_version

FORMULA_NAME = '=HYPERLINK("http://x","y")'
PHONE = "+1 555 0100"

# Columns a OneRoster package carries, per canonical entity (docs/mapping.md; the rest is
# PowerSchool-only or derived). student.sex is compared with 'other' read as empty (1.1 has no such
# value); contact.phones and emails hold at most phone + sms and the email.
CARRIED: dict[str, tuple[str, ...]] = {
    "school": ("sourced_id", "source_id", "name", "org_type", "identifier", "parent_sourced_id"),
    "calendar": ("sourced_id", "title", "session_type", "start_date", "end_date", "parent_sourced_id",
                 "school_year"),
    "course": ("sourced_id", "title", "course_code", "school_sourced_id", "school_year_sourced_id",
               "grades", "subjects"),
    "class": ("sourced_id", "title", "class_code", "class_type", "location", "school_sourced_id",
              "course_sourced_id", "term_sourced_ids", "periods", "grades"),
    "student": ("sourced_id", "given_name", "middle_name", "family_name", "username", "identifier",
                "state_id", "email", "phone", "birth_date", "sex", "grade", "school_sourced_id",
                "enabled", "hispanic", "races"),
    "teacher": ("sourced_id", "given_name", "middle_name", "family_name", "username", "identifier",
                "state_id", "email", "phone", "school_sourced_ids", "enabled"),
    "admin": ("sourced_id", "given_name", "middle_name", "family_name", "username", "identifier",
              "state_id", "email", "phone", "school_sourced_ids", "enabled"),
    "contact": ("sourced_id", "given_name", "middle_name", "family_name", "role", "email", "phone",
                "enabled"),
    "student_contact": ("sourced_id", "student_sourced_id", "contact_sourced_id", "priority"),
    "enrollment": ("sourced_id", "class_sourced_id", "school_sourced_id", "user_sourced_id", "role",
                   "is_primary", "begin_date", "end_date"),
}


def _project(cur: duckdb.DuckDBPyConnection, relation: str, entity: str,
             params: dict[str, Any] | None = None) -> set[tuple[Any, ...]]:
    cols = ", ".join("CASE WHEN sex IN ('male', 'female') THEN sex END" if c == "sex" else f'"{c}"'
                     for c in CARRIED[entity])
    rows = cur.execute(f"SELECT {cols} FROM {relation}", params or {}).fetchall()
    return {tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in rows}


def _roster(ws: wb.Workspace, entity: str, version: int) -> set[tuple[Any, ...]]:
    relation = (f'(SELECT * FROM roster."{entity}" WHERE v_from <= $v AND (v_to IS NULL OR v_to > $v))')
    return _project(ws.cursor(), relation, entity, {"v": version})


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 300-student district committed twice. Version 2 renames a student (and moves her birth
    date), gives two students formula-like names and a phone, moves a student whose contacts have
    no other student to another school (their orgs change with it), deletes a student with her
    enrollments and links, one more enrollment and one contact (with its links)."""
    base = tmp_path_factory.mktemp("export")
    generate_district(base / "d", students=300, seed=23)
    root = base / "ws"
    with wb.init_workspace(root) as ws:
        wb.load_path(ws, base / "d", source="sis")
        build_candidate(ws, load_config(ws))
        commit_roster(ws, author="ana")
        q = ws.query
        s1, s2, s3, gone = (r[0] for r in q("SELECT sourced_id FROM cand.student ORDER BY 1 LIMIT 4"))
        contact = q("SELECT contact_sourced_id FROM cand.student_contact WHERE student_sourced_id "
                    "NOT IN (?, ?, ?, ?) ORDER BY 1 LIMIT 1", [s1, s2, s3, gone])[0][0]
        enrollment = q("SELECT sourced_id FROM cand.enrollment WHERE user_sourced_id = ? ORDER BY 1 "
                       "LIMIT 1", [s3])[0][0]
        links_v1 = q("SELECT student_sourced_id, contact_sourced_id FROM cand.student_contact")
        mover, school = q("""SELECT s.sourced_id, (SELECT min(sourced_id) FROM cand.school
                                 WHERE org_type = 'school' AND sourced_id <> s.school_sourced_id)
            FROM cand.student s JOIN cand.student_contact l ON l.student_sourced_id = s.sourced_id
            WHERE s.sourced_id NOT IN (?, ?, ?, ?) AND l.contact_sourced_id <> ?
            AND l.contact_sourced_id IN (SELECT contact_sourced_id FROM cand.student_contact
                                         GROUP BY 1 HAVING count(*) = 1)
            ORDER BY 1 LIMIT 1""", [s1, s2, s3, gone, contact])[0]
        gone_enrollments = {r[0] for r in q("SELECT sourced_id FROM cand.enrollment WHERE "
                                            "user_sourced_id = ?", [gone])}
        con = ws.con
        con.execute("UPDATE cand.student SET given_name = 'Renamed', birth_date = DATE '2016-01-02' "
                    "WHERE sourced_id = ?", [s1])
        con.execute("UPDATE cand.student SET given_name = ?, phone = ? WHERE sourced_id = ?",
                    [FORMULA_NAME, PHONE, s2])
        con.execute("UPDATE cand.student SET family_name = '@SUM(A1)', middle_name = '-2+3+cmd|x' "
                    "WHERE sourced_id = ?", [s3])
        con.execute("UPDATE cand.student SET school_sourced_id = ? WHERE sourced_id = ?", [school, mover])
        con.execute("DELETE FROM cand.enrollment WHERE user_sourced_id = ? OR sourced_id = ?",
                    [gone, enrollment])
        con.execute("DELETE FROM cand.student_contact WHERE student_sourced_id = ? "
                    "OR contact_sourced_id = ?", [gone, contact])
        con.execute("DELETE FROM cand.student WHERE sourced_id = ?", [gone])
        con.execute("DELETE FROM cand.contact WHERE sourced_id = ?", [contact])
        v2 = commit_roster(ws, author="ben")
    return {"root": root, "base": base, "renamed": s1, "formula": s2, "at": s3, "gone": gone,
            "mover": mover, "mover_contacts": {c for s, c in links_v1 if s == mover},
            "contact": contact, "enrollment": enrollment, "gone_enrollments": gone_enrollments,
            "links_v1": links_v1, "v2": v2}


@pytest.fixture
def ws(district: dict[str, Any]) -> Iterator[wb.Workspace]:
    with wb.open_workspace(district["root"]) as w:
        yield w


def test_every_projection_has_the_spec_columns(ws: wb.Workspace) -> None:
    from workbench.sandbox.oneroster_sql import HEADERS
    from workbench.sync.export_sql import MACROS

    cur = ws.cursor()
    for sql in MACROS:
        cur.execute(sql)
    for name, projection in PROJECTIONS.items():
        cols = [d[0] for d in cur.execute(f"SELECT * FROM ({projection('$t')}) LIMIT 0", {"t": 1}).description]
        assert cols == [c for c in HEADERS[name] if c not in ("status", "dateLastModified")] + ["wb_v"]


def test_bulk_export_of_version_1_after_version_2_loads_back_to_version_1(
        ws: wb.Workspace, tmp_path: Path) -> None:
    result = export_oneroster(ws, tmp_path / "bulk", version=1)
    assert (result.version, result.mode, result.findings) == (1, "bulk", [])
    manifest = dict((r["propertyName"], r["value"]) for r in _read(tmp_path / "bulk" / "manifest.csv"))
    assert manifest["file.users"] == manifest["file.enrollments"] == "bulk"
    assert manifest["file.lineItems"] == "absent" and manifest["source.systemName"] == "Roster Workbench"
    users = _read(tmp_path / "bulk" / "users.csv")
    assert {r["status"] for r in users} == {""} and {r["dateLastModified"] for r in users} == {""}
    assert len(users) == result.counts["users"]
    with wb.init_workspace(tmp_path / "back") as back:
        loaded = wb.load_path(back, tmp_path / "bulk", source="sis", id_prefix="")
        assert not back.query("SELECT rule, message FROM dq.load_finding WHERE severity <> 'info'")
        for entity in CARRIED:
            committed = _roster(ws, entity, 1)
            again = _project(back.cursor(), f'stg."{entity}"', entity)
            assert committed, entity
            assert again == committed, (entity, sorted(committed - again, key=repr)[:3],
                                        sorted(again - committed, key=repr)[:3])
        assert loaded.counts["student"] == len(roster_rows(ws, "student", 1))


def test_the_head_exports_without_error_findings_and_formulas_are_neutralised(
        ws: wb.Workspace, district: dict[str, Any], tmp_path: Path) -> None:
    result = export_oneroster(ws, tmp_path / "head")
    assert result.version == 2 and not [f for f in result.findings if f.severity == "error"]
    users = {r["sourcedId"]: r for r in _read(tmp_path / "head" / "users.csv")}
    assert users[district["formula"]]["givenName"] == "'" + FORMULA_NAME
    assert users[district["formula"]]["phone"] == PHONE  # a phone number is not a formula
    assert users[district["at"]]["familyName"] == "'@SUM(A1)"
    assert users[district["at"]]["middleName"] == "'-2+3+cmd|x"
    assert district["gone"] not in users and district["contact"] not in users
    raw = (tmp_path / "head" / "users.csv").read_text(encoding="utf-8")
    assert ',"\'=HYPERLINK(""http://x"",""y"")",' in raw
    assert ",=HYPERLINK" not in raw and ',"=HYPERLINK' not in raw


@pytest.mark.parametrize(("value", "written"), [
    ('=HYPERLINK("http://x","y")', "'=HYPERLINK(\"http://x\",\"y\")"),
    ("  =1+1", "'  =1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3+cmd|x", "'-2+3+cmd|x"), ("-A1", "'-A1"),
    ("+1 555 0100", "+1 555 0100"), ("+1 (555) 010-0199", "+1 (555) 010-0199"), ("-12", "-12"),
    ("-3.5", "-3.5"), ("555-0100", "555-0100"), ("O'Brien", "O'Brien"), ("a=b", "a=b"), ("", None),
])
def test_the_formula_rule(value: str, written: str | None) -> None:
    con = duckdb.connect()
    con.execute(SAFE_MACRO)
    assert con.execute("SELECT wb_safe(?)", [value]).fetchone() == (written,)


def test_delta_since_version_1_has_the_changed_rows_active_and_the_deleted_ones_tobedeleted(
        ws: wb.Workspace, district: dict[str, Any], tmp_path: Path) -> None:
    d = district
    result = export_oneroster(ws, tmp_path / "delta", delta_since=1)
    assert (result.mode, result.since, result.version) == ("delta", 1, 2)
    assert not [f for f in result.findings if f.severity == "error"]
    folder = tmp_path / "delta"
    manifest = dict((r["propertyName"], r["value"]) for r in _read(folder / "manifest.csv"))
    assert {k for k, v in manifest.items() if v == "delta"} == {
        "file.users", "file.enrollments", "file.demographics"}
    assert manifest["file.orgs"] == manifest["file.classes"] == "absent"
    assert not (folder / "orgs.csv").exists()
    stamp = _stamp(d["v2"].committed_at)
    files = {n: _read(folder / f"{n}.csv") for n in ("users", "enrollments", "demographics")}
    for name, rows in files.items():
        assert {r["dateLastModified"] for r in rows} == {stamp}, name

    def by_status(name: str, status: str) -> set[str]:
        return {r["sourcedId"] for r in files[name] if r["status"] == status}

    gone_contacts = {c for s, c in d["links_v1"] if s == d["gone"]}
    orphaned = {s for s, c in d["links_v1"] if c == d["contact"]}
    assert d["mover_contacts"]
    assert by_status("users", "active") == (
        {d["renamed"], d["formula"], d["at"], d["mover"]} | d["mover_contacts"] | gone_contacts
        | orphaned) - {d["gone"]}
    assert by_status("users", "tobedeleted") == {d["gone"], d["contact"]}
    assert by_status("enrollments", "active") == set()
    assert by_status("enrollments", "tobedeleted") == d["gone_enrollments"] | {d["enrollment"]}
    assert by_status("demographics", "active") == {d["renamed"]}
    assert by_status("demographics", "tobedeleted") == {d["gone"]}
    assert result.deleted == {"users": 2, "enrollments": len(d["gone_enrollments"]) + 1,
                              "demographics": 1}
    gone = next(r for r in files["users"] if r["sourcedId"] == d["gone"])
    assert gone["givenName"] and gone["role"] == "student"  # the last known values


def _stamp(moment: Any) -> str:
    utc = moment.astimezone(UTC)  # committed_at is local wall time
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def test_a_delta_since_0_dates_each_row_by_the_last_version_that_wrote_it(
        ws: wb.Workspace, district: dict[str, Any], tmp_path: Path) -> None:
    d = district
    result = export_oneroster(ws, tmp_path / "all", version=2, delta_since=0)
    assert result.deleted == {name: 0 for name in result.counts}
    users = {r["sourcedId"]: r for r in _read(tmp_path / "all" / "users.csv")}
    assert len(users) == result.counts["users"] and {r["status"] for r in users.values()} == {"active"}
    v1, v2 = _stamp(get_version(ws, 1).committed_at), _stamp(d["v2"].committed_at)
    orphaned = {s for s, c in d["links_v1"] if c == d["contact"]}  # a link removed in version 2
    gone_contacts = {c for s, c in d["links_v1"] if s == d["gone"]}  # a student removed in version 2
    changed = ({d["renamed"], d["formula"], d["at"], d["mover"]} | d["mover_contacts"] | orphaned
               | gone_contacts) - {d["gone"]}
    assert {i for i, r in users.items() if r["dateLastModified"] == v2} == changed
    assert {r["dateLastModified"] for i, r in users.items() if i not in changed} == {v1}


def test_a_delta_is_checked_against_the_target_version(ws: wb.Workspace, tmp_path: Path) -> None:
    export_oneroster(ws, tmp_path / "delta", delta_since=1)
    folder = tmp_path / "delta"
    users = _ids(_read(folder / "users.csv"))
    # references into rows the receiver does not hold are dangling; without them, not checked
    found = validate_package(folder, known={"orgs": _ids([]), "users": users})
    assert any(f.rule == "dangling_reference" and f.field == "orgSourcedIds" for f in found)
    found = validate_package(folder)
    assert not any(f.rule == "dangling_reference" for f in found)
    assert any(f.rule == "reference_not_checked" and f.field == "orgSourcedIds" for f in found)
    # a delta row without its status is an error
    (folder / "enrollments.csv").write_text(
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
        "primary,beginDate,endDate\nE1,,,c,s,u,student,,,\n", encoding="utf-8")
    found = validate_package(folder)
    assert any(f.rule == "delta_fields_missing" and f.severity == "error" and f.line == 2 for f in found)


def _ids(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"id": pd.Series([r["sourcedId"] for r in rows], dtype="object")})


def test_a_delta_since_the_version_itself_is_empty(ws: wb.Workspace, tmp_path: Path) -> None:
    result = export_oneroster(ws, tmp_path / "none", delta_since=2)
    assert result.counts == {} and sorted(p.name for p in (tmp_path / "none").iterdir()) == ["manifest.csv"]


def test_zip_export_has_the_files_at_its_root_and_loads(ws: wb.Workspace, tmp_path: Path) -> None:
    result = export_oneroster(ws, tmp_path / "roster.zip", zip=True)
    with zipfile.ZipFile(tmp_path / "roster.zip") as zf:
        names = sorted(zf.namelist())
    assert names == sorted(["manifest.csv", *(f"{n}.csv" for n in result.counts)])
    with wb.init_workspace(tmp_path / "back") as back:
        loaded = wb.load_path(back, tmp_path / "roster.zip", source="sis")
    assert loaded.counts["enrollment"] == result.counts["enrollments"]
    with pytest.raises(InputError, match="already exists"):
        export_oneroster(ws, tmp_path / "roster.zip", zip=True)


def test_bad_versions_are_refused(ws: wb.Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no version 7"):
        export_oneroster(ws, tmp_path / "x", version=7)
    with pytest.raises(InputError, match="since version 2 cannot lead to version 1"):
        export_oneroster(ws, tmp_path / "x", version=1, delta_since=2)
    assert not (tmp_path / "x").exists()


def test_a_roster_the_validator_refuses_is_not_exported(loaded_workspace: Path, tmp_path: Path) -> None:
    with wb.open_workspace(loaded_workspace) as w:
        build_candidate(w, load_config(w))
        w.con.execute("UPDATE cand.enrollment SET class_sourced_id = 'nowhere' WHERE role = 'student'")
        commit_roster(w, author="ana")
        with pytest.raises(InputError) as err:
            export_oneroster(w, tmp_path / "bad")
    text = str(err.value)
    assert "enrollments.csv, line 2, field classSourcedId" in text and "nowhere" in text
    assert "was not written" in text
    assert not (tmp_path / "bad").exists() and not list(tmp_path.glob(".bad*"))


def test_the_cli_exports(district: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(district["root"])
    assert main(["export", root, str(tmp_path / "cli"), "--version", "1"]) == 0
    assert "version 1" in capsys.readouterr().out
    assert (tmp_path / "cli" / "users.csv").exists()
    assert main(["export", root, str(tmp_path / "cli.zip"), "--delta-since", "1", "--zip"]) == 0
    assert zipfile.is_zipfile(tmp_path / "cli.zip")
    assert main(["export", root, str(tmp_path / "cli2"), "--version", "9"]) == 2
    assert "no version 9" in capsys.readouterr().err


def test_delivered_extension_fields_are_metadata_columns_of_users(tmp_path: Path) -> None:
    generate_district(tmp_path / "d", students=120, seed=8)
    tags = pd.read_csv(tmp_path / "d" / "U_DEF_EXT_STUDENTS.csv", dtype=str).rename(columns=lambda c: c.split(".")[-1])
    tag_of = {f"S{k}": v for k, v in zip(tags["StudentsDCID"], tags["laptop_tag"], strict=True)
              if isinstance(v, str)}
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, tmp_path / "d", source="sis")
        build_candidate(ws, load_config(ws))
        commit_roster(ws, author="ana")
        plain = export_oneroster(ws, tmp_path / "plain")
        assert plain.metadata == [] and not any(c.startswith("metadata.") for c in
                                                _read(tmp_path / "plain" / "users.csv")[0])
        config = load_config(ws)
        config["extensions"] = {"student": ["U_DEF_EXT_STUDENTS.laptop_tag",
                                            "StudentCoreFields.primarylanguage"]}
        wb.rules.save_config(ws, config)
        result = export_oneroster(ws, tmp_path / "bulk")
        assert result.metadata == ["metadata.laptop_tag", "metadata.primarylanguage"]
        assert not [f for f in result.findings if f.severity == "error"]
        users = _read(tmp_path / "bulk" / "users.csv")
        assert list(users[0])[-2:] == ["metadata.laptop_tag", "metadata.primarylanguage"]
        students = {r["sourcedId"]: r for r in users if r["role"] == "student"}
        assert {s: r["metadata.laptop_tag"] for s, r in students.items() if r["metadata.laptop_tag"]} == tag_of
        assert all(r["metadata.primarylanguage"] for r in students.values())
        assert {r["metadata.laptop_tag"] for r in users if r["role"] != "student"} == {""}
        # a changed extension value alone puts the student in the next delta, with the new value
        sid = next(iter(sorted(tag_of)))
        build_candidate(ws, load_config(ws))
        ws.con.execute("UPDATE cand.student SET extensions = json_merge_patch(extensions, "
                       "'{\"u_def_ext_students.laptop_tag\": \"LT-000001\"}') WHERE sourced_id = ?", [sid])
        commit_roster(ws, author="ben")
        export_oneroster(ws, tmp_path / "delta", delta_since=1)
        delta = _read(tmp_path / "delta" / "users.csv")
        assert [(r["sourcedId"], r["status"], r["metadata.laptop_tag"]) for r in delta] == [
            (sid, "active", "LT-000001")]
