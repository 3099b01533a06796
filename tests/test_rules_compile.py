"""Filter rules compiled to SQL: operators, templates, refusal of unknown attributes, and the
injection property (no attribute name or value can change what a condition selects)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.errors import InputError
from workbench.model.schema import column_names, create_table_sql
from workbench.rules.compile import (
    CEDS_GRADES,
    Scope,
    Sql,
    and_,
    attribute_kind,
    compile_condition,
    compile_rule,
    not_,
    or_,
)
from workbench.rules.schema import OPERATORS
from workbench.sandbox import generate_district

TODAY = dt.date(2026, 11, 2)
SCOPE = Scope(today=TODAY)
INJECTIONS = ['grade"', "grade; DROP TABLE stg.student; --", ") OR 1=1 --", "' OR '1'='1",
              'given_name" OR 1=1 --', "email--", "x) OR (1=1"]

ROWS: list[dict[str, Any]] = [
    {"given_name": "Ann", "family_name": "O'Brien", "email": "ann@x.org", "username": "aobrien",
     "birth_date": dt.date(2015, 1, 2), "enabled": True, "races": ["white", "asian"],
     "grade": "03", "school_sourced_id": "100", "enroll_status": "active", "load_id": 1},
    {"given_name": "", "family_name": None, "email": None, "username": "test01",
     "birth_date": None, "enabled": None, "races": [], "grade": "KG",
     "school_sourced_id": "110", "enroll_status": "inactive", "load_id": 2},
    {"given_name": " ", "family_name": "Test", "email": "n/a", "username": None,
     "birth_date": dt.date(2030, 5, 5), "enabled": False, "races": None, "grade": None,
     "school_sourced_id": None, "enroll_status": "active", "load_id": 3},
    {"given_name": 'Robert"); DROP TABLE t;--', "family_name": "Tables", "email": "x@@y.org",
     "username": "demo", "birth_date": dt.date(2026, 11, 2), "enabled": True,
     "races": ["asian", None], "grade": "12", "school_sourced_id": "100",
     "enroll_status": "graduated", "load_id": 4},
    {"given_name": "Zoë", "family_name": "Testa", "email": "zoe@sample-school.org",
     "username": "zoe1", "birth_date": dt.date(2010, 6, 30), "enabled": True,
     "races": ["blackOrAfricanAmerican"], "grade": "PK", "school_sourced_id": "120",
     "enroll_status": "active", "load_id": 5},
]
ROWS = [{"sourced_id": f"S{i}", "source": "sis", "source_id": f"S{i}", **row}
        for i, row in enumerate(ROWS)]


@pytest.fixture(scope="module")
def small() -> duckdb.DuckDBPyConnection:
    """A canonical student table of five hand-made rows."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA stg")
    con.execute(create_table_sql("student"))
    for row in ROWS:
        cols = ", ".join(f'"{k}"' for k in row)
        con.execute(f"INSERT INTO stg.student ({cols}) VALUES ({', '.join('?' * len(row))})",
                    list(row.values()))
    return con


def selected(con: duckdb.DuckDBPyConnection, expr: Sql, entity: str = "student") -> set[str]:
    rows = con.execute(f'SELECT sourced_id FROM stg."{entity}" AS t WHERE {expr.text}',
                       list(expr.params)).fetchall()
    return {r[0] for r in rows}


# --- a pure-Python reference of the documented semantics -------------------------------------

