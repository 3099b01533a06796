"""The logistic regression fitted on steward decisions (recordlinkage), once there are enough."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import workbench as wb
from workbench.linkage import decide, find_duplicates, list_decisions, undo


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A 2,000-student district where a steward decided 12 true duplicates (merge) and 12 twin or
    sibling pairs (keep separate), as the sandbox truth says."""
    from workbench.sandbox import generate_district

    root = tmp_path_factory.mktemp("learned")
    generate_district(root / "d", students=2000, seed=7)
    truth = json.loads((root / "d" / "truth.json").read_text())
    ws = wb.init_workspace(root / "ws")
    wb.load_path(ws, root / "d", source="sis")
    default = find_duplicates(ws, "student")
    for a, b in [sorted(g)[:2] for g in truth["duplicate_students"][:12]]:
        decide(ws, "student", a, b, "merge", author="steward")
    apart = (truth["twins"] + truth["siblings_shared_email"])[:12]
    for a, b in apart:
        decide(ws, "student", a, b, "keep_separate", author="steward")
    yield {"ws": ws, "truth": truth, "default": default, "learned": find_duplicates(ws, "student")}
    ws.close()


def _pairs(groups: list[list[str]]) -> set[tuple[str, str]]:
    out = set()
    for g in groups:
        m = sorted(g)
        out |= {(a, b) for i, a in enumerate(m) for b in m[i + 1:]}
    return out


def test_before_enough_labels_the_default_model_scores(labelled: dict[str, Any]) -> None:
    assert labelled["default"].extra["model"] == {"model": "default"}


def test_enough_decisions_fit_a_logistic_regression(labelled: dict[str, Any]) -> None:
    model = labelled["learned"].extra["model"]
    assert model["model"] == "learned"
    assert model["labels"] == {"match": 12, "non_match": 12}
    w = model["weights"]
    assert w["given_name"]["exact"] > 0 > w["given_name"]["differ"]
    assert w["birth_date"]["exact"] > 0 > w["birth_date"]["differ"]
    assert model["training_pairs"] > 24 * 20  # the confident pairs join the steward's


def test_the_learned_model_explains_itself_and_holds_up(labelled: dict[str, Any]) -> None:
    d, truth = labelled["learned"], labelled["truth"]
    p = d.pairs
    scored = p[p["rule"] == "score"]
    assert len(scored) > 0
    for row in scored.itertuples():
        assert sum(row.contributions.values()) == pytest.approx(row.score, abs=1e-6)
        assert row.contributions["prior"] == pytest.approx(d.extra["model"]["intercept"])
    found = {(a, b) for a, b, band in zip(p["left"], p["right"], p["band"], strict=True) if band == "match"}
    true = _pairs(truth["duplicate_students"])
    assert len(found & true) / len(found) >= 0.99
    assert len(found & true) / len(true) >= 0.97
    twins = {tuple(sorted(t)) for t in truth["twins"]}
    assert not found & twins


def test_undoing_decisions_returns_to_the_default(labelled: dict[str, Any]) -> None:
    ws = labelled["ws"]
    for dec in list_decisions(ws, "student", active_only=True)[:3]:
        undo(ws, dec.decision_id, author="steward")
    assert find_duplicates(ws, "student").extra["model"] == {"model": "default"}
