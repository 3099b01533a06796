"""OneRoster 1.1 packages: reading, checking and mapping onto the canonical roster.

Everything runs through the public load (``workbench.load_path``) into real DuckDB workspaces in
tmp_path. Real third-party samples are read from ``shared/data/oneroster-samples`` (never copied
into the repository); their tests are skipped when that folder is absent.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import workbench as wb
from tests.oneroster_corpus import (
    Package,
    add_column,
    drop_column,
    dump,
    findings,
    good,
    manifest_line,
    raw_lines,
    rename_column,
    set_manifest,
    set_value,
    swap_columns,
    write_package,
    zip_package,
)
from workbench.cli import main
from workbench.model.schema import ENTITIES
from workbench.sources import oneroster
from workbench.sources.files import open_package, read_header
from workbench.sources.oneroster_spec import SPECS

SAMPLES = Path(os.environ.get(
    "WORKBENCH_ONEROSTER_SAMPLES",
    Path(__file__).resolve().parents[2] / "shared" / "data" / "oneroster-samples"))
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"the third-party OneRoster samples are not at {SAMPLES} "
    "(shared/data/oneroster-samples next to the project, or set WORKBENCH_ONEROSTER_SAMPLES)")

GOOD_COUNTS = {"school": 3, "calendar": 3, "course": 2, "class": 2, "student": 2, "teacher": 2,
               "admin": 1, "contact": 2, "student_contact": 3, "enrollment": 4}


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[wb.Workspace]:
    with wb.init_workspace(tmp_path / "ws") as workspace:
        yield workspace


@pytest.fixture
def loaded(ws: wb.Workspace, tmp_path: Path) -> wb.Workspace:
    """A workspace holding the good package as source 'or', so that a refused load has
    something to lose."""
    wb.load_path(ws, write_package(tmp_path / "good"), source="or")
    return ws


def row(ws: wb.Workspace, entity: str, sourced_id: str) -> dict[str, Any]:
    cols = [c for (c,) in ws.query(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'stg' AND table_name = ? "
        "ORDER BY column_index", [entity])]
    found = ws.query(f'SELECT * FROM stg."{entity}" WHERE sourced_id = ?', [sourced_id])
    assert len(found) == 1, f"{entity} {sourced_id}: {len(found)} rows"
    return dict(zip(cols, found[0], strict=True))


def ids(ws: wb.Workspace, entity: str) -> list[str]:
    return [r[0] for r in ws.query(f'SELECT sourced_id FROM stg."{entity}" ORDER BY 1')]


def load(ws: wb.Workspace, tmp_path: Path, pkg: Package, **kw: Any) -> wb.LoadResult:
    return wb.load_path(ws, write_package(tmp_path / "pkg", pkg), source="or", **kw)


# ------------------------------------------------------------------------------ the good package


def test_good_package_loads_without_findings(ws: wb.Workspace, tmp_path: Path) -> None:
    result = load(ws, tmp_path, good())
    assert result.kind == "oneroster"
    assert result.counts == GOOD_COUNTS
    assert result.findings == 0, findings(ws)
    tables = {t for (t,) in ws.query("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'")}
    assert tables == {"or__manifest", "or__orgs", "or__academicsessions", "or__courses",
                      "or__classes", "or__users", "or__enrollments", "or__demographics"}


def test_good_package_rows_follow_the_mapping(ws: wb.Workspace, tmp_path: Path) -> None:
    load(ws, tmp_path, good())
    assert row(ws, "school", "S1") | {"load_id": 0} == {
        "sourced_id": "S1", "source": "or", "source_id": "S1", "load_id": 0,
        "name": "Lakeside High", "org_type": "school", "school_number": None,
        "identifier": "NCES-11", "parent_sourced_id": "D1", "low_grade": None, "high_grade": None,
        "address": None, "city": None, "state": None, "postal_code": None, "phone": None,
        "principal": None}
    cal = row(ws, "calendar", "S25")
    assert (cal["session_type"], cal["start_date"], cal["end_date"], cal["parent_sourced_id"],
            cal["school_year"]) == ("semester", dt.date(2025, 1, 6), dt.date(2025, 6, 10), "Y25", 2025)
    # the school of a session: first school (by ID) of the classes listing it (C1 at S1, C2 at S2)
    assert cal["school_sourced_id"] == "S1"
    # a school year no class lists takes its semesters' school
    assert row(ws, "calendar", "Y25")["school_sourced_id"] == "S1"
    course = row(ws, "course", "0101")
    assert (course["course_code"], course["school_sourced_id"], course["school_year_sourced_id"],
            course["grades"], course["subjects"]) == ("ALG1", "S1", "Y25", ["09", "10"], ["Math"])
    assert row(ws, "course", "0202")["grades"] is None
    c1 = row(ws, "class", "C1")
    assert (c1["title"], c1["class_code"], c1["class_type"], c1["location"], c1["school_sourced_id"],
            c1["course_sourced_id"], c1["term_sourced_ids"], c1["periods"], c1["grades"]) == (
        "Algebra I - 1", "ALG1.1", "scheduled", "R101", "S1", "0101", ["F24", "S25"], ["1", "2"],
        ["09"])
    assert row(ws, "class", "C2")["periods"] is None


def test_good_package_people(ws: wb.Workspace, tmp_path: Path) -> None:
    load(ws, tmp_path, good())
    u1 = row(ws, "student", "U1")
    assert {k: u1[k] for k in ("given_name", "middle_name", "family_name", "username", "identifier",
                               "state_id", "email", "phone", "birth_date", "sex", "grade",
                               "school_sourced_id", "enabled", "hispanic", "races",
                               "enroll_status", "exit_date")} == {
        "given_name": "Ava", "middle_name": "Marie Lou", "family_name": "Jones", "username": "ava.j",
        "identifier": "1001", "state_id": "ST-001", "email": "ava@example.org", "phone": "555-0101",
        "birth_date": dt.date(2010, 3, 4), "sex": "female", "grade": "09", "school_sourced_id": "S1",
        "enabled": True, "hispanic": False, "races": ["asian", "white"], "enroll_status": None,
        "exit_date": None}
    u2 = row(ws, "student", "U2")
    assert (u2["enabled"], u2["birth_date"], u2["sex"], u2["races"], u2["hispanic"], u2["state_id"],
            u2["school_sourced_id"]) == (False, None, None, None, None, None, "S2")
    assert ids(ws, "teacher") == ["T1", "X1"]  # teacher and aide
    t1 = row(ws, "teacher", "T1")
    assert (t1["school_sourced_ids"], t1["state_id"], t1["identifier"]) == (["S1", "S2"], "TS-9", "T-9")
    assert ids(ws, "admin") == ["A1"]
    p1, p2 = row(ws, "contact", "P1"), row(ws, "contact", "P2")
    assert (p1["role"], p1["phone"], p1["phones"], p1["emails"]) == (
        "parent", "555-0110", ["555-0110", "555-0111"], ["pat@example.org"])
    assert (p2["role"], p2["phone"], p2["phones"], p2["email"]) == (
        "guardian", "555-0122", ["555-0122"], None)


def test_contacts_come_from_students_agents_in_list_order(ws: wb.Workspace, tmp_path: Path) -> None:
    load(ws, tmp_path, good())
    got = ws.query("SELECT sourced_id, source_id, student_sourced_id, contact_sourced_id, "
                   "relationship, priority, custodial FROM stg.student_contact ORDER BY 1")
    assert got == [("U1~P1", "U1~P1", "U1", "P1", "parent", 2, None),
                   ("U1~P2", "U1~P2", "U1", "P2", "guardian", 1, None),
                   ("U2~P1", "U2~P1", "U2", "P1", "parent", 1, None)]


def test_enrollment_end_dates_are_read_as_inclusive(ws: wb.Workspace, tmp_path: Path) -> None:
    load(ws, tmp_path, good())
    assert ws.query("SELECT sourced_id, class_sourced_id, school_sourced_id, user_sourced_id, role, "
                    "is_primary, begin_date, end_date FROM stg.enrollment ORDER BY 1") == [
        ("E1", "C1", "S1", "U1", "student", None, dt.date(2024, 8, 20), dt.date(2025, 6, 10)),
        ("E2", "C1", "S1", "T1", "teacher", True, dt.date(2024, 8, 20), dt.date(2025, 6, 10)),
        ("E3", "C2", "S2", "U2", "student", False, None, None),
        ("E4", "C2", "S2", "X1", "teacher", False, dt.date(2025, 1, 6), dt.date(2025, 6, 10)),
    ]


def test_id_prefix_reaches_every_id_and_reference(ws: wb.Workspace, tmp_path: Path) -> None:
    load(ws, tmp_path, good())  # the same package without a prefix, side by side
    wb.load_path(ws, tmp_path / "pkg", source="sis", id_prefix="sis-")
    for entity in ENTITIES:
        refs = [c.name for c in ENTITIES[entity] if c.name.endswith("sourced_id")]
        lists = [c.name for c in ENTITIES[entity] if c.name.endswith("sourced_ids")]
        for (sid, src_id, *values) in ws.query(
                f'SELECT sourced_id, source_id, {", ".join(refs + lists) or "NULL"} '
                f'FROM stg."{entity}" WHERE source = \'sis\''):
            assert sid == "sis-" + src_id
            for v in values:
                items = v if isinstance(v, list) else [v]
                assert all(x.startswith("sis-") for x in items if x is not None), (entity, sid, v)
        n = ws.query(f'SELECT count(*) FROM stg."{entity}" WHERE source = \'sis\'')[0][0]
        assert n == GOOD_COUNTS[entity]
    assert row(ws, "student_contact", "sis-U1~P2")["source_id"] == "U1~P2"
    assert row(ws, "class", "sis-C1")["term_sourced_ids"] == ["sis-F24", "sis-S25"]
    assert row(ws, "student_contact", "U1~P2")["contact_sourced_id"] == "P2"


def test_reloading_replaces_the_sources_rows(ws: wb.Workspace, tmp_path: Path) -> None:
    load(ws, tmp_path, good())
    pkg = good()
    set_value(pkg, "orgs", "S2", "name", "Lakeside Junior High")
    result = load(ws, tmp_path, pkg)
    assert result.counts == GOOD_COUNTS
    assert row(ws, "school", "S2")["name"] == "Lakeside Junior High"
    assert result.load_id == 2


def test_matches_oneroster_but_not_powerschool_tables(tmp_path: Path) -> None:
    with open_package(write_package(tmp_path / "pkg")) as pkg:
        assert oneroster.matches(pkg)
    ps = tmp_path / "ps"
    ps.mkdir()
    (ps / "Users.csv").write_text("Users.DCID,Users.First_Name\n1,Tom\n")
    (ps / "Courses.csv").write_text("Courses.DCID,Courses.Course_Number\n7,MATH5\n")
    with open_package(ps) as pkg:
        assert not oneroster.matches(pkg)
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "users.csv").write_bytes((tmp_path / "pkg" / "users.csv").read_bytes())
    with open_package(lone) as pkg:
        assert oneroster.matches(pkg)


def test_row_findings_are_capped_with_a_count(ws: wb.Workspace, tmp_path: Path) -> None:
    pkg = good()
    users = pkg["users"]
    assert isinstance(users, list)
    template = users[1]
    for i in range(1200):
        users.append([f"Z{i}", *template[1:5], "student", f"z{i}", "", "Zed", "Z", *[""] * 8])
        users[-1][4] = "S404"
    load(ws, tmp_path, pkg)
    dangling = findings(ws, "dangling_reference")
    assert len(dangling) == oneroster.ROW_FINDINGS_CAP + 1
    assert dangling[0]["line"] == 9 and dangling[0]["value"] == "S404"
    assert any(f["line"] is None and "and 200 more row(s)" in f["message"] for f in dangling)
    assert ws.query("SELECT count(*) FROM stg.student")[0][0] == 1202


# --------------------------------------------------------------------------- malformed packages


@dataclass
class Refusal:
    """A package the loader must refuse, and where its message must point."""

    edit: Callable[[Package], Any]
    file: str | None
    line: int | Callable[[Package], int] | None
    field: str | None
    words: tuple[str, ...]


def _del(name: str) -> Callable[[Package], None]:
    return lambda p: p.pop(name)


def _bytes(name: str, change: Callable[[list[bytes]], list[bytes]]) -> Callable[[Package], None]:
    def edit(p: Package) -> None:
        p[name] = b"".join(change(raw_lines(p, name)))
    return edit


def _header_only(p: Package) -> None:
    for name in SPECS:
        rows = p[name]
        assert isinstance(rows, list)
        del rows[1:]


def _no_users(p: Package) -> None:
    p.pop("users")
    p.pop("demographics")
    set_manifest(p, "file.users", "absent")
    set_manifest(p, "file.demographics", "absent")


def _duplicate_user(p: Package) -> None:
    rows = p["users"]
    assert isinstance(rows, list)
    rows.append(list(rows[2]))


REFUSALS: dict[str, Refusal] = {
    "missing manifest entry file": Refusal(
        _del("courses"), "manifest.csv", lambda p: manifest_line(p, "file.courses"), "file.courses",
        ("declared bulk", "courses.csv is not in the package")),
    "wrong header order": Refusal(
        lambda p: swap_columns(p, "users", "givenName", "familyName"), "users.csv", 1, "givenName",
        ("out of order", "the users.csv header is: sourcedId,status,")),
    "misspelled header": Refusal(
        lambda p: rename_column(p, "classes", "courseSourcedId", "corseSourcedId"), "classes.csv", 1,
        "courseSourcedId", ("required column courseSourcedId is missing", "'corseSourcedId'",
                            "misspelling")),
    "header in the wrong case": Refusal(
        lambda p: rename_column(p, "orgs", "sourcedId", "SourcedId"), "orgs.csv", 1, "sourcedId",
        ("differs only in case",)),
    "missing key value": Refusal(
        lambda p: set_value(p, "enrollments", "E3", "userSourcedId", ""), "enrollments.csv", 4,
        "userSourcedId", ("userSourcedId is empty",)),
    "missing sourcedId": Refusal(
        lambda p: set_value(p, "courses", "0202", "sourcedId", " "), "courses.csv", 3, "sourcedId",
        ("sourcedId is empty",)),
    "duplicate sourcedId": Refusal(
        _duplicate_user, "users.csv", 3, "sourcedId", ("'U2' is used by 2 rows (lines 3, 9)",)),
    "ragged row with an extra value": Refusal(
        _bytes("classes", lambda ls: [*ls[:2], ls[2].rstrip(b"\n") + b",extra\n", *ls[3:]]),
        "classes.csv", 3, None, ("row has more than 14 fields (the header has 14)",)),
    "short row": Refusal(
        _bytes("enrollments", lambda ls: [*ls[:2], ls[2].rsplit(b",", 1)[0] + b"\n", *ls[3:]]),
        "enrollments.csv", 3, "endDate", ("row ends early",)),
    "truncated mid-quote": Refusal(
        _bytes("enrollments", lambda ls: [*ls, b'E5,,,C1,S1,"U1']), "enrollments.csv", 6,
        "userSourcedId",
        ("quoted value is never closed",)),
    "empty file": Refusal(
        lambda p: p.update(orgs=b""), "orgs.csv", 1, None, ("the file is empty",)),
    "Windows-1252 bytes": Refusal(
        _bytes("users", lambda ls: [*ls[:2], ls[2].replace(b"Ben", b"Beno\xeet"), *ls[3:]]),
        "users.csv", 3, "givenName", ("not valid UTF-8", "Windows-1252")),
    "delta file": Refusal(
        lambda p: set_manifest(p, "file.users", "delta"), "manifest.csv",
        lambda p: manifest_line(p, "file.users"), "file.users", ("declared delta", "bulk")),
    "manifest header": Refusal(
        lambda p: p["manifest"][0].__setitem__(0, "property"), "manifest.csv", 1, "property",  # type: ignore[union-attr]
        ("expected 'propertyName,value'",)),
    "manifest mode": Refusal(
        lambda p: set_manifest(p, "file.orgs", "full"), "manifest.csv",
        lambda p: manifest_line(p, "file.orgs"), "file.orgs", ("must be bulk, delta or absent",)),
    "OneRoster 1.2": Refusal(
        lambda p: set_manifest(p, "oneroster.version", "1.2"), "manifest.csv", 3,
        "oneroster.version", ("reads OneRoster 1.1",)),
    "OneRoster 1.0 manifest": Refusal(
        lambda p: set_manifest(p, "oneroster.version", "1.0"), "manifest.csv", None,
        "oneroster.version", ("OneRoster 1.0 layout",)),
    "SDS roles file": Refusal(
        lambda p: p.update(roles=[["userSourcedId", "orgSourcedId", "role"], ["U1", "S1", "student"]]),
        "roles.csv", None, None, ("Microsoft SDS format, not OneRoster 1.1",)),
    "header-only package": Refusal(_header_only, None, None, None, ("no data rows",)),
    "enrollments without users": Refusal(
        _no_users, "enrollments.csv", None, None, ("refers to users.csv, which the package lacks",)),
    "two files for one type": Refusal(
        lambda p: p.update(Orgs=p["orgs"]), "orgs.csv", None, None, ("two files hold orgs.csv",)),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_malformed_package_is_refused_and_nothing_changes(
        loaded: wb.Workspace, tmp_path: Path, case: str) -> None:
    spec = REFUSALS[case]
    pkg = good()
    spec.edit(pkg)
    line = spec.line(pkg) if callable(spec.line) else spec.line
    before = dump(loaded)
    with pytest.raises(wb.InputError) as err:
        load(loaded, tmp_path, pkg)
    text = str(err.value)
    for words in spec.words:
        assert words in text, text
    problem = next((p for p in err.value.problems if p.file == spec.file and p.line == line
                    and p.field == spec.field), None)
    assert problem is not None, [(p.file, p.line, p.field) for p in err.value.problems]
    where = ", ".join(x for x in (spec.file, f"line {line}" if line else None,
                                   f"field {spec.field}" if spec.field else None) if x)
    assert where in text
    assert "Nothing was loaded; the workspace is unchanged." in text
    assert dump(loaded) == before


def test_refused_load_exits_2_from_the_cli(loaded: wb.Workspace, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    pkg = good()
    set_value(pkg, "users", "U1", "sourcedId", "")
    path = write_package(tmp_path / "bad", pkg)
    before = dump(loaded)
    root = loaded.root
    loaded.close()
    assert main(["load", str(root), str(path), "--source", "or", "--quiet"]) == 2
    assert "users.csv, line 2, field sourcedId: sourcedId is empty" in capsys.readouterr().err
    with wb.open_workspace(root) as again:
        assert dump(again) == before


@dataclass
class Deviation:
    """A package that loads, with the finding it must produce."""

    edit: Callable[[Package], Any]
    rule: str
    file: str | None
    line: int | None
    field: str | None
    severity: str = "warning"
    words: tuple[str, ...] = ()
    then: Callable[[wb.Workspace], None] = field(default=lambda ws: None)


def _check(cond: Callable[[wb.Workspace], bool]) -> Callable[[wb.Workspace], None]:
    def then(ws: wb.Workspace) -> None:
        assert cond(ws)
    return then


def _raw_append(name: str, line_no: int, extra: bytes) -> Callable[[Package], None]:
    return _bytes(name, lambda ls: [*ls[:line_no - 1], ls[line_no - 1].rstrip(b"\n") + extra + b"\n",
                                    *ls[line_no:]])


DEVIATIONS: dict[str, Deviation] = {
    "missing required value": Deviation(
        lambda p: set_value(p, "users", "U2", "username", ""), "required_missing", "users.csv", 3,
        "username", "error", then=_check(lambda ws: row(ws, "student", "U2")["username"] is None)),
    "bad enum": Deviation(
        lambda p: set_value(p, "orgs", "S2", "type", "campus"), "enum_value", "orgs.csv", 4, "type",
        words=("not one of department, school",),
        then=_check(lambda ws: row(ws, "school", "S2")["org_type"] == "campus")),
    "enum in the wrong case": Deviation(
        lambda p: set_value(p, "classes", "C1", "classType", "Scheduled"), "enum_value",
        "classes.csv", 2, "classType", words=("read as scheduled",),
        then=_check(lambda ws: row(ws, "class", "C1")["class_type"] == "scheduled")),
    "unknown user role": Deviation(
        lambda p: set_value(p, "users", "X1", "role", "principal"), "enum_value", "users.csv", 5,
        "role", "error", ("the user is not loaded",),
        then=_check(lambda ws: ids(ws, "teacher") == ["T1"] and "E4" not in ids(ws, "enrollment")
                    and findings(ws, "enrollment_not_loaded")[0]["line"] == 5)),
    "bad date": Deviation(
        lambda p: set_value(p, "academicSessions", "F24", "startDate", "2024/08/20"), "date_format",
        "academicSessions.csv", 3, "startDate", "error", ("read as empty",),
        then=_check(lambda ws: row(ws, "calendar", "F24")["start_date"] is None)),
    "date with a time": Deviation(
        lambda p: set_value(p, "academicSessions", "S25", "endDate", "2025-06-10T00:00:00Z"),
        "date_format", "academicSessions.csv", 4, "endDate", words=("read as 2025-06-10",),
        then=_check(lambda ws: row(ws, "calendar", "S25")["end_date"] == dt.date(2025, 6, 10))),
    "unparseable datetime": Deviation(
        lambda p: set_value(p, "orgs", "S1", "dateLastModified", "yesterday"), "datetime_format",
        "orgs.csv", 3, "dateLastModified", words=("YYYY-MM-DDTHH:MM:SS.sssZ",)),
    "status in a bulk file": Deviation(
        lambda p: set_value(p, "orgs", "S1", "status", "active"), "bulk_delta_fields", "orgs.csv", 3,
        "status", words=("valid for neither bulk",)),
    "dangling enrollment user": Deviation(
        lambda p: set_value(p, "enrollments", "E3", "userSourcedId", "U404"), "dangling_reference",
        "enrollments.csv", 4, "userSourcedId", "error", ("'U404' is not a sourcedId in users.csv",
                                                         "not loaded"),
        then=_check(lambda ws: ids(ws, "enrollment") == ["E1", "E2", "E4"])),
    "dangling class course": Deviation(
        lambda p: set_value(p, "classes", "C2", "courseSourcedId", "K404"), "dangling_reference",
        "classes.csv", 3, "courseSourcedId",
        then=_check(lambda ws: row(ws, "class", "C2")["course_sourced_id"] == "K404")),
    "dangling term in a list": Deviation(
        lambda p: set_value(p, "classes", "C1", "termSourcedIds", "F24,X99"), "dangling_reference",
        "classes.csv", 2, "termSourcedIds", words=("'X99'",)),
    "ragged row with an empty extra field": Deviation(
        _raw_append("users", 4, b","), "ragged_row", "users.csv", 4, None,
        words=("extra trailing field is empty",),
        then=_check(lambda ws: row(ws, "teacher", "T1")["phone"] == "555-0199")),
    "boolean in capitals": Deviation(
        lambda p: set_value(p, "users", "U1", "enabledUser", "TRUE"), "bool_value", "users.csv", 2,
        "enabledUser", then=_check(lambda ws: row(ws, "student", "U1")["enabled"] is True)),
    "boolean not a boolean": Deviation(
        lambda p: set_value(p, "users", "U1", "enabledUser", "yes"), "bool_value", "users.csv", 2,
        "enabledUser", "error", then=_check(lambda ws: row(ws, "student", "U1")["enabled"] is None)),
    "record marked tobedeleted": Deviation(
        lambda p: set_value(p, "classes", "C2", "status", "tobedeleted"), "deleted_row",
        "classes.csv", 3, "status",
        then=_check(lambda ws: ids(ws, "class") == ["C1"] and ids(ws, "enrollment") == ["E1", "E2"]
                    and len(findings(ws, "enrollment_not_loaded")) == 2)),
    "no manifest": Deviation(
        _del("manifest"), "manifest_missing", "manifest.csv", None, None,
        then=_check(lambda ws: ws.query("SELECT count(*) FROM stg.enrollment")[0][0] == 4)),
    "present but declared absent": Deviation(
        lambda p: set_manifest(p, "file.demographics", "absent"), "file_declared_absent",
        "demographics.csv", None, None,
        then=_check(lambda ws: row(ws, "student", "U1")["birth_date"] is None)),
    "present but not declared": Deviation(
        lambda p: p["manifest"].pop(manifest_line(p, "file.demographics") - 1),  # type: ignore[union-attr]
        "file_not_declared", "demographics.csv", None, None,
        then=_check(lambda ws: row(ws, "student", "U1")["birth_date"] == dt.date(2010, 3, 4))),
    "manifest.version 1": Deviation(
        lambda p: set_manifest(p, "manifest.version", "1"), "manifest_version", "manifest.csv", 2,
        "manifest.version"),
    "optional column missing": Deviation(
        lambda p: drop_column(p, "users", "password"), "header_optional_missing", "users.csv", 1,
        "password"),
    "unknown column": Deviation(
        lambda p: add_column(p, "orgs", "nickname"), "header_unknown_column", "orgs.csv", 1,
        "nickname"),
    "extension column in the middle": Deviation(
        lambda p: add_column(p, "orgs", "metadata.color", at=3, value="blue"),
        "header_extension_position", "orgs.csv", 1, "metadata.color",
        then=_check(lambda ws: row(ws, "school", "S1")["name"] == "Lakeside High")),
    "optional columns swapped": Deviation(
        lambda p: swap_columns(p, "users", "sms", "phone"), "header_order", "users.csv", 1, "sms",
        then=_check(lambda ws: row(ws, "contact", "P1")["phone"] == "555-0110")),
    "agent listed twice": Deviation(
        lambda p: set_value(p, "users", "U1", "agentSourcedIds", "P2,P1,P2"), "duplicate_agent",
        "users.csv", 2, "agentSourcedIds", "info",
        then=_check(lambda ws: row(ws, "student_contact", "U1~P2")["priority"] == 1)),
    "grade not CEDS": Deviation(
        lambda p: set_value(p, "users", "U2", "grades", "7"), "grade_value", "users.csv", 3, "grades"),
    "userIds not {type:id}": Deviation(
        lambda p: set_value(p, "users", "U1", "userIds", "ST-001"), "userids_format", "users.csv", 2,
        "userIds", then=_check(lambda ws: row(ws, "student", "U1")["state_id"] is None)),
    "school year not a year": Deviation(
        lambda p: set_value(p, "academicSessions", "Y25", "schoolYear", "24-25"), "year_format",
        "academicSessions.csv", 2, "schoolYear", "error",
        then=_check(lambda ws: row(ws, "calendar", "Y25")["school_year"] is None)),
    "end before begin": Deviation(
        lambda p: set_value(p, "enrollments", "E1", "endDate", "2024-01-01"), "date_order",
        "enrollments.csv", 2, "endDate"),
    "file name in the wrong case": Deviation(
        lambda p: p.update(Orgs=p.pop("orgs")), "file_name_case", "Orgs.csv", None, None,
        then=_check(lambda ws: len(ids(ws, "school")) == 3)),
    "gradebook file": Deviation(
        lambda p: (p.update(categories=[["sourcedId", "status", "dateLastModified", "title"],
                                        ["CAT1", "", "", "Homework"]]),
                   set_manifest(p, "file.categories", "bulk")),
        "file_not_rostering", "categories.csv", None, None, "info"),
    "unreadable extra file with a users header": Deviation(
        lambda p: p.update({"extra-users": b"".join(raw_lines(p, "users")[:2]) + b"Z9,,,true\n"}),
        "file_unreadable", "extra-users.csv", None, None, words=("row ends early",),
        then=_check(lambda ws: ws.query("SELECT count(*) FROM stg.student")[0][0] == 2 and not ws.query(
            "SELECT 1 FROM duckdb_tables() WHERE table_name = 'or__extra-users'"))),
    "implausible age": Deviation(
        lambda p: set_value(p, "demographics", "U1", "birthDate", "1990-03-04"),
        "age_grade_implausible", "demographics.csv", 2, "birthDate", "info", ("unusual for grade 09",)),
}


@pytest.mark.parametrize("case", list(DEVIATIONS))
def test_deviation_loads_with_a_located_finding(ws: wb.Workspace, tmp_path: Path, case: str) -> None:
    spec = DEVIATIONS[case]
    pkg = good()
    spec.edit(pkg)
    load(ws, tmp_path, pkg)
    hits = [f for f in findings(ws, spec.rule) if (f["file"], f["line"], f["field"]) ==
            (spec.file, spec.line, spec.field)]
    assert hits, findings(ws)
    assert hits[0]["severity"] == spec.severity
    for words in spec.words:
        assert words in hits[0]["message"], hits[0]
    spec.then(ws)


def test_bom_is_ignored(ws: wb.Workspace, tmp_path: Path) -> None:
    pkg = good()
    pkg["orgs"] = b"\xef\xbb\xbf" + b"".join(raw_lines(pkg, "orgs"))
    result = load(ws, tmp_path, pkg)
    assert result.findings == 0 and result.counts == GOOD_COUNTS


@pytest.mark.parametrize("top", [None, "export-2025"])
def test_zip_packages_load(ws: wb.Workspace, tmp_path: Path, top: str | None) -> None:
    folder = write_package(tmp_path / "pkg")
    zipped = zip_package(folder, tmp_path / "package.zip", top)
    result = wb.load_path(ws, zipped, source="or")
    assert result.counts == GOOD_COUNTS
    rules = [f["rule"] for f in findings(ws)]
    assert rules == (["zip_top_folder"] if top else [])


# ------------------------------------------------------------------------------- real samples


def _sample(name: str) -> Path:
    return SAMPLES / name


@needs_samples
def test_edfi_or11_loads_with_a_finding_for_each_deviation(ws: wb.Workspace) -> None:
    result = wb.load_path(ws, _sample("edfi-lmstoolkit-or11"), source="edfi")
    assert {k: v for k, v in result.counts.items() if v} == {
        "school": 2, "calendar": 3, "course": 2, "class": 2, "student": 8, "teacher": 2,
        "enrollment": 24}
    got = findings(ws)
    assert not [f for f in got if f["severity"] == "error"]
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in got:
        by_rule.setdefault(f["rule"], []).append(f)
    # manifest.version is 1, not 1.0
    assert [(f["line"], f["value"]) for f in by_rule["manifest_version"]] == [(2, "1")]
    # the two teacher rows carry one extra trailing comma
    assert [(f["file"], f["line"]) for f in by_rule["ragged_row"]] == [("users.csv", 10), ("users.csv", 11)]
    assert {f["file"] for f in by_rule["no_final_newline"]} == {
        "courses.csv", "users.csv", "enrollments.csv", "demographics.csv"}
    # semantically odd but valid: swapped course subjects, class title/code swapped, semesters
    # without their school year, enrollments split by semester, grade-9 students born in 1997
    assert {f["record_id"] for f in by_rule["course_subjects_differ"]} == {"03100500", "ENG-1"}
    assert len(by_rule["class_code_title_swapped"]) == 2
    assert {f["record_id"] for f in by_rule["session_parent_missing"]} == {
        "255901001_2021_2020-2021_Fall", "255901001_2021_2020-2021_Spring"}
    assert len(by_rule["enrollment_repeated"]) == 12
    assert len(by_rule["age_grade_implausible"]) == 8
    # metadata.* columns at the right end are fine: no header findings at all
    assert not [r for r in by_rule if r.startswith("header_")]
    # identifiers stay strings
    assert row(ws, "course", "03100500")["course_code"] == "ALG-1"
    micheal = row(ws, "student", "605015")
    assert (micheal["username"], micheal["phone"], micheal["state_id"]) == (
        "Micheal Turner", "(950) 017 9898", None)


@needs_samples
@pytest.mark.parametrize(("sample", "words"), [
    ("edfi-lmstoolkit-or10", ("OneRoster 1.0 layout", "termSourcedId", "no manifest.csv")),
    ("nicelion-classlink-headers", ("no data rows", "hold a header only")),
    ("ms-sds-v2", ("Microsoft SDS format, not OneRoster 1.1", "sourcedId,orgSourcedId,title")),
    ("ms-sds-v2.1", ("Microsoft SDS format, not OneRoster 1.1", "roles.csv",
                     "activeDirectoryMatchId")),
])
def test_sample_is_refused_with_a_clear_message(loaded: wb.Workspace, sample: str,
                                                words: tuple[str, ...]) -> None:
    before = dump(loaded)
    with pytest.raises(wb.InputError) as err:
        wb.load_path(loaded, _sample(sample), source="or")
    for w in words:
        assert w in str(err.value)
    assert dump(loaded) == before


@needs_samples
def test_classlink_headers_are_the_spec_headers() -> None:
    """An independent header list (ClassLink templates) agrees with our spec table."""
    with open_package(_sample("nicelion-classlink-headers")) as pkg:
        for f in pkg.files:
            if f.stem in SPECS:
                names = [n for n in read_header(f).names if not n.startswith("metadata.")]
                assert tuple(names) == SPECS[f.stem].columns, f.name


@needs_samples
def test_nicelion_mocker_outputs_load_with_findings(ws: wb.Workspace) -> None:
    result = wb.load_path(ws, _sample("nicelion-mocker-outputs"), source="mocker")
    assert {k: v for k, v in result.counts.items() if v} == {
        "school": 2, "student": 2, "contact": 1, "student_contact": 2}
    got = findings(ws)
    rules = {f["rule"] for f in got}
    assert {"manifest_missing", "bulk_delta_fields", "org_parent_missing", "enum_value",
            "grades_unexpected", "userids_format", "identifier_is_email", "file_unknown"} <= rules
    principal = [f for f in got if f["rule"] == "enum_value"]
    assert [(f["file"], f["line"], f["value"], f["severity"]) for f in principal] == [
        ("users.csv", 5, "principal", "error")]
    assert [f["line"] for f in got if f["rule"] == "org_parent_missing"] == [3]
    # test-csv.csv: not a OneRoster name, checked as users.csv: its orgs resolve nowhere, its
    # agents (quoted lists of up to three parents) all resolve
    test_csv = [f for f in got if f["file"] == "test-csv.csv"]
    assert any(f["rule"] == "file_unknown" and "users.csv header" in f["message"] for f in test_csv)
    dangling = [f for f in test_csv if f["rule"] == "dangling_reference"]
    assert {f["field"] for f in dangling} == {"orgSourcedIds"}
    assert any("and 999 more" in f["message"] for f in dangling)
    assert ws.query("SELECT count(*) FROM raw.\"mocker__test-csv\"")[0][0] == 1999
    assert ws.query("SELECT DISTINCT relationship, priority FROM stg.student_contact") == [("parent", 1)]


@needs_samples
def test_powerschool_import_layout_is_not_oneroster() -> None:
    with open_package(_sample("powerschool-fsenrollment-examples")) as pkg:
        assert not oneroster.matches(pkg)


# --------------------------------------------------------------------------------- performance


@pytest.mark.slow
def test_large_package_maps_set_based(ws: wb.Workspace, tmp_path: Path) -> None:
    """100,000 students and 1,000,000 enrollments load in seconds (no per-row Python)."""
    out = tmp_path / "big"
    shutil.copytree(write_package(tmp_path / "seed"), out)
    con = ws.cursor()
    students, per = 100_000, 10

    def copy(name: str, sql: str) -> None:
        con.execute(f"COPY ({sql}) TO '{out / (name + '.csv')}' (HEADER)")

    cols = ", ".join(f"'' AS \"{c}\"" for c in SPECS["users"].columns[10:])
    copy("users", f"""SELECT 'U' || i AS "sourcedId", '' AS status, '' AS "dateLastModified",
        'true' AS "enabledUser", 'S1' AS "orgSourcedIds", 'student' AS role, 'u' || i AS username,
        '{{State:' || i || '}}' AS "userIds", 'Given' AS "givenName", 'Family' AS "familyName",
        {cols} FROM range({students}) t(i)""")
    copy("enrollments", f"""SELECT 'E' || i AS "sourcedId", '' AS status, '' AS "dateLastModified",
        CASE WHEN i % 2 = 0 THEN 'C1' ELSE 'C2' END AS "classSourcedId", 'S1' AS "schoolSourcedId",
        'U' || (i // {per}) AS "userSourcedId", 'student' AS role, '' AS "primary",
        '2024-08-20' AS "beginDate", '2025-06-10' AS "endDate" FROM range({students * per}) t(i)""")
    con.close()
    (out / "demographics.csv").unlink()
    set_absent = (out / "manifest.csv").read_text().replace("file.demographics,bulk",
                                                            "file.demographics,absent")
    (out / "manifest.csv").write_text(set_absent)
    started = time.perf_counter()
    result = wb.load_path(ws, out, source="big")
    seconds = time.perf_counter() - started
    assert result.counts["student"] == students
    assert result.counts["enrollment"] == students * per
    assert seconds < 60, f"{seconds:.1f}s"
