"""The Connect page through AppTest against the mock PowerSchool on 127.0.0.1: Test Connection
one line per check, a pull with progress into the workspace, and a clear message for a wrong
secret, which appears nowhere in the page."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb
from tests.test_app import app_on
from workbench.sandbox.mock_powerschool.server import serve_mock

PAGE = "pages/connect.py"


@pytest.fixture(scope="module")
def mock() -> object:
    with serve_mock(students=150, seed=4) as server:
        yield server


def _fill(at: object, url: str, client_id: str, secret: str) -> None:
    at.text_input(key="ps_url").set_value(url)
    at.text_input(key="ps_client_id").set_value(client_id)
    at.text_input(key="ps_client_secret").set_value(secret)
    at.text_input(key="ps_source").set_value("sis").run()


def test_test_connection_and_pull(mock: object, empty_workspace: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_on(empty_workspace, monkeypatch)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.button(key="ps_test").disabled
    _fill(at, mock.url, mock.client_id, mock.client_secret)
    at.button(key="ps_test").click().run()
    assert not at.exception, at.exception
    assert any("Every check passed" in s.value for s in at.success), [e.value for e in at.error]
    checks = at.dataframe[0].value
    assert len(checks) >= 3 and set(checks[""]) <= {"✅", "⚠️"}
    at.button(key="ps_pull").click().run()
    assert not at.exception, at.exception
    assert any("Load #1" in s.value for s in at.success), [s.value for s in at.success]
    with wb.open_workspace(empty_workspace) as ws:
        loads = ws.query("SELECT source, location FROM meta.load")
        students = ws.query("SELECT count(*) FROM stg.student")[0][0]
    assert loads == [("sis", mock.url)] and students >= 150


def test_a_wrong_secret_is_explained_and_never_shown(mock: object, empty_workspace: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_on(empty_workspace, monkeypatch)
    at.switch_page(PAGE).run()
    wrong = "not-the-secret-4711"
    _fill(at, mock.url, mock.client_id, wrong)
    at.button(key="ps_test").click().run()
    assert not at.exception, at.exception
    assert any("failed" in e.value for e in at.error)
    shown = " ".join(str(e.value) for e in at.error) + at.dataframe[0].value.to_string()
    assert "client ID and secret" in shown or "credentials" in shown.lower()
    assert wrong not in shown
    at.button(key="ps_pull").click().run()
    assert any("Nothing was loaded" in e.value or "unchanged" in e.value for e in at.error)
    assert not any(wrong in e.value for e in at.error)
    with wb.open_workspace(empty_workspace) as ws:
        assert ws.query("SELECT count(*) FROM meta.load")[0][0] == 0
