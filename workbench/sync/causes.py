"""Why a plan changes what it changes: each change of temp table ``_plan`` gets its likely cause.

In this order, the first that applies wins (a school missing from the load wins over a cascade):

* ``cascade:<entity>``: removed with the student, teacher, class, course, contact or school it
  hangs on (``cascade_of`` names it);
* ``school_missing:<id>``: the school is gone from the load, and everything in it;
* ``rule:<rule>``: a configured rule newly drops the record (``cand.dropped``);
* ``term_ended``: an enrollment or term whose last day is past;
* ``relinked``: a steward re-link (an update of ``source_id``); ``rekey_offer``: a delete and an
  insert the duplicates step offers as a re-key, and what follows the two records;
* ``column_emptied:<field>`` / ``column_changed:<field>``: an update, by its most widely changed
  field;
* ``absent_from_load`` / ``new_in_load`` otherwise.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from workbench.sync.roster import committed_or_empty

CASCADES = {
    "enrollment": (("user_sourced_id", "student"), ("user_sourced_id", "teacher"),
                   ("class_sourced_id", "class")),
    "student_contact": (("student_sourced_id", "student"), ("contact_sourced_id", "contact")),
    "class": (("course_sourced_id", "course"), ("school_sourced_id", "school")),
}
END_DATE = {"enrollment": "end_date", "calendar": "end_date"}


def describe_cause(cause: str) -> str:
    """A steward's sentence for a cause code."""
    kind, _, arg = cause.partition(":")
    return {
        "cascade": f"removed with their {arg}",
        "school_missing": f"school {arg} is missing from the load",
        "rule": f"the rule {arg} now drops them",
        "term_ended": "their term has ended",
        "relinked": "re-linked: the same person under a new ID",
        "rekey_offer": "a possible re-key (same person, new ID) awaits review in Duplicates",
        "column_emptied": f"{arg} went empty",
        "column_changed": f"{arg} changed",
        "absent_from_load": "absent from the load",
        "new_in_load": "new in the load",
    }.get(kind, cause)


def _mark_cascades(cur: duckdb.DuckDBPyConnection) -> None:
    for child, refs in CASCADES.items():
        for column, parent in refs:
            cur.execute(f"""UPDATE _plan p SET cascade_of = '{parent}:' || o."{column}",
                                cause = 'cascade:{parent}'
                FROM {committed_or_empty(cur, child)} o
                WHERE p.entity = '{child}' AND p.op = 'delete' AND p.cause IS NULL
                  AND o.sourced_id = p.sourced_id
                  AND o."{column}" IN (SELECT sourced_id FROM _plan WHERE entity = '{parent}'
                                       AND op = 'delete')""")


def _mark_missing_schools(cur: duckdb.DuckDBPyConnection) -> None:
    """Deletes in a school that the load no longer has (the school itself is deleted)."""
    cur.execute("""UPDATE _plan SET cause = 'school_missing:' || school_sourced_id
        WHERE op = 'delete' AND (cause IS NULL OR cause LIKE 'cascade:%')
          AND school_sourced_id IN (SELECT sourced_id FROM _plan WHERE entity = 'school'
                                    AND op = 'delete')""")


def _mark_rules(cur: duckdb.DuckDBPyConnection) -> None:
    has_dropped = cur.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'cand' "
                              "AND table_name = 'dropped'").fetchall()
    if has_dropped:
        cur.execute("""UPDATE _plan p SET cause = 'rule:' || d.rule FROM cand.dropped d
            WHERE p.op = 'delete' AND p.cause IS NULL AND d.entity = p.entity
              AND d.sourced_id = p.sourced_id""")


def _mark_terms(cur: duckdb.DuckDBPyConnection, today: dt.date) -> None:
    for entity, column in END_DATE.items():
        cur.execute(f"""UPDATE _plan p SET cause = 'term_ended' FROM {committed_or_empty(cur, entity)} o
            WHERE p.entity = '{entity}' AND p.op = 'delete' AND p.cause IS NULL
              AND o.sourced_id = p.sourced_id AND o."{column}" < ?""", [today])


