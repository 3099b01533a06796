"""Send a plan's write-backs to PowerSchool, read each back, and record the outcome.

A write-back (``sync.plan_writeback``, listed by ``build_plan`` so the steward sees it first) is a
steward correction that a ``two_way`` source should get too. ``send_writebacks`` sends those of
one plan whose source was pulled over the PowerSchool API (``meta.source``: kind powerschool, the
Service URL as location): one ``POST /ws/v1/student`` UPDATE per student with every attribute of
``STUDENT_FIELDS`` (given, middle and family name, email), then ``GET /ws/v1/student/{dcid}``
to read the values back. Each write-back gets one row in ``sync.writeback``:

* ``confirmed``: the server now has the value;
* ``mismatch``: the update was accepted but the server reads back another value;
* ``failed``: the server refused the update or could not be reached (``message`` says what to do,
  e.g. set ``accessLevelV1Api="FULL"`` in the plugin);
* ``unsupported``: not an API source, not a student, or an attribute PowerSchool's student API
  does not take; nothing was sent, and ``message`` says why.

Credentials come from the arguments or ``PS_CLIENT_ID`` / ``PS_CLIENT_SECRET``; they are never
logged or stored (messages are masked). Once the source sends the corrected value itself, the next
plan no longer lists the write-back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from workbench.sources.powerschool.client import (
    STUDENT_FIELDS,
    PowerSchoolClient,
    WriteAccessError,
)
from workbench.sources.powerschool.credentials import resolve_credentials
from workbench.sources.powerschool.errors import PowerSchoolError, mask
from workbench.sync.plan import get_plan, plan_writebacks
from workbench.workspace import Workspace, author_name

STATUSES = ("confirmed", "mismatch", "failed", "unsupported")
DDL = (
    "CREATE SCHEMA IF NOT EXISTS sync",
    """CREATE TABLE IF NOT EXISTS sync.writeback (
        plan_hash VARCHAR NOT NULL, entity VARCHAR NOT NULL, sourced_id VARCHAR NOT NULL,
        source VARCHAR NOT NULL, attribute VARCHAR NOT NULL, value VARCHAR,
        status VARCHAR NOT NULL, message VARCHAR, sent_at TIMESTAMP, author VARCHAR NOT NULL)""",
)


@dataclass(frozen=True)
class WritebackResult:
    """The outcome of one write-back (one attribute of one record)."""

    entity: str
    sourced_id: str
    source: str
    attribute: str
    value: str | None
    status: str  # confirmed | mismatch | failed | unsupported
    message: str
    sent_at: dt.datetime | None = None

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"

    def line(self) -> str:
        """One line for the CLI."""
        return (f"{self.status:<11} {self.entity} {self.sourced_id} {self.attribute} = "
                f"{self.value!r} -> {self.source}: {self.message}")


def ensure(cur: duckdb.DuckDBPyConnection) -> None:
    for ddl in DDL:
        cur.execute(ddl)


def _api_sources(ws: Workspace) -> dict[str, str]:
    """source name -> Service URL, for the sources pulled over the PowerSchool API."""
    rows = ws.query("SELECT name, kind, location FROM meta.source")
    return {str(n): str(loc) for n, kind, loc in rows
            if kind == "powerschool" and str(loc or "").lower().startswith(("http://", "https://"))}


def _unsupported_reason(row: Any, sources: dict[str, str]) -> str | None:
    if row.source not in sources:
        return (f"source {row.source} was not pulled over the PowerSchool API, so there is "
                "nowhere to send it; load it with `workbench load WORKSPACE --powerschool URL`")
    if row.entity != "student":
        return (f"only students are written back to PowerSchool ({row.entity} is not); fix it "
                "in PowerSchool by hand")
    if row.attribute not in STUDENT_FIELDS:
        return (f"the workbench does not write {row.attribute} to PowerSchool (writable: "
                f"{', '.join(STUDENT_FIELDS)}); fix it in PowerSchool by hand")
    if not (str(row.source_id).startswith("S") and str(row.source_id)[1:].isdigit()):
        return f"{row.source_id} is not a PowerSchool student ID (S<DCID>)"
    return None


def _same(sent: str | None, read: str | None) -> bool:
    return (sent or "") == (read or "")


@contextmanager
def _client_for(url: str, client: PowerSchoolClient | None, client_id: str | None,
                client_secret: str | None) -> Iterator[PowerSchoolClient]:
    if client is not None:
        yield client
        return
    own = PowerSchoolClient(url, resolve_credentials(client_id, client_secret))
    try:
        yield own
    finally:
        own.close()


def _send_student(client: PowerSchoolClient, dcid: str, rows: list[Any],
                  secrets: tuple[str, ...]) -> list[tuple[Any, str, str]]:
    """(row, status, message) for each write-back of one student."""
    fields = {r.attribute: r.value for r in rows}
    try:
        client.update_student(dcid, fields)
    except WriteAccessError:
        raise
    except PowerSchoolError as exc:
        return [(r, "failed", mask(str(exc), secrets)) for r in rows]
    try:
        now = client.read_student(dcid)
    except PowerSchoolError as exc:
        why = mask(str(exc), secrets)
        return [(r, "failed", f"sent, but could not be read back: {why}") for r in rows]
    out = []
    for r in rows:
        if _same(r.value, now.get(r.attribute)):
            out.append((r, "confirmed", f"PowerSchool student {dcid} reads back the value"))
        else:
            out.append((r, "mismatch", f"PowerSchool accepted the update but student {dcid} "
                        f"reads back {now.get(r.attribute)!r}; check it in PowerSchool"))
    return out


def send_writebacks(ws: Workspace, plan_hash: str, *, client: PowerSchoolClient | None = None,
                    client_id: str | None = None, client_secret: str | None = None,
                    author: str | None = None) -> list[WritebackResult]:
    """Send the write-backs of a stored plan, read them back, record and return the outcomes.

    ``client`` (tests) is used for every API source; otherwise one client per Service URL with
    the given credentials, else ``PS_CLIENT_ID`` / ``PS_CLIENT_SECRET``. A missing credential
    raises ``PowerSchoolError`` before anything is sent.
    """
    plan = get_plan(ws, plan_hash)
    rows = list(plan_writebacks(ws, plan.hash).itertuples(index=False))
    sources = _api_sources(ws)
    who = author_name(author)
    results: list[WritebackResult] = []
    by_source: dict[str, dict[str, list[Any]]] = {}
    unsupported = []
    for row in rows:
        reason = _unsupported_reason(row, sources)
        if reason:
            unsupported.append((row, "unsupported", reason, None))
        else:
            by_source.setdefault(row.source, {}).setdefault(str(row.source_id)[1:], []).append(row)
    if client is None and by_source:  # fail before sending anything when credentials are missing
        resolve_credentials(client_id, client_secret)
    results += _record(ws, plan.hash, unsupported, who)
    for source, students in sorted(by_source.items()):
        with _client_for(sources[source], client, client_id, client_secret) as api:
            secrets = api.credentials.secrets
            refused: str | None = None
            for dcid, student_rows in sorted(students.items()):
                sent_at = dt.datetime.now()
                if refused is None:
                    try:
                        done = _send_student(api, dcid, student_rows, secrets)
                    except WriteAccessError as exc:  # the same answer for every student
                        refused = mask(str(exc), secrets)
                if refused is not None:
                    done = [(r, "failed", refused) for r in student_rows]
                # recorded as it goes: a run broken off keeps what was already sent
                results += _record(ws, plan.hash, [(r, st, msg, sent_at) for r, st, msg in done], who)
    return sorted(results, key=lambda w: (w.entity, w.sourced_id, w.attribute))


def _record(ws: Workspace, plan_hash: str, outcomes: list[tuple[Any, str, str, Any]],
            who: str) -> list[WritebackResult]:
    results = [WritebackResult(r.entity, r.sourced_id, r.source, r.attribute, r.value, status,
                               message, sent_at) for r, status, message, sent_at in outcomes]
    if not results:
        return results
    with ws.transaction() as cur:
        ensure(cur)
        for w in results:
            cur.execute("INSERT INTO sync.writeback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [plan_hash, w.entity, w.sourced_id, w.source, w.attribute, w.value,
                         w.status, w.message, w.sent_at, who])
    return results


def writeback_history(ws: Workspace, plan_hash: str | None = None) -> list[tuple[Any, ...]]:
    """The recorded outcomes (of one plan, or all), newest first."""
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'sync' "
                    "AND table_name = 'writeback'"):
        return []
    return ws.query("""SELECT plan_hash, entity, sourced_id, source, attribute, value, status,
        message, sent_at, author FROM sync.writeback WHERE ? IS NULL OR plan_hash = ?
        ORDER BY sent_at DESC NULLS LAST, entity, sourced_id, attribute""", [plan_hash, plan_hash])
