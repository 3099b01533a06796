"""Unit tests of the PowerSchool client's token, retry and paging logic (httpx.MockTransport).

The end-to-end tests against the real mock server over HTTP are in test_powerschool_client.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from workbench.sources.powerschool import (
    AccessError,
    ApiAccessError,
    AuthError,
    Credentials,
    PowerSchoolClient,
    PowerSchoolError,
    ServerError,
    UnreachableError,
    resolve_credentials,
)

URL = "https://district.example.org"
SECRET = "s3cret-Value-42"
CREDS = Credentials("client-abc", SECRET)


class Server:
    """A scripted server: ``handler(request) -> Response`` after the token endpoint."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response],
                 expires_in: Any = "3600") -> None:
        self.handler, self.expires_in = handler, expires_in
        self.tokens = 0
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        if request.url.path.startswith("/oauth/access_token"):
            if request.headers.get("authorization") != httpx.BasicAuth(*CREDS.secrets)._auth_header:
                return httpx.Response(401, json={"error": "invalid_client"})
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"tok-{self.tokens}",
                                             "token_type": "Bearer", "expires_in": self.expires_in})
        return self.handler(request)


def make(server: Server, **kw: Any) -> tuple[PowerSchoolClient, list[float]]:
    slept: list[float] = []
    kw.setdefault("sleep", slept.append)
    kw.setdefault("jitter", lambda: 0.5)
    client = PowerSchoolClient(URL, kw.pop("creds", CREDS),
                               http=httpx.Client(transport=httpx.MockTransport(server)), **kw)
    return client, slept


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


@pytest.mark.parametrize("expires_in", ["120", 120, " 120 "])
def test_token_is_cached_and_renewed_before_it_expires(expires_in: Any) -> None:
    now = [0.0]
    server = Server(lambda r: ok({"count": 1}), expires_in=expires_in)
    client, _ = make(server, clock=lambda: now[0], refresh_margin=60)
    client.table_count("students")
    client.table_count("students")
    assert server.tokens == 1
    now[0] = 107.0  # 120 s lifetime, margin min(60, 12) = 12 s: renewed from 108 s on
    client.table_count("students")
    assert server.tokens == 1
    now[0] = 108.0
    client.table_count("students")
    assert server.tokens == 2


def test_a_401_renews_the_token_once_then_gives_up() -> None:
    seen: list[str] = []

    def handler(r: httpx.Request) -> httpx.Response:
        seen.append(r.headers["authorization"])
        if r.headers["authorization"] == "Bearer tok-1":
            return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return ok({"count": 7})

    client, _ = make(Server(handler))
    assert client.table_count("cc") == 7
    assert seen == ["Bearer tok-1", "Bearer tok-2"]

    always = Server(lambda r: httpx.Response(401))
    client, _ = make(always)
    with pytest.raises(AuthError, match="check the client ID and secret"):
        client.table_count("cc")
    assert always.tokens == 2  # the first token and exactly one renewal


def test_wrong_credentials_say_where_to_look_and_never_show_the_secret() -> None:
    client, _ = make(Server(lambda r: ok({})), creds=Credentials("client-abc", "wrong-" + SECRET))
    with pytest.raises(AuthError) as err:
        client.token()
    text = str(err.value)
    assert "Data Provider Configuration" in text and URL in text
    assert SECRET not in text and "client-abc" not in text
    assert SECRET not in repr(CREDS) and SECRET not in repr(client)


def test_429_waits_as_long_as_retry_after_says() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(429),
                    ok({"count": 2})])
    client, slept = make(Server(lambda r: next(answers)), backoff=0.5)
    assert client.table_count("students") == 2
    assert slept == [3.0, 0.75]  # Retry-After, then backoff 0.5 * 2 ** 1 * (0.5 + 0.5 / 2)


def test_5xx_and_broken_json_are_retried_with_a_cap() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, content=b'{"count": 1'),
                    ok({"count": 5})])
    client, slept = make(Server(lambda r: next(answers)))
    assert client.table_count("students") == 5
    assert len(slept) == 2

    client, slept = make(Server(lambda r: httpx.Response(500)), max_retries=3)
    with pytest.raises(ServerError, match="server error 500.*4 attempt"):
        client.table_count("students")
    assert len(slept) == 3