def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _values(value: Any, kind: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    texts = [_text(v) for v in items if v is not None]
    return [t.lower() for t in texts] if kind == "bool" else texts


def _date(value: Any) -> dt.date | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _match(op: str, t: str, x: str) -> bool:
    if op == "contains":
        return x in t
    if op == "starts_with":
        return t.startswith(x)
    return re.search(x, t) is not None


def reference(row: dict[str, Any], attribute: str, op: str, value: Any) -> bool:
    kind = attribute_kind("student", attribute)
    v = row.get(attribute)
    vals = _values(value, kind)
    if kind == "list":
        items = [e for e in (v or []) if e is not None]
        if op in ("equals", "in_list", "contains", "not_equals"):
            hit = any(e in vals for e in items)
            return not hit if op == "not_equals" else hit
        if op in ("starts_with", "matches_pattern"):
            return any(_match(op, e, x) for e in items for x in vals)
        empty = v is None or len(v) == 0
        return empty if op == "is_empty" else not empty
    t = None if v is None else _text(v)
    if op in ("equals", "in_list", "not_equals"):
        hit = t is not None and t in vals
        return not hit if op == "not_equals" else hit
    if op in ("contains", "starts_with", "matches_pattern"):
        return t is not None and any(_match(op, t, x) for x in vals)
    if op in ("is_empty", "is_not_empty"):
        empty = t is None or t.strip(" ") == ""
        return empty if op == "is_empty" else not empty
    bound = {"before": _date(value), "after": _date(value)}.get(op, TODAY)
    if v is None or bound is None:
        return False
    return v < bound if op in ("before", "is_past") else v > bound


def expected(attribute: str, op: str, value: Any) -> set[str]:
    return {f"S{i}" for i, row in enumerate(ROWS) if reference(row, attribute, op, value)}


# --- operators on known data ------------------------------------------------------------------

@pytest.mark.parametrize(("attribute", "op", "value", "ids"), [
    ("enroll_status", "equals", "active", {"S0", "S2", "S4"}),
    ("enroll_status", "not_equals", "active", {"S1", "S3"}),
    ("family_name", "not_equals", "Test", {"S0", "S1", "S3", "S4"}),
    ("family_name", "contains", "Test", {"S2", "S4"}),
    ("family_name", "starts_with", "O'", {"S0"}),
    ("email", "is_empty", None, {"S1"}),
    ("given_name", "is_empty", None, {"S1", "S2"}),
    ("given_name", "is_not_empty", None, {"S0", "S3", "S4"}),
    ("birth_date", "before", "2015-01-02", {"S4"}),
    ("birth_date", "after", "2015-01-02", {"S2", "S3"}),
    ("birth_date", "is_future", None, {"S2"}),
    ("birth_date", "is_past", None, {"S0", "S4"}),
    ("grade", "in_list", ["03", "KG"], {"S0", "S1"}),
    ("email", "matches_pattern", "@@", {"S3"}),
    ("email", "matches_pattern", "(?i)SAMPLE", {"S4"}),
    ("enabled", "equals", True, {"S0", "S3", "S4"}),
    ("enabled", "equals", "TRUE", {"S0", "S3", "S4"}),
    ("load_id", "in_list", [2, 3.0], {"S1", "S2"}),
    ("races", "contains", "asian", {"S0", "S3"}),
    ("races", "in_list", ["white", "blackOrAfricanAmerican"], {"S0", "S4"}),
    ("races", "not_equals", "asian", {"S1", "S2", "S4"}),
    ("races", "starts_with", "bl", {"S4"}),
    ("races", "is_empty", None, {"S1", "S2"}),
    ("races", "is_not_empty", None, {"S0", "S3", "S4"}),
])
def test_operator(small: duckdb.DuckDBPyConnection, attribute: str, op: str, value: Any,
                  ids: set[str]) -> None:
    expr = compile_condition("student", {"attribute": attribute, "op": op, "value": value}, SCOPE)
    assert selected(small, expr) == ids == expected(attribute, op, value)


def test_all_and_any(small: duckdb.DuckDBPyConnection) -> None:
    conds = [{"attribute": "enroll_status", "op": "equals", "value": "active"},
             {"attribute": "school_sourced_id", "op": "equals", "value": "100"}]
    assert selected(small, compile_rule("student", {"conditions": conds}, SCOPE)) == {"S0"}
    both = compile_rule("student", {"conditions": conds, "match": "any"}, SCOPE)
    assert selected(small, both) == {"S0", "S2", "S3", "S4"}
    assert selected(small, not_(both)) == {"S1"}
    assert and_().text == "TRUE" and or_().text == "FALSE"


@pytest.mark.parametrize("attribute", ["nope", "Grade", *INJECTIONS])
def test_attribute_not_in_schema_is_refused(attribute: str) -> None:
    with pytest.raises(InputError, match="is not an attribute of student"):
        compile_condition("student", {"attribute": attribute, "op": "equals", "value": 1}, SCOPE)


def test_date_operators_need_dates() -> None:
    with pytest.raises(InputError, match="date attributes"):
        compile_condition("student", {"attribute": "grade", "op": "before", "value": "2020-01-01"},
                          SCOPE)


def test_templates_on_hand_made_rows(small: duckdb.DuckDBPyConnection) -> None:
    def keep(template: str, **params: Any) -> set[str]:
        return selected(small, compile_rule("student", {"template": template, "params": params},
                                            SCOPE))
    assert keep("active_students") == {"S0", "S2", "S4"}
    assert keep("enabled_only") == {"S0", "S3", "S4"}
    assert keep("grade_range", **{"from": "K", "to": 3}) == {"S0", "S1"}
    assert keep("grade_range", **{"from": "PK", "to": "12"}) == {"S0", "S1", "S3", "S4"}
    assert keep("schools_in_list", schools=["100", "120"]) == {"S0", "S3", "S4"}
    # test/demo/sample as a word in a name, username or e-mail: "Test", "test01", "demo" and
    # "@sample-school" are; "Testa" alone would not be
    assert keep("exclude_test_accounts") == {"S0"}
    with pytest.raises(InputError, match="not a grade"):
        keep("grade_range", **{"from": "K", "to": "14"})
    with pytest.raises(InputError, match="does not apply"):
        compile_rule("student", {"template": "custodial_contacts_only"}, SCOPE)
    assert CEDS_GRADES[:3] == ("PK", "TK", "KG")


# --- templates on a sandbox district ------------------------------------------------------------

@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("district")
    generate_district(root / "extract", students=400, seed=3)
    ws = wb.init_workspace(root / "ws")
    wb.load_path(ws, root / "extract", source="sis")
    return ws.con


def count(con: duckdb.DuckDBPyConnection, entity: str, rule: dict[str, Any]) -> int:
    return len(selected(con, compile_rule(entity, rule, SCOPE), entity))


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchone()[0])  # type: ignore[index]


