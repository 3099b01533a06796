"""Pull a district over the PowerSchool API into a workspace, through the extract loader.

``load_powerschool`` reads every table the PowerSchool extract loader reads, with exactly the
fields it reads (those the server's table has), from ``/ws/schema/table/{table}`` page by page,
and writes each table to ``<Table>.csv`` with ``TABLE.FIELD`` headers in a pull folder. Then it
loads that folder with ``workbench.load.load_path(kind="powerschool")``, so an API pull and an
extract of the same district land in the same raw and canonical tables through the same code. The
load history shows the server URL as the location, never a credential.

The pull is resumable: each finished table is written atomically (a hidden ``.part`` file renamed
into place) and noted in ``manifest.json`` with its row count. A pull broken off (network, server,
access) keeps its folder; the next pull of the same server into the same workspace downloads only
the tables that are missing. A complete pull is loaded and its folder removed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import operator
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workbench.sources.powerschool.client import PowerSchoolClient, public_url
from workbench.sources.powerschool.credentials import resolve_credentials
from workbench.sources.powerschool.errors import NotFoundError, PowerSchoolError
from workbench.sources.powerschool_tables import EXTENSION_PREFIXES, SPECS, STUDENT_EXTENSION_KEY

if TYPE_CHECKING:
    from workbench.load import LoadResult
    from workbench.workspace import Workspace

Progress = Callable[[str], None]

# Tables whose every column the loader reads (all go into the student's extension fields).
EXTENSION_TABLES = ("U_DEF_EXT_STUDENTS",)
_ALL_COLUMNS = {"studentcorefields"}
# The big tables first, so that the last table to finish is a small one.
_FIRST = ("CC", "Students", "StudentContactDetail", "StudentContactAssoc", "Person", "StudentRace",
          "StudentCoreFields", "U_DEF_EXT_STUDENTS")
MANIFEST = "manifest.json"
MAX_RESUME_AGE = dt.timedelta(hours=24)


@dataclass(frozen=True)
class TablePull:
    """One table to pull: its PowerSchool name and the fields the loader reads (None: all)."""

    table: str
    fields: tuple[str, ...] | None
    optional: bool = False  # an extension table the server may not have


def pull_plan(extension_tables: Sequence[str] = EXTENSION_TABLES) -> list[TablePull]:
    """Every table the extract loader reads, big ones first."""
    plan = [TablePull(s.name, None if key in _ALL_COLUMNS else s.known) for key, s in SPECS.items()]
    plan += [TablePull(t.upper(), None, optional=True) for t in extension_tables]
    order = {name.lower(): i for i, name in enumerate(_FIRST)}
    return sorted(plan, key=lambda p: order.get(p.table.lower(), len(order)))


def extension_tables_granted(client: PowerSchoolClient,
                             known: Sequence[str] = EXTENSION_TABLES) -> list[str]:
    """The student extension tables (``U_*``, ``S_*`` with a StudentsDCID column) beyond
    ``known`` of which the plugin may read a field: one table list, then one metadata request
    per candidate. Empty when the server does not list its tables."""
    skip = {t.lower() for t in known} | set(SPECS)
    found = []
    for name in client.table_names() or []:
        if name.lower() in skip or not name.lower().startswith(EXTENSION_PREFIXES):
            continue
        readable = client.table_columns(name, readable=True) or []
        if STUDENT_EXTENSION_KEY in readable and len(readable) > 1:
            found.append(name.upper())
    return found


def default_pull_dir(root: Path, url: str) -> Path:
    parts = urlsplit(url)
    name = (parts.hostname or "server") + (f"_{parts.port}" if parts.port else "")
    return root / "pulls" / name


class _Manifest:
    """The finished tables of a pull, rewritten atomically after each table."""

    def __init__(self, folder: Path, url: str, plan: list[TablePull]) -> None:
        self.path = folder / MANIFEST
        self._lock = threading.Lock()
        self.key = {"url": url, "plan": [[p.table, list(p.fields or ["*"])] for p in plan]}
        doc = self._read()
        fresh = (doc.get("key") == self.key and dt.datetime.now()
                 - dt.datetime.fromisoformat(doc.get("started_at", "1970-01-01")) < MAX_RESUME_AGE)
        self.started_at = doc["started_at"] if fresh else dt.datetime.now().isoformat()
        self.tables: dict[str, dict[str, Any]] = doc.get("tables", {}) if fresh else {}
        ours = {MANIFEST, f".{MANIFEST}.part"}
        ours |= {n for p in plan for n in (f"{p.table}.csv", f".{p.table}.csv.part")}
        if not doc and any(p.name not in ours for p in folder.iterdir()):
            raise PowerSchoolError(f"{folder} holds other files and is not a pull folder",
                                   "give an empty folder, or none (the default is under the "
                                   "workspace)")
        if not fresh:
            remove_pull(folder, plan, keep_folder=True)
        self.tables = {t: v for t, v in self.tables.items()
                       if v.get("absent") or (folder / f"{t}.csv").exists()}

    def _read(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def done(self, table: str, entry: dict[str, Any]) -> None:
        with self._lock:
            self.tables[table] = entry
            doc = {"key": self.key, "started_at": self.started_at, "tables": self.tables}
            tmp = self.path.with_name(f".{MANIFEST}.part")
            tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)


def remove_pull(folder: Path, plan: list[TablePull], *, keep_folder: bool = False) -> None:
    """Delete the files a pull writes (and then the folder and ``pulls/``, when empty)."""
    for tp in plan:
        for name in (f"{tp.table}.csv", f".{tp.table}.csv.part"):
            (folder / name).unlink(missing_ok=True)
    for name in (MANIFEST, f".{MANIFEST}.part"):
        (folder / name).unlink(missing_ok=True)
    if not keep_folder:
        with contextlib.suppress(OSError):
            folder.rmdir()
            if folder.parent.name == "pulls":
                folder.parent.rmdir()


def resolve_fields(client: PowerSchoolClient, tp: TablePull) -> list[str] | None:
    """The fields to project: the wanted ones the server's table has (when ``fields`` is None,
    all those the plugin may read); None when the server cannot list its columns and all are
    wanted."""
    if tp.fields is None:
        return client.table_columns(tp.table, readable=True)
    columns = client.table_columns(tp.table)
    if columns is None:
        return list(tp.fields)
    return [f for f in tp.fields if f in columns]


def pull_table(client: PowerSchoolClient, tp: TablePull, folder: Path,
               page_size: int | None = None) -> dict[str, Any]:
    """Write one table to ``<Table>.csv`` in ``folder`` (atomically); its manifest entry."""
    try:
        fields = resolve_fields(client, tp)
        if tp.optional and fields is not None and not [f for f in fields if f != STUDENT_EXTENSION_KEY]:
            return {"rows": 0, "absent": True}  # nothing of it granted to this plugin
        pages = client.table_records(tp.table, fields or "*", page_size=page_size)
        first = next(pages, [])
    except NotFoundError:
        if tp.optional:
            return {"rows": 0, "absent": True}
        raise
    if fields is None:  # no column list from the server: the columns of the first rows
        fields = list(dict.fromkeys(k for row in first for k in row)) or ["studentsdcid"]
    tmp = folder / f".{tp.table}.csv.part"
    rows = 0
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow([f"{tp.table}.{f}" for f in fields])
        pick = operator.itemgetter(*fields) if len(fields) > 1 else None
        for page in _chain(first, pages):
            out.writerows(_values(page, fields, pick))
            rows += len(page)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / f"{tp.table}.csv")
    return {"rows": rows, "fields": fields}


def _values(page: list[Any], fields: list[str], pick: Any) -> list[Any]:
    """The page's values in ``fields`` order (None is written as an empty field)."""
    if pick is not None:
        try:
            return list(map(pick, page))
        except KeyError:  # a server that leaves out empty columns
            pass
    return [[cols.get(f) for f in fields] for cols in page]