def _mark_rekeys(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("""UPDATE _plan SET cause = 'relinked' WHERE op = 'update' AND cause IS NULL
        AND list_contains(list_transform(diff, lambda x: x.field), 'source_id')""")
    has_rekey = cur.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' "
                            "AND table_name = 'rekey'").fetchall()
    if has_rekey:
        cur.execute("""UPDATE _plan p SET cause = 'rekey_offer' FROM link.rekey r
            WHERE p.cause IS NULL AND p.entity = r.entity
              AND ((p.op = 'delete' AND p.sourced_id = r.old_id)
                   OR (p.op = 'insert' AND p.sourced_id = r.new_id))""")
        # what goes with the old ID, and what comes with the new one
        cur.execute("""UPDATE _plan SET cause = 'rekey_offer' WHERE cause LIKE 'cascade:%'
            AND split_part(cascade_of, ':', 2) IN (SELECT old_id FROM link.rekey)""")
        for entity, column in (("enrollment", "user_sourced_id"),
                               ("student_contact", "student_sourced_id"),
                               ("student_contact", "contact_sourced_id")):
            cur.execute(f"""UPDATE _plan p SET cause = 'rekey_offer' FROM cand."{entity}" n
                WHERE p.cause IS NULL AND p.op = 'insert' AND p.entity = '{entity}'
                  AND n.sourced_id = p.sourced_id
                  AND n."{column}" IN (SELECT new_id FROM link.rekey)""")
        # enrollments and contact links that follow a re-keyed person to its new ID
        cur.execute("""UPDATE _plan p SET cause = 'rekey_offer' WHERE p.cause IS NULL
            AND p.op = 'update' AND p.entity IN ('enrollment', 'student_contact')
            AND len(list_intersect(list_transform(list_filter(p.diff, lambda d: d.field IN
                ('user_sourced_id', 'student_sourced_id', 'contact_sourced_id')),
                lambda d: d."after"), (SELECT list(new_id) FROM link.rekey))) > 0""")


def _mark_columns(cur: duckdb.DuckDBPyConnection) -> None:
    """An update's cause is its field changed in the most records of the entity."""
    cur.execute("""CREATE OR REPLACE TEMP TABLE _plan_field AS
        SELECT entity, d.field, count(*) AS n FROM (SELECT entity, unnest(diff) AS d FROM _plan
        WHERE op = 'update' AND cause IS NULL) GROUP BY ALL""")
    cur.execute("""UPDATE _plan p SET cause = CASE
            WHEN list_filter(p.diff, lambda x: x.field = w.field)[1]."after" IS NULL
              THEN 'column_emptied:' ELSE 'column_changed:' END || w.field
        FROM (SELECT p.entity, p.sourced_id, arg_max(f.field, (f.n, f.field)) AS field
              FROM _plan p, unnest(p.diff) AS u(d) JOIN _plan_field f
                ON f.entity = p.entity AND f.field = u.d.field
              WHERE p.op = 'update' AND p.cause IS NULL GROUP BY ALL) w
        WHERE p.entity = w.entity AND p.sourced_id = w.sourced_id AND p.op = 'update'""")
    cur.execute("""UPDATE _plan SET cause = CASE op WHEN 'insert' THEN 'new_in_load'
        WHEN 'delete' THEN 'absent_from_load' ELSE 'column_changed:?' END WHERE cause IS NULL""")


def mark_causes(cur: duckdb.DuckDBPyConnection, today: dt.date) -> None:
    """Fill ``cause`` (and ``cascade_of``) of every change in ``_plan``."""
    _mark_cascades(cur)
    _mark_missing_schools(cur)
    _mark_rules(cur)
    _mark_terms(cur, today)
    _mark_rekeys(cur)
    _mark_columns(cur)
