"""The whole flow once in a real browser: Home, Load a second source by path, Home again, then
Preview the sync plan, approve it and commit it.

The workspace is the demo district (the sandbox generator, ~300 students, loaded as 'sis'); the
second source is another generated district loaded as 'district2' with the ID prefix 'd2-'.

Starts ``streamlit run app.py`` on a free port with an isolated HOME, and drives Debian's
Chromium through Playwright (never ``playwright install``). Screenshots land in tmp_path.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import ui
import workbench as wb
from tests.conftest import workspace_status_of
from workbench.cli import build_demo_workspace
from workbench.sandbox import generate_district

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
STARTUP_SECONDS = 60
LOAD_SECONDS = 120_000  # milliseconds, for Playwright waits


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")


@contextmanager
def streamlit_app(workspace: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env | {ui.ENV_VAR: str(workspace)},
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)  # stop it by its PID
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def expected_after_load(extract: Path, tmp_path: Path, **load: Any) -> dict[str, int]:
    """Counts the extract adds, from loading it into a scratch workspace the same way."""
    with wb.init_workspace(tmp_path / "scratch") as ws:
        return wb.load_path(ws, extract, **load).counts


def metric_value(page: Any, label: str) -> Any:
    tile = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return tile.get_by_test_id("stMetricValue")


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium: `make chromium`)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_home_load_home_in_a_real_browser(tmp_path: Path, isolated_env, chromium):
    from playwright.sync_api import expect

    workspace = tmp_path / "workspace"
    assert build_demo_workspace(workspace, students=300, seed=1, force=False)
    before = workspace_status_of(workspace)["counts"]
    second = tmp_path / "extract2"
    generate_district(second, students=100, seed=2, fmt="powerschool")
    added = expected_after_load(second, tmp_path, source="district2", id_prefix="d2-")

    with streamlit_app(workspace, isolated_env, tmp_path / "streamlit.log") as url:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        page.goto(url)
        expect(page.get_by_role("heading", name="Workspace")).to_be_visible()
        expect(metric_value(page, "Students")).to_have_text(f"{before['student']:,}")
        expect(page.get_by_test_id("stSidebar").get_by_text(str(workspace.resolve()))).to_be_visible()
        page.screenshot(path=tmp_path / "home-before.png", full_page=True)

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Load").click()
        expect(page.get_by_role("heading", name="Load an extract")).to_be_visible()
        page.get_by_text("Folder or .zip on the server", exact=True).click()
        path_box = page.get_by_label("Server path (folder or .zip)", exact=True)
        path_box.fill(str(second))
        path_box.press("Tab")
        page.get_by_label("Source name", exact=True).fill("district2")
        page.get_by_label("ID prefix", exact=True).fill("d2-")
        page.get_by_label("ID prefix", exact=True).press("Tab")
        page.get_by_role("button", name="Load", exact=True).click()
        success = page.get_by_test_id("stAlertContentSuccess")
        expect(success).to_contain_text("Load #2 of source 'district2' (powerschool)",
                                        timeout=LOAD_SECONDS)
        page.screenshot(path=tmp_path / "load-done.png", full_page=True)

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Home").click()
        expect(page.get_by_role("heading", name="Workspace")).to_be_visible()
        for entity, label in (("student", "Students"), ("enrollment", "Enrollments")):
            total = before[entity] + added[entity]
            expect(metric_value(page, label)).to_have_text(f"{total:,}")
        expect(page.get_by_text("#2 of source 'district2'")).to_be_visible()
        page.screenshot(path=tmp_path / "home-after.png", full_page=True)

        nav = page.get_by_test_id("stSidebarNav")
        nav.get_by_role("link", name="Preview").click()
        expect(page.get_by_role("heading", name="Preview")).to_be_visible()
        page.get_by_role("button", name="Build the plan", exact=True).click()
        inserts = before["student"] + added["student"]
        expect(page.get_by_text("Changes per entity")).to_be_visible(timeout=LOAD_SECONDS)
        expect(metric_value(page, "Deletes")).to_have_text("0")
        expect(metric_value(page, "Inserts")).not_to_have_text("0")
        page.screenshot(path=tmp_path / "preview.png", full_page=True)

        nav.get_by_role("link", name="Commit").click()
        expect(page.get_by_role("heading", name="Commit", exact=True, level=1)).to_be_visible()
        page.get_by_label("Your name", exact=True).fill("sam")
        page.get_by_label("Your name", exact=True).press("Tab")
        page.get_by_role("button", name="Approve", exact=True).click()
        approved = page.get_by_test_id("stAlertContentSuccess")
        expect(approved).to_contain_text("Approval #1 by sam", timeout=LOAD_SECONDS)
        expect(approved).to_contain_text(f"Students: insert {inserts:,};")
        page.get_by_text("I have reviewed the approved changes").click()
        page.get_by_role("button", name="Commit", exact=True).click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
            "Committed version 1", timeout=LOAD_SECONDS)
        page.screenshot(path=tmp_path / "commit.png", full_page=True)

        # between script runs the app leaves the file free: a scheduled sync can write to it
        cli = subprocess.run([sys.executable, "-m", "workbench", "rollback", str(workspace),
                              "--to", "0", "--author", "cron"], env=isolated_env,
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stderr
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Commit").click()
        expect(page.get_by_text("rollback to v0").first).to_be_attached(timeout=LOAD_SECONDS)
    with wb.open_workspace(workspace, read_only=True) as ws:
        rows = ws.query("SELECT count(*) FROM roster.student WHERE v_from = 1")
        head = wb.sync.head_version(ws)
    assert rows[0][0] == inserts and head == 2