def test_templates_on_a_district(district: duckdb.DuckDBPyConnection) -> None:
    con = district
    assert count(con, "student", {"template": "active_students"}) == scalar(
        con, "SELECT count(*) FROM stg.student WHERE enroll_status = 'active'")
    assert count(con, "calendar", {"template": "current_school_year"}) == scalar(
        con, "SELECT count(*) FROM stg.calendar WHERE school_year = 2027")
    assert count(con, "class", {"template": "current_school_year"}) == scalar(
        con, "SELECT count(*) FROM stg.class c WHERE EXISTS (SELECT 1 FROM stg.calendar k "
        "WHERE list_contains(c.term_sourced_ids, k.sourced_id) AND k.school_year = 2027)")
    assert 0 < count(con, "course", {"template": "current_school_year"}) <= scalar(
        con, "SELECT count(*) FROM stg.course")
    assert count(con, "class", {"template": "grade_range", "params": {"from": "KG", "to": "02"}}) \
        == scalar(con, "SELECT count(*) FROM stg.class WHERE list_has_any(grades, "
                  "['KG', '01', '02'])")
    assert count(con, "teacher", {"template": "schools_in_list", "params": {"schools": ["100"]}}) \
        == scalar(con, "SELECT count(*) FROM stg.teacher WHERE list_contains(school_sourced_ids, "
                  "'100')")
    assert count(con, "contact", {"template": "custodial_contacts_only"}) == scalar(
        con, "SELECT count(DISTINCT contact_sourced_id) FROM stg.student_contact WHERE custodial")
    assert count(con, "contact", {"template": "emergency_contacts_only"}) == scalar(
        con, "SELECT count(DISTINCT contact_sourced_id) FROM stg.student_contact WHERE emergency")
    assert count(con, "teacher", {"template": "has_enrollments"}) == scalar(
        con, "SELECT count(DISTINCT user_sourced_id) FROM stg.enrollment WHERE role = 'teacher'")
    assert count(con, "contact", {"template": "exclude_test_accounts"}) == scalar(
        con, "SELECT count(*) FROM stg.contact")


# --- the injection property ---------------------------------------------------------------------

NAMES = st.one_of(st.sampled_from(column_names("student")), st.sampled_from(INJECTIONS),
                  st.text(max_size=30))
SCALARS = st.one_of(st.none(), st.text(max_size=20), st.integers(), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from(["active", "03", "asian", "2015-01-02", "2030-05-05", "true",
                                     "'; DROP TABLE stg.student; --", ") OR 1=1 --", "$1", "?"]))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4))
SAFE_PATTERN = st.one_of(st.text(alphabet="abcdefgnorst@0123 ", max_size=6),
                         st.lists(st.text(alphabet="abcdefgnorst@0123 ", max_size=6), max_size=3))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attribute=NAMES, op=st.sampled_from(OPERATORS), value=VALUES, data=st.data())
def test_compiled_condition_selects_what_the_reference_selects(
        small: duckdb.DuckDBPyConnection, attribute: str, op: str, value: Any,
        data: st.DataObject) -> None:
    if op == "matches_pattern":  # RE2 and Python agree on plain text patterns
        value = data.draw(SAFE_PATTERN)
    cond = {"attribute": attribute, "op": op, "value": value}
    try:
        expr = compile_condition("student", cond, SCOPE)
    except InputError:
        names = column_names("student")
        assert attribute not in names or (op in ("before", "after", "is_future", "is_past")
                                          and attribute_kind("student", attribute) != "date")
        return
    assert selected(small, expr) == expected(attribute, op, value)
    assert small.execute("SELECT count(*) FROM stg.student").fetchone() == (len(ROWS),)


@settings(max_examples=300, deadline=None)
@given(attribute=st.sampled_from(column_names("student")), op=st.sampled_from(OPERATORS),
       a=VALUES, b=VALUES)
def test_values_never_change_the_sql_text(attribute: str, op: str, a: Any, b: Any) -> None:
    try:
        first = compile_condition("student", {"attribute": attribute, "op": op, "value": a}, SCOPE)
    except InputError:
        return
    second = compile_condition("student", {"attribute": attribute, "op": op, "value": b}, SCOPE)
    assert first.text == second.text
    assert "DROP" not in first.text and "1=1" not in first.text


@settings(max_examples=100, deadline=None)
@given(schools=st.lists(st.text(max_size=10), max_size=5),
       name=st.text(max_size=20))
def test_template_params_are_bound(schools: list[str], name: str) -> None:
    rule = {"template": "schools_in_list", "params": {"schools": schools}, "name": name}
    base = compile_rule("student", {"template": "schools_in_list", "params": {"schools": []}},
                        SCOPE)
    assert compile_rule("student", rule, SCOPE).text == base.text


def test_workspace_file_untouched(tmp_path: Path) -> None:
    """Compilation needs no database at all."""
    expr = compile_condition("contact", {"attribute": "email", "op": "is_empty"}, SCOPE)
    assert expr.params == () and '"email"' in expr.text