def _chain(first: list[Any], rest: Any) -> Any:
    if first:
        yield first
    yield from rest


def pull_tables(client: PowerSchoolClient, folder: Path, *, plan: list[TablePull] | None = None,
                workers: int = 4, page_size: int | None = None,
                progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    """Pull every table of ``plan`` missing from ``folder``'s manifest, ``workers`` at a time.

    Stops at the first error (tables already running finish and are kept) and raises it.
    """
    say = progress or (lambda _m: None)
    plan = plan if plan is not None else pull_plan()
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _Manifest(folder, client.url, plan)
    todo = [tp for tp in plan if tp.table not in manifest.tables]
    if len(todo) < len(plan):
        say(f"Resuming the pull from {client.url}: {len(plan) - len(todo)} table(s) already "
            "downloaded")
    stop = threading.Event()

    def one(tp: TablePull) -> dict[str, Any] | None:
        if stop.is_set():
            return None
        entry = pull_table(client, tp, folder, page_size)
        manifest.done(tp.table, entry)
        return entry

    error: BaseException | None = None
    # progress is reported from the calling thread only (the app's status box needs that)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="ps-pull") as pool:
        futures = {pool.submit(one, tp): tp for tp in todo}
        for done in as_completed(futures):
            if done.cancelled():
                continue
            if done.exception() is not None:
                if error is None:
                    error = done.exception()
                    stop.set()
                    for f in futures:
                        f.cancel()
                continue
            entry = done.result()
            if entry is not None:
                say(f"Pulled {futures[done].table}: " + (
                    "not on this server" if entry.get("absent") else f"{entry['rows']:,} row(s)"))
    if error is not None:
        raise error
    return manifest.tables


def load_powerschool(
    ws: Workspace,
    url: str,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    source: str = "powerschool",
    id_prefix: str | None = None,
    progress: Progress | None = None,
    resume_dir: str | Path | None = None,
    workers: int = 4,
    page_size: int | None = None,
    extension_tables: Sequence[str] = EXTENSION_TABLES,
    discover: bool = True,
    client: PowerSchoolClient | None = None,
) -> LoadResult:
    """Pull the district at ``url`` and load it into ``ws`` as ``source``; the ``LoadResult``.

    Credentials come from the arguments, else ``PS_CLIENT_ID`` / ``PS_CLIENT_SECRET``; they are
    never written anywhere. ``resume_dir`` is the pull folder (default
    ``<workspace>/pulls/<host>_<port>``). ``client`` overrides the client (tests, retry settings).
    Tables whose every column is wanted (StudentCoreFields, the extension tables) are pulled with
    the columns the plugin may read; ``discover`` also pulls every other student extension table
    the plugin grants a field of, so a custom plugin's fields land in the students' extensions.
    """
    from workbench.load import load_path

    say = progress or (lambda _m: None)
    location = public_url(url)
    folder = Path(resume_dir) if resume_dir else default_pull_dir(ws.root, location)
    own = client is None
    if client is None:
        client = PowerSchoolClient(location, resolve_credentials(client_id, client_secret))
    plan = pull_plan(extension_tables)
    try:
        if discover:
            plan = pull_plan([*extension_tables, *extension_tables_granted(client, extension_tables)])
        say(f"Pulling {location} into {folder}")
        pull_tables(client, folder, plan=plan, workers=workers,
                    page_size=page_size, progress=say)
    finally:
        if own:
            client.close()
    try:
        return load_path(ws, folder, source=source, id_prefix=id_prefix, kind="powerschool",
                         progress=say, location=location)
    finally:
        remove_pull(folder, plan)
