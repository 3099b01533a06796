"""Fields from the command line: ``workbench fields`` lists and profiles every field of the loaded
sources (field discovery), ``workbench plugin`` writes a PowerSchool plugin zip for the fields an
analyst picks, and (``--map``) saves the attributes they fill."""

from __future__ import annotations

import argparse
import json
from typing import Any

from workbench.errors import InputError, Problem
from workbench.workspace import open_workspace

EXIT_OK = 0


def _picks(texts: list[str]) -> list[Any]:
    from workbench.sources.powerschool.plugin import parse_pick

    picks, problems = [], []
    for text in texts:
        try:
            picks.append(parse_pick(text))
        except ValueError as exc:
            problems.append(Problem(str(exc), field="--field"))
    if problems:
        raise InputError(problems, "Nothing was written.")
    return picks


def cmd_plugin(args: argparse.Namespace) -> int:
    from workbench.sources.powerschool.plugin import (
        DEFAULT_NAME,
        add_fields_to_mapping,
        build_plugin,
        check_mapping,
        delivered_picks,
        write_plugin_zip,
    )

    picks = _picks(args.field)
    if args.map:
        check_mapping(picks)  # before anything is written
    try:
        plugin = build_plugin(picks, name=args.name or DEFAULT_NAME, version=args.plugin_version)
    except ValueError as exc:
        raise InputError([Problem(str(exc), field="--field")], "Nothing was written.") from None
    with open_workspace(args.workspace, read_only=not args.map) as ws:
        if not args.no_check:
            _check_loaded(ws, picks)
        out = write_plugin_zip(plugin, args.out)
        added = add_fields_to_mapping(ws, picks, author=args.author) if args.map else {}
    delivered = delivered_picks(picks) if args.map else []
    summary = {"plugin": str(out), "name": plugin.name, "queries": [q.name for q in plugin.queries],
               "fields": [p.column for p in plugin.picks], "mapped": added, "delivered": delivered}
    if args.json:
        print(json.dumps(summary, indent=2))
        return EXIT_OK
    print(f"Plugin {plugin.name!r} written to {out}: {len(plugin.picks)} field(s), "
          f"named queries {', '.join(summary['queries'])}")
    for entity, attrs in added.items():
        for attribute, spec in attrs.items():
            print(f"  mapped {entity}.{attribute} <- {spec['field']}")
    for name in delivered:
        print(f"  delivered with students as metadata.{name.rpartition('.')[2].lower()} ({name})")
    print("Install it in PowerSchool (System > System Settings > Plugin Management Configuration > "
          "Install), enable it, and pull with its client ID and secret.")
    return EXIT_OK


def _check_loaded(ws: Any, picks: list[Any]) -> None:
    """Refuse picks the workspace's PowerSchool data does not have (when it has some)."""
    from workbench.discovery import verify_fields

    if not any(s["kind"] == "powerschool" for s in ws.sources()):
        return
    check = verify_fields(ws, [p.column for p in picks])
    missing = check[~check["found"]]
    if not missing.empty:
        raise InputError([Problem(f"{name} is not a field of the loaded PowerSchool data",
                                  field="--field", hint=f"{hint}; or pass --no-check to write it anyway")
                          for name, hint in zip(missing["name"], missing["suggestion"], strict=True)],
                         "Nothing was written.")


_SHOWN = ("name", "used_as", "fill_rate", "distinct", "type", "patterns", "key")


def _records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records"))


def cmd_fields(args: argparse.Namespace) -> int:
    import pandas as pd

    from workbench import discovery

    if args.powerschool:
        return _server_fields(args)
    if not args.workspace:
        raise InputError([Problem("give a WORKSPACE, or --powerschool URL to ask a server",
                                  field="workspace")], "Nothing was read.")
    with open_workspace(args.workspace, read_only=True) as ws:
        if args.verify:
            frame = discovery.verify_fields(ws, args.verify, args.source)
        elif args.groups:
            frame = discovery.extension_groups(ws, args.source)
        elif args.tables:
            frame = discovery.list_tables(ws, args.source)
        else:
            frame = discovery.list_fields(ws, args.source, table=args.table, sample=args.sample)
            if args.find:
                frame = frame[frame["name"].str.contains(args.find, case=False, regex=False)]
    if args.json:
        print(json.dumps(_records(frame), indent=2, default=str))
        return 1 if args.verify and not frame["found"].all() else EXIT_OK
    if frame.empty:
        print("No field matches." if args.find else "Nothing loaded: load a source first.")
        return EXIT_OK
    shown = frame if args.verify or args.groups or args.tables else frame[list(_SHOWN)].assign(
        fill_rate=(frame["fill_rate"] * 100).round(1).astype(str) + "%")
    with pd.option_context("display.max_rows", None, "display.width", 200,
                           "display.max_colwidth", 60):
        print(shown.to_string(index=False))
    return 1 if args.verify and not frame["found"].all() else EXIT_OK


