"""The mock PowerSchool server over real HTTP on 127.0.0.1, with plain httpx: OAuth, /ws/v1 shapes,
/ws/schema/table rows equal to the extract's, PowerQueries, access_request enforcement, faults."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from workbench.sandbox import generate_district
from workbench.sandbox.mock_powerschool import (
    MockServer,
    Plugin,
    load_plugin,
    plugin_xml,
    rostering_plugin,
    serve_mock,
    write_rostering_plugin,
)

ROSTER = "com.pearson.core.student.student_dcid_id_map"


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mockps") / "district"
    generate_district(out, students=300, seed=1)
    return out


@pytest.fixture(scope="module")
def limited_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plugin that may read only a few Students fields, with one named query of its own."""
    folder = tmp_path_factory.mktemp("plugin") / "names"
    (folder / "queries_root").mkdir(parents=True)
    (folder / "plugin.xml").write_text(plugin_xml("Names only", {"STUDENTS": ["DCID", "ID", "FIRST_NAME", "LAST_NAME"]}))
    (folder / "queries_root" / "names.named_queries.xml").write_text("""<queries>
  <query name="org.example.names.students.by_grade" coreTable="students" flattened="true">
    <args><arg name="grade" column="STUDENTS.GRADE_LEVEL" type="primitive" required="true"/></args>
    <columns>
      <column column="STUDENTS.DCID">dcid</column>
      <column column="STUDENTS.LAST_NAME">last_name</column>
    </columns>
    <sql><![CDATA[select dcid, last_name from students where grade_level = :grade order by last_name, dcid]]></sql>
  </query>
  <query name="org.example.names.students.genders" coreTable="students" flattened="true">
    <columns>
      <column column="STUDENTS.DCID">dcid</column>
      <column column="STUDENTS.GENDER">gender</column>
    </columns>
    <sql><![CDATA[select dcid, gender from students]]></sql>
  </query>
</queries>
""")
    return folder


@pytest.fixture(scope="module")
def server(district: Path, limited_plugin: Path) -> Iterator[MockServer]:
    with serve_mock(district, plugins=[limited_plugin]) as ps:
        yield ps


@pytest.fixture
def ps(server: MockServer) -> Iterator[MockServer]:
    server.faults.clear()
    server.tokens.expire_all()
    yield server
    server.faults.clear()


def token(ps: MockServer, client: tuple[str, str] | None = None) -> str:
    r = httpx.post(f"{ps.url}/oauth/access_token", auth=client or (ps.client_id, ps.client_secret),
                   data={"grant_type": "client_credentials"})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def get(ps: MockServer, path: str, tok: str | None = None, **params: Any) -> httpx.Response:
    return httpx.get(f"{ps.url}{path}", params=params, headers={"Authorization": f"Bearer {tok or token(ps)}",
                                                                "Accept": "application/json"})


def post(ps: MockServer, path: str, body: dict[str, Any] | None = None, tok: str | None = None,
         **params: Any) -> httpx.Response:
    return httpx.post(f"{ps.url}{path}", params=params, json=body or {},
                      headers={"Authorization": f"Bearer {tok or token(ps)}", "Accept": "application/json"})


def extract_rows(district: Path, table: str) -> tuple[list[str], list[list[str]]]:
    with (district / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return [h.split(".", 1)[1].lower() for h in rows[0]], rows[1:]


def pull_table(ps: MockServer, table: str, pagesize: int = 100) -> list[dict[str, str]]:
    tok, out, page = token(ps), [], 1
    while True:
        body = get(ps, f"/ws/schema/table/{table}", tok, projection="*", page=page, pagesize=pagesize).json()
        out += [r["tables"][table.lower()] for r in body["record"]]
        if len(body["record"]) < pagesize:
            return out
        page += 1


# OAuth and metadata ------------------------------------------------------------------------------

def test_token_basic_auth_and_expires_in_as_a_string(ps: MockServer) -> None:
    r = httpx.post(f"{ps.url}/oauth/access_token/", auth=(ps.client_id, ps.client_secret),
                   data={"grant_type": "client_credentials"})
    body = r.json()
    assert r.status_code == 200 and body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], str) and int(body["expires_in"]) > 2_500_000
    again = httpx.post(f"{ps.url}/oauth/access_token", auth=(ps.client_id, ps.client_secret),
                       data={"grant_type": "client_credentials"}).json()
    assert again["access_token"] == body["access_token"]  # the live token is handed out again


