"""The prepared roster: data-shaping settings applied in a private copy, nothing persistent."""

from __future__ import annotations

import pytest

import workbench as wb
from tests.helpers import dump_workspace
from workbench.rules.prepare import prepared, touched
from workbench.sandbox import generate_district

SHAPING = {
    "advanced": {"terms_merge": True},
    "attributes": {"student": {"username": {"field": "U_DEF_EXT_STUDENTS.laptop_tag"}}},
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("prepare")
    generate_district(base / "d", students=300, seed=9)
    with wb.init_workspace(base / "ws") as ws:
        wb.load_path(ws, base / "d", source="sis")
    return base / "ws"


def test_no_shaping_settings_read_stg_directly(root) -> None:  # type: ignore[no-untyped-def]
    assert touched({"advanced": {"contact_module": True}}) == set()
    with wb.open_workspace(root, read_only=True) as ws, prepared(ws.cursor(), {}, ws.sources()) as (schema, _):
        assert schema == "stg"


def test_shaping_happens_in_a_private_copy_even_read_only(root) -> None:  # type: ignore[no-untyped-def]
    before = dump_workspace(root)
    with wb.open_workspace(root, read_only=True) as ws:
        cur = ws.cursor()
        with prepared(cur, SHAPING, ws.sources()) as (schema, problems):
            assert problems == []
            merged = cur.execute(f'SELECT count(*) FROM {schema}."calendar"').fetchone()[0]
            tags = cur.execute(f"""SELECT count(*) FROM {schema}."student"
                                   WHERE username LIKE 'LT-%'""").fetchone()[0]
            same = cur.execute(f'SELECT count(*) FROM {schema}."enrollment"').fetchone()[0]
        assert merged < ws.query("SELECT count(*) FROM stg.calendar")[0][0]
        assert tags == ws.query("""SELECT count(*) FROM stg.student
                                   WHERE extensions->>'u_def_ext_students.laptop_tag' LIKE 'LT-%'""")[0][0] > 0
        assert same == ws.query("SELECT count(*) FROM stg.enrollment")[0][0]
        assert not [d for (d,) in cur.execute("SELECT database_name FROM duckdb_databases()").fetchall()
                    if d.startswith("prep_")]
    assert dump_workspace(root) == before
