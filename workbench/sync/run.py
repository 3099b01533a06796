"""Scripted and scheduled syncs: load every source again, plan, and commit unless held.

``run_sync`` reloads each source from the location it was last loaded from, rebuilds the candidate
roster under the saved configuration, builds the plan, and commits it, unless the plan is held or
the configuration asks a person to preview every sync (``advanced.preview_before_sync``): then the
plan waits for review (``outcome == "held"``, CLI exit 3). Every run is logged in ``sync.run``.

The schedule (``schedule`` in the configuration: ``daily`` or ``weekly`` on a ``weekday``, at
``time``, until ``expires``; and ``first_day_of_calendar``: also at midnight on the first day of
the school calendar, as the seed describes) is checked by ``due_run``: a scheduled moment that has
passed with no run since it is due. ``cron_line`` prints the equivalent crontab entry for hosts
that prefer cron to ``workbench schedule`` every few minutes.
"""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from workbench.errors import InputError
from workbench.rules import build_candidate
from workbench.rules.config import load_config
from workbench.sync.commit import commit_plan
from workbench.sync.plan import Plan, build_plan
from workbench.workspace import Workspace, author_name

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DDL = (
    "CREATE SCHEMA IF NOT EXISTS sync",
    "CREATE SEQUENCE IF NOT EXISTS sync.run_seq START 1",
    """CREATE TABLE IF NOT EXISTS sync.run (
        run_id BIGINT PRIMARY KEY, trigger VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL, outcome VARCHAR NOT NULL, plan_hash VARCHAR,
        version BIGINT, message VARCHAR)""",
)


@dataclass(frozen=True)
class SyncResult:
    outcome: str  # committed, held, unchanged
    plan: Plan
    version: int | None
    message: str


def _log(ws: Workspace, trigger: str, started: dt.datetime, result: SyncResult | None,
         message: str) -> None:
    with ws.transaction() as cur:
        for ddl in DDL:
            cur.execute(ddl)
        cur.execute("""INSERT INTO sync.run SELECT nextval('sync.run_seq'), ?, ?, ?, ?, ?, ?, ?""",
                    [trigger, started, dt.datetime.now(), result.outcome if result else "failed",
                     result.plan.hash if result else None, result.version if result else None,
                     message])


def reload_sources(ws: Workspace, say: Callable[[str], None]) -> None:
    """Load every source again from where it was last loaded from."""
    sources = ws.sources()
    if not sources:
        raise InputError.one("the workspace has no source to sync", field="source",
                             hint="load one first: workbench load WORKSPACE PATH",
                             outcome="Nothing was synced.")
    from workbench.load import load_path

    for src in sources:
        location = src.get("location")
        if location and location.startswith(("http://", "https://")):
            from workbench.sources.powerschool import load_powerschool

            say(f"pulling {src['name']} from {location}")  # credentials: PS_CLIENT_ID/SECRET
            load_powerschool(ws, location, source=src["name"], id_prefix=src["id_prefix"])
            continue
        if not location or not Path(location).exists():
            raise InputError.one(f"source {src['name']} was loaded from {location!r}, which is not "
                                 "there any more", field="location",
                                 hint=f"load it again by hand: workbench load WORKSPACE PATH "
                                 f"--source {src['name']}", outcome="Nothing was synced.")
        say(f"loading {src['name']} from {location}")
        load_path(ws, location, source=src["name"], id_prefix=src["id_prefix"], kind=src["kind"])


def run_sync(ws: Workspace, *, today: dt.date | None = None, author: str | None = None,
             reload: bool = True, trigger: str = "manual", now: dt.datetime | None = None,
             say: Callable[[str], None] = lambda _m: None) -> SyncResult:
    """Load, plan and commit unless held; logged in ``sync.run`` as started at ``now``."""
    started = now or dt.datetime.now()
    try:
        if reload:
            reload_sources(ws, say)
        config = load_config(ws)
        build_candidate(ws, config, today=today)
        plan = build_plan(ws, config, today=today)
        say(f"plan {plan.hash}: {plan.total('insert'):,} insert(s), {plan.total('update'):,} "
            f"update(s), {plan.total('delete'):,} delete(s)")
        result = _decide(ws, plan, config, author)
    except Exception as exc:
        _log(ws, trigger, started, None, str(exc).splitlines()[0])
        raise
    _log(ws, trigger, started, result, result.message)
    return result