def test_bad_credentials_and_bad_tokens_are_401(ps: MockServer) -> None:
    r = httpx.post(f"{ps.url}/oauth/access_token", auth=(ps.client_id, "wrong"),
                   data={"grant_type": "client_credentials"})
    assert r.status_code == 401 and r.json() == {"error": "invalid_client"}
    r = get(ps, "/ws/schema/table/students", "not-a-token", projection="*")
    assert r.status_code == 401 and "invalid_token" in r.headers["WWW-Authenticate"]


def test_metadata_and_time(ps: MockServer) -> None:
    meta = get(ps, "/ws/v1/metadata").json()["metadata"]
    assert meta["student_max_page_size"] == 100 and meta["schema_table_query_max_page_size"] == 100
    assert httpx.get(f"{ps.url}/ws/v1/time").status_code == 200  # no token needed


# /ws/schema/table --------------------------------------------------------------------------------

@pytest.mark.parametrize("table", ["Students", "CC"])
def test_schema_table_rows_equal_the_extract(ps: MockServer, district: Path, table: str) -> None:
    header, rows = extract_rows(district, table)
    pulled = pull_table(ps, table)
    assert [[r[c] for c in header] for r in pulled] == rows
    assert get(ps, f"/ws/schema/table/{table}/count").json() == {"count": len(rows)}


def test_projection_is_required_and_limits_the_columns(ps: MockServer) -> None:
    assert get(ps, "/ws/schema/table/students").status_code == 400
    body = get(ps, "/ws/schema/table/STUDENTS", projection="dcid,Last_Name", pagesize=1).json()
    assert body["name"] == "STUDENTS" and set(body["record"][0]["tables"]["students"]) == {"dcid", "last_name"}
    assert isinstance(body["record"][0]["id"], int)
    assert get(ps, "/ws/schema/table/nosuchtable", projection="*").status_code == 404
    assert httpx.delete(f"{ps.url}/ws/schema/table/students/101001").status_code == 405


def test_q_filters_and_count(ps: MockServer, district: Path) -> None:
    header, rows = extract_rows(district, "Students")
    col = {c: i for i, c in enumerate(header)}
    expected = [r for r in rows if int(r[col["grade_level"]]) >= 9 and r[col["last_name"]].startswith("B")]
    q = "grade_level=ge=9;last_name==B*"
    assert get(ps, "/ws/schema/table/students/count", q=q).json() == {"count": len(expected)}
    got = get(ps, "/ws/schema/table/students", q=q, projection="dcid", pagesize=100).json()["record"]
    assert [r["tables"]["students"]["dcid"] for r in got] == [r[col["dcid"]] for r in expected]
    assert get(ps, "/ws/schema/table/students/count", q="gender!=F;enroll_status==0").json()["count"] > 0
    assert get(ps, "/ws/schema/table/students", q="nosuch==1", projection="*").status_code == 400


# /ws/v1 ------------------------------------------------------------------------------------------

def test_v1_one_record_page_is_an_object_and_past_the_end_has_no_list(ps: MockServer) -> None:
    tok = token(ps)
    schools = get(ps, "/ws/v1/district/school", tok).json()["schools"]["school"]
    count = get(ps, "/ws/v1/district/school/count", tok).json()["resource"]["count"]
    assert isinstance(schools, list) and len(schools) == count
    school = schools[0]["id"]
    n = get(ps, f"/ws/v1/school/{school}/student/count", tok).json()["resource"]["count"]
    last = get(ps, f"/ws/v1/school/{school}/student", tok, pagesize=n - 1, page=2,
               expansions="school_enrollment,alerts").json()["students"]
    assert isinstance(last["student"], dict) and last["student"]["alerts"] == ""
    assert last["student"]["school_enrollment"]["school_id"] == school
    after = get(ps, f"/ws/v1/school/{school}/student", tok, pagesize=n, page=2).json()["students"]
    assert "student" not in after and "@expansions" in after


def test_v1_access_none_is_403(ps: MockServer) -> None:
    ps.faults.v1_access = "NONE"
    assert get(ps, "/ws/v1/district/school").status_code == 403


def test_contacts_of_a_student(ps: MockServer, district: Path) -> None:
    header, rows = extract_rows(district, "StudentContactAssoc")
    col = {c: i for i, c in enumerate(header)}
    student = rows[0][col["studentdcid"]]
    people = [r[col["personid"]] for r in rows if r[col["studentdcid"]] == student]
    tok = token(ps)
    contacts = get(ps, f"/ws/contacts/student/{student}", tok).json()
    assert isinstance(contacts, list) and sorted(str(c["contactId"]) for c in contacts) == sorted(people)
    linked = contacts[0]["contactStudents"]
    assert any(str(s["dcid"]) == student and s["studentDetails"] for s in linked)
    assert get(ps, "/ws/contacts/student/0", tok).status_code == 404


