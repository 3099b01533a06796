"""A workspace: one folder holding ``workbench.duckdb`` and the steward's configuration.

DuckDB schemas name the stage: ``meta`` (sources and loads), ``raw`` (as loaded, text),
``stg`` (canonical roster), ``dq`` (findings). Later stages add ``link`` and ``sync``.
"""

from __future__ import annotations

import getpass
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from .errors import InputError, WorkbenchError, WorkspaceError
from .model.schema import ENTITIES, create_table_sql

DB_FILE = "workbench.duckdb"
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_META_DDL = (
    "CREATE SCHEMA IF NOT EXISTS meta",
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE SCHEMA IF NOT EXISTS stg",
    "CREATE SCHEMA IF NOT EXISTS dq",
    "CREATE SEQUENCE IF NOT EXISTS meta.load_seq START 1",
    """CREATE TABLE IF NOT EXISTS meta.source (
        name VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, id_prefix VARCHAR NOT NULL DEFAULT '',
        location VARCHAR, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS meta.load (
        load_id BIGINT PRIMARY KEY, source VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        location VARCHAR, id_prefix VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL, counts JSON, findings INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS meta.load_file (
        load_id BIGINT NOT NULL, file VARCHAR NOT NULL, table_name VARCHAR, sha256 VARCHAR NOT NULL,
        bytes BIGINT NOT NULL, rows BIGINT)""",
    # the file's own columns (field discovery tells them from the ones the loader added empty)
    "ALTER TABLE meta.load_file ADD COLUMN IF NOT EXISTS columns VARCHAR[]",
    """CREATE TABLE IF NOT EXISTS meta.config_version (
        version INTEGER PRIMARY KEY, author VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        yaml VARCHAR NOT NULL, diff VARCHAR NOT NULL, note VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS dq.load_finding (
        load_id BIGINT NOT NULL, source VARCHAR NOT NULL, file VARCHAR, line BIGINT, field VARCHAR,
        record_id VARCHAR, rule VARCHAR NOT NULL, severity VARCHAR NOT NULL, value VARCHAR,
        message VARCHAR NOT NULL)""",
)


def _connect(path: Path, *, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database; ``memory_limit`` (or WORKBENCH_MEMORY_LIMIT) caps DuckDB's memory."""
    config: dict[str, str] = {}
    limit = memory_limit or os.environ.get("WORKBENCH_MEMORY_LIMIT")
    if limit:
        config["memory_limit"] = limit
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "Could not set lock on file" not in str(exc):
            raise
        raise WorkspaceBusyError(_busy_message(path, str(exc))) from exc


class WorkspaceBusyError(WorkbenchError, duckdb.IOException):
    """Another process has the workspace open (DuckDB lets one process at a time open the file).

    Also a ``duckdb.IOException``, as before, so that callers which told it apart from a missing
    workspace (``WorkspaceError``) by catching DuckDB's error keep working."""


def _busy_message(path: Path, error: str) -> str:
    pid = re.search(r"\(PID (\d+)\)", error)
    holder = f" (PID {pid.group(1)})" if pid else ""
    return (f"the workspace {path.parent} is open in another process{holder}: the app, or another "
            "sync or workbench command. A workspace can be opened by one process at a time. "
            "Nothing was changed. Wait for that command to finish, or stop the app (or use the "
            "app itself), then try again.")


class Workspace:
    """An open workspace. Use one cursor per thread (``ws.cursor()``); the connection is shared."""

    def __init__(self, root: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.root = root
        self.con = con

    @property
    def db_path(self) -> Path:
        return self.root / DB_FILE

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing unit of work on a fresh cursor: commit on success, roll back on error."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            cur.close()
            raise
        cur.execute("COMMIT")
        cur.close()

    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        cur = self.cursor()
        try:
            return cur.execute(sql, params or []).fetchall()
        finally:
            cur.close()

    def sources(self) -> list[dict[str, Any]]:
        rows = self.query("SELECT name, kind, id_prefix, location FROM meta.source ORDER BY name")
        return [dict(zip(("name", "kind", "id_prefix", "location"), r, strict=True)) for r in rows]


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in _META_DDL:
        con.execute(ddl)
    for entity in ENTITIES:
        con.execute(create_table_sql(entity))


def init_workspace(path: str | Path, *, memory_limit: str | None = None) -> Workspace:
    """Create a workspace folder (or adopt an empty one) and its database."""
    root = Path(path)
    if (root / DB_FILE).exists():
        raise WorkspaceError(f"{root} is already a workspace (it has {DB_FILE}); open it instead.")
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} exists and is not a folder; choose another path.")
    root.mkdir(parents=True, exist_ok=True)
    con = _connect(root / DB_FILE, memory_limit=memory_limit)
    _ensure_schema(con)
    return Workspace(root, con)


def open_workspace(
    path: str | Path, *, read_only: bool = False, memory_limit: str | None = None,
    wait: float = 0.0,
) -> Workspace:
    """Open an existing workspace; the schema is brought up to date on open (unless read-only).

    ``wait``: seconds to keep trying while another process has it open (the app holds it only
    while a page runs, so a scheduled sync waits for a quiet moment).
    """
    root = Path(path)
    if not (root / DB_FILE).exists():
        raise WorkspaceError(
            f"{root} is not a workspace (no {DB_FILE}); create one with `workbench init {root}`."
        )
    deadline = time.monotonic() + wait
    while True:
        try:
            con = _connect(root / DB_FILE, read_only=read_only, memory_limit=memory_limit)
            break
        except WorkspaceBusyError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)
    if not read_only:
        _ensure_schema(con)
    return Workspace(root, con)


def author_name(author: str | None = None) -> str:
    """Who is acting: the given name, else $WORKBENCH_AUTHOR, else the login name."""
    if author:
        return author
    try:
        return os.environ.get("WORKBENCH_AUTHOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def check_source_name(name: str) -> str:
    if not SOURCE_NAME.match(name):
        raise InputError.one(
            f"source name {name!r} is not allowed",
            field="source",
            hint="use lower-case letters, digits and _, starting with a letter (at most 40 "
            "characters), e.g. 'sis' or 'staff_directory'",
        )
    return name
