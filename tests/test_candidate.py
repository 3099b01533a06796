"""The candidate roster and the impact preview on a sandbox district."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import workbench as wb
from workbench.errors import InputError
from workbench.model.schema import ENTITIES
from workbench.rules import build_candidate, default_config, preview_impact, save_config
from workbench.sandbox import generate_district

TODAY = dt.date(2026, 11, 2)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[wb.Workspace, dict[str, Any]]:
    root = tmp_path_factory.mktemp("cand")
    generate_district(root / "extract", students=500, seed=2)
    ws = wb.init_workspace(root / "ws")
    wb.load_path(ws, root / "extract", source="sis")
    truth = json.loads((root / "extract" / "truth.json").read_text(encoding="utf-8"))
    return ws, truth


def ids(ws: wb.Workspace, sql: str, params: list[Any] | None = None) -> set[Any]:
    return {r[0] for r in ws.query(sql, params)}


def n(ws: wb.Workspace, sql: str, params: list[Any] | None = None) -> int:
    return int(ws.query(sql, params)[0][0])


def two_schools(ws: wb.Workspace) -> list[str]:
    return [r[0] for r in ws.query("SELECT sourced_id FROM stg.school WHERE org_type = 'school' "
                                   "ORDER BY sourced_id LIMIT 2")]


def restricted(ws: wb.Workspace) -> dict[str, Any]:
    """Two schools, active students only, contacts must have an e-mail."""
    config = default_config()
    config["schools"] = {"mode": "selected", "selected": two_schools(ws), "flag_missing": True}
    config["filters"] = {"student": {"rules": [{"template": "active_students",
                                                "name": "active students"}]}}
    config["requirements"] = {"contact": {"email": "skip_if_missing"}}
    return config


def assert_partition(ws: wb.Workspace) -> None:
    """Every loaded record is either delivered or dropped, once."""
    for entity in ENTITIES:
        total = n(ws, f'SELECT count(*) FROM stg."{entity}"')
        kept = n(ws, f'SELECT count(*) FROM cand."{entity}"')
        dropped = n(ws, "SELECT count(*) FROM cand.dropped WHERE entity = ?", [entity])
        assert kept + dropped == total, entity


def test_default_config_keeps_all_but_co_teachers(district: tuple[wb.Workspace, Any]) -> None:
    ws, _ = district
    summary = build_candidate(ws, default_config(), today=TODAY)
    co = n(ws, "SELECT count(*) FROM stg.enrollment WHERE role = 'teacher' AND NOT is_primary")
    assert co > 0 and summary.dropped_by_rule == {"enrollment: co_teacher": co}
    assert summary.kept["student"] == n(ws, "SELECT count(*) FROM stg.student")
    assert_partition(ws)
    cols = ws.query("SELECT table_name, list(column_name ORDER BY column_index) FROM "
                    "duckdb_columns() WHERE schema_name IN ('stg', 'cand') AND table_name <> "
                    "'dropped' GROUP BY schema_name, table_name ORDER BY 1, schema_name")
    for (a, ca), (b, cb) in zip(cols[::2], cols[1::2], strict=True):
        assert a == b and ca == cb


def test_two_schools_active_students_contact_email(district: tuple[wb.Workspace, Any]) -> None:
    ws, _ = district
    schools = two_schools(ws)
    build_candidate(ws, restricted(ws), today=TODAY)
    assert_partition(ws)
    assert ids(ws, "SELECT DISTINCT school_sourced_id FROM cand.student") <= set(schools)
    assert ids(ws, "SELECT DISTINCT enroll_status FROM cand.student") == {"active"}
    assert ids(ws, "SELECT DISTINCT school_sourced_id FROM cand.class") <= set(schools)
    inactive = ids(ws, "SELECT sourced_id FROM stg.student WHERE enroll_status <> 'active' AND "
                   "list_contains(?, school_sourced_id)", [schools])
    assert inactive and inactive == ids(ws, "SELECT sourced_id FROM cand.dropped WHERE entity = "
                                        "'student' AND rule = 'active students'")
    # their enrollments and contact links follow them
    gone = ids(ws, "SELECT sourced_id FROM stg.enrollment WHERE list_contains(?, user_sourced_id) "
               "AND class_sourced_id IN (SELECT sourced_id FROM cand.class)", [list(inactive)])
    assert gone and gone <= ids(ws, "SELECT sourced_id FROM cand.dropped WHERE entity = "
                                "'enrollment' AND rule = 'student_dropped'")
    links = ids(ws, "SELECT sourced_id FROM stg.student_contact WHERE list_contains(?, "
                "student_sourced_id)", [list(inactive)])
    assert links and links <= ids(ws, "SELECT sourced_id FROM cand.dropped WHERE entity = "
                                  "'student_contact' AND rule = 'student_dropped'")
    # contacts without an e-mail are dropped, saying why
    no_email = ids(ws, "SELECT sourced_id FROM stg.contact WHERE email IS NULL")
    assert no_email and not no_email & ids(ws, "SELECT sourced_id FROM cand.contact")
    reasons = ws.query("SELECT DISTINCT rule, reason FROM cand.dropped WHERE entity = 'contact' "
                       "AND list_contains(?, sourced_id)", [list(no_email)])
    assert reasons == [("skip_if_missing:email", "email is missing (skip if missing)")]
    assert_references_hold(ws)


def assert_references_hold(ws: wb.Workspace) -> None:
    assert n(ws, "SELECT count(*) FROM cand.enrollment WHERE class_sourced_id NOT IN "
                 "(SELECT sourced_id FROM cand.class)") == 0
    assert n(ws, "SELECT count(*) FROM cand.enrollment WHERE user_sourced_id NOT IN (SELECT "
                 "sourced_id FROM cand.student UNION ALL SELECT sourced_id FROM cand.teacher "
                 "UNION ALL SELECT sourced_id FROM cand.admin)") == 0
    # include_linked: a kept class keeps its course and terms
    assert n(ws, "SELECT count(*) FROM cand.class WHERE course_sourced_id NOT IN "
                 "(SELECT sourced_id FROM cand.course)") == 0
    assert n(ws, "SELECT count(*) FROM (SELECT unnest(term_sourced_ids) AS t FROM cand.class) "
                 "WHERE t NOT IN (SELECT sourced_id FROM cand.calendar)") == 0
    assert n(ws, "SELECT count(*) FROM cand.contact WHERE sourced_id NOT IN "
                 "(SELECT contact_sourced_id FROM cand.student_contact)") == 0
    assert n(ws, "SELECT count(*) FROM cand.student_contact WHERE student_sourced_id NOT IN "
                 "(SELECT sourced_id FROM cand.student)") == 0


def test_invalid_values_are_quarantined(district: tuple[wb.Workspace, Any]) -> None:
    ws, truth = district
    build_candidate(ws, default_config(), today=TODAY)
    invalid = {d["id"]: d["value"] for d in truth["invalid_emails"]}
    assert invalid
    found = {r[0]: r[1] for r in ws.query("SELECT sourced_id, value FROM dq.finding WHERE rule = "
                                          "'invalid_email' AND severity = 'warning'")}
    assert found == invalid
    kept = ws.query("SELECT sourced_id, email FROM cand.student WHERE list_contains(?, sourced_id) "
                    "UNION ALL SELECT sourced_id, email FROM cand.contact WHERE "
                    "list_contains(?, sourced_id)", [list(invalid), list(invalid)])
    assert {r[0] for r in kept} == set(invalid) and {r[1] for r in kept} == {None}
    future = ids(ws, "SELECT sourced_id FROM dq.finding WHERE rule = 'future_birth_date'")
    assert future == set(truth["future_birth_dates"])
    assert ids(ws, "SELECT birth_date FROM cand.student WHERE list_contains(?, sourced_id)",
               [list(future)]) == {None}


def test_report_if_missing_and_mask(district: tuple[wb.Workspace, Any]) -> None:
    ws, _ = district
    config = default_config()
    config["requirements"] = {"contact": {"email": "report_if_missing"},
                              "student": {"birth_date": "mask"}}
    summary = build_candidate(ws, config, today=TODAY)
    no_email = ids(ws, "SELECT sourced_id FROM stg.contact WHERE email IS NULL")
    assert no_email and summary.kept["contact"] == n(ws, "SELECT count(*) FROM stg.contact")
    assert no_email == ids(ws, "SELECT sourced_id FROM dq.finding WHERE rule = "
                           "'report_if_missing' AND severity = 'error' AND attribute = 'email'")
    assert ids(ws, "SELECT DISTINCT birth_date FROM cand.student") == {None}


def test_exclude_rule_any_and_settings(district: tuple[wb.Workspace, Any]) -> None:
    ws, _ = district
    config = default_config()
    config["filters"] = {"student": {"rules": [{
        "name": "seniors or grade 11", "action": "exclude", "match": "any",
        "conditions": [{"attribute": "grade", "op": "equals", "value": "12"},
                       {"attribute": "grade", "op": "equals", "value": "11"}]}]}}
    config["advanced"] = {**config["advanced"], "sync_co_teachers": True}
    summary = build_candidate(ws, config, today=TODAY)
    seniors = ids(ws, "SELECT sourced_id FROM stg.student WHERE grade IN ('11', '12')")
    assert seniors == ids(ws, "SELECT sourced_id FROM cand.dropped WHERE rule = 'seniors or "
                          "grade 11'")
    assert "enrollment: co_teacher" not in summary.dropped_by_rule
    assert_partition(ws)


def test_refusals(district: tuple[wb.Workspace, Any]) -> None:
    ws, _ = district
    config = default_config()
    config["requirements"] = {"student": {"sourced_id": "mask"}}
    with pytest.raises(InputError, match="cannot be masked"):
        build_candidate(ws, config, today=TODAY)
    config = default_config()
    config["filters"] = {"student": {"rules": [{"conditions": [
        {"attribute": "email", "op": "matches_pattern", "value": "(unclosed"}]}]}}
    with pytest.raises(InputError, match="could not be evaluated"):
        build_candidate(ws, config, today=TODAY)
    config["filters"] = {"student": {"rules": [{"conditions": [
        {"attribute": "nope", "op": "equals", "value": 1}]}]}}
    with pytest.raises(InputError, match="nope"):
        preview_impact(ws, config, today=TODAY)


def tables(ws: wb.Workspace) -> list[tuple[Any, ...]]:
    return ws.query("SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
                    "WHERE NOT temporary ORDER BY 1, 2")


def test_impact_equals_an_actual_build(district: tuple[wb.Workspace, Any]) -> None:
    ws, _ = district
    draft = restricted(ws)
    build_candidate(ws, default_config(), today=TODAY)
    before = tables(ws)
    impact = preview_impact(ws, draft, base=default_config(), today=TODAY)
    assert tables(ws) == before  # nothing persistent written
    base_counts = {e: n(ws, f'SELECT count(*) FROM cand."{e}"') for e in ENTITIES}
    summary = build_candidate(ws, draft, today=TODAY)
    rows = impact.entities.set_index("entity")
    for entity in ENTITIES:
        assert rows.loc[entity, "kept_draft"] == summary.kept[entity], entity
        assert rows.loc[entity, "dropped_draft"] == summary.dropped[entity], entity
        assert rows.loc[entity, "kept_base"] == base_counts[entity], entity
    rules = {f"{r.entity}: {r.rule}": r.dropped_draft for r in impact.rules.itertuples()}
    for rule, count in rules.items():
        assert summary.dropped_by_rule[rule] == count
    by_school = ws.query("SELECT school_sourced_id, count(*) FROM cand.student GROUP BY 1")
    students = impact.schools[impact.schools.entity == "student"].set_index("school_sourced_id")
    for school, count in by_school:
        assert students.loc[school, "kept_draft"] == count
    cascade = n(ws, "SELECT count(*) FROM cand.dropped WHERE entity = 'enrollment' AND rule IN "
                    "('class_dropped', 'student_dropped', 'teacher_dropped')")
    assert impact.cascades["enrollments_dropped_by_cascade_draft"] == cascade > 0
    json.dumps(impact.to_dict())


def test_impact_base_is_the_saved_config(district: tuple[wb.Workspace, Any], tmp_path: Path) -> None:
    ws, _ = district
    draft = restricted(ws)
    save_config(ws, draft, author="test")
    impact = preview_impact(ws, draft, today=TODAY)
    assert (impact.entities.kept_change == 0).all()
    assert (impact.entities.kept_draft < impact.entities.total).any()


def test_include_linked_off_and_rule_names_are_data(district: tuple[wb.Workspace, Any]) -> None:
    ws, _ = district
    config = restricted(ws)
    name = "seniors'); DROP TABLE stg.student; --"
    config["filters"] = {"class": {"include_linked": False, "rules": []},
                         "student": {"rules": [{"name": name, "action": "exclude", "conditions": [
                             {"attribute": "grade", "op": "equals", "value": "12"}]}]}}
    build_candidate(ws, config, today=TODAY)
    district_courses = ids(ws, "SELECT sourced_id FROM stg.course WHERE school_sourced_id NOT IN "
                           "(SELECT sourced_id FROM stg.school WHERE org_type = 'school')")
    assert district_courses and not district_courses & ids(ws, "SELECT sourced_id FROM cand.course")
    assert n(ws, "SELECT count(*) FROM stg.student") > 0
    seniors = ids(ws, "SELECT sourced_id FROM stg.student WHERE grade = '12' AND "
                  "list_contains(?, school_sourced_id)", [two_schools(ws)])
    assert seniors == ids(ws, "SELECT sourced_id FROM cand.dropped WHERE rule = ?", [name])



def test_preview_is_cached_and_plain_data(district: tuple[wb.Workspace, Any]) -> None:
    ws, _ = district
    draft = restricted(ws)
    first = preview_impact(ws, draft, base=default_config(), today=TODAY)
    again = preview_impact(ws, draft, base=default_config(), today=TODAY)
    assert again.to_dict()["entities"] == first.to_dict()["entities"]
    assert again.kept("student") < again.kept("student", "base")
    data = json.loads(json.dumps(first.to_dict()))
    assert set(data) == {"entities", "schools", "rules", "cascades", "seconds", "notes"}


def test_prepared_roster_settings(district: tuple[wb.Workspace, Any]) -> None:
    """Contact module off and terms merge reshape the data first (workbench.rules.prepare); the
    preview still equals an actual build."""
    ws, _ = district
    config = restricted(ws)
    config["advanced"] = {**config["advanced"], "contact_module": False, "terms_merge": True}
    impact = preview_impact(ws, config, base=default_config(), today=TODAY)
    summary = build_candidate(ws, config, today=TODAY)
    assert not ids(ws, "SELECT sourced_id FROM cand.contact") & ids(
        ws, "SELECT sourced_id FROM stg.contact")
    assert n(ws, "SELECT count(*) FROM cand.dropped WHERE rule = 'terms_merge'") > 0
    rows = impact.entities.set_index("entity")
    for entity in ENTITIES:
        assert rows.loc[entity, "kept_draft"] == summary.kept[entity], entity
        assert rows.loc[entity, "dropped_draft"] == summary.dropped[entity], entity


def test_a_mapped_school_missing_from_the_loads_is_flagged(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from workbench import rules
    from workbench.sandbox import generate_district

    generate_district(tmp_path / "d", students=200, seed=12)
    with wb.init_workspace(tmp_path / "ws") as ws:
        wb.load_path(ws, tmp_path / "d", source="sis")
        real = ws.query("SELECT min(sourced_id) FROM stg.school WHERE org_type = 'school'")[0][0]
        config = rules.default_config()
        config["schools"] = {"mode": "selected", "selected": [real, "4242"], "flag_missing": True}
        rules.build_candidate(ws, config)
        flagged = ws.query("SELECT sourced_id, severity FROM dq.finding WHERE rule = 'school_missing'")
        config["schools"]["flag_missing"] = False
        rules.build_candidate(ws, config)
        quiet = ws.query("SELECT count(*) FROM dq.finding WHERE rule = 'school_missing'")[0][0]
    assert flagged == [("4242", "error")]
    assert quiet == 0