# PowerQueries ------------------------------------------------------------------------------------

def test_powerquery_paging_and_count(ps: MockServer, district: Path) -> None:
    tok = token(ps)
    _, rows = extract_rows(district, "Students")
    everything = post(ps, f"/ws/schema/query/{ROSTER}", tok=tok, pagesize=0, count="true").json()
    assert everything["count"] == len(rows) == len(everything["record"])
    assert post(ps, f"/ws/schema/query/{ROSTER}/count", tok=tok).json() == {"count": len(rows)}
    paged = []
    for page in range(1, 5):
        paged += post(ps, f"/ws/schema/query/{ROSTER}", tok=tok, pagesize=100, page=page).json()["record"]
    assert paged == everything["record"] and set(paged[0]) == {"dcid", "id"}
    assert isinstance(paged[0]["dcid"], str)
    first = post(ps, f"/ws/schema/query/{ROSTER}", {"$q": f"dcid=={paged[0]['dcid']}"}, tok).json()
    assert first["record"] == [paged[0]]
    assert post(ps, "/ws/schema/query/com.example.nothing", tok=tok).status_code == 404


def test_powerquery_array_arguments(ps: MockServer) -> None:
    tok = token(ps)
    r = post(ps, "/ws/schema/query/com.pearson.core.teachers.sectionEnrollments", {"section_dcid": ["10001"]}, tok)
    assert r.status_code == 200 and r.json()["record"]
    assert post(ps, "/ws/schema/query/com.pearson.core.teachers.sectionEnrollments", {}, tok).status_code == 400


# Plugins and access_request ----------------------------------------------------------------------

def test_access_request_is_enforced(ps: MockServer, limited_plugin: Path) -> None:
    plugin = load_plugin(limited_plugin)
    assert isinstance(plugin, Plugin) and plugin.can_read("students", "last_name")
    tok = token(ps, ps.credentials("Names only"))
    ok = get(ps, "/ws/schema/table/students", tok, projection="dcid,last_name", pagesize=1)
    assert ok.status_code == 200
    r = get(ps, "/ws/schema/table/students", tok, projection="dcid,dob", pagesize=1)
    assert r.status_code == 403 and r.json() == {"message": "Validation Failed", "errors": [
        {"resource": "students", "field": "students.dob", "code": "No access to the field"}]}
    r = post(ps, "/ws/schema/query/org.example.names.students.genders", tok=tok)
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "students.gender"
    r = post(ps, "/ws/schema/query/org.example.names.students.by_grade", {"grade": "5"}, tok)
    assert r.status_code == 200 and r.json()["record"] and set(r.json()["record"][0]) == {"dcid", "last_name"}


def test_plugin_zip_metadata_access_and_grouped_records(ps: MockServer, limited_plugin: Path,
                                                         tmp_path: Path) -> None:
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in limited_plugin.rglob("*.xml"):
            z.write(f, f.relative_to(limited_plugin).as_posix())
    zipped = load_plugin(archive)
    assert sorted(zipped.queries) == sorted(load_plugin(limited_plugin).queries)
    tok = token(ps, ps.credentials("Names only"))
    columns = {c["name"]: c["access"] for c in get(ps, "/ws/schema/table/students/metadata", tok).json()["columns"]}
    assert columns["last_name"] == "ViewOnly" and columns["dob"] == "NoAccess"
    body = post(ps, "/ws/schema/query/org.example.names.students.by_grade", {"grade": "5"}, tok,
                pagesize=2).json()
    assert len(body["record"]) == 2 and body["name"] == "Students"


def test_the_builtin_plugin_written_out_loads_the_same(tmp_path: Path) -> None:
    folder = write_rostering_plugin(tmp_path / "rostering", {"Sections": ["No_of_Students"]})
    written, builtin = load_plugin(folder), rostering_plugin({"Sections": ["No_of_Students"]})
    assert written.access == builtin.access and sorted(written.queries) == sorted(builtin.queries)
    assert written.can_read("SECTIONS", "no_of_students") and written.can_read("students", "dob")
    assert "com.pearson.core.student.student_dcid_id_map" in written.queries


