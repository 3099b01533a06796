"""The sync commands: plan, approve, commit, history, rollback, sync, schedule, writeback.

Exit codes beyond the common ones: 3 the plan is held (it waits for a person), 4 the plan is
stale (make a new one); ``writeback`` exits 2 unless every write-back was confirmed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from typing import Any

from workbench.errors import InputError
from workbench.workspace import open_workspace

EXIT_OK, EXIT_HELD, EXIT_STALE = 0, 3, 4
EXIT_NOT_CONFIRMED = 2
# how long sync and schedule wait for the app (or another command) to let go of the workspace
LOCK_WAIT = float(os.environ.get("WORKBENCH_LOCK_WAIT", "300"))


def _today(args: argparse.Namespace) -> dt.date | None:
    return dt.date.fromisoformat(args.today) if getattr(args, "today", None) else None


def _print_plan(doc: dict[str, Any]) -> None:
    print(f"plan {doc['hash']} against version {doc['head_version']} ({doc['mode']} mode)")
    for entity, c in doc["entities"].items():
        if any(c.values()):
            print(f"  {entity:<16} +{c['insert']:<8,} ~{c['update']:<8,} -{c['delete']:<8,}")
    if not any(any(c.values()) for c in doc["entities"].values()):
        print("  nothing to change: the committed roster is up to date")
    for cause in doc["causes"][:8]:
        print(f"  cause: {cause['label']} ({cause['changes']:,})")
    if doc["held"]:
        print("HELD:")
        for r in doc["hold_reasons"]:
            print(f"  {r['message']}")


def cmd_plan(args: argparse.Namespace) -> int:
    from workbench.rules import build_candidate
    from workbench.rules.config import load_config
    from workbench.sync.plan import build_plan

    with open_workspace(args.workspace) as ws:
        config = load_config(ws)
        build_candidate(ws, config, today=_today(args))
        doc = build_plan(ws, config, today=_today(args)).to_dict()
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
    else:
        _print_plan(doc)
    return EXIT_OK


def _filter(text: str) -> dict[str, str]:
    """``school=100,op=delete`` -> {"school": "100", "op": "delete"}."""
    out = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise InputError.one(f"{text!r} is not a filter", field="--include/--exclude",
                                 hint="write key=value pairs separated by commas, e.g. "
                                 "school=100,op=delete", outcome="Nothing was approved.")
        out[key.strip()] = value.strip()
    return out


def _held(exc: Exception) -> int:
    print(f"held: {exc}")
    return EXIT_HELD


def cmd_approve(args: argparse.Namespace) -> int:
    from workbench.sync.approve import HeldError, approve_plan

    selection = {"include": [_filter(f) for f in args.include or []],
                 "exclude": [_filter(f) for f in args.exclude or []]}
    with open_workspace(args.workspace) as ws:
        try:
            a = approve_plan(ws, args.plan, selection, author=args.author,
                             override_reason=args.override_hold)
        except HeldError as exc:
            return _held(exc)
    counts = ", ".join(f"{e} {' '.join(f'{op} {n:,}' for op, n in ops.items())}"
                       for e, ops in a.counts.items()) or "nothing"
    print(f"approval #{a.approval_id} of plan {a.plan_hash} by {a.author}: {counts}")
    return EXIT_OK


def cmd_commit(args: argparse.Namespace) -> int:
    from workbench.sync.approve import HeldError
    from workbench.sync.commit import StaleError, commit_plan

    with open_workspace(args.workspace) as ws:
        try:
            v = commit_plan(ws, args.plan, author=args.author, override_reason=args.override_hold,
                            note=args.note)
        except HeldError as exc:
            return _held(exc)
        except StaleError as exc:
            print(f"stale: {exc}")
            return EXIT_STALE
    print(f"committed version {v.version} by {v.author}: +{v.total('insert'):,} "
          f"~{v.total('update'):,} -{v.total('delete'):,}")
    return EXIT_OK


def _version_dict(v: Any) -> dict[str, Any]:
    return {"version": v.version, "committed_at": v.committed_at.isoformat(timespec="seconds"),
            "author": v.author, "kind": v.kind, "note": v.note, "restored_from": v.restored_from,
            "plan_hash": v.plan_hash, "config_version": v.config_version,
            "override_reason": v.override_reason, "counts": v.counts,
            "insert": v.total("insert"), "update": v.total("update"), "delete": v.total("delete")}


def _history_detail(args: argparse.Namespace) -> int:
    from workbench.sync.roster import diff_versions, roster_rows

    with open_workspace(args.workspace, read_only=True) as ws:
        if args.diff:
            frame = diff_versions(ws, args.diff[0], args.diff[1], entity=args.entity)
        else:
            frame = roster_rows(ws, args.entity or "student", args.show)
    if args.json:
        print(frame.to_json(orient="records", date_format="iso", default_handler=str))
    elif args.diff:
        for row in frame.itertuples():
            fields = ", ".join(f"{d['field']}: {d['before']!r} -> {d['after']!r}"
                               for d in (row.diff if row.diff is not None else []))
            print(f"  {row.entity:<16} {row.op:<7} {row.sourced_id:<14} {fields}")
        print(f"{len(frame):,} change(s) from version {args.diff[0]} to {args.diff[1]}")
    else:
        print(frame.to_csv(index=False), end="")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from workbench.sync import roster_history

    if args.diff or args.show is not None:
        return _history_detail(args)
    with open_workspace(args.workspace, read_only=True) as ws:
        versions = [_version_dict(v) for v in roster_history(ws)]
    if args.json:
        print(json.dumps(versions, indent=2))
        return EXIT_OK
    for v in versions:
        extra = f" (rollback to {v['restored_from']})" if v["kind"] == "rollback" else ""
        hold = f" [hold overridden: {v['override_reason']}]" if v["override_reason"] else ""
        print(f"  v{v['version']:<4} {v['committed_at']}  {v['author']:<12} +{v['insert']:<7,} "
              f"~{v['update']:<7,} -{v['delete']:<7,}{extra}{hold}  {v['note'] or ''}")
    if not versions:
        print("Nothing committed yet: workbench plan WORKSPACE, then workbench commit.")
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    from workbench.sync import rollback_roster

    with open_workspace(args.workspace) as ws:
        v = rollback_roster(ws, args.to, author=args.author, note=args.note)
    print(f"version {v.version} restores version {args.to}: +{v.total('insert'):,} "
          f"~{v.total('update'):,} -{v.total('delete'):,}")
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from workbench.sync.run import run_sync

    with open_workspace(args.workspace, wait=LOCK_WAIT) as ws:
        result = run_sync(ws, today=_today(args), author=args.author, reload=not args.no_reload,
                          say=print if not args.quiet else (lambda _m: None))
    print(result.message)
    return EXIT_HELD if result.outcome == "held" else EXIT_OK


def cmd_schedule(args: argparse.Namespace) -> int:
    from workbench.sync.run import cron_line, due_run, run_sync

    with open_workspace(args.workspace, wait=LOCK_WAIT) as ws:
        if args.cron:
            print(cron_line(ws))
            return EXIT_OK
        now = dt.datetime.fromisoformat(args.now) if args.now else None
        moment, why = due_run(ws, now)
        if moment is None:
            print(why)
            return EXIT_OK
        print(f"scheduled sync {why}")
        result = run_sync(ws, author="workbench schedule", trigger="schedule", now=now, say=print)
    print(result.message)
    return EXIT_HELD if result.outcome == "held" else EXIT_OK


def cmd_writeback(args: argparse.Namespace) -> int:
    from workbench.sync.writeback import send_writebacks

    with open_workspace(args.workspace) as ws:
        results = send_writebacks(ws, args.plan, author=args.author)
    for r in results:
        print(r.line())
    confirmed = sum(r.confirmed for r in results)
    print(f"{confirmed} of {len(results)} write-back(s) confirmed"
          if results else "the plan has no write-backs")
    return EXIT_OK if confirmed == len(results) else EXIT_NOT_CONFIRMED


def add_parsers(sub: Any) -> None:
    """The sync subcommands on ``sub`` (argparse subparsers)."""
    pl = sub.add_parser("plan", help="what a sync would change: per entity, field-level, with "
                        "causes and holds (stored under its hash)")
    pl.add_argument("workspace")
    pl.add_argument("--json", action="store_true")
    pl.add_argument("--today", help="plan as of this date (YYYY-MM-DD; default today)")
    pl.set_defaults(func=cmd_plan)

    ap = sub.add_parser("approve", help="approve a plan, whole or in part (--include/--exclude "
                        "key=value,... with entity, school, op, cause, sourced_id, field)")
    ap.add_argument("workspace")
    ap.add_argument("--plan", required=True, help="the plan hash (a unique prefix will do)")
    ap.add_argument("--include", action="append", help="approve only what matches (repeatable)")
    ap.add_argument("--exclude", action="append", help="leave out what matches (repeatable)")
    ap.add_argument("--override-hold", help="the written reason to approve past a hold")
    ap.add_argument("--author")
    ap.set_defaults(func=cmd_approve)

    co = sub.add_parser("commit", help="commit the approved plan atomically (exit 3 held, 4 stale)")
    co.add_argument("workspace")
    co.add_argument("--plan", required=True)
    co.add_argument("--override-hold", help="the written reason to commit past a hold")
    co.add_argument("--author")
    co.add_argument("--note")
    co.set_defaults(func=cmd_commit)

    hi = sub.add_parser("history", help="every committed version with its counts and approver")
    hi.add_argument("workspace")
    hi.add_argument("--json", action="store_true")
    hi.add_argument("--diff", nargs=2, type=int, metavar=("V1", "V2"),
                    help="what changed between two versions, field by field")
    hi.add_argument("--show", type=int, metavar="V", help="the rows of one version (CSV)")
    hi.add_argument("--entity", help="with --diff or --show: one entity (--show default: student)")
    hi.set_defaults(func=cmd_history)

    rb = sub.add_parser("rollback", help="a new version equal to an old one (nothing is erased)")
    rb.add_argument("workspace")
    rb.add_argument("--to", type=int, required=True, help="the version to restore")
    rb.add_argument("--author")
    rb.add_argument("--note")
    rb.set_defaults(func=cmd_rollback)

    sy = sub.add_parser("sync", help="load every source again, plan, and commit unless held (exit 3)")
    sy.add_argument("workspace")
    sy.add_argument("--today", help="as of this date (YYYY-MM-DD)")
    sy.add_argument("--author")
    sy.add_argument("--no-reload", action="store_true", help="plan from the loads already there")
    sy.add_argument("--quiet", action="store_true")
    sy.set_defaults(func=cmd_sync)

    sc = sub.add_parser("schedule", help="run the scheduled sync if it is due, or print the "
                        "equivalent cron line (--cron)")
    sc.add_argument("workspace")
    sc.add_argument("--cron", action="store_true", help="print the crontab entry instead")
    sc.add_argument("--now", help="check as of this moment (ISO date and time)")
    sc.set_defaults(func=cmd_schedule)

    wb = sub.add_parser("writeback", help="send a plan's write-backs to PowerSchool and read them "
                        "back (credentials from PS_CLIENT_ID, PS_CLIENT_SECRET; exit 2 unless "
                        "all are confirmed)")
    wb.add_argument("workspace")
    wb.add_argument("--plan", required=True, help="the plan hash (a unique prefix will do)")
    wb.add_argument("--author")
    wb.set_defaults(func=cmd_writeback)