def _decide(ws: Workspace, plan: Plan, config: Mapping[str, Any], author: str | None) -> SyncResult:
    if plan.total() == 0:
        return SyncResult("unchanged", plan, None, "nothing to commit: the roster is up to date")
    preview = bool((config.get("advanced") or {}).get("preview_before_sync", True))
    if plan.held or preview:
        why = ("; ".join(r.message for r in plan.hold_reasons) if plan.held
               else "the configuration asks to preview every sync (advanced.preview_before_sync)")
        return SyncResult("held", plan, None, f"plan {plan.hash} waits for review: {why}")
    version = commit_plan(ws, plan.hash, author=author_name(author or "workbench sync"))
    return SyncResult("committed", plan, version.version, f"committed version {version.version}")


def _last_run(ws: Workspace) -> dt.datetime | None:
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'sync' AND table_name = 'run'"):
        return None
    row = ws.query("SELECT max(started_at) FROM sync.run WHERE trigger = 'schedule'")
    return row[0][0] if row else None


def _first_day(ws: Workspace) -> dt.date | None:
    """The first day of the school calendar: the earliest start of the current school year."""
    cur = ws.cursor()
    try:
        row = cur.execute("""SELECT min(start_date) FROM stg.calendar WHERE school_year =
            (SELECT max(school_year) FROM stg.calendar)""").fetchone()
    except duckdb.Error:
        row = None
    finally:
        cur.close()
    return row[0] if row and row[0] else None


def scheduled_moments(schedule: Mapping[str, Any], now: dt.datetime,
                      first_day: dt.date | None) -> list[dt.datetime]:
    """The scheduled moments up to ``now`` worth checking: the latest regular one, and midnight of
    the first day of the calendar."""
    out = []
    freq = schedule.get("frequency", "off")
    hour, minute = (int(x) for x in str(schedule.get("time", "00:00")).split(":"))
    if freq in ("daily", "weekly"):
        moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if moment > now:
            moment -= dt.timedelta(days=1)
        if freq == "weekly":
            target = WEEKDAYS.index(schedule.get("weekday", "monday"))
            moment -= dt.timedelta(days=(moment.weekday() - target) % 7)
        out.append(moment)
    if schedule.get("first_day_of_calendar", True) and first_day is not None:
        midnight = dt.datetime.combine(first_day, dt.time())
        if midnight <= now:
            out.append(midnight)
    return out


def due_run(ws: Workspace, now: dt.datetime | None = None) -> tuple[dt.datetime | None, str]:
    """The scheduled moment that is due now (None if none), and why."""
    now = now or dt.datetime.now()
    schedule = load_config(ws).get("schedule") or {}
    expires = schedule.get("expires")
    if expires and now.date() > dt.date.fromisoformat(str(expires)):
        return None, f"the schedule expired on {expires}"
    moments = scheduled_moments(schedule, now, _first_day(ws))
    if not moments:
        return None, "no schedule: set schedule.frequency (daily or weekly) in the configuration"
    last = _last_run(ws)
    due = [m for m in moments if last is None or last < m]
    if not due:
        return None, f"not due: the last scheduled sync ran at {last:%Y-%m-%d %H:%M}"
    return max(due), f"due since {max(due):%Y-%m-%d %H:%M}"


def cron_line(ws: Workspace) -> str:
    """The crontab entry equivalent to the configured schedule."""
    schedule = load_config(ws).get("schedule") or {}
    hour, minute = (int(x) for x in str(schedule.get("time", "00:00")).split(":"))
    freq = schedule.get("frequency", "off")
    # cron runs `workbench schedule`, which checks the expiry date and logs the run
    command = (f"{shlex.quote(sys.executable)} -m workbench schedule "
               f"{shlex.quote(str(ws.root.resolve()))}")
    lines = []
    if freq != "off":
        day = "*" if freq == "daily" else str((WEEKDAYS.index(schedule.get("weekday", "monday")) + 1) % 7)
        lines.append(f"{minute} {hour} * * {day} {command}")
    first = _first_day(ws) if schedule.get("first_day_of_calendar", True) else None
    if first is not None:
        lines.append(f"0 0 {first.day} {first.month} * {command}")
    return "\n".join(lines) or "# no schedule: set schedule.frequency to daily or weekly"
