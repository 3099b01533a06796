"""Attribute mapping: canonical attributes filled from other source fields, extensions included."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.rules.attributes import apply_attribute_mappings
from workbench.sandbox import generate_district


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("attributes")
    generate_district(base / "d", students=300, seed=4)
    workspace = wb.init_workspace(base / "ws")
    wb.load_path(workspace, base / "d", source="sis")
    cur = workspace.cursor()
    cur.execute("CREATE SCHEMA scratch")
    for entity in ("student", "teacher"):
        cur.execute(f"CREATE TABLE scratch.{entity} AS SELECT * FROM stg.{entity}")
    yield workspace
    workspace.close()


def test_main_table_and_extension_fields_fill_attributes(ws) -> None:  # type: ignore[no-untyped-def]
    config = {"attributes": {
        "student": {"identifier": {"field": "Students.State_StudentNumber"},
                    "username": {"field": "U_DEF_EXT_STUDENTS.LAPTOP_TAG", "source": "sis"}},
        "teacher": {"title": {"field": "Users.TeacherNumber"}},
    }}
    problems = apply_attribute_mappings(ws.cursor(), config, ws.sources(), schema="scratch")
    assert problems == []
    mismatched = ws.query("""SELECT count(*) FROM scratch.student
                             WHERE identifier IS DISTINCT FROM state_id
                                OR username IS DISTINCT FROM extensions->>'u_def_ext_students.laptop_tag'""")
    assert mismatched[0][0] == 0
    assert ws.query("SELECT count(*) FROM scratch.student WHERE username LIKE 'LT-%'")[0][0] > 0
    same = ws.query("""SELECT count(*) FROM scratch.teacher t JOIN stg.teacher s USING (sourced_id)
                       WHERE t.title IS NOT DISTINCT FROM s.identifier""")
    assert same[0][0] == ws.query("SELECT count(*) FROM stg.teacher")[0][0]


def test_unknown_field_is_reported_not_applied(ws) -> None:  # type: ignore[no-untyped-def]
    before = ws.query("SELECT list(phone ORDER BY sourced_id) FROM scratch.student")
    problems = apply_attribute_mappings(
        ws.cursor(), {"attributes": {"student": {"phone": {"field": "Students.Pager"}}}},
        ws.sources(), schema="scratch")
    assert [p.field for p in problems] == ["attributes.student.phone"]
    assert "students.pager" in problems[0].message
    assert ws.query("SELECT list(phone ORDER BY sourced_id) FROM scratch.student") == before
