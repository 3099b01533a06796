"""Command line: the same operations as the app, for scripts and schedules.

Every command that works on a workspace takes the workspace folder first. Exit codes: 0 done,
2 bad input or usage (nothing was changed), 1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench.cli_corrections import add_parsers as add_correction_parsers
from workbench.cli_fields import add_parsers as add_field_parsers
from workbench.cli_sync import add_parsers as add_sync_parsers
from workbench.errors import WorkbenchError
from workbench.load import load_path
from workbench.status import workspace_status
from workbench.workspace import init_workspace, open_workspace

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


def _print_status(status: dict[str, Any]) -> None:
    print(f"Workspace {status['workspace']}")
    width = max(len(e) for e in status["counts"])
    for entity, n in status["counts"].items():
        print(f"  {entity:<{width}}  {n:>10,}")
    if status["loads"]:
        print("Loads (newest first):")
        for load in status["loads"]:
            print(f"  #{load['load_id']:<4} {load['finished_at']}  {load['source']:<16} {load['kind']:<12}"
                  f" {load['seconds']:>8.2f}s  {load['findings']:>6} finding(s)  {load['location']}")
    else:
        print("No loads yet: `workbench load WORKSPACE PATH`.")


def cmd_demo_data(args: argparse.Namespace) -> int:
    from workbench.sandbox import generate_district

    summary = generate_district(
        args.out, students=args.students, seed=args.seed, fmt=args.format,
        header_style=args.header_style, progress=None if args.quiet else print,
    )
    print(json.dumps(summary, indent=2, default=str) if args.json else f"District written to {args.out}")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    ws = init_workspace(args.workspace)
    ws.close()
    print(f"Workspace created at {args.workspace}")
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    if bool(args.path) == bool(args.powerschool):
        raise WorkbenchError("give either PATH (an extract or package) or --powerschool URL")
    with open_workspace(args.workspace) as ws:
        if args.powerschool:
            from workbench.sources.powerschool import load_powerschool

            # credentials from PS_CLIENT_ID / PS_CLIENT_SECRET, never from the command line
            result = load_powerschool(ws, args.powerschool, source=args.source or "powerschool",
                                      id_prefix=args.id_prefix,
                                      progress=None if args.quiet else print)
        else:
            result = load_path(ws, args.path, source=args.source, id_prefix=args.id_prefix,
                               kind=args.kind, progress=None if args.quiet else print)
    counts = ", ".join(f"{n:,} {e}" for e, n in result.counts.items() if n)
    print(f"Load #{result.load_id} of source '{result.source}' ({result.kind}) done in "
          f"{result.seconds:.1f}s: {counts or 'no records'}; {result.findings} finding(s).")
    for rule, n in result.finding_rules.items():
        print(f"  {rule}: {n}")
    return EXIT_OK


def cmd_test_connection(args: argparse.Namespace) -> int:
    from workbench.sources.powerschool import resolve_credentials, test_connection

    creds = resolve_credentials()
    checks = test_connection(args.url, creds.client_id, creds.client_secret)
    for check in checks:
        print(check.line())
    return EXIT_OK if all(c.ok for c in checks) else EXIT_INPUT


def cmd_status(args: argparse.Namespace) -> int:
    with open_workspace(args.workspace, read_only=True) as ws:
        status = workspace_status(ws)
    if args.json:
        print(json.dumps(status, indent=2, default=str))
    else:
        _print_status(status)
    return EXIT_OK


def build_demo_workspace(workspace: Path, *, students: int, seed: int, force: bool,
                         history: bool = False) -> bool:
    """Generate the sandbox district and load it into a new workspace; False if it already exists.

    ``history``: also score duplicates, commit the first day as version 1 and load a second day
    (a few students renamed, two re-entered under new IDs), so the Preview page has a plan to show.
    The extracts stay in ``<workspace>/extracts/`` so that ``workbench sync`` can reload them.
    """
    from workbench.sandbox import generate_district

    if (workspace / "workbench.duckdb").exists() and not force:
        return False
    if force and workspace.exists():
        shutil.rmtree(workspace)
    extracts = workspace / "extracts"
    day1 = extracts / "day1"
    generate_district(day1, students=students, seed=seed, fmt="powerschool")
    with init_workspace(workspace) as ws:
        load_path(ws, day1, source="sis")
        if history:
            _demo_history(ws, day1, extracts)
    return True


def _demo_history(ws: Any, day1: Path, extracts: Path) -> None:
    from workbench.linkage import find_duplicates
    from workbench.rules import build_candidate
    from workbench.rules.config import load_config
    from workbench.sandbox.variants import rekey_students, rename_students
    from workbench.sync.commit import commit_plan
    from workbench.sync.plan import build_plan

    for entity in ("student", "contact", "teacher", "admin"):
        find_duplicates(ws, entity)
    config = load_config(ws)
    build_candidate(ws, config)
    commit_plan(ws, build_plan(ws, config).hash, author="demo", note="the first sync of the demo")
    with tempfile.TemporaryDirectory(prefix="workbench-demo-") as tmp:
        rename_students(day1, Path(tmp) / "renamed", count=5)
        rekey_students(Path(tmp) / "renamed", extracts / "day2", count=2)
    load_path(ws, extracts / "day2", source="sis")
    for entity in ("student", "contact"):
        find_duplicates(ws, entity)


def cmd_demo(args: argparse.Namespace) -> int:
    made = build_demo_workspace(Path(args.workspace), students=args.students, seed=args.seed,
                                force=args.force, history=not args.fresh)
    print(f"{'Built' if made else 'Kept existing'} demo workspace {args.workspace}")
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    from workbench import rules

    if args.action == "schema":
        print(json.dumps(rules.config_schema(), indent=2))
        return EXIT_OK
    read_only = args.action in ("show", "history", "diff") or (
        args.action == "validate")
    with open_workspace(args.workspace, read_only=read_only) as ws:
        return _config_action(ws, args, rules)


def _config_action(ws: Any, args: argparse.Namespace, rules: Any) -> int:
    action = args.action
    if action == "show":
        if args.version:
            print(rules.get_version(ws, args.version).yaml, end="")
        else:
            print(rules.dump_yaml(rules.load_config(ws)), end="")
    elif action == "validate":
        if args.file:
            rules.validate_config(rules.parse_yaml(Path(args.file).read_text(encoding="utf-8"),
                                                   file=Path(args.file).name),
                                  file=Path(args.file).name)
            print(f"{args.file} is valid")
        else:
            rules.validate_config(rules.load_config(ws))
            drift = rules.file_drift(ws)
            print("the saved configuration is valid")
            if drift:
                print("workbench.yaml was edited since the last saved version "
                      "(`workbench config WORKSPACE save` saves it):\n" + drift, end="")
    elif action == "save":
        v = rules.save_file(ws, Path(args.file) if args.file else None, author=args.author,
                            note=args.note)
        print(f"saved as version {v.version} by {v.author}")
        print(v.diff, end="")
    elif action == "history":
        versions = rules.history(ws)
        if args.json:
            print(json.dumps([{"version": v.version, "author": v.author,
                               "created_at": v.created_at.isoformat(timespec="seconds"),
                               "note": v.note, "diff": v.diff} for v in versions], indent=2))
        else:
            for v in versions:
                changed = sum(1 for line in v.diff.splitlines()
                              if line[:1] in "+-" and line[:3] not in ("+++", "---"))
                print(f"  v{v.version:<4} {v.created_at:%Y-%m-%d %H:%M:%S}  {v.author:<16} "
                      f"{changed:>4} line(s) changed  {v.note or ''}")
            if not versions:
                print("No saved configuration yet: the defaults apply (`workbench config WORKSPACE show`).")
    elif action == "diff":
        print(rules.diff_versions(ws, args.v1, args.v2) or "no difference", end="\n")
    elif action == "restore":
        v = rules.restore_version(ws, args.v1, author=args.author)
        print(f"version {args.v1} restored as version {v.version}")
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    from workbench import rules

    path = Path(args.config)
    if not path.exists():
        raise WorkbenchError(f"{path} does not exist; write a draft with "
                             "`workbench config WORKSPACE show > draft.yaml` and edit it")
    draft = rules.complete_config(rules.parse_yaml(path.read_text(encoding="utf-8"), file=path.name))
    rules.validate_config(draft, file=path.name)
    with open_workspace(args.workspace, read_only=True) as ws:
        impact = rules.preview_impact(ws, draft)
    if args.json:
        print(json.dumps(impact.to_dict(), indent=2, default=str))
        return EXIT_OK
    print(f"Impact of {path.name} against the saved configuration ({impact.seconds:.2f}s):")
    print(impact.entities.to_string(index=False))
    for key, n in impact.cascades.items():
        print(f"  {key}: {n:,}")
    if not impact.rules.empty:
        print("Rules that drop most:")
        print(impact.rules.to_string(index=False))
    return EXIT_OK


def _print_duplicates(doc: dict[str, Any], seconds: float) -> None:
    pairs, clusters = doc["pairs"], doc["clusters"]
    print(f"{doc['entity']}: {len(pairs)} pair(s), {len(clusters)} cluster(s) "
          f"({len(doc['guarded_clusters'])} guarded), {seconds:.2f}s")
    for p in pairs:
        reasons = [(k, v) for k, v in p["contributions"].items() if k != "prior"]
        top = sorted(reasons, key=lambda kv: -abs(kv[1]))[:3]
        why = ", ".join(f"{k} {v:+.1f}" for k, v in top)
        print(f"  {p['left']:<12} {p['right']:<12} {p['probability']:.3f} {p['band']:<9} "
              f"{p['rule']:<24} {why}")
    if doc["rekeys"]:
        print(f"{len(doc['rekeys'])} re-key(s): a committed record vanished and a new one matches it "
              "(re-link with `workbench decide ... --action relink`):")
    for r in doc["rekeys"]:
        print(f"  {r['old']:<12} -> {r['new']:<12} {r['probability']:.3f} {r['band']:<9} {r['rule']}")


def cmd_duplicates(args: argparse.Namespace) -> int:
    from workbench.linkage import find_duplicates

    with open_workspace(args.workspace) as ws:
        found = find_duplicates(ws, args.entity)
    doc = found.to_dict()
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
    else:
        _print_duplicates(doc, found.seconds)
    return EXIT_OK


def _decision_dict(d: Any) -> dict[str, Any]:
    return {"decision_id": d.decision_id, "entity": d.entity, "left": d.left_id, "right": d.right_id,
            "action": d.action, "author": d.author, "decided_at": d.decided_at.isoformat(timespec="seconds"),
            "note": d.note, "active": d.active, "reversed_by": d.reversed_by}


def cmd_decide(args: argparse.Namespace) -> int:
    from workbench.linkage import decide

    with open_workspace(args.workspace) as ws:
        d = decide(ws, args.entity, args.left, args.right, args.action, author=args.author,
                   note=args.note)
    print(f"decision #{d.decision_id}: {d.action} {d.left_id} and {d.right_id} ({d.entity}) by "
          f"{d.author}; applied from the next `workbench duplicates` on")
    return EXIT_OK


def cmd_decisions(args: argparse.Namespace) -> int:
    from workbench.linkage import list_decisions

    with open_workspace(args.workspace) as ws:
        found = [_decision_dict(d) for d in list_decisions(ws, args.entity)]
    if args.json:
        print(json.dumps(found, indent=2))
        return EXIT_OK
    for d in found:
        state = "active" if d["active"] else f"reversed by {d['reversed_by']}"
        print(f"  #{d['decision_id']:<5} {d['decided_at']}  {d['entity']:<8} {d['action']:<14} "
              f"{d['left']} ~ {d['right']}  by {d['author']}  ({state})  {d['note'] or ''}")
    if not found:
        print("No decisions yet.")
    return EXIT_OK


def cmd_undo_decision(args: argparse.Namespace) -> int:
    from workbench.linkage import undo

    with open_workspace(args.workspace) as ws:
        d = undo(ws, args.decision_id, author=args.author)
    print(f"decision #{d.decision_id} ({d.action} {d.left_id} and {d.right_id}) reversed by "
          f"{d.reversed_by}")
    return EXIT_OK


def cmd_golden(args: argparse.Namespace) -> int:
    from workbench.linkage.golden import build_golden

    with open_workspace(args.workspace) as ws:
        doc = build_golden(ws, args.entity).to_dict()
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
        return EXIT_OK
    print(f"{doc['entity']}: {len(doc['golden'])} golden record(s), one per cluster of "
          "`workbench duplicates`")
    for g in doc["golden"]:
        print(f"  {g['golden_id']}  <- {', '.join(g['members'])}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.sync.export import export_oneroster

    with open_workspace(args.workspace, read_only=True) as ws:
        result = export_oneroster(ws, Path(args.out), version=args.version,
                                  delta_since=args.delta_since, zip=args.zip)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
        return EXIT_OK
    what = "bulk" if result.mode == "bulk" else f"delta since version {result.since}"
    counts = ", ".join(f"{n:,} {f}" for f, n in result.counts.items()) or "no rows"
    print(f"OneRoster 1.1 {what} of version {result.version} written to {result.path} in "
          f"{result.seconds:.1f}s: {counts}; checked, {len(result.findings)} warning(s).")
    for f in result.findings[:20]:
        print(f"  {f.file or ''} {f.line or ''} {f.field or ''}: {f.rule}: {f.message}")
    return EXIT_OK


def cmd_mock_powerschool(args: argparse.Namespace) -> int:
    import time

    from workbench.sandbox.mock_powerschool import serve_mock

    try:
        with serve_mock(args.extract, students=args.students, seed=args.seed, port=args.port,
                        plugins=args.plugin or ()) as ps:
            what = args.extract or f"the sandbox district ({args.students} students, seed {args.seed})"
            print(f"Mock PowerSchool serving {what}")
            print(f"Service URL:   {ps.url}")
            print(f"Client ID:     {ps.client_id}")
            print(f"Client secret: {ps.client_secret}")
            for plugin in ps.plugins[1:]:
                print(f"Plugin {plugin.name!r}: client ID {plugin.client_id}, client secret {plugin.client_secret}")
            print("Ctrl-C stops it.", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="workbench", description="Roster Workbench: the data steward's "
                                "workbench for K-12 rosters.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo-data", help="write the synthetic sandbox district")
    d.add_argument("out", help="folder to write (must not exist or be empty)")
    d.add_argument("--students", type=int, default=2000)
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--format", choices=["powerschool", "oneroster"], default="powerschool")
    d.add_argument("--header-style", choices=["table.field", "bare", "bracket"], default="table.field")
    d.add_argument("--json", action="store_true", help="print the summary as JSON")
    d.add_argument("--quiet", action="store_true")
    d.set_defaults(func=cmd_demo_data)

    i = sub.add_parser("init", help="create a workspace folder")
    i.add_argument("workspace")
    i.set_defaults(func=cmd_init)

    ld = sub.add_parser("load", help="load a PowerSchool extract or OneRoster package (folder or zip)")
    ld.add_argument("workspace")
    ld.add_argument("path", nargs="?", help="folder, zip or file (not with --powerschool)")
    ld.add_argument("--powerschool", metavar="URL", help="pull over the PowerSchool API instead; "
                    "credentials from PS_CLIENT_ID and PS_CLIENT_SECRET")
    ld.add_argument("--source", help="source name (default: the format, e.g. powerschool)")
    ld.add_argument("--id-prefix", help="prefix for every ID of this source (default: as before, or none)")
    ld.add_argument("--kind", choices=["powerschool", "oneroster"], help="skip format detection")
    ld.add_argument("--quiet", action="store_true")
    ld.set_defaults(func=cmd_load)

    tc = sub.add_parser("test-connection", help="check a PowerSchool server: reachable, "
                        "credentials (PS_CLIENT_ID, PS_CLIENT_SECRET), API access, every field")
    tc.add_argument("url", help="the Service URL, e.g. https://district.powerschool.com")
    tc.set_defaults(func=cmd_test_connection)

    s = sub.add_parser("status", help="counts per canonical entity and the load history")
    s.add_argument("workspace")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)

    c = sub.add_parser("config", help="the steward's configuration: show, validate, save, history, "
                       "diff, restore, schema")
    c.add_argument("workspace")
    c.add_argument("action", choices=["show", "validate", "save", "history", "diff", "restore", "schema"])
    c.add_argument("v1", nargs="?", type=int, help="version (diff, restore)")
    c.add_argument("v2", nargs="?", type=int, help="second version (diff)")
    c.add_argument("--version", type=int, help="show this version instead of the current one")
    c.add_argument("--file", help="a YAML file (validate, save; default: the workspace's workbench.yaml)")
    c.add_argument("--author", help="who saves (default: $WORKBENCH_AUTHOR or the login name)")
    c.add_argument("--note", help="why (save)")
    c.add_argument("--json", action="store_true", help="history as JSON")
    c.set_defaults(func=cmd_config)

    pv = sub.add_parser("preview", help="impact of a draft configuration before saving it")
    pv.add_argument("workspace")
    pv.add_argument("--config", required=True, help="the draft YAML file")
    pv.add_argument("--json", action="store_true")
    pv.set_defaults(func=cmd_preview)

    de = sub.add_parser("decide", help="a steward decision on a duplicate pair (remembered)")
    de.add_argument("workspace")
    de.add_argument("--entity", required=True, choices=["student", "contact", "teacher", "admin"])
    de.add_argument("action", choices=["merge", "keep_separate", "relink"])
    de.add_argument("left")
    de.add_argument("right")
    de.add_argument("--author")
    de.add_argument("--note")
    de.set_defaults(func=cmd_decide)

    dl = sub.add_parser("decisions", help="the steward's duplicate decisions, active and reversed")
    dl.add_argument("workspace")
    dl.add_argument("--entity", choices=["student", "contact", "teacher", "admin"])
    dl.add_argument("--json", action="store_true")
    dl.set_defaults(func=cmd_decisions)

    ud = sub.add_parser("undo-decision", help="reverse a decision (e.g. unmerge); history is kept")
    ud.add_argument("workspace")
    ud.add_argument("decision_id", type=int)
    ud.add_argument("--author")
    ud.set_defaults(func=cmd_undo_decision)

    du = sub.add_parser("duplicates", help="duplicate pairs (exact, scored, ruled) with their reasons, "
                        "and clusters; stored in the link schema")
    du.add_argument("workspace")
    du.add_argument("--entity", choices=["student", "contact", "teacher", "admin"], default="student")
    du.add_argument("--json", action="store_true")
    du.set_defaults(func=cmd_duplicates)

    go = sub.add_parser("golden", help="golden records of the duplicate clusters by the master "
                        "fields, with lineage; stored in the link schema")
    go.add_argument("workspace")
    go.add_argument("--entity", choices=["student", "contact", "teacher", "admin"], default="student")
    go.add_argument("--json", action="store_true")
    go.set_defaults(func=cmd_golden)

    add_sync_parsers(sub)
    add_correction_parsers(sub)
    add_field_parsers(sub)

    ex = sub.add_parser("export", help="the committed roster as a OneRoster 1.1 CSV package (bulk, "
                        "or delta since a version), checked before it is written")
    ex.add_argument("workspace")
    ex.add_argument("out", help="folder to write (new or empty), or the zip file with --zip")
    ex.add_argument("--version", type=int, help="the committed version (default: the latest)")
    ex.add_argument("--delta-since", type=int, help="only what changed after this version")
    ex.add_argument("--zip", action="store_true", help="write one zip file")
    ex.add_argument("--json", action="store_true")
    ex.set_defaults(func=cmd_export)

    dm = sub.add_parser("demo", help="build the demo workspace (sandbox district, loaded)")
    dm.add_argument("workspace")
    dm.add_argument("--students", type=int, default=2000)
    dm.add_argument("--seed", type=int, default=1)
    dm.add_argument("--force", action="store_true", help="rebuild even if it exists")
    dm.add_argument("--fresh", action="store_true", help="only load the first day: no committed "
                    "version, no second day")
    dm.set_defaults(func=cmd_demo)

    mp = sub.add_parser("mock-powerschool", help="a mock PowerSchool server (OAuth, /ws/v1, /ws/schema, "
                        "PowerQueries) serving the sandbox district on 127.0.0.1, for demos and the connector")
    mp.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    mp.add_argument("--students", type=int, default=300)
    mp.add_argument("--seed", type=int, default=1)
    mp.add_argument("--extract", help="serve this PowerSchool extract folder instead of a new sandbox district")
    mp.add_argument("--plugin", action="append", help="a plugin folder or zip to install (repeatable)")
    mp.set_defaults(func=cmd_mock_powerschool)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was committed", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