def _server_fields(args: argparse.Namespace) -> int:
    """``workbench fields --powerschool URL``: the server's fields from its table metadata, with
    the plugin's access to each (credentials from PS_CLIENT_ID / PS_CLIENT_SECRET)."""
    import pandas as pd

    from workbench import discovery

    if args.verify or args.groups or args.tables or args.workspace:
        raise InputError([Problem("--powerschool lists a server's fields; --verify, --groups, "
                                  "--tables and a WORKSPACE work on loaded data", field="--powerschool")],
                         "Nothing was read.")
    frame = discovery.discover_api(args.powerschool, tables=[args.table] if args.table else None,
                                   sample=min(args.sample, 1000))
    if args.find:
        frame = frame[frame["name"].str.contains(args.find, case=False, regex=False)]
    if args.json:
        print(json.dumps(_records(frame), indent=2, default=str))
        return EXIT_OK
    shown = frame[["name", "access", *_SHOWN[2:]]].assign(
        fill_rate=(frame["fill_rate"] * 100).round(1).astype(str) + "%")
    with pd.option_context("display.max_rows", None, "display.width", 200,
                           "display.max_colwidth", 60):
        print(shown.to_string(index=False) if not shown.empty else "No field matches.")
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    fd = sub.add_parser("fields", help="field discovery: every table and field of the loaded "
                        "sources with a profile (fill rate, distinct, type, shapes, keys), "
                        "extension groups, and a check of field names")
    fd.add_argument("workspace", nargs="?")
    fd.add_argument("--powerschool", metavar="URL", help="ask a PowerSchool server instead "
                    "(its table metadata and a sample of rows; credentials from PS_CLIENT_ID and "
                    "PS_CLIENT_SECRET): every field with the plugin's access to it")
    fd.add_argument("--source", help="one source (default: all)")
    fd.add_argument("--table", help="one table's fields")
    fd.add_argument("--find", metavar="TEXT", help="fields whose View Field List name contains TEXT")
    fd.add_argument("--tables", action="store_true", help="the tables, their kind and core table")
    fd.add_argument("--groups", action="store_true", help="the extension tables, what they hang "
                    "off, and rows that hang off nothing")
    fd.add_argument("--verify", nargs="+", metavar="NAME", help="check TABLE.FIELD (or bare "
                    "Students field) names; exit 1 when one is not there")
    fd.add_argument("--sample", type=int, default=20_000, help="rows sampled for types and shapes")
    fd.add_argument("--json", action="store_true")
    fd.set_defaults(func=cmd_fields)

    pl = sub.add_parser("plugin", help="write a PowerSchool plugin zip granting the rostering fields "
                        "plus the fields you pick, with a named query of them; --map also saves "
                        "the attributes they fill")
    pl.add_argument("workspace")
    pl.add_argument("--field", action="append", required=True, metavar="TABLE.FIELD[=entity.attribute]",
                    help="a field to add (repeatable), e.g. U_DEF_EXT_STUDENTS.laptop_tag")
    pl.add_argument("--out", required=True, help="the plugin zip to write")
    pl.add_argument("--name", help="the plugin name (at most 40 characters)")
    pl.add_argument("--plugin-version", default="1.0", help="the plugin version (default 1.0)")
    pl.add_argument("--map", action="store_true", help="also save, as a new configuration "
                    "version, the attributes the picks fill and the student extension picks "
                    "without one as delivered fields (OneRoster metadata.* columns)")
    pl.add_argument("--no-check", action="store_true", help="do not check the picks against the "
                    "workspace's loaded PowerSchool data")
    pl.add_argument("--author")
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=cmd_plugin)
