"""PowerSchool table extracts: good input in every header style, and a corpus of broken extracts.

Every broken extract must be refused with a message naming the file, the line and the field, the
CLI must exit 2, and the workspace must be exactly as it was (a good load is made first so that
there is something to lose).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

import workbench as wb
from tests.helpers import dump_workspace, rewrite, stg_rows
from workbench.cli import main
from workbench.sandbox import generate_district

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "oneroster-samples"


@pytest.fixture(scope="session")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ps") / "district"
    generate_district(out, students=400, seed=3)
    return out


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory, district: Path) -> Path:
    root = tmp_path_factory.mktemp("loaded") / "ws"
    with wb.init_workspace(root) as ws:
        wb.load_path(ws, district, source="sis")
    return root


@pytest.fixture()
def extract(tmp_path: Path, district: Path) -> Path:
    """A private copy of the district extract to break."""
    copy = tmp_path / "extract"
    shutil.copytree(district, copy)
    (copy / "truth.json").unlink()
    return copy


@pytest.fixture()
def workspace(tmp_path: Path, district: Path) -> Path:
    """A workspace holding a good load."""
    root = tmp_path / "ws"
    with wb.init_workspace(root) as ws:
        wb.load_path(ws, district, source="sis")
    return root


def csv_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def header_index(path: Path, field: str) -> int:
    names = [h.split(".")[-1].lower() for h in csv_lines(path)[0].rstrip("\r\n").split(",")]
    return names.index(field.lower())


def set_value(path: Path, line: int, field: str, value: str) -> None:
    """Set a field on a 1-based file line (no quoted commas in the generated rows we touch)."""
    i = header_index(path, field)

    def edit(lines: list[str]) -> list[str]:
        cells = lines[line - 1].rstrip("\r\n").split(",")
        cells[i] = value
        lines[line - 1] = ",".join(cells) + "\n"
        return lines

    rewrite(path, edit)


# --- good input ----------------------------------------------------------------------------------


def test_generated_district_loads_every_entity(loaded: Path, district: Path) -> None:
    with wb.open_workspace(loaded, read_only=True) as ws:
        status = wb.workspace_status(ws)
    counts = status["counts"]
    students_in_file = len(csv_lines(district / "Students.csv")) - 1
    assert counts["student"] == students_in_file
    for entity in ("school", "calendar", "course", "class", "teacher", "admin", "contact",
                   "student_contact", "enrollment"):
        assert counts[entity] > 0, entity
    load = status["loads"][0]
    assert load["source"] == "sis" and load["kind"] == "powerschool"


def test_load_is_recorded_with_file_fingerprints(loaded: Path, district: Path) -> None:
    import hashlib

    with wb.open_workspace(loaded, read_only=True) as ws:
        rows = dict(ws.query("SELECT file, sha256 FROM meta.load_file WHERE load_id = 1"))
    expected = hashlib.sha256((district / "Students.csv").read_bytes()).hexdigest()
    assert rows["Students.csv"] == expected


def test_exclusive_powerschool_end_dates_become_inclusive(loaded: Path) -> None:
    with wb.open_workspace(loaded, read_only=True) as ws:
        wrong = ws.query("""
            SELECT count(*) FROM stg.enrollment e
            JOIN raw.sis__cc cc ON 'E' || trim(cc.dcid) = e.source_id
            WHERE e.end_date <> wb_date_placeholder""".replace(
            "wb_date_placeholder", "CAST(cc.dateleft AS DATE) - 1"))
        delivered = ws.query("SELECT count(*) FROM stg.enrollment WHERE role = 'student'")
    assert wrong[0][0] == 0
    assert delivered[0][0] > 0


def test_dropped_and_orphan_cc_rows_are_not_delivered(loaded: Path, district: Path) -> None:
    truth = json.loads((district / "truth.json").read_text())
    with wb.open_workspace(loaded, read_only=True) as ws:
        dropped = ws.query("""
            SELECT count(*) FROM stg.enrollment e JOIN raw.sis__cc cc ON 'E' || trim(cc.dcid) = e.source_id
            WHERE CAST(cc.sectionid AS BIGINT) < 0""")[0][0]
        orphans = {r[0] for r in ws.query(
            "SELECT record_id FROM dq.load_finding WHERE rule = 'orphan_cc'")}
        delivered = {r[0] for r in ws.query("SELECT source_id FROM stg.enrollment")}
    assert dropped == 0
    assert orphans == set(truth["orphan_cc"])
    assert not orphans & delivered


def test_teachers_admins_and_co_teachers(loaded: Path) -> None:
    with wb.open_workspace(loaded, read_only=True) as ws:
        both = ws.query("SELECT count(*) FROM stg.teacher t JOIN stg.admin a USING (sourced_id)")[0][0]
        roles = dict(ws.query(
            "SELECT is_primary, count(*) FROM stg.enrollment WHERE role = 'teacher' GROUP BY 1"))
        no_lead = ws.query("""
            SELECT count(*) FROM stg.class c WHERE NOT EXISTS (
              SELECT 1 FROM stg.enrollment e WHERE e.class_sourced_id = c.sourced_id
              AND e.role = 'teacher' AND e.is_primary)""")[0][0]
    assert both == 0
    assert roles.get(True, 0) > 0 and roles.get(False, 0) > 0  # leads and co-teachers
    assert no_lead == 0


def test_contacts_keep_every_email_and_phone(loaded: Path) -> None:
    with wb.open_workspace(loaded, read_only=True) as ws:
        rows = ws.query("""SELECT count(*) FILTER (WHERE len(phones) > 1),
                                  count(*) FILTER (WHERE email IS NOT NULL AND email <> emails[1])
                           FROM stg.contact""")[0]
        links = ws.query("SELECT count(*), count(custodial), count(relationship) FROM stg.student_contact")[0]
    assert rows[0] > 0 and rows[1] == 0
    assert links[0] == links[1] == links[2] > 0


def test_extension_fields_are_kept(loaded: Path) -> None:
    with wb.open_workspace(loaded, read_only=True) as ws:
        keys = ws.query("SELECT DISTINCT unnest(json_keys(extensions)) FROM stg.student ORDER BY 1")
    names = {k for (k,) in keys}
    assert any(k.startswith("u_def_ext_students.") for k in names)
    assert any(k.startswith("studentcorefields.") for k in names)


@pytest.mark.parametrize(
    "options",
    [
        {"header_style": "bare"},
        {"header_style": "bracket"},
        {"delimiter": "\t"},
        {"date_format": "%m/%d/%Y"},
    ],
    ids=["bare", "bracket", "tab", "us-dates"],
)
def test_header_styles_delimiters_and_date_formats_give_the_same_roster(
    tmp_path: Path, loaded: Path, options: dict[str, str]
) -> None:
    out = tmp_path / "variant"
    generate_district(out, students=400, seed=3, **options)
    root = tmp_path / "ws"
    with wb.init_workspace(root) as ws:
        wb.load_path(ws, out, source="sis")
    for entity in ("student", "enrollment", "contact", "calendar", "teacher"):
        assert stg_rows(root, entity) == stg_rows(loaded, entity), entity


def test_zip_with_bom_loads_like_the_folder(tmp_path: Path, extract: Path, loaded: Path) -> None:
    students = extract / "Students.csv"
    students.write_bytes(b"\xef\xbb\xbf" + students.read_bytes())
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(extract.iterdir()):
            zf.write(f, f"export/{f.name}")
    root = tmp_path / "ws"
    with wb.init_workspace(root) as ws:
        wb.load_path(ws, archive, source="sis")
    assert stg_rows(root, "student") == stg_rows(loaded, "student")


def test_id_prefix_and_sources_side_by_side(tmp_path: Path, district: Path, extract: Path) -> None:
    staff = tmp_path / "staff"
    staff.mkdir()
    for name in ("Users.csv", "SchoolStaff.csv"):
        shutil.copy(extract / name, staff / name)
    root = tmp_path / "ws"
    with wb.init_workspace(root) as ws:
        wb.load_path(ws, district, source="sis")
        wb.load_path(ws, staff, source="staff_directory", id_prefix="HR-")
        wb.load_path(ws, staff, source="staff_directory")  # reload keeps the prefix, replaces rows
        status = wb.workspace_status(ws)
        refs = ws.query("""SELECT count(*) FROM stg.teacher WHERE source = 'staff_directory'
                           AND (NOT starts_with(sourced_id, 'HR-')
                                OR len(list_filter(school_sourced_ids, lambda s: NOT starts_with(s, 'HR-'))) > 0)""")
    by = status["counts_by_source"]
    assert by["staff_directory"]["teacher"] == by["sis"]["teacher"]
    assert by["staff_directory"]["student"] == 0
    assert refs[0][0] == 0
    assert [s["id_prefix"] for s in status["sources"] if s["name"] == "staff_directory"] == ["HR-"]
    assert len(status["loads"]) == 3


# --- broken input --------------------------------------------------------------------------------

Breaker = Callable[[Path], None]


def _drop_table(name: str) -> Breaker:
    return lambda d: (d / name).unlink()


def _rename_header(file: str, old: str, new: str) -> Breaker:
    def go(d: Path) -> None:
        rewrite(d / file, lambda ls: [ls[0].replace(old, new, 1), *ls[1:]])
    return go


def _ragged(d: Path) -> None:
    rewrite(d / "Students.csv", lambda ls: [*ls[:5], ls[5].rstrip("\n") + ",extra\n", *ls[6:]])


def _truncated_row(d: Path) -> None:
    rewrite(d / "CC.csv", lambda ls: [*ls[:-1], ",".join(ls[-1].split(",")[:3]) + "\n"])


def _truncated_quote(d: Path) -> None:
    rewrite(d / "Users.csv", lambda ls: [*ls[:-1], ls[-1].split(",")[0] + ',"Unfinished\n'])


def _duplicate_key(d: Path) -> None:
    rewrite(d / "Students.csv", lambda ls: [*ls, ls[3]])


def _bad_date(d: Path) -> None:
    set_value(d / "Students.csv", 7, "dob", "2015-02-30")


def _bad_integer(d: Path) -> None:
    set_value(d / "CC.csv", 9, "sectionid", "abc")


def _empty_key(d: Path) -> None:
    set_value(d / "Students.csv", 4, "dcid", "")


def _empty_file(d: Path) -> None:
    (d / "Terms.csv").write_bytes(b"")


def _cp1252(d: Path) -> None:
    path = d / "Students.csv"
    i = header_index(path, "first_name")
    lines = path.read_bytes().split(b"\n")
    cells = lines[10].split(b",")
    cells[i] = b"Jos\xe9"  # "José" as Windows-1252 writes it
    lines[10] = b",".join(cells)
    path.write_bytes(b"\n".join(lines))


def _duplicate_header(d: Path) -> None:
    rewrite(d / "Courses.csv", lambda ls: [ls[0].rstrip("\n") + ",Courses.Course_Name\n",
                                           *[x.rstrip("\n") + ",x\n" for x in ls[1:]]])


def _blank_first_line(d: Path) -> None:
    rewrite(d / "Schools.csv", lambda ls: ["\n", *ls])


def _unnamed_column(d: Path) -> None:
    rewrite(d / "Schools.csv", lambda ls: [ls[0].rstrip("\n") + ",\n", *[x.rstrip("\n") + ",\n" for x in ls[1:]]])


def _two_files_one_table(d: Path) -> None:
    shutil.copy(d / "Students.csv", d / "STUDENTS.txt")


def _same_field_twice(d: Path) -> None:
    rewrite(d / "Courses.csv", lambda ls: [ls[0].replace("Courses.Course_Name", "Course_Number", 1), *ls[1:]])


CORPUS: dict[str, tuple[Breaker, str, str, str | None]] = {
    # name: (break it, file named, expected words, field named)
    "missing-required-table": (_drop_table("Sections.csv"), "CC.csv", "lacks", None),
    "missing-column": (_rename_header("Students.csv", "Students.DCID", "Students.DCIDX"),
                       "Students.csv", "has no dcid column", "Students.dcid"),
    "ragged-row": (_ragged, "Students.csv", "fields, the header has", None),
    "truncated-row": (_truncated_row, "CC.csv", "row ends early", "CC"),
    "truncated-quote": (_truncated_quote, "Users.csv", "never closed", None),
    "duplicate-key": (_duplicate_key, "Students.csv", "more than one row", "Students.dcid"),
    "bad-date": (_bad_date, "Students.csv", "not a date", "Students.dob"),
    "bad-integer": (_bad_integer, "CC.csv", "not a whole number", "CC.sectionid"),
    "empty-key": (_empty_key, "Students.csv", "dcid is empty", "Students.dcid"),
    "empty-file": (_empty_file, "Terms.csv", "the file is empty", None),
    "windows-1252": (_cp1252, "Students.csv", "Windows-1252", None),
    "duplicate-header": (_duplicate_header, "Courses.csv", "twice", None),
    "blank-first-line": (_blank_first_line, "Schools.csv", "blank", None),
    "unnamed-column": (_unnamed_column, "Schools.csv", "has no name", None),
    "two-files-one-table": (_two_files_one_table, "STUDENTS.txt", "two files hold", None),
    "same-field-twice": (_same_field_twice, "Courses.csv", "name the same field", None),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_broken_extract_is_refused_with_location_and_workspace_unchanged(
    case: str, extract: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    breaker, file, words, field = CORPUS[case]
    breaker(extract)
    before = dump_workspace(workspace)
    code = main(["load", str(workspace), str(extract), "--source", "sis", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert file in err, err
    assert words in err, err
    if field:
        assert f"field {field}" in err, err
    if case not in ("missing-required-table", "two-files-one-table"):
        assert "line " in err, err
    assert "workspace is unchanged" in err
    assert dump_workspace(workspace) == before


def test_corrupt_zip_is_refused(tmp_path: Path, workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "extract.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    before = dump_workspace(workspace)
    assert main(["load", str(workspace), str(bad), "--quiet"]) == 2
    assert "not a readable zip" in capsys.readouterr().err
    assert dump_workspace(workspace) == before


def test_folder_without_tables_is_refused(tmp_path: Path, workspace: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello\n")
    assert main(["load", str(workspace), str(folder), "--quiet"]) == 2
    assert "neither a OneRoster package nor PowerSchool table extracts" in capsys.readouterr().err


@pytest.mark.skipif(not (SAMPLES / "powerschool-fsenrollment-examples").exists(),
                    reason="shared OneRoster/PowerSchool samples not present")
def test_powerschool_import_layout_is_named(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = dump_workspace(workspace)
    assert main(["load", str(workspace), str(SAMPLES / "powerschool-fsenrollment-examples"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "parents_example.csv" in err and "Student Contacts import layout" in err
    assert dump_workspace(workspace) == before


def test_cli_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    import subprocess
    import sys

    district, root = tmp_path / "d", tmp_path / "w"
    run = [sys.executable, "-m", "workbench"]
    subprocess.run([*run, "demo-data", str(district), "--students", "300", "--seed", "5", "--quiet"], check=True)
    subprocess.run([*run, "init", str(root)], check=True)
    subprocess.run([*run, "load", str(root), str(district), "--quiet"], check=True)
    out = subprocess.run([*run, "status", str(root), "--json"], check=True, capture_output=True, text=True)
    status = json.loads(out.stdout)
    assert status["counts"]["student"] == len(csv_lines(district / "Students.csv")) - 1
    bad = subprocess.run([*run, "load", str(root), str(tmp_path / "missing")], capture_output=True, text=True)
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_a_school_missing_from_a_reload_is_flagged(tmp_path: Path, district: Path, extract: Path) -> None:
    import csv

    root = tmp_path / "ws"
    with wb.init_workspace(root) as ws:
        wb.load_path(ws, district, source="sis")
        rows = list(csv.reader((extract / "Schools.csv").open()))
        gone = rows.pop(1)  # the first school vanishes from the next extract
        with (extract / "Schools.csv").open("w", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
        result = wb.load_path(ws, extract, source="sis")
        found = ws.query("SELECT record_id, severity, message FROM dq.load_finding "
                         "WHERE rule = 'school_missing_from_load' AND load_id = ?", [result.load_id])
    number = gone[header_index(extract / "Schools.csv", "school_number")]
    assert [(r[0], r[1]) for r in found] == [(number, "error")]
    assert "student(s)" in found[0][2]
