"""The PowerSchool API client against the mock PowerSchool server over real HTTP on 127.0.0.1.

Reconciliation: the same sandbox district loaded from its extract and pulled over the API gives the
same canonical roster, row for row. Then wrong credentials, a plugin without a field, every fault
of the mock in turn, a broken pull resumed, Test Connection, the CLI, ``workbench sync``, and no
secret anywhere. Pages are small (40 rows) so that every table is read in several pages.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workbench as wb
from workbench.cli import main
from workbench.model.schema import ENTITIES
from workbench.sandbox import generate_district
from workbench.sandbox.mock_powerschool.context import Options
from workbench.sandbox.mock_powerschool.plugins import parse_plugin_xml, plugin_xml
from workbench.sandbox.mock_powerschool.rostering import rostering_fields
from workbench.sandbox.mock_powerschool.server import MockServer, _RequestHandler, serve_mock
from workbench.sources.powerschool import (
    AccessError,
    AuthError,
    Credentials,
    PowerSchoolClient,
    ServerError,
    load_powerschool,
    pull_plan,
    test_connection,
)
from workbench.sources.powerschool.pull import MANIFEST
from workbench.sync.run import reload_sources

PAGE = 40
LIMITED = "Limited plugin"


@pytest.fixture(autouse=True)
def _no_nagle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mock sends a reply's headers and body in two writes; with Nagle's algorithm on, each
    keep-alive reply then waits ~40 ms for the client's delayed ACK. Off until the mock sets it."""
    if not getattr(_RequestHandler, "disable_nagle_algorithm", False):
        monkeypatch.setattr(_RequestHandler, "disable_nagle_algorithm", True)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district") / "extract"
    generate_district(out, students=300, seed=1)
    return out


def stg_rows(ws: wb.Workspace) -> dict[str, list[str]]:
    """Every canonical table of source 'sis', as sorted row texts (without the load id)."""
    out = {}
    for entity in ENTITIES:
        cols = [c for (c,) in ws.query(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'stg' AND table_name = ? "
            "AND column_name <> 'load_id' ORDER BY column_index", [entity])]
        sel = ", ".join(f'"{c}"' for c in cols)
        out[entity] = sorted(repr(r) for r in ws.query(
            f'SELECT {sel} FROM stg."{entity}" WHERE source = ?', ["sis"]))
    return out


