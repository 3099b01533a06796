"""workbench.explore: the read-only lists the steward's pages show, on real workspaces."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import workbench as wb
from workbench import explore, rules


def test_list_schools_with_student_counts(loaded_workspace: Path, second_extract: Path):
    with wb.open_workspace(loaded_workspace) as ws:
        wb.load_path(ws, second_extract, source="district2", id_prefix="d2-")
        schools = explore.list_schools(ws)
    assert [s["org_type"] for s in schools][:2] == ["district", "district"]  # district first
    by_id = {s["sourced_id"]: s for s in schools if s["org_type"] == "school"}
    assert {k: (v["school_number"], v["students"], v["source"]) for k, v in by_id.items()} == {
        "100": ("100", 3, "sis"), "d2-200": ("200", 5, "district2")}


def test_missing_values_per_attribute_and_school(loaded_workspace: Path):
    with wb.open_workspace(loaded_workspace) as ws:
        rows = explore.missing_values(ws, "student")
        assert all(r["missing"] == 0 for r in explore.missing_values(ws, "contact"))
        with pytest.raises(ValueError):
            explore.missing_values(ws, "students; DROP TABLE x")
    middle = next(r for r in rows if r["attribute"] == "middle_name")
    assert middle == {"school_sourced_id": "100", "school_name": "Maple Elementary",
                      "attribute": "middle_name", "missing": 3, "records": 3}
    assert next(r for r in rows if r["attribute"] == "family_name")["missing"] == 0
    assert "sourced_id" not in {r["attribute"] for r in rows}  # lineage is never missing


def test_findings_exist_once_a_candidate_roster_is_built(loaded_workspace: Path):
    with wb.open_workspace(loaded_workspace) as ws:
        assert explore.findings(ws) is None and explore.finding_counts(ws) is None
        config = rules.load_config(ws)
        config["requirements"] = {"student": {"email": "report_if_missing"}}
        rules.build_candidate(ws, config)
        assert explore.finding_counts(ws) == [
            {"entity": "student", "rule": "report_if_missing", "severity": "error", "findings": 3}]
        found = explore.findings(ws, limit=2)
    assert found is not None and len(found) == 2
    assert set(found[0]) == set(explore.FINDING_COLUMNS)


def test_contacts_count_at_their_first_students_school(tmp_path: Path):
    from workbench.sandbox import generate_district

    generate_district(tmp_path / "d", students=150, seed=2)
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, tmp_path / "d", source="sis")
        rows = explore.missing_values(ws, "contact")
        per_school = {r["school_sourced_id"]: r["records"] for r in rows if r["attribute"] == "email"}
        links = pd.DataFrame(ws.query("SELECT contact_sourced_id, student_sourced_id FROM stg.student_contact"),
                             columns=["contact", "student"])
        schools = dict(ws.query("SELECT sourced_id, school_sourced_id FROM stg.student"))
        contacts = [c for (c,) in ws.query("SELECT sourced_id FROM stg.contact")]
    first = links.assign(school=links["student"].map(schools)).groupby("contact")["school"].min()
    expected = pd.Series([first.get(c) for c in contacts]).value_counts(dropna=False)
    assert per_school == {(None if pd.isna(k) else k): int(n) for k, n in expected.items()}
    assert len([s for s in per_school if s is not None]) > 1  # not one "(none)" row


def test_a_draft_built_in_its_own_schema_keeps_its_own_findings(loaded_workspace: Path):
    with wb.open_workspace(loaded_workspace) as ws:
        rules.build_candidate(ws, rules.load_config(ws))
        saved = explore.findings(ws)
        draft = rules.load_config(ws)
        draft["requirements"] = {"student": {"email": "report_if_missing"}}
        summary = rules.build_candidate(ws, draft, schema="draft")
        assert explore.findings(ws) == saved  # the candidate roster's findings are untouched
        tried = explore.findings(ws, schema="draft")
        assert {f["sourced_id"] for f in tried if f["rule"] == "report_if_missing"} == {
            "S4101", "S4102", "S4103"}
        assert summary.findings["report_if_missing"] == 3
        assert explore.finding_counts(ws, schema="nothing_built") is None
        with pytest.raises(ValueError):
            explore.findings(ws, schema="x; DROP TABLE y")
