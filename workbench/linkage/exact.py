"""Exact duplicates by the configured domains of uniqueness, on normalised values.

A domain is an ordered set of attributes (``[given_name, family_name, email]``); two records are
exact duplicates when they share every attribute of one domain, none of them empty. List
attributes (``emails``, ``phones``, ``school_sourced_ids`` ...) share a value when any element
is the same. Records are compared within a source and across sources alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from workbench.model.schema import columns

_NAMES = ("given_name", "middle_name", "family_name", "username", "employer", "street", "city")


def _scalar(attr: str, value: str) -> str:
    """Normalised text of one value of ``attr`` (NULL when empty)."""
    if attr in _NAMES:
        return f"lk_compact({value})"
    if "email" in attr:
        return f"lk_email({value})"
    if "phone" in attr:
        return f"lk_phone({value})"
    return f"NULLIF(lower(trim(CAST({value} AS VARCHAR))), '')"


def _is_list(entity: str, attr: str) -> bool:
    return any(c.name == attr and c.type.endswith("[]") for c in columns(entity))


def domain_sql(entity: str, domain: Sequence[str], relation: str | None = None) -> str:
    """SELECT (id, key) rows: one per combination of the record's normalised values, over
    ``relation`` (default ``stg."<entity>"``)."""
    known = {c.name for c in columns(entity)}
    unknown = [a for a in domain if a not in known]
    if unknown:
        raise ValueError(f"{unknown} are not attributes of {entity}")
    laterals, keys = [], []
    for i, attr in enumerate(domain):
        col = f't."{attr}"'
        if _is_list(entity, attr):
            laterals.append(f", unnest(t.\"{attr}\") AS u{i}(v)")
            keys.append(_scalar(attr, f"u{i}.v"))
        else:
            keys.append(_scalar(attr, col))
    key = "[" + ", ".join(keys) + "]"
    source = relation or f'stg."{entity}"'
    return f"SELECT DISTINCT t.sourced_id AS id, {key} AS k FROM {source} t" + "".join(laterals)


def rule_name(domain: Sequence[str]) -> str:
    return "exact:" + "+".join(domain)


def build_exact(cur: duckdb.DuckDBPyConnection, entity: str,
                domains: Sequence[Sequence[str]], relation: str | None = None) -> None:
    """Temp table ``lk_exact(left_id, right_id, rule)``: the first domain a pair shares wins."""
    cur.execute("CREATE OR REPLACE TEMP TABLE lk_exact "
                "(left_id VARCHAR, right_id VARCHAR, rule VARCHAR, rank INTEGER)")
    for rank, domain in enumerate(domains):
        cur.execute(
            f"""INSERT INTO lk_exact
            WITH k AS ({domain_sql(entity, domain, relation)}), ok AS (
              SELECT * FROM k WHERE list_count(k) = {len(domain)})
            SELECT DISTINCT a.id, b.id, ?, ? FROM ok a JOIN ok b ON a.k = b.k AND a.id < b.id""",
            [rule_name(domain), rank])
    cur.execute("""CREATE OR REPLACE TEMP TABLE lk_exact AS
        SELECT left_id, right_id, arg_min(rule, rank) AS rule FROM lk_exact
        GROUP BY left_id, right_id""")
