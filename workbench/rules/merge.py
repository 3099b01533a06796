"""Duplicates in the candidate roster: each cluster's delivered members become its golden record.

Runs inside ``materialise`` on the candidate schema just built, so the golden records are made of
what the rules deliver: members the rules drop keep their own rule and give no value, quarantined
and masked values are already empty. For each person entity with clusters in ``link.cluster``
(``workbench.linkage.find_duplicates``), a cluster with two delivered members or more is replaced
by its golden record under the survivor ID (``workbench.linkage.golden``); the other members go to
``dropped`` as ``merged_duplicate``, naming the survivor. References follow:

* enrollments of a merged-away student or teacher move to the survivor; when two members were in
  the same class, the survivor's enrollment (else the smallest member's) stays and the others are
  dropped as ``merged_duplicate``;
* student-contact links move to the surviving student and contact; links that now join the same
  two people become one: the link of the first priority stays, with the lowest priority number and
  each flag (custodial, emergency, lives with, receives mail) true when any of the links had it.

A steward's ``relink`` decision (a committed record that vanished from the load and a new one for
the same person) delivers the new record under the committed ID, references included, so the sync
plan shows an update (``relinked``), not a delete plus an insert; ``source_id`` keeps the new ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from workbench.linkage.golden import build_golden_tables
from workbench.model.schema import column_names
from workbench.rules.compile import ident
from workbench.rules.decisions import dec
from workbench.rules.schema import PERSON_ENTITIES
from workbench.sync.roster import committed_relation

RULE = "merged_duplicate"
FLAGS = ("custodial", "emergency", "lives_with", "receives_mail")
_LAST = 2_147_483_647  # a link without a priority comes after every numbered one


def _replace_members(cur: duckdb.DuckDBPyConnection, schema: str, entity: str) -> None:
    """Golden rows in, members out (to ``dropped`` unless they are the survivor)."""
    table = f"{schema}.{ident(entity)}"
    cols = ", ".join(ident(c) for c in column_names(entity))
    cur.execute(f"""INSERT INTO {schema}.dropped
        SELECT ?, m.sourced_id, m.source, d.school_sourced_id, ?,
               'merged into ' || m.golden_id || ' (the golden record of its duplicates)'
        FROM gd_map m LEFT JOIN {dec(entity)} d ON d.source = m.source AND d.sourced_id = m.sourced_id
        WHERE m.sourced_id <> m.golden_id""", [entity, RULE])
    cur.execute(f"DELETE FROM {table} t USING gd_map m "
                "WHERE t.source = m.source AND t.sourced_id = m.sourced_id")
    cur.execute(f"INSERT INTO {table} SELECT {cols} FROM gd_golden")
    cur.execute("INSERT INTO _merge_map SELECT ?, source, sourced_id, golden_id FROM gd_map", [entity])


def _rewrite_enrollments(cur: duckdb.DuckDBPyConnection, schema: str) -> None:
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE _merge_enr AS
        SELECT e.source, e.sourced_id, e.school_sourced_id, e.user_sourced_id AS old_id,
               m.golden_id AS new_id,
               (min(struct_pack(moved := e.user_sourced_id <> m.golden_id, id := e.user_sourced_id))
                OVER (PARTITION BY e.class_sourced_id, e.role, m.golden_id)).id AS keep_id
        FROM {schema}.enrollment e JOIN _merge_map m ON m.sourced_id = e.user_sourced_id
         AND (m.entity = 'student') = (e.role = 'student')""")
    cur.execute(f"""INSERT INTO {schema}.dropped
        SELECT 'enrollment', sourced_id, source, school_sourced_id, ?,
               'the same class as an enrollment of ' || new_id || ' (merged duplicates)'
        FROM _merge_enr WHERE old_id <> keep_id""", [RULE])
    cur.execute(f"""DELETE FROM {schema}.enrollment t USING _merge_enr x
        WHERE t.source = x.source AND t.sourced_id = x.sourced_id AND x.old_id <> x.keep_id""")
    cur.execute(f"""UPDATE {schema}.enrollment t SET user_sourced_id = x.new_id FROM _merge_enr x
        WHERE t.source = x.source AND t.sourced_id = x.sourced_id AND x.old_id <> x.new_id""")


