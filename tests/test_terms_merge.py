"""Terms merge with title concatenation: one session per identical term, references remapped."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.rules.terms import apply_terms_merge
from workbench.sandbox import generate_district


@pytest.fixture()
def ws(tmp_path):  # type: ignore[no-untyped-def]
    generate_district(tmp_path / "d", students=400, seed=6)
    workspace = wb.init_workspace(tmp_path / "ws")
    wb.load_path(workspace, tmp_path / "d", source="sis")
    cur = workspace.cursor()
    cur.execute("CREATE SCHEMA scratch")
    for entity in ("calendar", "class", "course"):
        cur.execute(f'CREATE TABLE scratch."{entity}" AS SELECT * FROM stg."{entity}"')
    cur.execute("""CREATE TABLE scratch.dropped (entity VARCHAR, sourced_id VARCHAR, source VARCHAR,
                   school_sourced_id VARCHAR, rule VARCHAR, reason VARCHAR)""")
    yield workspace
    workspace.close()


def test_identical_terms_merge_and_references_follow(ws) -> None:  # type: ignore[no-untyped-def]
    groups = ws.query("""SELECT count(*) FROM (SELECT title, start_date, end_date FROM stg.calendar
                         GROUP BY ALL HAVING count(*) > 1)""")[0][0]
    before = ws.query("SELECT count(*) FROM stg.calendar")[0][0]
    distinct = ws.query("SELECT count(*) FROM (SELECT DISTINCT title, start_date, end_date FROM stg.calendar)")[0][0]
    assert groups > 0
    merged = apply_terms_merge(ws.cursor(), {"advanced": {"terms_merge": True}}, schema="scratch")
    assert merged == before - distinct
    assert ws.query("SELECT count(*) FROM scratch.calendar")[0][0] == distinct
    dangling = ws.query("""SELECT count(*) FROM (SELECT unnest(term_sourced_ids) AS t FROM scratch.class)
                           WHERE t NOT IN (SELECT sourced_id FROM scratch.calendar)""")[0][0]
    parents = ws.query("""SELECT count(*) FROM scratch.calendar WHERE parent_sourced_id IS NOT NULL
                          AND parent_sourced_id NOT IN (SELECT sourced_id FROM scratch.calendar)""")[0][0]
    assert dangling == 0 and parents == 0
    title = ws.query("""SELECT title FROM scratch.calendar WHERE sourced_id IN
                        (SELECT reason[13:] FROM scratch.dropped) LIMIT 1""")[0][0]
    assert title.endswith(")") and " (20" in title
    assert ws.query("SELECT count(*) FROM scratch.dropped WHERE rule = 'terms_merge'")[0][0] == merged


def test_setting_off_changes_nothing(ws) -> None:  # type: ignore[no-untyped-def]
    before = ws.query("SELECT * FROM scratch.calendar ORDER BY sourced_id")
    assert apply_terms_merge(ws.cursor(), {"advanced": {"terms_merge": False}}, schema="scratch") == 0
    assert ws.query("SELECT * FROM scratch.calendar ORDER BY sourced_id") == before
