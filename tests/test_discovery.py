"""Field discovery on a loaded extract and on the mock server: tables, fields, extension groups,
profiles checked against pandas reading the same files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
import pytest

import workbench as wb
from workbench import discovery
from workbench.sandbox import generate_district
from workbench.sandbox.mock_powerschool import serve_mock


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("disc") / "district"
    generate_district(folder, students=300, seed=5)
    # one extension row that hangs off no student: a wrong key shows as an orphan
    ext = folder / "U_DEF_EXT_STUDENTS.csv"
    with ext.open("a", encoding="utf-8", newline="") as fh:
        header = ext.read_text(encoding="utf-8").splitlines()[0].split(",")
        csv.writer(fh, lineterminator="\n").writerow(["999999999"] + ["x"] * (len(header) - 1))
    return folder


@pytest.fixture(scope="module")
def ws(district: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    workspace = wb.init_workspace(tmp_path_factory.mktemp("disc-ws") / "ws")
    wb.load_path(workspace, district, source="sis")
    yield workspace
    workspace.close()


def _frame(path: Path) -> pd.DataFrame:
    """The file as pandas reads it: text, blanks as missing, headers without their table."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [c.split(".")[-1].lower() for c in frame.columns]
    return frame.apply(lambda s: s.str.strip()).replace("", None)


def test_tables_have_their_kind_and_core_table(ws) -> None:  # type: ignore[no-untyped-def]
    tables = discovery.list_tables(ws).set_index("table")
    assert tables.loc["Students", "kind"] == "core"
    assert tables.loc["StudentCoreFields", ["kind", "core_table", "key_column"]].tolist() == [
        "core_fields", "Students", "studentsdcid"]
    assert tables.loc["U_DEF_EXT_STUDENTS", ["kind", "core_table"]].tolist() == [
        "default_extension", "Students"]
    assert tables.loc["Students", "rows"] == 300 or tables.loc["Students", "rows"] > 250


def test_profiles_agree_with_pandas_on_the_same_file(ws, district: Path) -> None:  # type: ignore[no-untyped-def]
    fields = discovery.list_fields(ws)
    for table, file in (("U_DEF_EXT_STUDENTS", "U_DEF_EXT_STUDENTS.csv"),
                        ("StudentCoreFields", "StudentCoreFields.csv"), ("Students", "Students.csv")):
        frame = _frame(district / file)
        got = fields[fields["table"] == table].set_index("field")
        assert sorted(got.index) == sorted(frame.columns), table  # exactly the file's columns
        for col in frame.columns:
            row = got.loc[col]
            assert row["rows"] == len(frame)
            assert row["filled"] == frame[col].notna().sum(), (table, col)
            assert row["distinct"] == frame[col].nunique(), (table, col)
            unique = frame[col].notna().all() and frame[col].is_unique
            assert (row["key"] == "unique") == bool(unique), (table, col)


def test_type_guesses_patterns_and_keys(ws) -> None:  # type: ignore[no-untyped-def]
    f = discovery.list_fields(ws).set_index("qualified")
    assert f.loc["STUDENTCOREFIELDS.IMMUNIZATON_DPT", "type"] == "date (MM/DD/YYYY)"
    assert f.loc["STUDENTS.DOB", "type"] == "date (YYYY-MM-DD)"
    assert f.loc["STUDENTS.HOME_PHONE", "type"] == "phone"
    assert f.loc["U_DEF_EXT_STUDENTS.PARENT_PORTAL_OPT_IN", "type"] == "boolean"
    assert f.loc["STUDENTS.STUDENT_NUMBER", "type"] == "integer"
    assert f.loc["STUDENTS.FIRST_NAME", "type"] == "text"
    assert f.loc["STUDENTS.DCID", "key"] == "unique"
    assert f.loc["U_DEF_EXT_STUDENTS.LAPTOP_TAG", "key"] == "unique when present"
    assert f.loc["U_DEF_EXT_STUDENTS.LAPTOP_TAG", "patterns"].startswith("A-999999 (")
    assert f.loc["STUDENTCOREFIELDS.IMMUNIZATON_DPT", "patterns"] == "99/99/9999 (100%)"
    samples = f.loc["STUDENTCOREFIELDS.PRIMARYLANGUAGE", "samples"]
    assert samples[0] == "English" and len(samples) == 5  # the commonest first