def _rewrite_links(cur: duckdb.DuckDBPyConnection, schema: str) -> None:
    flags = ", ".join(f"bool_or({f}) OVER w AS {f}" for f in FLAGS)
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE _merge_link AS
        SELECT * FROM (
          SELECT l.source, l.sourced_id, coalesce(s.golden_id, l.student_sourced_id) AS student_id,
                 coalesce(c.golden_id, l.contact_sourced_id) AS contact_id,
                 bool_or(coalesce(s.golden_id <> l.student_sourced_id, false)
                         OR coalesce(c.golden_id <> l.contact_sourced_id, false)) OVER w AS touched,
                 (min(struct_pack(p := coalesce(l.priority, {_LAST}),
                                  moved := coalesce(s.golden_id <> l.student_sourced_id, false)
                                           OR coalesce(c.golden_id <> l.contact_sourced_id, false),
                                  id := l.sourced_id)) OVER w).id AS keep_id,
                 min(l.priority) OVER w AS priority,
                 (min(struct_pack(empty := nullif(trim(l.relationship), '') IS NULL,
                                  p := coalesce(l.priority, {_LAST}), id := l.sourced_id,
                                  r := l.relationship)) OVER w).r AS relationship,
                 {flags}
          FROM {schema}.student_contact l
          LEFT JOIN _merge_map s ON s.entity = 'student' AND s.sourced_id = l.student_sourced_id
          LEFT JOIN _merge_map c ON c.entity = 'contact' AND c.sourced_id = l.contact_sourced_id
          WINDOW w AS (PARTITION BY coalesce(s.golden_id, l.student_sourced_id),
                                    coalesce(c.golden_id, l.contact_sourced_id)))
        WHERE touched""")
    cur.execute(f"""INSERT INTO {schema}.dropped
        SELECT 'student_contact', x.sourced_id, x.source, d.school_sourced_id, ?,
               'the same student and contact as link ' || x.keep_id || ' (merged duplicates)'
        FROM _merge_link x LEFT JOIN {dec('student_contact')} d
          ON d.source = x.source AND d.sourced_id = x.sourced_id
        WHERE x.sourced_id <> x.keep_id""", [RULE])
    cur.execute(f"""DELETE FROM {schema}.student_contact t USING _merge_link x
        WHERE t.source = x.source AND t.sourced_id = x.sourced_id AND x.sourced_id <> x.keep_id""")
    sets = ", ".join(f"{f} = x.{f}" for f in ("priority", "relationship", *FLAGS))
    cur.execute(f"""UPDATE {schema}.student_contact t SET student_sourced_id = x.student_id,
        contact_sourced_id = x.contact_id, {sets} FROM _merge_link x
        WHERE t.source = x.source AND t.sourced_id = x.sourced_id""")


def _relink(cur: duckdb.DuckDBPyConnection, schema: str, entity: str) -> int:
    """Deliver a re-linked record under its committed ID (the steward's ``relink`` decision: the
    same person under a new ID), so the sync updates the person instead of deleting and inserting."""
    committed = committed_relation(cur, entity)
    has_decisions = cur.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' "
                                "AND table_name = 'decision'").fetchall()
    if committed is None or not has_decisions:
        return 0
    table = f"{schema}.{ident(entity)}"
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE _relink AS
        WITH latest AS (
          SELECT left_id, right_id, arg_max(action, decision_id) AS action FROM link.decision
          WHERE entity = $e AND reversed_at IS NULL GROUP BY ALL),
        pairs AS (
          SELECT CASE WHEN left_id IN (SELECT sourced_id FROM stg.{ident(entity)}) THEN right_id
                      ELSE left_id END AS old_id,
                 CASE WHEN left_id IN (SELECT sourced_id FROM stg.{ident(entity)}) THEN left_id
                      ELSE right_id END AS loaded_id
          FROM latest WHERE action = 'relink')
        SELECT DISTINCT ON (p.old_id) p.old_id, t.sourced_id AS new_id, t.source
        FROM pairs p LEFT JOIN _merge_map m ON m.entity = $e AND m.sourced_id = p.loaded_id
        JOIN {table} t ON t.sourced_id = coalesce(m.golden_id, p.loaded_id)
        WHERE p.old_id NOT IN (SELECT sourced_id FROM {table})
          AND p.old_id IN (SELECT sourced_id FROM {committed})
        ORDER BY p.old_id, t.sourced_id""", {"e": entity})
    cur.execute(f"UPDATE {table} t SET sourced_id = r.old_id FROM _relink r WHERE t.sourced_id = r.new_id")
    cur.execute("UPDATE _merge_map m SET golden_id = r.old_id FROM _relink r "
                "WHERE m.entity = ? AND m.golden_id = r.new_id", [entity])
    cur.execute("""INSERT INTO _merge_map SELECT ?, r.source, r.new_id, r.old_id FROM _relink r
        WHERE r.new_id NOT IN (SELECT sourced_id FROM _merge_map WHERE entity = ?)""", [entity, entity])
    row = cur.execute("SELECT count(*) FROM _relink").fetchone()
    return int(row[0]) if row else 0


def merge_duplicates(cur: duckdb.DuckDBPyConnection, schema: str,
                     config: Mapping[str, Any]) -> dict[str, int]:
    """Replace clustered members of ``schema`` by golden records, and deliver re-linked records
    under their committed IDs; golden records per entity."""
    cur.execute("""CREATE OR REPLACE TEMP TABLE _merge_map (entity VARCHAR, source VARCHAR,
                   sourced_id VARCHAR, golden_id VARCHAR)""")
    made: dict[str, int] = {}
    relinked = 0
    for entity in PERSON_ENTITIES:
        n = build_golden_tables(cur, entity, config.get("master_fields"), read=schema)
        if n:
            _replace_members(cur, schema, entity)
            made[entity] = n
        relinked += _relink(cur, schema, entity)
    if made or relinked:
        _rewrite_enrollments(cur, schema)
        _rewrite_links(cur, schema)
    return made
