"""The sandbox district generator: determinism, realism, planted defects and both file formats."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from workbench.sandbox import TRUTH_KEYS, generate_district
from workbench.sandbox.oneroster_sql import HEADERS, MANIFEST_FILES

STUDENTS = 1500
TODAY = dt.date(2026, 11, 2)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def table(folder: Path, name: str) -> pd.DataFrame:
    """A PowerSchool file with its ``Table.`` header prefix removed, every value as text."""
    df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    return df.rename(columns=lambda c: c.split(".", 1)[1])


def header(path: Path, delimiter: str = ",") -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh, delimiter=delimiter))


@pytest.fixture(scope="module")
def ps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ps") / "district"
    generate_district(out, students=STUDENTS, seed=7)
    return out


@pytest.fixture(scope="module")
def onr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("or") / "district"
    generate_district(out, students=STUDENTS, seed=7, fmt="oneroster")
    return out


@pytest.fixture(scope="module")
def truth(ps: Path) -> dict:
    return json.loads((ps / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tables(ps: Path) -> dict[str, pd.DataFrame]:
    names = ("Students", "CC", "Sections", "Schools", "Terms", "Person", "StudentContactAssoc", "Users",
             "SchoolStaff", "SectionTeacher", "RoleDef", "EmailAddress", "PersonEmailAddressAssoc", "Courses",
             "StudentContactDetail", "CodeSet")
    return {n: table(ps, n) for n in names}


# --- determinism ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["powerschool", "oneroster"])
def test_same_arguments_give_byte_identical_files(tmp_path: Path, ps: Path, onr: Path, fmt: str) -> None:
    again = tmp_path / "again"
    generate_district(again, students=STUDENTS, seed=7, fmt=fmt, today=TODAY)
    assert digests(again) == digests(ps if fmt == "powerschool" else onr)


def test_another_seed_gives_another_district(tmp_path: Path, ps: Path) -> None:
    other = tmp_path / "other"
    generate_district(other, students=STUDENTS, seed=8)
    a, b = digests(ps), digests(other)
    assert a.keys() == b.keys()
    assert all(a[f] != b[f] for f in ("Students.csv", "CC.csv", "Person.csv", "truth.json"))


def test_output_folder_must_be_empty(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate_district(tmp_path, students=200)


# --- the PowerSchool district --------------------------------------------------------------------


def test_every_table_is_written_with_its_rows(ps: Path) -> None:
    files = {p.name for p in ps.iterdir()}
    for name in ("Prefs", "Schools", "Terms", "Courses", "Sections", "SectionTeacher", "RoleDef", "CC",
                 "Students", "StudentRace", "StudentCoreFields", "U_DEF_EXT_STUDENTS", "Users", "SchoolStaff",
                 "Person", "StudentContactAssoc", "StudentContactDetail", "EmailAddress",
                 "PersonEmailAddressAssoc", "PhoneNumber", "PersonPhoneNumberAssoc", "PersonAddress",
                 "PersonAddressAssoc", "CodeSet"):
        assert f"{name}.csv" in files
        assert len(table(ps, name)) > 0, name
    assert not (ps / "Students.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_about_ten_cc_rows_per_student(tables: dict[str, pd.DataFrame]) -> None:
    ratio = len(tables["CC"]) / len(tables["Students"])
    assert 8.5 <= ratio <= 11.5, ratio


def test_district_shape(ps: Path, tables: dict[str, pd.DataFrame]) -> None:
    prefs = dict(zip(table(ps, "Prefs")["Name"], table(ps, "Prefs")["Value"], strict=True))
    assert prefs["districtnumber"] and prefs["districtname"]
    schools = tables["Schools"]
    assert "999999" in set(schools["School_Number"]) and len(schools) >= 4
    terms = tables["Terms"]
    year = terms[(terms["ID"] == "3600") & (terms["SchoolID"] == schools["School_Number"].iloc[0])].iloc[0]
    assert (year["IsYearRec"], year["Portion"], year["FirstDay"], year["LastDay"]) == ("1", "1", "2026-08-19", "2027-06-04")
    assert set(terms["ID"]) >= {str(i) for i in range(3600, 3607)}
    assert terms["DCID"].is_unique and not terms["ID"].is_unique
    students = tables["Students"]
    assert set(students["Enroll_Status"]) == {"-1", "0", "2", "3"}
    grads = students[students["Enroll_Status"] == "3"]
    assert set(grads["Grade_Level"]) == {"99"} and set(grads["SchoolID"]) == {"999999"}
    assert {"M", "F", "X"} <= set(students["Gender"])
    active = students[students["Enroll_Status"] == "0"]
    assert set(active["ExitDate"]) == {"2027-06-05"}  # exclusive: the day after the last day
    assert not set(students["ID"]) & set(students["DCID"])


def test_staff_roles(tables: dict[str, pd.DataFrame]) -> None:
    staff = tables["SchoolStaff"]
    assert {"1", "2", "3"} <= set(staff["StaffStatus"]) and {"1", "2"} <= set(staff["Status"])
    teachers = staff[staff["StaffStatus"] == "1"]
    assert (teachers.groupby("Users_DCID")["SchoolID"].nunique() == 2).any()  # some teach at two schools
    assert "0" in set(staff["SchoolID"])  # district office
    roles = dict(zip(tables["RoleDef"]["ID"], tables["RoleDef"]["Name"], strict=True))
    used = tables["SectionTeacher"]["RoleID"].map(roles)
    per_section = tables["SectionTeacher"].assign(role=used).groupby("SectionID")["role"]
    assert (per_section.apply(lambda r: (r == "Lead Teacher").sum()) == 1).all()
    share = (used == "Co-teacher").sum() / len(tables["Sections"])
    assert 0.08 < share < 0.25, share


def test_cc_rows_resolve_except_the_orphans(tables: dict[str, pd.DataFrame], truth: dict) -> None:
    cc = tables["CC"]
    section_ids = set(tables["Sections"]["ID"])
    student_ids = set(tables["Students"]["ID"])
    sections = cc["SectionID"].astype(int).abs().astype(str)
    resolves = sections.isin(section_ids) & cc["StudentID"].isin(student_ids)
    orphans = {f"E{d}" for d in cc.loc[~resolves, "DCID"]}
    assert orphans == set(truth["orphan_cc"])
    dropped = cc[cc["SectionID"].astype(int) < 0]
    assert len(dropped) > 0 and (dropped["TermID"].astype(int) < 0).all()
    assert (cc["DateLeft"] >= cc["DateEnrolled"]).all()


def test_references_between_tables_resolve(tables: dict[str, pd.DataFrame]) -> None:
    t = tables
    assert t["SectionTeacher"]["SectionID"].isin(t["Sections"]["ID"]).all()
    assert t["SectionTeacher"]["TeacherID"].isin(t["SchoolStaff"]["ID"]).all()
    assert t["Sections"]["Teacher"].isin(t["SchoolStaff"]["ID"]).all()
    assert t["Sections"]["Course_Number"].isin(t["Courses"]["Course_Number"]).all()
    assert t["SchoolStaff"]["Users_DCID"].isin(t["Users"]["DCID"]).all()
    assert t["Students"]["SchoolID"].isin(t["Schools"]["School_Number"]).all()
    assert t["Students"]["Person_ID"].isin(t["Person"]["ID"]).all()
    assert t["StudentContactAssoc"]["StudentDCID"].isin(t["Students"]["DCID"]).all()
    assert t["StudentContactAssoc"]["PersonID"].isin(t["Person"]["ID"]).all()
    assert t["StudentContactDetail"]["StudentContactAssocID"].isin(t["StudentContactAssoc"]["StudentContactAssocID"]).all()
    assert t["PersonEmailAddressAssoc"]["EmailAddressID"].isin(t["EmailAddress"]["EmailAddressID"]).all()
    sections = t["Sections"].set_index("ID")
    terms = set(zip(t["Terms"]["SchoolID"], t["Terms"]["ID"], strict=True))
    assert all((s, tid) in terms for s, tid in zip(sections["SchoolID"], sections["TermID"], strict=True))


def test_contact_priorities_run_one_to_n(tables: dict[str, pd.DataFrame]) -> None:
    sca = tables["StudentContactAssoc"]
    prio = sca.assign(p=sca["ContactPriorityOrder"].astype(int)).groupby("StudentDCID")["p"]
    assert (prio.apply(lambda p: sorted(p) == list(range(1, len(p) + 1)))).all()
    detail = tables["StudentContactDetail"]
    active = detail[detail["IsActive"] == "1"]
    assert active["StudentContactAssocID"].is_unique and len(active) == len(sca)
    assert (detail["IsActive"] == "0").any()


# --- truth ---------------------------------------------------------------------------------------


def test_truth_has_every_category_filled(truth: dict) -> None:
    for key in TRUTH_KEYS:
        assert len(truth[key]) >= 3, key


def _ids(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [value["id"]]
    return [i for v in value for i in _ids(v)]  # type: ignore[union-attr]


def test_every_truth_id_exists(truth: dict, tables: dict[str, pd.DataFrame]) -> None:
    known = {
        "S": {f"S{d}" for d in tables["Students"]["DCID"]},
        "C": {f"C{p}" for p in tables["StudentContactAssoc"]["PersonID"]},
        "T": {f"T{d}" for d in tables["Users"]["DCID"]},
        "E": {f"E{d}" for d in tables["CC"]["DCID"]},
    }
    for key in TRUTH_KEYS:
        for i in _ids(truth[key]):
            assert i in known[i[0]], (key, i)


def test_truth_describes_the_data(truth: dict, tables: dict[str, pd.DataFrame]) -> None:
    st = tables["Students"].set_index("DCID")
    s = lambda i: st.loc[i[1:]]  # noqa: E731
    for a, b in truth["twins"]:
        assert (s(a)["DOB"], s(a)["Last_Name"], s(a)["Street"]) == (s(b)["DOB"], s(b)["Last_Name"], s(b)["Street"])
        assert s(a)["First_Name"] != s(b)["First_Name"]
    same_state = sum(s(a)["State_StudentNumber"] == s(b)["State_StudentNumber"] for a, b in truth["duplicate_students"])
    assert 0 < same_state < len(truth["duplicate_students"])
    assert all(s(a)["Student_Number"] != s(b)["Student_Number"] for a, b in truth["duplicate_students"])
    assert all(s(i)["DOB"] > TODAY.isoformat() for i in truth["future_birth_dates"])
    assert (st["DOB"] > TODAY.isoformat()).sum() == len(truth["future_birth_dates"])


def test_email_truth_matches_the_files(truth: dict, tables: dict[str, pd.DataFrame]) -> None:
    t = tables
    mails = t["PersonEmailAddressAssoc"].merge(t["EmailAddress"], on="EmailAddressID")
    primary = mails[mails["IsPrimaryEmailAddress"] == "1"].set_index("PersonID")["EmailAddress"]
    person_of = {f"S{d}": p for d, p in zip(t["Students"]["DCID"], t["Students"]["Person_ID"], strict=True)}
    person_of |= {f"C{p}": p for p in t["StudentContactAssoc"]["PersonID"]}
    valid = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    for item in truth["invalid_emails"]:
        assert primary[person_of[item["id"]]] == item["value"] and not valid.match(item["value"])
    missing = {i for i, p in person_of.items() if primary.get(p, "") == ""}
    assert missing == set(truth["missing_emails"])
    for a, b in truth["siblings_shared_email"]:
        assert primary[person_of[a]] == primary[person_of[b]] != ""


def test_enrollments_outside_term_are_outside(truth: dict, tables: dict[str, pd.DataFrame]) -> None:
    cc = tables["CC"].set_index("DCID")
    terms = tables["Terms"].set_index(["SchoolID", "ID"])
    for e in truth["enrollments_outside_term"]:
        row = cc.loc[e[1:]]
        term = terms.loc[(row["SchoolID"], row["TermID"])]
        last = (dt.date.fromisoformat(row["DateLeft"]) - dt.timedelta(days=1)).isoformat()
        assert row["DateEnrolled"] < term["FirstDay"] or last > term["LastDay"]


def test_staff_parents_share_their_name(truth: dict, tables: dict[str, pd.DataFrame]) -> None:
    users = tables["Users"].set_index("DCID")
    person = tables["Person"].set_index("ID")
    for teacher, contact in truth["staff_also_parent"]:
        u, p = users.loc[teacher[1:]], person.loc[contact[1:]]
        assert (u["First_Name"], u["Last_Name"]) == (p["FirstName"].strip(), p["LastName"].strip())


def test_duplicate_contacts_are_one_parent_per_sibling(truth: dict, tables: dict[str, pd.DataFrame]) -> None:
    sca = tables["StudentContactAssoc"]
    kids = sca.groupby("PersonID")["StudentDCID"].apply(set)
    for cluster in truth["duplicate_contacts"]:
        children = [kids[c[1:]] for c in cluster]
        assert all(not (a & b) for i, a in enumerate(children) for b in children[i + 1:])


# --- formats -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected", "file"),
    [
        ({"header_style": "bare"}, ["ID", "DCID", "Student_Number"], "Students.csv"),
        ({"header_style": "bracket"}, ["[Students]ID", "[Students]DCID", "[Students]Student_Number"], "Students.csv"),
        ({"delimiter": "\t"}, ["Students.ID", "Students.DCID", "Students.Student_Number"], "Students.txt"),
    ],
    ids=["bare", "bracket", "tab"],
)
def test_header_styles_and_tab_delimiter(tmp_path: Path, options: dict, expected: list[str], file: str) -> None:
    generate_district(tmp_path / "d", students=300, seed=2, **options)
    delimiter = options.get("delimiter", ",")
    assert header(tmp_path / "d" / file, delimiter)[:3] == expected
    assert header(tmp_path / "d" / file.replace("Students", "CC"), delimiter)[-1].endswith("CurrentTardies")


def test_date_format(tmp_path: Path) -> None:
    generate_district(tmp_path / "d", students=300, seed=2, date_format="%m/%d/%Y")
    cc = table(tmp_path / "d", "CC")
    assert cc["DateEnrolled"].str.match(r"^\d\d/\d\d/\d{4}$").all()


def test_oneroster_package_has_manifest_and_spec_headers(onr: Path) -> None:
    manifest = dict(csv.reader((onr / "manifest.csv").open(encoding="utf-8")))
    assert (manifest["manifest.version"], manifest["oneroster.version"]) == ("1.0", "1.1")
    assert {k for k in manifest if k.startswith("file.")} == {f"file.{f}" for f in MANIFEST_FILES}
    for name, cols in HEADERS.items():
        assert manifest[f"file.{name}"] == "bulk"
        assert header(onr / f"{name}.csv") == list(cols), name
        df = pd.read_csv(onr / f"{name}.csv", dtype=str, keep_default_na=False)
        assert (df["status"] == "").all() and (df["dateLastModified"] == "").all()
    assert {p.name for p in onr.iterdir()} == {"manifest.csv", "truth.json", *(f"{n}.csv" for n in HEADERS)}


def test_oneroster_matches_the_powerschool_extract(onr: Path, tables: dict[str, pd.DataFrame], truth: dict) -> None:
    users = pd.read_csv(onr / "users.csv", dtype=str, keep_default_na=False)
    students = users[users["role"] == "student"]
    assert set(students["sourcedId"]) == {f"S{d}" for d in tables["Students"]["DCID"]}
    assert set(users["enabledUser"]) == {"true", "false"}
    assert set(users["role"]) == {"student", "teacher", "administrator", "parent", "guardian", "relative"}
    enr = pd.read_csv(onr / "enrollments.csv", dtype=str, keep_default_na=False).set_index("sourcedId")
    cc = tables["CC"].set_index("DCID")
    delivered = cc[(cc["SectionID"].astype(int) > 0) & (cc["DateLeft"] > cc["DateEnrolled"])]
    expected = {f"E{d}" for d in delivered.index} - set(truth["orphan_cc"])
    assert {i for i in enr.index if i.startswith("E")} == expected
    row = delivered.iloc[0]
    left = dt.date.fromisoformat(row["DateLeft"]) - dt.timedelta(days=1)
    assert enr.loc[f"E{delivered.index[0]}", "endDate"] == left.isoformat()
    assert set(enr.loc[enr["role"] == "teacher", "primary"]) == {"true", "false"}
    assert json.loads((onr / "truth.json").read_text()) == truth


def test_notebook_settings_and_their_sandbox_folder(tmp_path: Path) -> None:
    from workbench.sandbox import fresh_sandbox, notebook_settings

    s = notebook_settings("quality", {"WORKBENCH_NOTEBOOK_DIR": str(tmp_path), "WORKBENCH_NOTEBOOK_STUDENTS": "600",
                                      "WORKBENCH_WORKSPACE": "  "})
    assert (s.workspace, s.folder, s.students) == (None, tmp_path / "quality", 600)
    assert notebook_settings("x", {}).students == 2000
    folder = fresh_sandbox(s.folder, "test")
    (folder / "old.csv").write_text("x")
    assert list(fresh_sandbox(s.folder, "test").iterdir()) == [folder / ".workbench-notebook-sandbox"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    with pytest.raises(RuntimeError, match="not a notebook sandbox"):
        fresh_sandbox(mine, "test")
    assert (mine / "keep.txt").read_text() == "mine"