def test_field_list_names_and_how_the_workbench_uses_each_field(ws) -> None:  # type: ignore[no-untyped-def]
    f = discovery.list_fields(ws).set_index("qualified")
    # View Field List: a standard field has no dot, another table's field is Table.field
    assert f.loc["STUDENTS.FIRST_NAME", ["name", "standard"]].tolist() == ["first_name", True]
    assert f.loc["STUDENTCOREFIELDS.ALLERGIES", ["name", "standard"]].tolist() == [
        "StudentCoreFields.allergies", False]
    assert f.loc["STUDENTS.FIRST_NAME", "used_as"] == "standard"
    assert f.loc["U_DEF_EXT_STUDENTS.BUS_ROUTE_AM", "used_as"] == "extension"
    # a column the loader adds empty because the extract lacks it is not a field of the extract
    assert "STUDENTS.MOTHER" not in f.index


def test_a_mapped_field_says_what_it_fills(district: Path, tmp_path: Path) -> None:
    with wb.init_workspace(tmp_path / "ws") as w:
        wb.load_path(w, district, source="sis")
        config = wb.rules.load_config(w)
        config["attributes"] = {"student": {"username": {"field": "U_DEF_EXT_STUDENTS.laptop_tag"}}}
        wb.rules.save_config(w, config)
        f = discovery.list_fields(w, table="U_DEF_EXT_STUDENTS").set_index("field")
        assert f.loc["laptop_tag", "used_as"] == "mapped: student.username"


def test_find_verify_and_extension_groups(ws) -> None:  # type: ignore[no-untyped-def]
    assert discovery.find_fields(ws, "IMMUN")["name"].tolist() == [
        "StudentCoreFields.immunizaton_dpt", "StudentCoreFields.immunizaton_mmr"]
    v = discovery.verify_fields(ws, ["u_def_ext_students.LAPTOP_TAG", "U_STUDENTS_EXTENSION.laptop_tag",
                                     "StudentCoreFields.immunization_dpt", "first_name"]).set_index("name")
    assert v["found"].tolist() == [True, False, False, True]
    assert v.loc["first_name", "table"] == "Students"  # a bare name is a Students field
    assert "U_DEF_EXT_STUDENTS.LAPTOP_TAG" in v.loc["U_STUDENTS_EXTENSION.laptop_tag", "suggestion"]
    assert "IMMUNIZATON_DPT" in v.loc["StudentCoreFields.immunization_dpt", "suggestion"]
    groups = discovery.extension_groups(ws).set_index("group")
    assert groups.loc["U_DEF_EXT_STUDENTS", "orphans"] == 1
    assert groups.loc["StudentCoreFields", "orphans"] == 0
    assert groups.loc["U_DEF_EXT_STUDENTS", "field_names"] == [
        "laptop_tag", "bus_route_am", "parent_portal_opt_in"]


def test_profile_field_counts_every_value(ws, district: Path) -> None:  # type: ignore[no-untyped-def]
    p = discovery.profile_field(ws, "StudentCoreFields", "primarylanguage", top=3)
    counts = _frame(district / "StudentCoreFields.csv")["primarylanguage"].value_counts()
    assert p.values["value"].tolist() == counts.index[:3].tolist()
    assert p.values["rows"].tolist() == counts.iloc[:3].tolist()
    with pytest.raises(discovery.DiscoveryError, match="fields of StudentCoreFields"):
        discovery.profile_field(ws, "StudentCoreFields", "immunization_dpt")


def test_unknown_source_or_table_is_named(ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(discovery.DiscoveryError, match="loaded: sis"):
        discovery.list_fields(ws, "nope")
    with pytest.raises(discovery.DiscoveryError, match="U_DEF_EXT_STUDENTS"):
        discovery.list_fields(ws, table="U_STUDENTS_EXTENSION")


def test_fields_exported_inside_another_tables_file(tmp_path: Path) -> None:
    from tests.conftest import write_extract

    folder = write_extract(tmp_path / "x", students=3)
    students = folder / "Students.csv"
    lines = students.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",StudentCoreFields.Allergies"] + [f"{ln},{v}" for ln, v in
                                                             zip(lines[1:], ["Eggs", "", "Eggs"], strict=True)]
    students.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with wb.init_workspace(tmp_path / "ws") as w:
        wb.load_path(w, folder, source="sis")
        f = discovery.list_fields(w).set_index("qualified")
        row = f.loc["STUDENTCOREFIELDS.ALLERGIES"]
        assert row["name"] == "StudentCoreFields.allergies" and not row["standard"]
        assert row["core_table"] == "Students"
        assert (row["filled"], row["distinct"]) == (2, 1)


