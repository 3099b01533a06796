"""Contacts without PowerSchool's Contacts module (advanced setting ``contact_module: false``).

Districts that never moved to the Contacts module keep parents in the legacy Students fields
``Mother``, ``Father`` and ``GuardianEmail``. With the module off, a PowerSchool source's contacts
and contact links come from those fields instead: one contact per named parent per student
(``CM<dcid>`` for the mother, ``CF<dcid>`` for the father; siblings' parents are duplicates for the
duplicates step to resolve), the name split on ``contact_name_separator``. With a comma or a
semicolon the part before it is the family name ("Smith, Jane"); with any other separator the last
part is ("Jane Smith").
"""

from __future__ import annotations

from typing import Any

import duckdb

from workbench.model.macros import install_macros
from workbench.model.schema import column_names


def _name_parts(col: str) -> tuple[str, str]:
    """SQL for (given, family) of a legacy name column split on $sep."""
    parts = f"list_filter(list_transform(string_split(trim({col}), $sep), lambda p: trim(p)), lambda p: p <> '')"
    given = (f"CASE WHEN $sep IN (',', ';') THEN array_to_string({parts}[2:], ' ') "
             f"ELSE array_to_string({parts}[1:-2], ' ') END")
    family = f"CASE WHEN $sep IN (',', ';') THEN {parts}[1] ELSE {parts}[-1] END"
    return f"NULLIF({given}, '')", family


def _legacy_sql(source_table: str, letter: str, column: str, relationship: str, priority: int,
                with_email: str) -> tuple[str, str]:
    given, family = _name_parts(f"s.{column}")
    contact_id = f"'C{letter}' || trim(s.dcid)"
    contact = f"""
        SELECT $prefix || {contact_id}, $source, {contact_id}, $load_id,
               {given}, NULL, {family}, 'parent',
               {with_email}, wb_text(s.home_phone),
               CASE WHEN {with_email} IS NOT NULL THEN [{with_email}] ELSE [] END,
               CASE WHEN wb_text(s.home_phone) IS NOT NULL THEN [trim(s.home_phone)] ELSE [] END,
               NULL, wb_text(s.street), wb_text(s.city), wb_text(s.state), wb_text(s.zip), true
        FROM {source_table} s WHERE wb_text(s.{column}) IS NOT NULL"""
    link = f"""
        SELECT $prefix || 'S' || trim(s.dcid) || '~' || {contact_id}, $source,
               'S' || trim(s.dcid) || '~' || {contact_id}, $load_id,
               $prefix || 'S' || trim(s.dcid), $prefix || {contact_id}, '{relationship}', {priority},
               NULL, NULL, NULL, NULL
        FROM {source_table} s WHERE wb_text(s.{column}) IS NOT NULL"""
    return contact, link


def apply_contact_module_off(cur: duckdb.DuckDBPyConnection, config: dict[str, Any],
                             sources: list[dict[str, Any]], *, schema: str = "cand") -> int:
    """Rebuild PowerSchool sources' contacts from legacy fields; returns the contacts made."""
    advanced = config.get("advanced") or {}
    if advanced.get("contact_module", True):
        return 0
    sep = advanced.get("contact_name_separator") or " "
    install_macros(cur)
    made = 0
    for src in (s for s in sources if s["kind"] == "powerschool"):
        table = f'raw."{src["name"]}__students"'
        load = cur.execute(f'SELECT max(load_id) FROM {schema}."student" WHERE source = ?',
                           [src["name"]]).fetchone()
        params = {"prefix": src["id_prefix"], "source": src["name"],
                  "load_id": load[0] if load and load[0] is not None else 0, "sep": sep}
        for entity in ("student_contact", "contact"):
            cur.execute(f'DELETE FROM {schema}."{entity}" WHERE source = $source',
                        {"source": src["name"]})
        email = "wb_text(s.guardianemail)"
        mother = _legacy_sql(table, "M", "mother", "Mother", 1, email)
        father = _legacy_sql(table, "F", "father", "Father", 2,
                             f"CASE WHEN wb_text(s.mother) IS NULL THEN {email} END")
        contact_cols = ", ".join(f'"{c}"' for c in column_names("contact"))
        link_cols = ", ".join(f'"{c}"' for c in column_names("student_contact"))
        # only students still in the candidate roster get legacy contacts
        keep = f' AND $prefix || \'S\' || trim(s.dcid) IN (SELECT sourced_id FROM {schema}."student")'
        cur.execute(f'INSERT INTO {schema}."contact" ({contact_cols}) '
                    f"{mother[0]}{keep} UNION ALL {father[0]}{keep}", params)
        cur.execute(f'INSERT INTO {schema}."student_contact" ({link_cols}) '
                    f"{mother[1]}{keep} UNION ALL {father[1]}{keep}",
                    {k: v for k, v in params.items() if k != "sep"})
        row = cur.execute(f'SELECT count(*) FROM {schema}."contact" WHERE source = ?',
                          [src["name"]]).fetchone()
        made += int(row[0]) if row else 0
    return made
