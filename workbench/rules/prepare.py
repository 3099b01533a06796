"""The roster the rules read: ``stg`` as loaded, or a prepared copy when settings reshape it.

Three settings change the data itself before any rule runs: attribute mapping (an attribute from
another source field), the contact module switched off (contacts from legacy fields) and terms
merge. When one of them is on, the entities they touch are copied into a private in-memory
database attached to the caller's cursor and reshaped there; the other entities are views on
``stg``. Nothing persistent is written, so a preview can do it as well as a build.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from workbench.errors import InputError
from workbench.model.schema import ENTITIES
from workbench.rules.attributes import apply_attribute_mappings
from workbench.rules.contacts import apply_contact_module_off
from workbench.rules.terms import apply_terms_merge

CONTACT_ENTITIES = ("student", "contact", "student_contact")
TERM_ENTITIES = ("calendar", "class", "course")


def touched(config: dict[str, Any]) -> set[str]:
    """The entities the data-shaping settings of ``config`` change."""
    out: set[str] = set((config.get("attributes") or {}).keys())
    advanced = config.get("advanced") or {}
    if advanced.get("contact_module", True) is False:
        out |= set(CONTACT_ENTITIES)
    if advanced.get("terms_merge"):
        out |= set(TERM_ENTITIES) | {"dropped"}
    return out


def _catalog(cur: duckdb.DuckDBPyConnection) -> str:
    row = cur.execute("SELECT current_database()").fetchone()
    return str(row[0]) if row else "memory"


@contextmanager
def prepared(cur: duckdb.DuckDBPyConnection, config: dict[str, Any],
             sources: list[dict[str, Any]]) -> Iterator[tuple[str, list[str]]]:
    """Yield (schema to read instead of ``stg``, problems); detaches the copy afterwards."""
    entities = touched(config)
    if not entities:
        yield "stg", []
        return
    catalog = _catalog(cur)
    alias = f"prep_{uuid.uuid4().hex[:12]}"
    cur.execute(f"ATTACH ':memory:' AS {alias} (READ_WRITE)")
    try:
        for entity in ENTITIES:
            target = f'{alias}.main."{entity}"'
            source = f'"{catalog}".stg."{entity}"'
            if entity in entities:
                cur.execute(f"CREATE TABLE {target} AS SELECT * FROM {source}")
            else:
                cur.execute(f"CREATE VIEW {target} AS SELECT * FROM {source}")
        cur.execute(f"""CREATE TABLE {alias}.main.dropped (entity VARCHAR, sourced_id VARCHAR,
                        source VARCHAR, school_sourced_id VARCHAR, rule VARCHAR, reason VARCHAR)""")
        schema = f"{alias}.main"
        problems = [p.render() for p in apply_attribute_mappings(cur, config, sources, schema=schema)]
        apply_contact_module_off(cur, config, sources, schema=schema)
        apply_terms_merge(cur, config, schema=schema)
        yield schema, problems
    except duckdb.Error as exc:
        raise InputError.one(f"the settings could not be applied: {exc}",
                             outcome="Nothing was saved; the configuration is unchanged.") from exc
    finally:
        cur.execute(f"DETACH {alias}")