def test_discovery_over_the_api_reports_access_and_profiles_a_sample(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "plugin.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<plugin xmlns="http://plugin.powerschool.pearson.com" name="Laptops only" version="1.0" '
        'description="reads laptop tags">\n  <oauth/>\n  <access_request>\n'
        '    <field table="U_DEF_EXT_STUDENTS" field="STUDENTSDCID" access="ViewOnly"/>\n'
        '    <field table="U_DEF_EXT_STUDENTS" field="LAPTOP_TAG" access="ViewOnly"/>\n'
        '  </access_request>\n  <publisher name="Test"><contact email="t@example.org"/></publisher>\n'
        "</plugin>\n", encoding="utf-8")
    district = tmp_path / "district"
    generate_district(district, students=200, seed=3)
    with serve_mock(district, plugins=[plugin]) as ps:
        cid, secret = ps.credentials("Laptops only")
        f = discovery.discover_api(ps.url, client_id=cid, client_secret=secret,
                                   tables=["U_DEF_EXT_STUDENTS"], sample=100).set_index("field")
        asked = [parse_qs(h.query) for h in ps.log
                 if h.method == "GET" and h.path.lower() == "/ws/schema/table/u_def_ext_students"]
        full = discovery.discover_api(ps.url, client_id=ps.client_id, client_secret=ps.client_secret,
                                      sample=100)
    assert f.loc["laptop_tag", "access"] == "ViewOnly"
    assert f.loc["bus_route_am", ["access", "type", "filled"]].tolist() == ["NoAccess", "no access", 0]
    # the sample is the pages asked for, spread over the table (not just its first rows)
    pages = sorted(int(q["page"][0]) for q in asked)
    size = int(asked[0]["pagesize"][0])
    assert len(pages) == 4 and pages[0] == 1 and pages[-1] * size >= 200
    rows = _frame(district / "U_DEF_EXT_STUDENTS.csv")
    sampled = pd.concat([rows.iloc[(p - 1) * size:p * size] for p in pages])
    assert f.loc["laptop_tag", "filled"] == sampled["laptop_tag"].notna().sum()
    assert f.loc["laptop_tag", "distinct"] == sampled["laptop_tag"].nunique()
    assert f.loc["laptop_tag", "rows"] == len(_frame(district / "U_DEF_EXT_STUDENTS.csv"))
    assert f.loc["laptop_tag", "qualified"] == "U_DEF_EXT_STUDENTS.LAPTOP_TAG"
    # the rostering plugin reads every rostering table; extension tables are listed too
    tables = set(full["table"])
    assert {"Students", "CC", "StudentCoreFields", "U_DEF_EXT_STUDENTS"} <= tables
    assert (full["access"] != "NoAccess").all()
    students = full[full["table"] == "Students"].set_index("field")
    assert students.loc["dob", "type"] == "date (YYYY-MM-DD)"


