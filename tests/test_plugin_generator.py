"""The custom plugin generator, end to end over real HTTP: the analyst picks fields, the workbench
writes the plugin zip, the mock PowerSchool installs it, and a pull with its credentials lands
exactly the picked fields; the named query serves them; the mapping fills a canonical attribute."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workbench as wb
from workbench.cli import main
from workbench.errors import InputError
from workbench.rules import build_candidate
from workbench.rules.config import load_config
from workbench.sandbox import generate_district
from workbench.sandbox.mock_powerschool import MockServer, load_plugin, serve_mock
from workbench.sources.powerschool import (
    AccessError,
    Credentials,
    PowerSchoolClient,
    load_powerschool,
)
from workbench.sources.powerschool.plugin import (
    FieldPick,
    add_fields_to_mapping,
    build_plugin,
    check_picks_on_server,
    core_table_of,
    parse_pick,
    write_plugin_zip,
)
from workbench.sources.powerschool_tables import SPECS

PICKS = ["U_DEF_EXT_STUDENTS.laptop_tag=student.username", "StudentCoreFields.primarylanguage"]
PICKED = {"u_def_ext_students.laptop_tag", "studentcorefields.primarylanguage"}
NAME = "District laptops"


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("custom") / "district"
    generate_district(out, students=200, seed=3)
    return out


@pytest.fixture(scope="module")
def plugin_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plugin = build_plugin([parse_pick(p) for p in PICKS], name=NAME)
    return write_plugin_zip(plugin, tmp_path_factory.mktemp("zip") / "custom.zip")


@pytest.fixture(scope="module")
def server(district: Path, plugin_zip: Path) -> Iterator[MockServer]:
    with serve_mock(district, plugins=[plugin_zip]) as ps:
        yield ps


@pytest.fixture(scope="module")
def extract_extensions(district: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The students' extension fields as the extract (not the API) has them."""
    ws = wb.init_workspace(tmp_path_factory.mktemp("extract") / "ws")
    try:
        wb.load_path(ws, district, source="sis")
        return {sid: json.loads(ext) if ext else {} for sid, ext in
                ws.query("SELECT sourced_id, extensions FROM stg.student")}
    finally:
        ws.close()