def test_backoff_grows_with_jitter_and_stops_at_the_ceiling() -> None:
    client, slept = make(Server(lambda r: httpx.Response(502)), max_retries=8, backoff=1,
                         max_backoff=10, jitter=lambda: 1.0)
    with pytest.raises(ServerError):
        client.table_count("students")
    assert slept == [1, 2, 4, 8, 10, 10, 10, 10]


def test_a_write_is_not_retried() -> None:
    server = Server(lambda r: httpx.Response(503))
    client, slept = make(server)
    with pytest.raises(ServerError):
        client.request("POST", "/ws/schema/table/u_def_ext_students", json={}, idempotent=False)
    assert slept == [] and server.calls.count("/ws/schema/table/u_def_ext_students") == 1


def test_powerquery_posts_are_reads_and_are_retried() -> None:
    answers = iter([httpx.Response(502), ok({"name": "Students", "record": {"dcid": 1, "x": None}})])
    client, slept = make(Server(lambda r: next(answers)))
    rows = list(client.query_rows("com.example.q", {"a": "1"}))
    assert rows == [{"dcid": "1", "x": ""}] and len(slept) == 1


def test_unreachable_names_the_url_the_cause_and_what_to_check() -> None:
    def down(r: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused")

    client, slept = make(Server(down), max_retries=2)
    with pytest.raises(UnreachableError) as err:
        client.table_count("students")
    assert "Connection refused" in str(err.value) and URL in str(err.value)
    assert "check the Service URL and the network" in str(err.value)
    assert len(slept) == 2


def test_field_access_refused_names_the_access_request_lines() -> None:
    body = {"message": "Validation Failed", "errors": [
        {"resource": "students", "field": "students.dob", "code": "No access to the field"},
        {"resource": "students", "field": "students.gender", "code": "No access to the field"}]}
    client, _ = make(Server(lambda r: httpx.Response(403, json=body)))
    with pytest.raises(AccessError) as err:
        list(client.table_rows("students", ["dcid", "dob", "gender"]))
    assert err.value.fields == [("STUDENTS", "DOB"), ("STUDENTS", "GENDER")]
    assert '<field table="STUDENTS" field="DOB" access="ViewOnly"/>' in str(err.value)
    assert "reinstall" in str(err.value)


def test_no_v1_access_falls_back_to_pages_of_100() -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        if r.url.path.startswith("/ws/v1/"):
            return httpx.Response(403, text="Forbidden")
        return ok({"count": 0})

    client, _ = make(Server(handler))
    assert client.page_size() == 100
    with pytest.raises(ApiAccessError, match="accessLevelV1Api"):
        client.get("/ws/v1/district")


def test_paging_counts_first_and_reads_every_page_of_the_server_size() -> None:
    rows = [{"dcid": str(i), "name": f"n{i}"} for i in range(7)]
    pages: list[tuple[int, int, str]] = []

    def handler(r: httpx.Request) -> httpx.Response:
        p = r.url.params
        if r.url.path == "/ws/v1/metadata":
            return ok({"metadata": {"schema_table_query_max_page_size": "3"}})
        if r.url.path.endswith("/count"):
            return ok({"count": len(rows)})
        page, size = int(p["page"]), int(p["pagesize"])
        pages.append((page, size, p["projection"]))
        chunk = [{"id": int(x["dcid"]), "name": "students", "tables": {"students": x}}
                 for x in rows[(page - 1) * size: page * size]]
        return ok({"name": "Students", "record": chunk[0] if len(chunk) == 1 else chunk})

    client, _ = make(Server(handler))
    got = list(client.table_rows("Students", ["dcid", "name"]))
    assert got == rows
    assert pages == [(1, 3, "dcid,name"), (2, 3, "dcid,name"), (3, 3, "dcid,name")]


def test_credentials_come_from_arguments_or_the_environment() -> None:
    env = {"PS_CLIENT_ID": "id-env", "PS_CLIENT_SECRET": "secret-env"}
    assert resolve_credentials(env=env) == Credentials("id-env", "secret-env")
    assert resolve_credentials("a", "b", env=env) == Credentials("a", "b")
    with pytest.raises(PowerSchoolError, match="PS_CLIENT_SECRET not set"):
        resolve_credentials(env={"PS_CLIENT_ID": "x"})


def test_log_lines_never_hold_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    answers = iter([httpx.Response(503, text=json.dumps({"message": SECRET})), ok({"count": 1})])
    client, _ = make(Server(lambda r: next(answers)))
    with caplog.at_level("DEBUG"):
        client.table_count("students")
    assert "retry 1" in caplog.text and SECRET not in caplog.text


def test_sync_pulls_a_source_loaded_from_a_url_again(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench as wb
    from workbench.sandbox import generate_district
    from workbench.sources import powerschool
    from workbench.sync.run import reload_sources

    generate_district(tmp_path / "x", students=100, seed=3)
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(powerschool, "load_powerschool", lambda ws, url, **kw: calls.append((url, kw)))
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, tmp_path / "x", source="sis", id_prefix="P-", location=URL)
        reload_sources(ws, lambda _m: None)
    assert calls == [(URL, {"source": "sis", "id_prefix": "P-"})]


def test_the_service_url_is_recorded_without_credentials_or_slash() -> None:
    from workbench.sources.powerschool.pull import public_url

    assert public_url("https://user:pw@District.example.org:8443/") == "https://district.example.org:8443"
    assert public_url(" district.example.org ") == "https://district.example.org"
    with pytest.raises(PowerSchoolError, match="https://district.powerschool.com") as err:
        public_url("ftp://user:pw@host")
    assert "pw" not in str(err.value)


def test_a_pull_never_uses_or_removes_a_folder_that_is_not_a_pull(tmp_path: Any) -> None:
    from workbench.sources.powerschool import pull_tables

    (tmp_path / "mine.csv").write_text("a\n1\n")
    client, _ = make(Server(lambda r: ok({"count": 0})))
    with pytest.raises(PowerSchoolError, match="not a pull folder"):
        pull_tables(client, tmp_path)
    assert (tmp_path / "mine.csv").read_text() == "a\n1\n"


@pytest.mark.parametrize("reply", [httpx.Response(200, text="<html>portal</html>"),
                                   httpx.Response(404, text="Not Found")])
def test_a_server_that_is_not_powerschool_says_check_the_url(reply: httpx.Response) -> None:
    client = PowerSchoolClient("https://user:pw@www.example.org/", CREDS,
                               http=httpx.Client(transport=httpx.MockTransport(lambda r: reply)))
    assert client.url == "https://www.example.org"
    with pytest.raises(PowerSchoolError, match="check the Service URL") as err:
        client.token()
    assert "pw" not in str(err.value)


def test_a_pull_copes_with_upper_case_columns_and_left_out_empty_ones(tmp_path: Any) -> None:
    from workbench.sources.powerschool.pull import TablePull, pull_tables

    records = [{"DCID": "1", "NAME": "a"}, {"DCID": "2"}]  # the second row leaves NAME out

    def handler(r: httpx.Request) -> httpx.Response:
        if r.url.path.endswith("/count"):
            return ok({"count": 2})
        if r.url.path.endswith("/metadata"):
            return ok({"columns": [{"name": "DCID"}, {"name": "NAME"}, {"name": "OTHER"}]})
        if r.url.path.startswith("/ws/v1/"):
            return ok({"metadata": {}})
        return ok({"name": "ROLEDEF", "record": [{"id": 1, "tables": {"RoleDef": x}} for x in records]})

    client, _ = make(Server(handler))
    done = pull_tables(client, tmp_path, plan=[TablePull("RoleDef", ("dcid", "name", "rolekey"))])
    assert done["RoleDef"] == {"rows": 2, "fields": ["dcid", "name"]}
    assert (tmp_path / "RoleDef.csv").read_text() == "RoleDef.dcid,RoleDef.name\n1,a\n2,\n"
