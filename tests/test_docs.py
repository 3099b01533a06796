"""Docs that tests keep honest: every CLI command is in the README, every entity in the mapping."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli import build_parser
from workbench.model.schema import ENTITIES

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [c for c in _commands() if f"workbench {c}" not in readme]
    assert not missing, f"README.md does not show: {missing}"


def test_every_canonical_entity_and_column_is_documented() -> None:
    mapping = (ROOT / "docs" / "mapping.md").read_text()
    missing = [e for e in ENTITIES if f"**{e}**" not in mapping and f"| {e} " not in mapping]
    assert not missing, f"docs/mapping.md does not describe: {missing}"


def test_readme_names_the_two_commands_that_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in ci
