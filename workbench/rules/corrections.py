"""Steward corrections: a value fixed in the workbench, delivered until the source catches up.

A correction names one attribute of one canonical record (``student S4101 email``) and the value
the steward wants delivered, with who, when and why. It is stored in ``meta.correction`` and
applied to every candidate roster built after it (``apply_corrections``, after duplicates are
merged), so it survives later loads. Undoing one marks it reversed; nothing is erased.

When the record's source is in ``two_way`` sync mode and the configuration marks the attribute
for write-back (``writeback.<entity>: [attribute, ...]``), the correction is also a write-back:
the sync plan lists it (``pending_writebacks``) so that the source can be fixed too. A write-back
is no longer pending once the source sends the corrected value itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from workbench.errors import InputError
from workbench.model.schema import ENTITIES, columns
from workbench.rules.decisions import column_type
from workbench.workspace import Workspace, author_name

NOT_CORRECTED = "Nothing was corrected; the workspace is unchanged."
# never corrected by hand: identity and lineage
PROTECTED = ("sourced_id", "source", "source_id", "load_id")
DDL = (
    "CREATE SEQUENCE IF NOT EXISTS meta.correction_seq START 1",
    """CREATE TABLE IF NOT EXISTS meta.correction (
        correction_id BIGINT PRIMARY KEY, entity VARCHAR NOT NULL, sourced_id VARCHAR NOT NULL,
        attribute VARCHAR NOT NULL, value VARCHAR, author VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, note VARCHAR, reversed_by VARCHAR, reversed_at TIMESTAMP)""",
)
COLUMNS = ("correction_id", "entity", "sourced_id", "attribute", "value", "author", "created_at",
           "note", "reversed_by", "reversed_at")


@dataclass(frozen=True)
class Correction:
    correction_id: int
    entity: str
    sourced_id: str
    attribute: str
    value: str | None
    author: str
    created_at: datetime
    note: str | None
    reversed_by: str | None
    reversed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.reversed_at is None


def ensure(cur: duckdb.DuckDBPyConnection) -> None:
    for ddl in DDL:
        cur.execute(ddl)


def _column_type(entity: str, attribute: str) -> str:
    try:
        return column_type(entity, attribute)
    except KeyError:
        pass
    raise InputError.one(f"{attribute!r} is not an attribute of {entity}", field="attribute",
                         hint=f"allowed: {', '.join(c.name for c in columns(entity))}",
                         outcome=NOT_CORRECTED)


def correct(ws: Workspace, entity: str, sourced_id: str, attribute: str, value: str | None, *,
            author: str | None = None, note: str | None = None) -> Correction:
    """Record a correction (``value`` None or '' clears the attribute)."""
    if entity not in ENTITIES:
        raise InputError.one(f"unknown entity {entity!r}", field="entity",
                             hint=f"allowed: {', '.join(ENTITIES)}", outcome=NOT_CORRECTED)
    if attribute in PROTECTED:
        raise InputError.one(f"{attribute} identifies the record and cannot be corrected",
                             field="attribute", hint="re-link or merge duplicates instead",
                             outcome=NOT_CORRECTED)
    kind = _column_type(entity, attribute)
    value = value if value not in ("",) else None
    with ws.transaction() as cur:
        ensure(cur)
        if not cur.execute(f'SELECT 1 FROM stg."{entity}" WHERE sourced_id = ? LIMIT 1',
                           [sourced_id]).fetchall():
            raise InputError.one(f"no {entity} with ID {sourced_id} in the workspace",
                                 field="sourced_id", outcome=NOT_CORRECTED)
        if value is not None and not kind.endswith("[]") and kind != "JSON":
            ok = cur.execute(f"SELECT TRY_CAST(? AS {kind}) IS NOT NULL", [value]).fetchone()
            if not ok or not ok[0]:
                raise InputError.one(f"{value!r} is not a valid {kind} for {entity}.{attribute}",
                                     field=attribute, hint="dates are YYYY-MM-DD; booleans "
                                     "true or false", outcome=NOT_CORRECTED)
        row = cur.execute("SELECT nextval('meta.correction_seq')").fetchone()
        correction_id = int(row[0]) if row else 0
        cur.execute("INSERT INTO meta.correction VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                    [correction_id, entity, sourced_id, attribute, value, author_name(author),
                     datetime.now(), note])
    return _get(ws, correction_id)


def undo_correction(ws: Workspace, correction_id: int, *, author: str | None = None) -> Correction:
    found = _get(ws, correction_id)
    if not found.active:
        raise InputError.one(f"correction {correction_id} was already reversed by "
                             f"{found.reversed_by}", field="correction_id", outcome=NOT_CORRECTED)
    with ws.transaction() as cur:
        cur.execute("UPDATE meta.correction SET reversed_by = ?, reversed_at = ? "
                    "WHERE correction_id = ?", [author_name(author), datetime.now(), correction_id])
    return _get(ws, correction_id)


def _corrections(ws: Workspace, where: str, params: list[Any]) -> list[Correction]:
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'meta' "
                    "AND table_name = 'correction'"):
        return []
    return [Correction(*r) for r in ws.query(
        f"SELECT {', '.join(COLUMNS)} FROM meta.correction WHERE {where} ORDER BY correction_id",
        params)]


def _get(ws: Workspace, correction_id: int) -> Correction:
    found = _corrections(ws, "correction_id = ?", [correction_id])
    if not found:
        raise InputError.one(f"correction {correction_id} does not exist", field="correction_id",
                             hint="list them with `workbench corrections WORKSPACE`",
                             outcome=NOT_CORRECTED)
    return found[0]


def list_corrections(ws: Workspace, *, active_only: bool = False) -> list[Correction]:
    return _corrections(ws, "reversed_at IS NULL" if active_only else "true", [])


def _active_sql() -> str:
    """The latest active correction per record and attribute."""
    return """SELECT entity, sourced_id, attribute, arg_max(value, correction_id) AS value,
        max(correction_id) AS correction_id
        FROM meta.correction WHERE reversed_at IS NULL GROUP BY ALL"""


def apply_corrections(cur: duckdb.DuckDBPyConnection, schema: str) -> int:
    """Set the corrected values in the candidate roster ``schema``; returns values changed."""
    if not cur.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'meta' "
                       "AND table_name = 'correction'").fetchall():
        return 0
    cur.execute(f"CREATE OR REPLACE TEMP TABLE _corr AS {_active_sql()}")
    done = 0
    for entity, attribute in cur.execute("SELECT DISTINCT entity, attribute FROM _corr").fetchall():
        kind = _column_type(entity, attribute)
        value = "c.value::JSON" if kind == "JSON" else (
            f"CAST(c.value AS {kind})" if not kind.endswith("[]")
            else f"string_split(c.value, ',')::{kind}")
        cur.execute(f"""UPDATE {schema}."{entity}" t SET "{attribute}" = {value} FROM _corr c
            WHERE c.entity = ? AND c.attribute = ? AND c.sourced_id = t.sourced_id""",
                    [entity, attribute])
        row = cur.execute(f"""SELECT count(*) FROM _corr c JOIN {schema}."{entity}" t
            ON c.sourced_id = t.sourced_id WHERE c.entity = ? AND c.attribute = ?""",
                          [entity, attribute]).fetchone()
        done += int(row[0]) if row else 0
    return done


def pending_writebacks_sql(config: Mapping[str, Any]) -> str | None:
    """SELECT of the corrections to send back to their source: attribute marked for write-back,
    source in two_way mode, and the source still sending another value. None: nothing to send."""
    two_way = two_way_sources(config)
    marked = [(e, a) for e, attrs in (config.get("writeback") or {}).items() for a in attrs or []]
    if not two_way or not marked:
        return None
    parts = []
    for entity, attribute in marked:
        parts.append(f"""SELECT '{entity}' AS entity, t.sourced_id, t.source, t.source_id,
            '{attribute}' AS attribute, CAST(t."{attribute}" AS VARCHAR) AS source_value,
            c.value, c.correction_id
            FROM stg."{entity}" t JOIN ({_active_sql()}) c
              ON c.entity = '{entity}' AND c.attribute = '{attribute}' AND c.sourced_id = t.sourced_id
            WHERE list_contains($two_way, t.source)
              AND CAST(t."{attribute}" AS VARCHAR) IS DISTINCT FROM c.value""")
    return " UNION ALL ".join(parts)


def two_way_sources(config: Mapping[str, Any]) -> list[str]:
    return [s["name"] for s in config.get("sources") or [] if s.get("sync_mode") == "two_way"]


def pending_writebacks(ws: Workspace, config: Mapping[str, Any]) -> pd.DataFrame:
    """The corrections a two-way sync would send back (entity, IDs, attribute, both values)."""
    sql = pending_writebacks_sql(config)
    cols = ["entity", "sourced_id", "source", "source_id", "attribute", "source_value", "value",
            "correction_id"]
    if sql is None or not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'meta' "
                                   "AND table_name = 'correction'"):
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(ws.query(sql + " ORDER BY 1, 2, 5", {"two_way": two_way_sources(config)}),
                        columns=cols)
