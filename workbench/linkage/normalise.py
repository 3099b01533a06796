"""Normalised person records for linkage, built in DuckDB (``lk_rec``, a temp table).

Names are lower-cased, accents stripped, punctuation and spaces removed for comparison; e-mails are
lower-cased and trimmed, and anything that is not an address (``1``, ``n/a``, ``jane@``, a
placeholder such as ``none@none.com``) is empty; phones keep their digits (the last ten). Empty
values are NULL and never match.
"""

from __future__ import annotations

import duckdb

PLACEHOLDER_LOCALS = ("none", "noemail", "no", "na", "nomail", "unknown", "test", "x")

MACROS = (
    "CREATE OR REPLACE TEMP MACRO lk_words(x) AS "
    "NULLIF(trim(regexp_replace(strip_accents(lower(x)), '[^a-z0-9]+', ' ', 'g')), '')",
    "CREATE OR REPLACE TEMP MACRO lk_compact(x) AS "
    "NULLIF(regexp_replace(strip_accents(lower(x)), '[^a-z0-9]+', '', 'g'), '')",
    r"CREATE OR REPLACE TEMP MACRO lk_email(x) AS CASE "
    r"WHEN regexp_full_match(lower(trim(x)), '[^@\s]+@[^@\s]+\.[^@\s]+') "
    f"AND split_part(lower(trim(x)), '@', 1) NOT IN {PLACEHOLDER_LOCALS} "
    r"THEN lower(trim(x)) END",
    "CREATE OR REPLACE TEMP MACRO lk_digits(x) AS regexp_replace(x, '[^0-9]', '', 'g')",
    "CREATE OR REPLACE TEMP MACRO lk_phone(x) AS CASE "
    "WHEN length(lk_digits(x)) >= 7 AND len(list_distinct(string_split(lk_digits(x), ''))) > 1 "
    "THEN right(lk_digits(x), 10) END",
    "CREATE OR REPLACE TEMP MACRO lk_list(xs) AS "
    "list_sort(list_distinct(list_filter(xs, lambda v: v IS NOT NULL)))",
)

# entity -> SQL expressions of the optional columns (NULL where the entity has no such attribute)
_COMMON = {
    "given": "lk_compact(given_name)",
    "given_first": "lk_compact(split_part(lk_words(given_name), ' ', 1))",
    "middle": "lk_compact(middle_name)",
    "family": "lk_compact(family_name)",
    "family_words": "string_split(lk_words(family_name), ' ')",
}
_EMPTY = {
    "emails": "[]::VARCHAR[]", "phones": "[]::VARCHAR[]", "birth_date": "NULL::DATE",
    "street": "NULL::VARCHAR", "zip": "NULL::VARCHAR", "school": "NULL::VARCHAR",
    "grade": "NULL::VARCHAR", "state_id": "NULL::VARCHAR", "entered": "NULL::DATE",
}
_HOME = {"street": "lk_words(street)", "zip": "NULLIF(left(lk_digits(postal_code), 5), '')"}
_STAFF = {
    "emails": "lk_list([lk_email(email)])", "phones": "lk_list([lk_phone(phone)])",
    "school": "school_sourced_ids[1]", "state_id": "lk_compact(state_id)",
}
_SPECIFIC = {
    "student": {
        "emails": "lk_list([lk_email(email)])", "phones": "lk_list([lk_phone(phone)])",
        "birth_date": "birth_date", **_HOME, "school": "school_sourced_id", "grade": "grade",
        "state_id": "lk_compact(state_id)", "entered": "entry_date",
    },
    "contact": {
        "emails": "lk_list(list_transform(list_prepend(email, coalesce(emails, [])), lambda e: lk_email(e)))",
        "phones": "lk_list(list_transform(list_prepend(phone, coalesce(phones, [])), lambda p: lk_phone(p)))",
        **_HOME,
    },
    "teacher": _STAFF,
    "admin": _STAFF,
}
ENTITIES = tuple(_SPECIFIC)


def install_macros(cur: duckdb.DuckDBPyConnection) -> None:
    """The normalisation macros, on this cursor's connection."""
    for sql in MACROS:
        cur.execute(sql)


def record_columns(entity: str) -> dict[str, str]:
    """Column name -> SQL expression over the canonical ``stg`` row."""
    return {**_COMMON, **_EMPTY, **_SPECIFIC[entity]}


def records_sql(entity: str, relation: str | None = None) -> str:
    """SELECT of the normalised records of one entity (``id``, ``source`` and the columns above).

    ``relation`` (a table name or a parenthesised SELECT) replaces ``stg."<entity>"``; it must have
    the canonical columns the entity's expressions read (``sourced_id``, ``source``,
    ``given_name`` ...), as :mod:`workbench.linkage.table` provides for any person table.
    """
    cols = ",\n  ".join(f"{expr} AS {name}" for name, expr in record_columns(entity).items())
    source = relation or f'stg."{entity}"'
    return f"SELECT sourced_id AS id, source,\n  {cols}\nFROM {source}"


def build_records(cur: duckdb.DuckDBPyConnection, entity: str, relation: str | None = None) -> None:
    """Replace temp table ``lk_rec`` with the normalised records of ``entity`` (from ``relation``)."""
    if entity not in _SPECIFIC:
        raise ValueError(f"no linkage for {entity!r}")
    cur.execute(f"CREATE OR REPLACE TEMP TABLE lk_rec AS {records_sql(entity, relation)}")
