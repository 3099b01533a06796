"""Candidate pairs by blocking rules, in DuckDB: records sharing a key of one rule are compared.

A key shared by more than ``MAX_BLOCK`` records (a school's main phone, a placeholder) says little
about identity and would make the comparison quadratic; it is skipped.
"""

from __future__ import annotations

import duckdb

MAX_BLOCK = 200

# ``ctx`` narrows the name blocks: the birth year (``ctx_month``: year and month) for students,
# the zip for contacts. Every block is a conjunction a duplicate keeps while a stranger rarely
# shares it: a block's size grows with the table, the pairs with its square, so at a million
# records a single initial next to a birth date is too loose (millions of pairs of strangers).
_DOB = ("strftime(birth_date, '%Y') || '-' || least(month(birth_date), day(birth_date))"
        " || '-' || greatest(month(birth_date), day(birth_date))")
RULES: dict[str, str] = {
    # birth date, day and month in either order (covers transposed dates), and
    "birth_date_initials": f"{_DOB} || '|' || left(given, 1) || left(family, 1)",  # both initials
    "birth_date_family": f"{_DOB} || '|' || family",  # the family name (a nickname: Bill/William)
    "birth_date_given": f"{_DOB} || '|' || given",  # the given name (a new family name)
    # a birth date off by a slip: both names (one by its initial) within the birth year
    "family_initial": "family || '|' || left(given, 1) || '|' || ctx",
    # given names are few: within the birth month (students) or the zip (contacts)
    "given_initial": "given || '|' || left(family, 1) || '|' || ctx_month",
    "state_id": "state_id",
    "street_zip": "street || '|' || zip",
}
LIST_RULES: dict[str, str] = {"email": "emails", "phone": "phones"}


def keys_sql() -> str:
    """SELECT (id, key) over ``lk_rec`` for every blocking rule (key NULL = no key)."""
    ctx = "coalesce(CAST(year(birth_date) AS VARCHAR), zip, '')"
    ctx_month = "coalesce(strftime(birth_date, '%Y-%m'), zip, '')"
    parts = [f"SELECT id, '{name}:' || ({expr}) AS key "
             f"FROM (SELECT *, {ctx} AS ctx, {ctx_month} AS ctx_month FROM lk_rec)"
             for name, expr in RULES.items()]
    parts += [f"SELECT id, '{name}:' || v AS key FROM lk_rec, unnest({col}) AS u(v)"
              for name, col in LIST_RULES.items()]
    return "\nUNION ALL\n".join(parts)


def build_candidates(cur: duckdb.DuckDBPyConnection) -> int:
    """Temp table ``lk_cand(left_id, right_id)`` from the blocks and the exact pairs; its size."""
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE lk_cand AS
        WITH k AS (SELECT DISTINCT id, key FROM ({keys_sql()}) WHERE key IS NOT NULL),
        sized AS (SELECT *, count(*) OVER (PARTITION BY key) AS n FROM k),
        ok AS (SELECT id, key FROM sized WHERE n BETWEEN 2 AND ?)
        SELECT a.id AS left_id, b.id AS right_id FROM ok a JOIN ok b ON a.key = b.key AND a.id < b.id
        UNION
        SELECT left_id, right_id FROM lk_exact""", [MAX_BLOCK])
    row = cur.execute("SELECT count(*) FROM lk_cand").fetchone()
    return int(row[0]) if row else 0
