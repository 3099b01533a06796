"""Terms merge with title concatenation (advanced setting ``terms_merge``).

PowerSchool repeats a term per school (``Terms.ID`` is per school), so a district with twenty
schools delivers twenty "Semester 1" sessions. With the setting on, terms with the same title,
start date and end date become one: the first by ID survives, its title becomes
``terms_title_format`` (default ``{name} ({start} {end})``), and every reference to a merged term
(classes' terms, sessions' parents, courses' school year) points at the survivor. The merged-away
terms are listed in ``cand.dropped`` with the rule ``terms_merge``.
"""

from __future__ import annotations

from typing import Any

import duckdb


def apply_terms_merge(cur: duckdb.DuckDBPyConnection, config: dict[str, Any], *,
                      schema: str = "cand") -> int:
    """Merge identical terms in ``schema``; returns how many terms were merged away."""
    advanced = config.get("advanced") or {}
    if not advanced.get("terms_merge"):
        return 0
    fmt = advanced.get("terms_title_format") or "{name} ({start} {end})"
    cal = f'{schema}."calendar"'
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE wb_term_merge AS
        SELECT sourced_id, survivor FROM (
          SELECT sourced_id,
                 first_value(sourced_id) OVER w AS survivor, count(*) OVER w AS n
          FROM {cal}
          WHERE title IS NOT NULL AND start_date IS NOT NULL AND end_date IS NOT NULL
          WINDOW w AS (PARTITION BY title, start_date, end_date ORDER BY sourced_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
        WHERE n > 1""")
    merged = cur.execute("SELECT count(*) FROM wb_term_merge WHERE sourced_id <> survivor").fetchone()
    if not merged or not merged[0]:
        return 0
    cur.execute(f"""
        UPDATE {cal} SET title = replace(replace(replace($fmt, '{{name}}', title),
                                 '{{start}}', strftime(start_date, '%Y-%m-%d')),
                                 '{{end}}', strftime(end_date, '%Y-%m-%d'))
        WHERE sourced_id IN (SELECT survivor FROM wb_term_merge)""", {"fmt": fmt})
    if _has_table(cur, schema, "dropped"):
        cur.execute(f"""
            INSERT INTO {schema}.dropped (entity, sourced_id, source, school_sourced_id, rule, reason)
            SELECT 'calendar', c.sourced_id, c.source, c.school_sourced_id, 'terms_merge',
                   'merged into ' || m.survivor
            FROM {cal} c JOIN wb_term_merge m USING (sourced_id) WHERE m.sourced_id <> m.survivor""")
    cur.execute(f"""DELETE FROM {cal} WHERE sourced_id IN
                    (SELECT sourced_id FROM wb_term_merge WHERE sourced_id <> survivor)""")
    _remap_references(cur, schema)
    return int(merged[0])


def _has_table(cur: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether ``schema`` (``name`` or ``database.name``) has ``table``."""
    database, _, name = schema.rpartition(".")
    sql = "SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?"
    params = [name, table]
    if database:
        sql += " AND database_name = ?"
        params.append(database)
    return bool(cur.execute(sql, params).fetchall())


def _remap_references(cur: duckdb.DuckDBPyConnection, schema: str) -> None:
    cur.execute(f"""
        UPDATE {schema}."calendar" c SET parent_sourced_id = m.survivor
        FROM wb_term_merge m WHERE c.parent_sourced_id = m.sourced_id""")
    cur.execute(f"""
        UPDATE {schema}."course" c SET school_year_sourced_id = m.survivor
        FROM wb_term_merge m WHERE c.school_year_sourced_id = m.sourced_id""")
    cur.execute(f"""
        UPDATE {schema}."class" c SET term_sourced_ids = n.terms
        FROM (
          SELECT k.sourced_id, list(DISTINCT coalesce(m.survivor, k.t) ORDER BY coalesce(m.survivor, k.t)) AS terms
          FROM (SELECT sourced_id, unnest(term_sourced_ids) AS t FROM {schema}."class") k
          LEFT JOIN wb_term_merge m ON m.sourced_id = k.t
          GROUP BY k.sourced_id
          HAVING bool_or(m.sourced_id IS NOT NULL)) n
        WHERE c.sourced_id = n.sourced_id""")
