"""Two-way sync: steward corrections sent back to PowerSchool over the API and read back.

Against the mock PowerSchool over real HTTP on 127.0.0.1 (a synthetic district of 150 students):
the district is pulled as source ``sis``, a corrected email is planned as a write-back, sent with
``POST /ws/v1/student``, confirmed by reading it back, and gone from the next plan once the source
is pulled again. Unsupported attributes are recorded as such; a plugin without v1 FULL access gets
the line to put in plugin.xml; no credential is printed or stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import workbench as wb
from workbench.cli import main
from workbench.rules import build_candidate
from workbench.rules.config import load_config, save_config
from workbench.rules.corrections import correct
from workbench.sandbox import generate_district
from workbench.sandbox.mock_powerschool.plugins import parse_plugin_xml, plugin_xml
from workbench.sandbox.mock_powerschool.rostering import rostering_fields
from workbench.sandbox.mock_powerschool.server import MockServer, _RequestHandler, serve_mock
from workbench.sources.powerschool import Credentials, PowerSchoolClient, load_powerschool
from workbench.sources.powerschool.client import WriteAccessError
from workbench.sync.plan import build_plan, plan_writebacks
from workbench.sync.writeback import send_writebacks, writeback_history

READ_ONLY = "Read-only plugin"
FIXED = "fixed@example.org"


@pytest.fixture(autouse=True)
def _no_nagle(monkeypatch: pytest.MonkeyPatch) -> None:
    if not getattr(_RequestHandler, "disable_nagle_algorithm", False):
        monkeypatch.setattr(_RequestHandler, "disable_nagle_algorithm", True)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district") / "extract"
    generate_district(out, students=150, seed=3)
    return out


@pytest.fixture
def mock(district: Path) -> Iterator[MockServer]:
    columns = {f.stem: [h.split(".", 1)[1] for h in f.read_text().splitlines()[0].split(",")]
               for f in district.glob("*.csv")}
    read_only = parse_plugin_xml(plugin_xml(READ_ONLY, rostering_fields(columns), v1_access="READ"))
    with serve_mock(district, plugins=[read_only]) as server:
        yield server


def client_of(server: MockServer, plugin: str | None = None) -> PowerSchoolClient:
    cid, secret = server.credentials(plugin) if plugin else (server.client_id, server.client_secret)
    return PowerSchoolClient(server.url, Credentials(cid, secret), sleep=lambda _s: None)


def pull(ws: wb.Workspace, server: MockServer) -> None:
    load_powerschool(ws, server.url, source="sis", client=client_of(server), workers=3)


def two_way(ws: wb.Workspace, attributes: list[str]) -> dict[str, Any]:
    cfg = load_config(ws)
    cfg["sources"] = [{"name": "sis", "kind": "powerschool_api", "sync_mode": "two_way"}]
    cfg["writeback"] = {"student": attributes}
    save_config(ws, cfg, author="ana", note="send fixed values back")
    return load_config(ws)


def a_student(ws: wb.Workspace) -> tuple[str, str]:
    """(sourced_id, current email) of a student with an email."""
    sid, email = ws.query("SELECT sourced_id, email FROM stg.student WHERE source = 'sis' "
                          "AND email IS NOT NULL ORDER BY sourced_id LIMIT 1")[0]
    return sid, email


def plan_now(ws: wb.Workspace, cfg: dict[str, Any]) -> Any:
    build_candidate(ws, cfg)
    return build_plan(ws, cfg)


def test_a_corrected_email_is_sent_confirmed_and_caught_up(mock: MockServer, tmp_path: Path) -> None:
    with wb.init_workspace(tmp_path / "ws") as ws:
        pull(ws, mock)
        cfg = two_way(ws, ["email", "given_name"])
        sid, before = a_student(ws)
        assert before != FIXED
        correct(ws, "student", sid, "email", FIXED, author="ana", note="typo in the domain")
        plan = plan_now(ws, cfg)
        assert plan.writebacks == 1
        (row,) = plan_writebacks(ws, plan.hash).itertuples()
        assert (row.sourced_id, row.attribute, row.source_value, row.value) == (sid, "email", before, FIXED)
        dcid = row.source_id[1:]

        posts = mock.requests["POST /ws/v1/student"]
        results = send_writebacks(ws, plan.hash, client=client_of(mock), author="ana")
        assert [(r.sourced_id, r.attribute, r.value, r.status) for r in results] == [
            (sid, "email", FIXED, "confirmed")]
        assert mock.requests["POST /ws/v1/student"] == posts + 1  # one write, counted
        assert mock.requests[f"GET /ws/v1/student/{dcid}"] >= 1  # read back
        recorded = writeback_history(ws, plan.hash)
        assert [(r[2], r[4], r[6], r[9]) for r in recorded] == [(sid, "email", "confirmed", "ana")]

        # the mock's data has it: the v1 student and the email tables the extract loader reads
        assert client_of(mock).read_student(dcid)["email"] == FIXED
        api = client_of(mock)
        (person,) = [r["person_id"] for r in api.table_rows("students", ["dcid", "person_id"],
                                                            q=f"dcid=={dcid}")]
        links = {r["emailaddressid"] for r in api.table_rows(
            "personemailaddressassoc", ["personid", "emailaddressid"], q=f"personid=={person}")}
        emails = {r["emailaddress"] for r in api.table_rows("emailaddress", "*")
                  if r["emailaddressid"] in links}
        assert FIXED in emails

        # the source caught up: no write-back pending, the candidate still has the value
        pull(ws, mock)
        assert ws.query("SELECT email FROM stg.student WHERE sourced_id = ?", [sid]) == [(FIXED,)]
        again = plan_now(ws, cfg)
        assert again.writebacks == 0
        assert ws.query("SELECT email FROM cand.student WHERE sourced_id = ?", [sid]) == [(FIXED,)]


def test_names_are_written_and_unsupported_attributes_recorded(mock: MockServer,
                                                               tmp_path: Path) -> None:
    with wb.init_workspace(tmp_path / "ws") as ws:
        pull(ws, mock)
        cfg = two_way(ws, ["given_name", "phone"])
        sid, _ = a_student(ws)
        correct(ws, "student", sid, "given_name", "Ximena", author="ana")
        correct(ws, "student", sid, "phone", "555-0100", author="ana")
        plan = plan_now(ws, cfg)
        assert plan.writebacks == 2
        results = {r.attribute: r for r in send_writebacks(ws, plan.hash, client=client_of(mock))}
        assert results["given_name"].status == "confirmed"
        assert results["phone"].status == "unsupported"
        assert "does not write phone" in results["phone"].message
        assert results["phone"].sent_at is None
        statuses = {(r[4], r[6]) for r in writeback_history(ws, plan.hash)}
        assert statuses == {("given_name", "confirmed"), ("phone", "unsupported")}
        dcid = ws.query("SELECT source_id FROM stg.student WHERE sourced_id = ?", [sid])[0][0][1:]
        assert client_of(mock).read_student(dcid)["given_name"] == "Ximena"


def test_a_plugin_without_v1_full_access_gets_what_to_set(mock: MockServer, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    cid, secret = mock.credentials(READ_ONLY)
    with pytest.raises(WriteAccessError) as err:
        client_of(mock, READ_ONLY).update_student("1", {"email": FIXED})
    assert 'accessLevelV1Api="FULL"' in str(err.value)
    with wb.init_workspace(tmp_path / "ws") as ws:
        pull(ws, mock)
        cfg = two_way(ws, ["email"])
        sid, before = a_student(ws)
        correct(ws, "student", sid, "email", FIXED)
        plan = plan_now(ws, cfg)
    monkeypatch.setenv("PS_CLIENT_ID", cid)
    monkeypatch.setenv("PS_CLIENT_SECRET", secret)
    capsys.readouterr()
    assert main(["writeback", str(tmp_path / "ws"), "--plan", plan.hash]) == 2
    out = capsys.readouterr().out
    assert out.startswith("failed") and 'accessLevelV1Api="FULL"' in out
    assert cid not in out and secret not in out
    with wb.open_workspace(tmp_path / "ws") as ws:
        recorded = writeback_history(ws)
        assert [r[6] for r in recorded] == ["failed"]
        assert all(cid not in str(v) and secret not in str(v) for r in recorded for v in r)
        dcid = ws.query("SELECT source_id FROM stg.student WHERE sourced_id = ?", [sid])[0][0][1:]
    assert client_of(mock).read_student(dcid)["email"] == before  # nothing was written

    # with the FULL plugin's credentials the CLI confirms it (exit 0)
    monkeypatch.setenv("PS_CLIENT_ID", mock.client_id)
    monkeypatch.setenv("PS_CLIENT_SECRET", mock.client_secret)
    assert main(["writeback", str(tmp_path / "ws"), "--plan", plan.hash[:8]]) == 0
    assert "confirmed" in capsys.readouterr().out


def test_the_mock_write_endpoint(mock: MockServer) -> None:
    token = client_of(mock).token()
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{mock.url}/ws/v1/student"
    assert httpx.post(url, content=b"<students/>", headers={**auth, "Content-Type": "text/xml"}).status_code == 415
    body = {"students": {"student": [{"client_uid": "7", "action": "UPDATE", "id": "nope",
                                      "name": {"last_name": "X"}}]}}
    result = httpx.post(url, json=body, headers=auth).json()["results"]
    assert result["update_count"] == 0 and result["result"]["status"] == "ERROR"
    dcid = client_of(mock).get("/ws/v1/district/student", pagesize=1)["students"]["student"]["id"]
    body["students"]["student"][0]["id"] = dcid
    result = httpx.post(url, json=body, headers=auth).json()["results"]
    assert result["update_count"] == 1 and result["insert_count"] == 0
    assert result["result"]["success_message"] == {"id": dcid, "ref": f"/ws/v1/student/{dcid}"}
    assert client_of(mock).read_student(dcid)["family_name"] == "X"
    ro = client_of(mock, READ_ONLY).token()
    assert httpx.post(url, json=body, headers={"Authorization": f"Bearer {ro}"}).status_code == 403