def test_the_fields_command(district: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from workbench.cli import main

    root = str(tmp_path / "ws")
    with wb.init_workspace(root) as w:
        wb.load_path(w, district, source="sis")
    assert main(["fields", root, "--find", "immun", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["qualified"] for r in rows] == ["STUDENTCOREFIELDS.IMMUNIZATON_DPT",
                                              "STUDENTCOREFIELDS.IMMUNIZATON_MMR"]
    assert rows[0]["type"] == "date (MM/DD/YYYY)"
    assert main(["fields", root, "--verify", "U_DEF_EXT_STUDENTS.laptop_tag",
                 "U_STUDENTS_EXTENSION.laptop_tag"]) == 1
    assert "laptop_tag is in U_DEF_EXT_STUDENTS.LAPTOP_TAG" in capsys.readouterr().out
    assert main(["fields", root, "--groups"]) == 0
    assert "U_DEF_EXT_STUDENTS" in capsys.readouterr().out
    # a plugin pick the loaded extract lacks is refused with the closest names; nothing written
    out_zip = tmp_path / "p.zip"
    assert main(["plugin", root, "--field", "StudentCoreFields.immunization_dpt",
                 "--out", str(out_zip)]) == 2
    assert "IMMUNIZATON_DPT" in capsys.readouterr().err and not out_zip.exists()
    assert main(["plugin", root, "--field", "StudentCoreFields.immunization_dpt", "--no-check",
                 "--out", str(out_zip)]) == 0
    assert out_zip.exists()


def test_only_fields_the_loader_keeps_count_as_used(tmp_path: Path) -> None:
    from tests.conftest import write_extract

    folder = write_extract(tmp_path / "x", students=3)
    (folder / "U_DEF_EXT_USERS.csv").write_text(
        "U_DEF_EXT_USERS.UsersDCID,U_DEF_EXT_USERS.badge\n301,B-1\n302,B-2\n", encoding="utf-8")
    (folder / "U_DEF_EXT_STUDENTS.csv").write_text(
        "U_DEF_EXT_STUDENTS.StudentsDCID,U_DEF_EXT_STUDENTS.locker\n4101,L1\n", encoding="utf-8")
    with wb.init_workspace(tmp_path / "ws") as w:
        wb.load_path(w, folder, source="sis")
        f = discovery.list_fields(w).set_index("qualified")
        kept = {k for (ext,) in w.query("SELECT extensions FROM stg.student WHERE extensions IS NOT NULL")
                for k in json.loads(ext)}
    assert f.loc["U_DEF_EXT_USERS.BADGE", ["core_table", "used_as"]].tolist() == ["Users", ""]
    assert f.loc["U_DEF_EXT_STUDENTS.LOCKER", "used_as"] == "extension"
    assert kept == {"u_def_ext_students.locker"}  # what the loader really keeps


def test_a_oneroster_source_keeps_its_field_names(tmp_path: Path) -> None:
    generate_district(tmp_path / "or", students=100, seed=4, fmt="oneroster")
    with wb.init_workspace(tmp_path / "ws") as w:
        wb.load_path(w, tmp_path / "or", source="or")
        f = discovery.list_fields(w)
        users = f[f["table"] == "users"].set_index("field")
        assert users.loc["sourcedId", ["kind", "used_as", "key"]].tolist() == ["oneroster", "standard", "unique"]
        p = discovery.profile_field(w, "users", "ROLE")  # any case
        frame = pd.read_csv(tmp_path / "or" / "users.csv", dtype=str)
        counts = frame["role"].value_counts()
        assert dict(zip(p.values["value"], p.values["rows"], strict=True)) == counts.to_dict()


SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "oneroster-samples"


@pytest.mark.skipif(not (SAMPLES / "edfi-lmstoolkit-or11").is_dir(), reason="third-party samples absent")
def test_a_third_party_package_with_extension_columns(tmp_path: Path) -> None:
    with wb.init_workspace(tmp_path / "ws") as w:
        wb.load_path(w, SAMPLES / "edfi-lmstoolkit-or11", source="edfi")
        f = discovery.list_fields(w)
    meta = f[f["field"].str.startswith("metadata.")]
    assert set(meta["table"]) == {"orgs"} and len(meta) == 5
    assert set(meta["used_as"]) == {""}  # OneRoster extension columns are not loaded
    users = f[f["table"] == "users"].set_index("field")
    assert users.loc["email", "type"] == "email" and users.loc["sourcedId", "key"] == "unique"


def test_the_fields_command_asks_a_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    with serve_mock(students=100, seed=2) as ps:
        monkeypatch.setenv("PS_CLIENT_ID", ps.client_id)
        monkeypatch.setenv("PS_CLIENT_SECRET", ps.client_secret)
        assert main(["fields", "--powerschool", ps.url, "--table", "U_DEF_EXT_STUDENTS", "--json"]) == 0
        rows = {r["field"]: r for r in json.loads(capsys.readouterr().out)}
        assert set(rows) == {"studentsdcid", "laptop_tag", "bus_route_am", "parent_portal_opt_in"}
        assert {r["access"] for r in rows.values()} == {"ViewOnly"}
        assert rows["parent_portal_opt_in"]["type"] == "boolean"
        assert main(["fields", "--powerschool", ps.url, "--find", "immun"]) == 0
        out = capsys.readouterr().out
        assert "StudentCoreFields.immunizaton_dpt" in out and "ViewOnly" in out
        monkeypatch.setenv("PS_CLIENT_SECRET", "wrong")
        assert main(["fields", "--powerschool", ps.url]) == 2
    assert main(["fields"]) == 2
    assert "give a WORKSPACE" in capsys.readouterr().err
