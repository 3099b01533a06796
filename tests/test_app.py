"""The app's pages through Streamlit's AppTest, on real DuckDB workspaces in tmp_path.

Each test starts from app.py (the router) and moves between pages with ``switch_page``.
Streamlit still honours its legacy "pages/ folder" mode until the first ``st.navigation`` call
of the process, and AppTest resets that flag before every run; because our pages live in a
folder named ``pages/``, every AppTest run would go through the legacy mode and run a page
without app.py. ``app_on`` therefore keeps the flag off after AppTest resets it, as it is in a
live server after its first run. One test runs the legacy way on purpose: a page must still
work when Streamlit runs it without the router (a live server's very first run can do that).
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

import ui
import workbench as wb
from tests.conftest import workspace_status_of

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 30


def app_on(workspace: Path, monkeypatch: pytest.MonkeyPatch, *, router: bool = True) -> AppTest:
    """The app on ``workspace``, run once (Home). ``router=False``: legacy pages-folder mode."""
    monkeypatch.setenv(ui.ENV_VAR, str(workspace))
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)  # restored after the test
    if router:
        original = PagesManager.__init__

        def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            PagesManager.uses_pages_directory = False

        monkeypatch.setattr(PagesManager, "__init__", init)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    return at


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The one dataframe on the page that has all of ``columns``."""
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert len(found) == 1, f"{len(found)} tables with columns {columns}"
    return found[0]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_tiles(status: dict[str, Any]) -> dict[str, str]:
    return {ui.label(e): f"{n:,}" for e, n in status["counts"].items()}


def load_from_folder(at: AppTest, folder: Path | str, source: str = "", prefix: str = "") -> AppTest:
    at.switch_page("pages/load.py").run()
    at.radio(key="load_mode").set_value("Folder or .zip on the server").run()
    at.text_input(key="load_path").set_value(str(folder))
    at.text_input(key="load_source").set_value(source)
    at.text_input(key="load_prefix").set_value(prefix)
    at.button(key="load_button").click().run()
    assert not at.exception
    return at


def assert_refused(at: AppTest, *fragments: str) -> None:
    assert not at.success
    assert len(at.error) == 1
    message = at.error[0].value
    for fragment in (*fragments, ui.NOTHING_LOADED):
        assert fragment in message, message


# --- Home -----------------------------------------------------------------------------------

def test_home_on_an_empty_workspace_says_to_load(empty_workspace: Path, monkeypatch):
    at = app_on(empty_workspace, monkeypatch)
    assert at.title[0].value == "Workspace"
    assert "empty" in at.info[0].value and "**Load**" in at.info[0].value
    assert not at.metric and not at.dataframe
    assert at.sidebar.code[0].value == str(empty_workspace.resolve())
    at.switch_page("pages/load.py").run()
    assert at.title[0].value == "Load an extract"
    assert at.sidebar.code[0].value == str(empty_workspace.resolve())  # the shared sidebar


def test_home_shows_the_workspace_counts(loaded_workspace: Path, monkeypatch):
    status = workspace_status_of(loaded_workspace)
    at = app_on(loaded_workspace, monkeypatch)
    assert metrics(at) == expected_tiles(status)
    assert metrics(at)["Students"] == "3" and metrics(at)["Enrollments"] == "4"
    by_source = table(at, "Kind", "Students")
    assert by_source["Source"].tolist() == ["sis"]
    assert by_source.loc[0, "Students"] == status["counts_by_source"]["sis"]["student"]
    history = table(at, "Finished")
    assert history["Load"].tolist() == [status["loads"][0]["load_id"]]
    assert history.loc[0, "Findings"] == 1


