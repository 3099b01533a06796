"""Steward corrections from the command line: correct, corrections, undo-correction."""

from __future__ import annotations

import argparse
import json
from typing import Any

from workbench.workspace import open_workspace

EXIT_OK = 0


def _dict(c: Any) -> dict[str, Any]:
    return {"correction_id": c.correction_id, "entity": c.entity, "sourced_id": c.sourced_id,
            "attribute": c.attribute, "value": c.value, "author": c.author,
            "created_at": c.created_at.isoformat(timespec="seconds"), "note": c.note,
            "active": c.active, "reversed_by": c.reversed_by}


def cmd_correct(args: argparse.Namespace) -> int:
    from workbench.rules.corrections import correct

    with open_workspace(args.workspace) as ws:
        c = correct(ws, args.entity, args.sourced_id, args.attribute, args.value,
                    author=args.author, note=args.note)
    print(f"correction #{c.correction_id}: {c.entity} {c.sourced_id} {c.attribute} = {c.value!r} "
          f"by {c.author}; delivered from the next candidate roster on")
    return EXIT_OK


def cmd_corrections(args: argparse.Namespace) -> int:
    from workbench.rules.config import load_config
    from workbench.rules.corrections import list_corrections, pending_writebacks

    with open_workspace(args.workspace, read_only=True) as ws:
        found = [_dict(c) for c in list_corrections(ws)]
        pending = pending_writebacks(ws, load_config(ws))
    if args.json:
        print(json.dumps({"corrections": found,
                          "pending_writebacks": pending.to_dict(orient="records")}, indent=2))
        return EXIT_OK
    for c in found:
        state = "active" if c["active"] else f"reversed by {c['reversed_by']}"
        print(f"  #{c['correction_id']:<5} {c['entity']:<8} {c['sourced_id']:<14} {c['attribute']:<14} "
              f"{c['value']!r}  by {c['author']} ({state})  {c['note'] or ''}")
    if not found:
        print("No corrections yet.")
    if len(pending):
        print(f"{len(pending)} correction(s) to send back to two-way sources.")
    return EXIT_OK


def cmd_undo_correction(args: argparse.Namespace) -> int:
    from workbench.rules.corrections import undo_correction

    with open_workspace(args.workspace) as ws:
        c = undo_correction(ws, args.correction_id, author=args.author)
    print(f"correction #{c.correction_id} reversed by {c.reversed_by}")
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    co = sub.add_parser("correct", help="fix one value of one record; delivered until the source "
                        "catches up (and sent back to a two-way source when marked)")
    co.add_argument("workspace")
    co.add_argument("--entity", required=True)
    co.add_argument("sourced_id")
    co.add_argument("attribute")
    co.add_argument("value", help="the value to deliver ('' clears it)")
    co.add_argument("--author")
    co.add_argument("--note")
    co.set_defaults(func=cmd_correct)

    cl = sub.add_parser("corrections", help="the steward's corrections and the write-backs pending")
    cl.add_argument("workspace")
    cl.add_argument("--json", action="store_true")
    cl.set_defaults(func=cmd_corrections)

    uc = sub.add_parser("undo-correction", help="reverse a correction; the history is kept")
    uc.add_argument("workspace")
    uc.add_argument("correction_id", type=int)
    uc.add_argument("--author")
    uc.set_defaults(func=cmd_undo_correction)