@pytest.fixture(scope="module")
def extract_roster(district: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    with wb.init_workspace(tmp_path_factory.mktemp("extract") / "ws") as ws:
        wb.load_path(ws, district, source="sis")
        return stg_rows(ws)


@pytest.fixture
def mock(district: Path) -> Iterator[MockServer]:
    columns = {f.stem: [h.split(".", 1)[1] for h in f.read_text().splitlines()[0].split(",")]
               for f in district.glob("*.csv")}
    fields = rostering_fields(columns)
    fields["Students"] = [f for f in fields["Students"] if f.lower() != "dob"]
    limited = parse_plugin_xml(plugin_xml(LIMITED, fields))
    with serve_mock(district, options=Options(max_page_size=PAGE), plugins=[limited]) as server:
        yield server


def fast_client(server: MockServer, slept: list[float] | None = None, **kw: Any) -> PowerSchoolClient:
    """A client that records its waits instead of sleeping them (the waits are checked)."""
    kw.setdefault("max_retries", 4)
    return PowerSchoolClient(server.url, Credentials(server.client_id, server.client_secret),
                             sleep=(slept.append if slept is not None else lambda _s: None), **kw)


def pull(server: MockServer, root: Path, client: PowerSchoolClient | None = None,
         **kw: Any) -> wb.Workspace:
    ws = wb.init_workspace(root / "ws")
    try:
        load_powerschool(ws, server.url, client_id=server.client_id,
                         client_secret=server.client_secret, source="sis",
                         client=client or fast_client(server), workers=3, **kw)
    except BaseException:
        ws.close()
        raise
    return ws


def table_hits(server: MockServer, table: str) -> int:
    path = f"/ws/schema/table/{table.lower()}"
    return len([h for h in server.hits("GET", path) if h.path in (path, f"{path}/count")])


def test_api_pull_and_extract_give_the_same_roster(mock: MockServer, tmp_path: Path,
                                                   extract_roster: dict[str, list[str]]) -> None:
    said: list[tuple[str, str]] = []
    with pull(mock, tmp_path, progress=lambda m: said.append((threading.current_thread().name, m))) as ws:
        assert stg_rows(ws) == extract_roster
        (source,) = ws.sources()
        assert (source["kind"], source["location"]) == ("powerschool", mock.url)
        assert not (tmp_path / "ws" / "pulls").exists()  # a complete pull is cleaned up
    assert sum(len(v) for v in extract_roster.values()) > 4000
    # every page of the biggest table was asked for, in pages of the server's maximum
    pages = mock.hits("GET", "/ws/schema/table/cc")
    assert {h.path for h in pages} >= {"/ws/schema/table/cc", "/ws/schema/table/cc/count"}
    assert all(f"pagesize={PAGE}" in h.query for h in pages if h.path == "/ws/schema/table/cc")
    assert mock.requests["POST /oauth/access_token"] == 1
    # progress comes from the calling thread only (Streamlit's status box needs that)
    assert {t for t, _ in said} == {threading.current_thread().name}
    assert sum(m.startswith("Pulled ") for _, m in said) == len(pull_plan())


def test_wrong_credentials_stop_the_pull_with_what_to_do(mock: MockServer, tmp_path: Path) -> None:
    ws = wb.init_workspace(tmp_path / "ws")
    with pytest.raises(AuthError) as err:
        load_powerschool(ws, mock.url, client_id=mock.client_id, client_secret="not-the-secret")
    assert "check the client ID and secret in the plugin's Data Provider Configuration" in str(err.value)
    assert "not-the-secret" not in str(err.value)
    assert ws.sources() == []
    ws.close()


def test_a_field_the_plugin_lacks_names_the_access_request_line(mock: MockServer,
                                                                tmp_path: Path) -> None:
    cid, secret = mock.credentials(LIMITED)
    ws = wb.init_workspace(tmp_path / "ws")
    with pytest.raises(AccessError) as err:
        load_powerschool(ws, mock.url, client_id=cid, client_secret=secret)
    assert err.value.fields == [("STUDENTS", "DOB")]
    assert ('add <field table="STUDENTS" field="DOB" access="ViewOnly"/> to the plugin\'s '
            "access_request") in str(err.value)
    assert "reinstall" in str(err.value)
    assert ws.sources() == []
    ws.close()


FAULTS = {
    "429 with Retry-After": dict(rate_limit_every=7, retry_after=1),
    "429 without Retry-After": dict(rate_limit_every=7, retry_after=None),
    "500": dict(error_every=6, error_status=500),
    "503": dict(error_every=6, error_status=503),
    "slow replies": dict(slow_every=25, slow_seconds=0.8),
    "token expiring mid-pull": dict(token_expires_after=15),
    "truncated JSON": dict(truncate_every=8),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_fault_is_survived_with_the_same_roster(
        fault: str, mock: MockServer, tmp_path: Path, extract_roster: dict[str, list[str]]) -> None:
    for name, value in FAULTS[fault].items():
        setattr(mock.faults, name, value)
    slept: list[float] = []
    client = fast_client(mock, slept, timeout=0.4 if fault == "slow replies" else 30)
    with pull(mock, tmp_path, client=client) as ws:
        assert stg_rows(ws) == extract_roster
    statuses = [h.status for h in mock.log]
    if fault.startswith("429"):
        assert statuses.count(429) >= 3
        waits = [s for s in slept if s == 1.0]
        assert (len(waits) >= 3) == (fault == "429 with Retry-After")  # Retry-After honoured
    elif fault in ("500", "503"):
        assert statuses.count(int(fault)) >= 3 and client.retries >= 3
    elif fault == "token expiring mid-pull":
        assert statuses.count(401) >= 2 and client.tokens_issued >= 3
        assert client.retries == 0  # a renewed token is not a retry
    else:  # slow replies time out; truncated replies do not parse: both are retried
        assert client.retries >= 3


def test_a_broken_pull_resumes_without_downloading_finished_tables(
        mock: MockServer, tmp_path: Path, extract_roster: dict[str, list[str]]) -> None:
    mock.faults.error_every = 150
    broken = fast_client(mock, max_retries=0)
    ws = wb.init_workspace(tmp_path / "ws")
    with pytest.raises(ServerError) as err:
        load_powerschool(ws, mock.url, source="sis", client=broken, workers=1)
    assert "server error 503" in str(err.value) and "try again later" in str(err.value)
    assert ws.sources() == []
    folder = next((tmp_path / "ws" / "pulls").iterdir())
    finished = json.loads((folder / MANIFEST).read_text())["tables"]
    assert 2 <= len(finished) < len(pull_plan())
    for table, entry in finished.items():
        assert (folder / f"{table}.csv").exists() and "rows" in entry
    before = {t: table_hits(mock, t) for t in finished}

    mock.faults.clear()
    load_powerschool(ws, mock.url, source="sis", client=fast_client(mock), workers=3)
    assert {t: table_hits(mock, t) for t in finished} == before  # not downloaded again
    assert stg_rows(ws) == extract_roster
    assert not folder.exists()
    ws.close()


def test_powerqueries_stream_or_page_the_same_rows(mock: MockServer) -> None:
    name = "com.pearson.core.student.student_dcid_id_map"
    with fast_client(mock) as client:
        streamed = list(client.query_rows(name, page_size=0))
        paged = list(client.query_rows(name, page_size=PAGE, order="students.dcid"))
    assert len(streamed) >= 300 and sorted(map(repr, streamed)) == sorted(map(repr, paged))
    assert set(streamed[0]) == {"dcid", "id"}


def test_test_connection_reports_each_check(mock: MockServer) -> None:
    checks = test_connection(mock.url, mock.client_id, mock.client_secret)
    assert all(c.ok for c in checks), [c.line() for c in checks if not c.ok]
    names = [c.name for c in checks]
    assert names[:3] == ["server", "credentials", "API access level"]
    assert "fields of Students" in names and "fields of U_DEF_EXT_STUDENTS" in names

    cid, secret = mock.credentials(LIMITED)
    limited = {c.name: c for c in test_connection(mock.url, cid, secret)}
    assert not limited["fields of Students"].ok
    assert '<field table="STUDENTS" field="DOB" access="ViewOnly"/>' in limited["fields of Students"].line()
    assert limited["fields of CC"].ok

    wrong = test_connection(mock.url, mock.client_id, "wrong")
    assert [c.status for c in wrong] == ["ok", "fail"]
    assert "Data Provider Configuration" in wrong[-1].line()

    mock.faults.v1_access = "NONE"
    level = {c.name: c for c in test_connection(mock.url, mock.client_id, mock.client_secret)}
    assert level["API access level"].status == "warn" and "NONE" in level["API access level"].detail


def test_test_connection_to_nothing_says_check_the_url() -> None:
    (check,) = test_connection("http://127.0.0.1:9", "id", "secret")
    assert not check.ok and "http://127.0.0.1:9" in check.line()
    assert "check the Service URL and the network" in check.line()
    (check,) = test_connection("ftp://somewhere", "id", "secret")
    assert not check.ok and "https://district.powerschool.com" in check.line()


def test_cli_load_and_test_connection(mock: MockServer, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    assert main(["init", str(ws)]) == 0
    monkeypatch.setenv("PS_CLIENT_ID", mock.client_id)
    monkeypatch.setenv("PS_CLIENT_SECRET", mock.client_secret)
    assert main(["load", str(ws), "--powerschool", mock.url, "--source", "sis", "--quiet"]) == 0
    assert "Load #1 of source 'sis' (powerschool)" in capsys.readouterr().out
    assert main(["test-connection", mock.url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK    server:") and "FAIL" not in out

    assert main(["load", str(ws)]) == 2
    assert "--powerschool URL" in capsys.readouterr().err
    monkeypatch.setenv("PS_CLIENT_SECRET", "wrong-secret")
    assert main(["load", str(ws), "--powerschool", mock.url]) == 2
    assert "Data Provider Configuration" in capsys.readouterr().err
    assert main(["test-connection", mock.url]) == 2
    assert "FAIL  credentials" in capsys.readouterr().out
    monkeypatch.delenv("PS_CLIENT_ID")
    assert main(["test-connection", mock.url]) == 2
    assert "PS_CLIENT_ID" in capsys.readouterr().err


def test_sync_reloads_an_api_source_with_credentials_from_the_environment(
        mock: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = pull(mock, tmp_path)
    tables_before = table_hits(mock, "students")
    monkeypatch.setenv("PS_CLIENT_ID", mock.client_id)
    monkeypatch.setenv("PS_CLIENT_SECRET", mock.client_secret)
    said: list[str] = []
    reload_sources(ws, said.append)
    assert said == [f"pulling sis from {mock.url}"]
    assert table_hits(mock, "students") > tables_before
    assert [r[0] for r in ws.query("SELECT location FROM meta.load ORDER BY load_id")] == [mock.url] * 2
    monkeypatch.delenv("PS_CLIENT_SECRET")
    with pytest.raises(wb.WorkbenchError, match="PS_CLIENT_SECRET"):
        reload_sources(ws, said.append)
    ws.close()


def test_no_secret_is_written_logged_or_raised(mock: MockServer, tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    limited = mock.credentials(LIMITED)
    secrets = [mock.client_id, mock.client_secret, *limited]
    mock.faults.error_every = 40
    mock.faults.token_expires_after = 60
    texts = []
    with caplog.at_level("DEBUG"):
        ws = wb.init_workspace(tmp_path / "ws")
        load_powerschool(ws, mock.url, client_id=mock.client_id, client_secret=mock.client_secret,
                         source="sis", progress=print, resume_dir=tmp_path / "pull")
        for bad in ([mock.client_id, mock.client_secret + "x"], [mock.client_id + "x", "y"]):
            with pytest.raises(AuthError) as auth:
                load_powerschool(ws, mock.url, client_id=bad[0], client_secret=bad[1])
            texts += [str(auth.value), repr(auth.value)]
        with pytest.raises(AccessError) as access:  # broken off: its finished tables stay
            load_powerschool(ws, mock.url, client_id=limited[0], client_secret=limited[1],
                             resume_dir=tmp_path / "pull2", progress=print)
        texts += [str(access.value), repr(access.value)]
        ws.close()
    assert "retry" in caplog.text
    texts += [caplog.text, *capsys.readouterr()]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "workbench.duckdb" for p in files)
    assert any(p.suffix == ".csv" for p in (tmp_path / "pull2").iterdir())
    for secret in secrets:
        assert not [t for t in texts if secret in t]
        assert not [p for p in files if secret.encode() in p.read_bytes()]