def test_home_shows_the_latest_findings_most_severe_first(
    empty_workspace: Path, extract: Path, monkeypatch
):
    (extract / "Notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # an 'info' finding
    at = app_on(empty_workspace, monkeypatch)
    load_from_folder(at, extract, source="sis")
    at.switch_page("pages/home.py").run()
    findings = table(at, "Severity")
    assert findings["Severity"].tolist() == ["warning", "info"]
    assert findings.loc[0, "Rule"] == "orphan_cc"
    assert findings.loc[0, "File"] == "CC.csv" and findings.loc[0, "Value"] == "999"


def test_latest_changes_compare_with_the_previous_load_of_the_same_source():
    loads = [
        {"source": "sis", "counts": {"student": 10, "enrollment": 4}},
        {"source": "hr", "counts": {"student": 0, "enrollment": 99}},
        {"source": "sis", "counts": {"student": 12, "enrollment": 4}},
    ]
    assert ui.latest_changes(loads) == {"student": -2, "enrollment": 0}
    assert ui.latest_changes(loads[1:]) == {"student": 0, "enrollment": 99}
    assert ui.latest_changes([]) == {}


def test_markdown_escaping_keeps_file_names_intact():
    assert ui.escape_md("U_DEF_EXT_STUDENTS.csv *x*") == "U\\_DEF\\_EXT\\_STUDENTS.csv \\*x\\*"


def test_a_missing_workspace_can_be_created(tmp_path: Path, monkeypatch):
    at = app_on(tmp_path / "new", monkeypatch)
    assert "no workspace" in at.warning[0].value
    assert not at.title  # no page runs without a workspace
    at.button(key="create_workspace").click().run()
    assert not at.exception
    assert "empty" in at.info[0].value
    assert workspace_status_of(tmp_path / "new")["loads"] == []


def test_a_workspace_held_by_another_program_is_explained(loaded_workspace: Path, monkeypatch):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, workbench as wb; ws = wb.open_workspace(sys.argv[1]);"
         " print('open', flush=True); time.sleep(60)", str(loaded_workspace)],
        stdout=subprocess.PIPE, text=True, cwd=Path(APP).parent,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        at = app_on(loaded_workspace, monkeypatch)
        assert "cannot be opened" in at.error[0].value
        assert "Another program" in at.error[0].value
        assert not at.title
    finally:
        holder.kill()
        holder.wait()


# --- Load -----------------------------------------------------------------------------------

def test_load_a_folder_then_home_shows_the_new_totals(
    loaded_workspace: Path, second_extract: Path, monkeypatch
):
    before = workspace_status_of(loaded_workspace)
    at = app_on(loaded_workspace, monkeypatch)  # Home first: its views are now cached
    assert metrics(at)["Students"] == "3"

    load_from_folder(at, second_extract, source="district2", prefix="d2-")
    assert not at.error
    assert at.success[0].value.startswith("Load #2 of source 'district2' (powerschool)")
    counts = table(at, "Entity").set_index("Entity")["Records"]
    assert counts["Students"] == 5 and counts["Enrollments"] == 6
    assert table(at, "Rule", "Findings").to_dict("records") == [
        {"Rule": "orphan_cc", "Findings": 1}]

    after = workspace_status_of(loaded_workspace)
    assert after["counts"]["student"] == before["counts"]["student"] + 5
    assert {s["name"]: s["id_prefix"] for s in after["sources"]} == {"sis": "", "district2": "d2-"}

    at.switch_page("pages/home.py").run()
    assert metrics(at) == expected_tiles(after)
    assert metrics(at)["Students"] == "8"
    assert table(at, "Finished")["Source"].tolist() == ["district2", "sis"]


