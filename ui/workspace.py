"""The workspace the app works on: opened for each script run, released between runs.

The path comes from ``WORKBENCH_WORKSPACE`` (default ``./demo/workspace``). DuckDB lets one process
at a time open a database file, so the app holds it only while a script run needs it: ``app.py``
runs every page inside ``workspace_session()``, the first run that needs the workspace opens it,
and the last one to finish closes it. Between runs the file is free, and a scheduled
``workbench sync`` (or any command) can write to it; while it does, the app says the workspace is
busy. Sessions share the one open connection; the core gives each query and each load its own
cursor, so sessions never share one. Read-only views (status, findings) are ``st.cache_data``
keyed on the workspace path and on a stamp of its data (latest load, committed version, loads
through the app), so a page never shows counts from before the latest load or sync, whoever ran it.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

import workbench as wb

from .formatting import escape_md

ENV_VAR = "WORKBENCH_WORKSPACE"
DEFAULT_WORKSPACE = "./demo/workspace"


class _Guard:
    """One per workspace and process: loads run one at a time and move the version on."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version = 0


class _Holder:
    """One per workspace and process: the open workspace while any script run uses it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.ws: wb.Workspace | None = None
        self.runs = 0

    def get(self) -> wb.Workspace:
        with self.lock:
            if self.ws is None:
                self.ws = wb.open_workspace(self.path)
            return self.ws

    def enter(self) -> None:
        with self.lock:
            self.runs += 1

    def leave(self) -> None:
        with self.lock:
            self.runs = max(0, self.runs - 1)
            if self.runs == 0:
                self.close()

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None


def workspace_path() -> Path:
    return Path(os.environ.get(ENV_VAR) or DEFAULT_WORKSPACE).expanduser().resolve()


def _release(holder: _Holder) -> None:
    with holder.lock:
        holder.close()


@st.cache_resource(show_spinner=False, on_release=_release)
def _holder(path: str) -> _Holder:
    return _Holder(path)


@contextmanager
def workspace_session() -> Iterator[None]:
    """Around one script run: the workspace is released when the last run using it ends."""
    holder = _holder(str(workspace_path()))
    holder.enter()
    try:
        yield
    finally:
        holder.leave()


@st.cache_resource(show_spinner=False)
def _guard(path: str) -> _Guard:
    return _Guard()


def _stamp(ws: wb.Workspace) -> tuple[Any, ...]:
    """What the cached views depend on: the latest load and the committed version."""
    row = ws.query("SELECT (SELECT max(load_id) FROM meta.load), (SELECT max(version) FROM "
                   "meta.config_version), (SELECT max(finished_at) FROM meta.load)")
    head = wb.sync.head_version(ws)
    return (*row[0], head)


def _current() -> tuple[wb.Workspace, str, Any]:
    ws = require_workspace()
    path = str(workspace_path())
    return ws, path, (_guard(path).version, _stamp(ws))


def require_workspace() -> wb.Workspace:
    """The open workspace; when there is none at the path, say what to do and stop the run.

    Every view below goes through here, so a page works even when Streamlit runs it without
    app.py (its legacy ``pages/`` folder mode does that on a first run and in AppTest).
    """
    path = workspace_path()
    try:
        return _holder(str(path)).get()
    except wb.WorkspaceError:
        _offer_new_workspace(path)
    except duckdb.Error as exc:
        st.error(
            f"The workspace at `{path}` cannot be opened: {escape_md(str(exc).splitlines()[0])}\n\n"
            "Another program (a running `workbench` command or a second copy of the app) may "
            "have it open. Close that program, then reload this page."
        )
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _offer_new_workspace(path: Path) -> None:
    st.warning(
        f"There is no workspace at `{path}`.\n\n"
        f"Build the demo district there with `python -m workbench demo {path}` and reload, "
        f"start the app with `{ENV_VAR}` pointing at an existing workspace, "
        "or create an empty workspace here and load an extract into it."
    )
    if st.button("Create an empty workspace here", key="create_workspace"):
        try:
            wb.init_workspace(path).close()
        except wb.WorkbenchError as exc:
            st.error(escape_md(str(exc)))
            return
        st.rerun()


@st.cache_data(show_spinner=False, max_entries=16)
def _status(_ws: wb.Workspace, path: str, version: int) -> dict[str, Any]:
    return wb.workspace_status(_ws)


@st.cache_data(show_spinner=False, max_entries=16)
def _findings(_ws: wb.Workspace, path: str, version: int) -> list[dict[str, Any]]:
    return wb.load_findings(_ws)


def status() -> dict[str, Any]:
    """``workbench.workspace_status`` of the app's workspace, as of its latest load."""
    return _status(*_current())


def latest_findings() -> list[dict[str, Any]]:
    """Findings of the latest load, most severe first (at most 1,000)."""
    return _findings(*_current())


def load_into_workspace(
    path: str | Path, *, source: str | None, id_prefix: str | None,
    progress: Callable[[str], None], location: str | None = None,
) -> wb.LoadResult:
    """Run ``workbench.load_path`` on the app's workspace; one load at a time per workspace."""
    return _one_load(lambda ws: wb.load_path(ws, path, source=source, id_prefix=id_prefix,
                                             progress=progress, location=location), progress)


def _one_load(run: Callable[[wb.Workspace], wb.LoadResult],
              progress: Callable[[str], None]) -> wb.LoadResult:
    """``run`` on the app's workspace, one load at a time per workspace; the cached views of the
    workspace are stale after it, whatever happened."""
    ws, key, _ = _current()
    guard = _guard(key)
    if guard.lock.locked():
        progress("Waiting for another load of this workspace to finish")
    with guard.lock:
        try:
            return run(ws)
        finally:
            guard.version += 1


def load_upload(
    name: str, data: bytes, *, source: str | None, id_prefix: str | None,
    progress: Callable[[str], None],
) -> wb.LoadResult:
    """Save an uploaded .zip under its own name in a temporary folder, then load it."""
    with tempfile.TemporaryDirectory(prefix="workbench-upload-") as tmp:
        target = Path(tmp) / (Path(name).name or "upload.zip")
        target.write_bytes(data)
        return load_into_workspace(target, source=source, id_prefix=id_prefix, progress=progress,
                                   location=f"upload: {target.name}")


def pull_into_workspace(url: str, client_id: str, client_secret: str, *, source: str | None,
                        id_prefix: str | None, progress: Callable[[str], None]) -> wb.LoadResult:
    """Pull a district through the PowerSchool API into the app's workspace (one load at a time);
    the credentials go to the client and nowhere else."""
    from workbench.sources.powerschool.pull import load_powerschool

    return _one_load(lambda ws: load_powerschool(
        ws, url, client_id=client_id, client_secret=client_secret, source=source or "powerschool",
        id_prefix=id_prefix, progress=progress), progress)


def powerschool_secrets() -> dict[str, str]:
    """``[powerschool]`` url, client_id and client_secret from Streamlit secrets, if any."""
    try:
        section = st.secrets.get("powerschool") or {}
    except (FileNotFoundError, KeyError, AttributeError):
        return {}
    except Exception:  # no secrets file at all: Streamlit raises its own error type
        return {}
    return {k: str(section[k]) for k in ("url", "client_id", "client_secret") if k in section}
