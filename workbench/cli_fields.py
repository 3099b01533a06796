"""Custom fields from the command line: ``workbench plugin`` writes a PowerSchool plugin zip for
the fields an analyst picks, and (``--map``) saves the attributes they fill."""

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
        out = write_plugin_zip(plugin, args.out)
        added = add_fields_to_mapping(ws, picks, author=args.author) if args.map else {}
    summary = {"plugin": str(out), "name": plugin.name, "queries": [q.name for q in plugin.queries],
               "fields": [p.column for p in plugin.picks], "mapped": added}
    if args.json:
        print(json.dumps(summary, indent=2))
        return EXIT_OK
    print(f"Plugin {plugin.name!r} written to {out}: {len(plugin.picks)} field(s), "
          f"named queries {', '.join(summary['queries'])}")
    for entity, attrs in added.items():
        for attribute, spec in attrs.items():
            print(f"  mapped {entity}.{attribute} <- {spec['field']}")
    print("Install it in PowerSchool (System > System Settings > Plugin Management Configuration > "
          "Install), enable it, and pull with its client ID and secret.")
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    pl = sub.add_parser("plugin", help="write a PowerSchool plugin zip granting the rostering fields "
                        "plus the fields you pick, with a named query of them; --map also saves "
                        "the attributes they fill")
    pl.add_argument("workspace")
    pl.add_argument("--field", action="append", required=True, metavar="TABLE.FIELD[=entity.attribute]",
                    help="a field to add (repeatable), e.g. U_DEF_EXT_STUDENTS.laptop_tag")
    pl.add_argument("--out", required=True, help="the plugin zip to write")
    pl.add_argument("--name", help="the plugin name (at most 40 characters)")
    pl.add_argument("--plugin-version", default="1.0", help="the plugin version (default 1.0)")
    pl.add_argument("--map", action="store_true", help="also save the attribute mapping as a new "
                    "configuration version")
    pl.add_argument("--author")
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=cmd_plugin)
