"""The impact preview counts duplicates the candidate roster would merge, as the build does."""

from __future__ import annotations

from pathlib import Path

import workbench as wb
from workbench.linkage import find_duplicates
from workbench.rules import build_candidate
from workbench.rules.config import load_config
from workbench.rules.impact import preview_impact
from workbench.sandbox import generate_district


def test_preview_and_build_agree_once_duplicates_are_clustered(tmp_path: Path) -> None:
    generate_district(tmp_path / "d", students=600, seed=7)
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, tmp_path / "d", source="sis")
        cfg = load_config(ws)
        before = preview_impact(ws, cfg)
        for entity in ("student", "contact"):
            find_duplicates(ws, entity)
        built = build_candidate(ws, cfg)
        after = preview_impact(ws, cfg)
    for entity in ("student", "contact"):
        assert after.kept(entity) == built.kept[entity]
    assert after.kept("contact") < before.kept("contact")  # the sandbox has duplicate parents
    merged = after.rules[after.rules["rule"] == "merged_duplicate"]
    assert set(merged["entity"]) >= {"contact"}
    assert int(merged["dropped_draft"].sum()) == built.dropped_by_rule.get("contact: merged_duplicate", 0) \
        + built.dropped_by_rule.get("student: merged_duplicate", 0)