@pytest.fixture(scope="module")
def pulled(server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[wb.Workspace]:
    cid, secret = server.credentials(NAME)
    ws = wb.init_workspace(tmp_path_factory.mktemp("api") / "ws")
    load_powerschool(ws, server.url, client_id=cid, client_secret=secret, source="sis", workers=2)
    yield ws
    ws.close()


def test_picks_parse_and_infer_their_core_table() -> None:
    pick = parse_pick(" U_DEF_EXT_STUDENTS.laptop_tag = student.username ")
    assert (pick.table, pick.field, pick.attribute, pick.core) == (
        "U_DEF_EXT_STUDENTS", "laptop_tag", "student.username", "students")
    assert [core_table_of(t) for t in ("StudentCoreFields", "UsersCoreFields", "U_DEF_EXT_USERS",
                                       "S_STU_X", "PersonCoreFields", "Students")] == [
        "students", "users", "users", "students", "person", "students"]
    assert FieldPick("U_LAPTOPS", "tag", core_table="Students").core == "students"
    for bad in ("laptop_tag", "U_DEF_EXT_STUDENTS.", "Students.dob; drop table x",
                "U_DEF_EXT_STUDENTS.a_field_name_that_is_far_too_long_x", "Students.dob=email"):
        with pytest.raises(ValueError):
            parse_pick(bad)
    with pytest.raises(ValueError, match="core_table"):
        FieldPick("U_LAPTOPS", "tag").core  # noqa: B018


def test_the_zip_is_what_powerschool_installs(plugin_zip: Path) -> None:
    with zipfile.ZipFile(plugin_zip) as z:
        names = sorted(z.namelist())
        xml = z.read("plugin.xml").decode()
    assert names == ["plugin.xml", "queries_root/district_laptops.named_queries.xml"]
    assert xml.index("<oauth/>") < xml.index("<access_request>") < xml.index("<publisher")
    plugin = load_plugin(plugin_zip)
    assert plugin.name == NAME
    standard = {(spec.name.lower(), f) for spec in SPECS.values() for f in spec.known}
    assert standard <= set(plugin.access)
    assert {("u_def_ext_students", "laptop_tag"), ("u_def_ext_students", "studentsdcid"),
            ("studentcorefields", "primarylanguage")} <= set(plugin.access)
    assert not plugin.can_read("u_def_ext_students", "bus_route_am")
    assert not plugin.can_read("studentcorefields", "allergies")
    (query,) = plugin.queries.values()
    assert len(query.name.split(".")) == 5 and query.flattened and query.core_table == "students"
    assert [c.column for c in query.columns] == [
        "students.dcid", "u_def_ext_students.laptop_tag", "studentcorefields.primarylanguage"]


def test_names_are_escaped_and_limits_refused(tmp_path: Path) -> None:
    plugin = build_plugin([parse_pick("Students.dob")], name='A & B "custom"', description="<x>")
    assert load_plugin(write_plugin_zip(plugin, tmp_path / "p.zip")).name == 'A & B "custom"'
    with pytest.raises(ValueError, match="at most 40"):
        build_plugin([parse_pick("Students.dob")], name="x" * 41)
    with pytest.raises(ValueError, match="at most 20"):
        build_plugin([parse_pick("Students.dob")], version="1" * 21)
    with pytest.raises(ValueError, match="pick at least one"):
        build_plugin([])


def _bad_plugin(tmp_path: Path, plugin_xml: str, queries: str | None = None) -> Path:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("plugin.xml", plugin_xml)
        if queries is not None:
            z.writestr("queries_root/bad.named_queries.xml", queries)
    return archive


GOOD = build_plugin([parse_pick("Students.dob")], name="Good")


@pytest.mark.parametrize(("plugin_xml", "queries", "problem"), [
    (GOOD.plugin_xml.replace("<publisher", "<x").replace("</publisher>", "</x>"), None, "publisher"),
    (GOOD.plugin_xml.replace('name="Good"', f'name="{"n" * 41}"'), None, "name is 41 characters"),
    (GOOD.plugin_xml.replace('version="1.0"', f'version="{"1" * 21}"'), None, "version is 21"),
    (GOOD.plugin_xml.replace('description="', 'description="' + "d" * 257), None, "description"),
    (GOOD.plugin_xml.replace('access="ViewOnly"', 'access="ReadWrite"', 1), None, "ReadWrite"),
    (GOOD.plugin_xml.replace('table="PREFS"', f'table="{"T" * 31}"', 1), None, "30 characters"),
    (GOOD.plugin_xml.replace("</plugin>", ""), None, "not well-formed"),
    (GOOD.plugin_xml, GOOD.queries_xml.replace('column="STUDENTS.DOB"', 'column="dob"'), "not TABLE.FIELD"),
])
def test_the_mock_refuses_a_bad_plugin(tmp_path: Path, district: Path, plugin_xml: str,
                                       queries: str | None, problem: str) -> None:
    archive = _bad_plugin(tmp_path, plugin_xml, queries)
    with pytest.raises(ValueError, match=problem) as err:
        load_plugin(archive)
    assert "bad.zip" in str(err.value)
    with pytest.raises(ValueError, match=problem), serve_mock(district, plugins=[archive]):
        pass


def test_the_mock_refuses_a_query_whose_columns_differ_from_its_sql(tmp_path: Path, district: Path) -> None:
    short = GOOD.queries_xml.replace('<column column="STUDENTS.DOB">dob</column>', "")
    archive = _bad_plugin(tmp_path, GOOD.plugin_xml, short)
    assert load_plugin(archive).queries  # the files are well-formed; the SQL is what is wrong
    with pytest.raises(ValueError, match="declares 1 <column>.* returns 2"), serve_mock(district, plugins=[archive]):
        pass


def test_a_query_reading_a_field_not_granted_gets_403(tmp_path: Path, district: Path) -> None:
    sneaky = GOOD.queries_xml.replace("STUDENTS.DOB", "STUDENTS.GENDER").replace("students.dob", "students.gender")
    archive = _bad_plugin(tmp_path, GOOD.plugin_xml.replace(
        '<field table="STUDENTS" field="GENDER" access="ViewOnly"/>', ""), sneaky)
    with serve_mock(district, plugins=[archive]) as ps:
        client = PowerSchoolClient(ps.url, Credentials(*ps.credentials("Good")))
        assert not ps.plugins[-1].can_read("students", "gender")
        with client, pytest.raises(AccessError, match="STUDENTS.GENDER"):
            list(client.query_rows(GOOD.queries[0].name))


def test_a_pull_with_the_custom_plugin_lands_exactly_the_picked_fields(
        pulled: wb.Workspace, extract_extensions: dict[str, dict[str, Any]]) -> None:
    rows = {sid: json.loads(ext) if ext else {} for sid, ext in
            pulled.query("SELECT sourced_id, extensions FROM stg.student")}
    assert set(rows) == set(extract_extensions)
    assert set().union(*rows.values()) == PICKED
    assert all("u_def_ext_students.bus_route_am" in e for e in extract_extensions.values()
               if e.get("u_def_ext_students.bus_route_am"))
    expected = {sid: {k: v for k, v in ext.items() if k in PICKED} for sid, ext in extract_extensions.items()}
    assert rows == expected


def test_the_pull_discovers_the_other_extension_tables_the_plugin_grants(district: Path, tmp_path: Path) -> None:
    """A state extension the loader does not know by name (S_STU_X): the plugin grants one of its
    two fields, and the pull finds the table and lands that field only."""
    folder = tmp_path / "district"
    shutil.copytree(district, folder)
    with (district / "U_DEF_EXT_STUDENTS.csv").open(encoding="utf-8") as fh:
        dcids = [row[0] for row in list(csv.reader(fh))[1:]]
    with (folder / "S_STU_X.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["S_STU_X.StudentsDCID", "S_STU_X.homeless_code", "S_STU_X.migrant_code"])
        out.writerows([d, f"H{i % 3}", f"M{i % 5}"] for i, d in enumerate(dcids))
    plugin = build_plugin([parse_pick("S_STU_X.homeless_code")], name="State fields")
    archive = write_plugin_zip(plugin, tmp_path / "state.zip")
    ws = wb.init_workspace(tmp_path / "ws")
    with serve_mock(folder, plugins=[archive]) as ps:
        load_powerschool(ws, ps.url, client_id=ps.credentials("State fields")[0],
                         client_secret=ps.credentials("State fields")[1], workers=2)
        assert ps.requests["GET /ws/schema/table"] == 1
    try:
        keys = {k for (ext,) in ws.query("SELECT extensions FROM stg.student") if ext for k in json.loads(ext)}
        values = dict(ws.query("""SELECT source_id, extensions->>'s_stu_x.homeless_code' FROM stg.student
                                  WHERE source_id IS NOT NULL"""))
    finally:
        ws.close()
    assert keys == {"s_stu_x.homeless_code"}
    assert [values[f"S{d}"] for d in dcids] == [f"H{i % 3}" for i in range(len(dcids))]


def test_the_named_query_returns_the_picks(server: MockServer, pulled: wb.Workspace,
                                           district: Path) -> None:
    (query,) = load_plugin_queries(server)
    with PowerSchoolClient(server.url, Credentials(*server.credentials(NAME))) as client:
        got = list(client.query_rows(query, page_size=50, order="dcid"))
    assert set(got[0]) == {"dcid", "laptop_tag", "primarylanguage"}
    by_dcid = {r["dcid"]: r for r in got}
    stg = pulled.query("""SELECT source_id, extensions->>'u_def_ext_students.laptop_tag',
                                 extensions->>'studentcorefields.primarylanguage' FROM stg.student""")
    assert len(by_dcid) == len(stg)
    for source_id, tag, language in stg:
        row = by_dcid[source_id.removeprefix("S")]
        assert (row["laptop_tag"] or None, row["primarylanguage"] or None) == (tag, language)


def load_plugin_queries(server: MockServer) -> list[str]:
    return [n for n in server.queries if n.startswith("org.rosterworkbench.")]


def test_the_mapping_lands_in_the_config_and_fills_the_attribute(pulled: wb.Workspace) -> None:
    picks = [parse_pick(p) for p in PICKS]
    added = add_fields_to_mapping(pulled, picks, author="analyst")
    assert added == {"student": {"username": {"field": "U_DEF_EXT_STUDENTS.laptop_tag"}}}
    config = load_config(pulled)
    assert config["attributes"]["student"]["username"] == {"field": "U_DEF_EXT_STUDENTS.laptop_tag"}
    build_candidate(pulled, config)
    rows = pulled.query("""SELECT c.username, s.extensions->>'u_def_ext_students.laptop_tag'
                           FROM cand.student c JOIN stg.student s USING (sourced_id)""")
    assert rows and all(u == tag for u, tag in rows)
    assert sum(1 for u, _ in rows if u and u.startswith("LT-")) > 0


def test_a_bad_attribute_is_refused_with_the_allowed_list(pulled: wb.Workspace) -> None:
    before = load_config(pulled)
    with pytest.raises(InputError, match="allowed: .*given_name"):
        add_fields_to_mapping(pulled, [parse_pick("StudentCoreFields.primarylanguage=student.language")])
    with pytest.raises(InputError, match="extends students, not users"):
        add_fields_to_mapping(pulled, [parse_pick("U_DEF_EXT_STUDENTS.laptop_tag=teacher.title")])
    assert load_config(pulled) == before


def test_a_field_the_server_does_not_have_fails_clearly(server: MockServer) -> None:
    picks = [parse_pick(p) for p in (*PICKS, "U_DEF_EXT_STUDENTS.locker_number", "U_LOCKERS.number")]
    with PowerSchoolClient(server.url, Credentials(server.client_id, server.client_secret)) as client:
        check_picks_on_server(client, picks[:2])
        with pytest.raises(InputError) as err:
            check_picks_on_server(client, picks)
    assert [p.field for p in err.value.problems] == ["U_DEF_EXT_STUDENTS.locker_number", "U_LOCKERS.number"]
    assert "bus_route_am" in (err.value.problems[0].hint or "")
    assert "no table U_LOCKERS" in err.value.problems[1].message


def test_the_cli_writes_the_plugin_and_saves_the_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = wb.init_workspace(tmp_path / "ws")
    ws.close()
    out = tmp_path / "custom.zip"
    code = main(["plugin", str(tmp_path / "ws"), "--field", PICKS[0], "--field", PICKS[1],
                 "--out", str(out), "--name", NAME, "--map", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["fields"] == ["U_DEF_EXT_STUDENTS.LAPTOP_TAG", "STUDENTCOREFIELDS.PRIMARYLANGUAGE"]
    assert load_plugin(out).name == NAME
    with wb.open_workspace(tmp_path / "ws", read_only=True) as ws2:
        assert load_config(ws2)["attributes"]["student"]["username"]["field"] == "U_DEF_EXT_STUDENTS.laptop_tag"
    bad = main(["plugin", str(tmp_path / "ws"), "--field", "laptop_tag", "--out", str(tmp_path / "x.zip")])
    assert bad == 2 and "TABLE.FIELD" in capsys.readouterr().err and not (tmp_path / "x.zip").exists()
    bad = main(["plugin", str(tmp_path / "ws"), "--field", "Students.dob=student.shoe_size", "--map",
                "--out", str(tmp_path / "x.zip")])
    assert bad == 2 and "shoe_size" in capsys.readouterr().err and not (tmp_path / "x.zip").exists()