def test_load_an_uploaded_zip(empty_workspace: Path, extract: Path, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for f in sorted(extract.iterdir()):
            zf.write(f, f"export/{f.name}")
    at = app_on(empty_workspace, monkeypatch)
    at.switch_page("pages/load.py").run()
    at.file_uploader(key="load_zip").set_value(("district.zip", buffer.getvalue(),
                                                 "application/zip")).run()
    at.button(key="load_button").click().run()
    assert not at.exception and not at.error
    assert "of source 'powerschool'" in at.success[0].value
    status = workspace_status_of(empty_workspace)
    assert status["counts"]["student"] == 3
    assert status["loads"][0]["location"].endswith("district.zip")


def _break_students(extract: Path, change) -> Path:
    path = extract / "Students.csv"
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("\n".join(",".join(r) for r in change(rows)) + "\n", encoding="utf-8")
    return extract


def _without_dcid(rows: list[list[str]]) -> list[list[str]]:
    return [r[:1] + r[2:] for r in rows]


def _ragged_line_3(rows: list[list[str]]) -> list[list[str]]:
    rows[2].append("extra")
    return rows


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (_without_dcid, ["**Students.csv, line 1, field Students.dcid**", "no dcid column"]),
        (_ragged_line_3, ["**Students.csv, line 3**", "row has 13 fields, the header has 12",
                          "unquoted delimiter"]),
    ],
    ids=["missing-dcid", "ragged-row"],
)
def test_a_bad_extract_is_refused_with_located_problems(
    loaded_workspace: Path, second_extract: Path, monkeypatch, change, fragments
):
    before = workspace_status_of(loaded_workspace)
    at = app_on(loaded_workspace, monkeypatch)
    load_from_folder(at, _break_students(second_extract, change), source="sis")
    assert_refused(at, *fragments)
    assert workspace_status_of(loaded_workspace) == before
    at.switch_page("pages/home.py").run()
    assert metrics(at) == expected_tiles(before)


@pytest.mark.parametrize(
    ("folder", "source", "fragments"),
    [
        ("/no/such/extract", "", ["/no/such/extract does not exist"]),
        ("{extract}", "Bad Name", ["source name 'Bad Name' is not allowed"]),
        ("{empty}", "", ["found neither a OneRoster package nor PowerSchool table extracts"]),
    ],
    ids=["missing-path", "bad-source-name", "not-an-extract"],
)
def test_bad_load_requests_are_refused_without_a_traceback(
    loaded_workspace: Path, extract: Path, tmp_path: Path, monkeypatch, folder, source, fragments
):
    (tmp_path / "empty").mkdir()
    folder = folder.format(extract=extract, empty=tmp_path / "empty")
    before = workspace_status_of(loaded_workspace)
    at = app_on(loaded_workspace, monkeypatch)
    load_from_folder(at, folder, source=source)
    assert_refused(at, *fragments)
    assert workspace_status_of(loaded_workspace) == before


def test_an_unexpected_failure_is_explained_not_dumped(
    loaded_workspace: Path, extract: Path, monkeypatch
):
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    before = workspace_status_of(loaded_workspace)
    at = app_on(loaded_workspace, monkeypatch)
    monkeypatch.setattr(wb, "load_path", fail)  # the core, not the database
    load_from_folder(at, extract, source="sis")
    assert "RuntimeError: disk on fire" in at.error[0].value
    assert "nothing was loaded" in at.error[0].value
    assert "disk on fire" in at.expander[0].code[0].value
    assert workspace_status_of(loaded_workspace) == before


def test_load_without_input_asks_for_one(empty_workspace: Path, monkeypatch):
    at = app_on(empty_workspace, monkeypatch)
    at.switch_page("pages/load.py").run()
    at.button(key="load_button").click().run()
    assert not at.exception and not at.error
    assert "Choose a .zip" in at.warning[0].value


def test_a_first_run_on_a_page_url_goes_through_the_router(loaded_workspace: Path, monkeypatch):
    monkeypatch.setenv(ui.ENV_VAR, str(loaded_workspace))
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("pages/load.py").run()  # a fresh server whose first request is /load
    assert not at.exception
    assert at.title[0].value == "Workspace"  # sent through app.py, which shows Home
    assert at.sidebar.code[0].value == str(loaded_workspace.resolve())


def test_a_page_works_without_the_router(loaded_workspace: Path, extract: Path, monkeypatch):
    at = app_on(loaded_workspace, monkeypatch, router=False)
    load_from_folder(at, extract, source="sis")
    assert at.success[0].value.startswith("Load #2 of source 'sis'")
    assert not at.sidebar.code  # app.py did not run: the page stood on its own