def test_v1_search_expansions_and_single_records(ps: MockServer) -> None:
    tok = token(ps)
    active = get(ps, "/ws/v1/district/student/count", tok, q="school_enrollment.enroll_status==A").json()
    codes = get(ps, "/ws/v1/district/student/count", tok, q="school_enrollment.enroll_status_code==(0)").json()
    assert active == codes and active["resource"]["count"] > 0
    page = get(ps, "/ws/v1/district/student", tok, pagesize=5, q="name.last_name==B*",
               expansions="demographics,fees").json()["students"]
    assert all(s["name"]["last_name"].startswith("B") and s["fees"] == "" for s in page["student"])
    assert page["@expansions"].startswith("demographics, addresses")
    one = get(ps, f"/ws/v1/student/{page['student'][0]['id']}", tok).json()["student"]
    assert one["id"] == page["student"][0]["id"] and isinstance(one["id"], int)
    assert get(ps, "/ws/v1/student/999999999", tok).status_code == 404
    assert get(ps, "/ws/v1/district/student", tok, q="nosuchfield==1").status_code == 400


def test_powerquery_needs_json_and_counts_requests(ps: MockServer) -> None:
    tok = token(ps)
    r = httpx.post(f"{ps.url}/ws/schema/query/{ROSTER}", content=b"x=1",
                   headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    before = ps.requests[f"POST /ws/schema/query/{ROSTER}"]
    post(ps, f"/ws/schema/query/{ROSTER}", tok=tok, pagesize=1)
    assert ps.requests[f"POST /ws/schema/query/{ROSTER}"] == before + 1
    assert ps.hits("POST", f"/ws/schema/query/{ROSTER}")[-1].query == "pagesize=1"


# Faults ------------------------------------------------------------------------------------------

def test_rate_limit_with_and_without_retry_after(ps: MockServer) -> None:
    tok = token(ps)
    ps.faults.rate_limit_every = 2
    assert get(ps, "/ws/schema/table/students/count", tok).status_code == 200
    r = get(ps, "/ws/schema/table/students/count", tok)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    ps.faults.retry_after = None
    get(ps, "/ws/schema/table/students/count", tok)
    r = get(ps, "/ws/schema/table/students/count", tok)
    assert r.status_code == 429 and "Retry-After" not in r.headers
    assert ps.requests["GET /ws/schema/table/students/count"] >= 4


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_on_the_nth_request(ps: MockServer, status: int) -> None:
    tok = token(ps)
    ps.faults.error_every, ps.faults.error_status = 3, status
    statuses = [get(ps, "/ws/schema/table/schools/count", tok).status_code for _ in range(6)]
    assert statuses == [200, 200, status, 200, 200, status]


def test_slow_replies(ps: MockServer) -> None:
    tok = token(ps)
    ps.faults.slow_every, ps.faults.slow_seconds = 1, 0.3
    started = time.perf_counter()
    assert get(ps, "/ws/schema/table/schools/count", tok).status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_token_expires_mid_pull_and_a_new_one_works(ps: MockServer) -> None:
    tok = token(ps)
    assert get(ps, "/ws/schema/table/schools/count", tok).status_code == 200
    ps.faults.token_expires_after = 2  # two more requests, counted from now
    assert [get(ps, "/ws/schema/table/schools/count", tok).status_code for _ in range(3)] == [200, 200, 401]
    fresh = token(ps)
    assert fresh != tok and get(ps, "/ws/schema/table/schools/count", fresh).status_code == 200


def test_min_interval_between_requests(ps: MockServer) -> None:
    tok = token(ps)
    ps.options.min_interval_ms = 60_000
    try:
        assert get(ps, "/ws/schema/table/schools/count", tok).status_code == 200
        r = get(ps, "/ws/schema/table/schools/count", tok)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    finally:
        ps.options.min_interval_ms = 0


def test_truncated_json(ps: MockServer) -> None:
    tok = token(ps)
    ps.faults.truncate_every = 1
    r = get(ps, "/ws/schema/table/schools", tok, projection="*")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()


# The command line --------------------------------------------------------------------------------

def test_cli_prints_the_service_url_and_credentials(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "workbench", "mock-powerschool", "--port", "0", "--students", "100"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        printed: dict[str, str] = {}
        assert proc.stdout is not None
        for line in proc.stdout:
            key, _, value = line.partition(":")
            printed[key.strip()] = value.strip()
            if line.startswith("Ctrl-C"):
                break
        r = httpx.post(f"{printed['Service URL']}/oauth/access_token",
                       auth=(printed["Client ID"], printed["Client secret"]), data={"grant_type": "client_credentials"})
        assert r.status_code == 200 and r.json()["access_token"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
