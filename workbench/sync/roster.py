"""The committed roster: every version kept, one transaction per commit, nothing ever erased.

Schema ``roster`` holds one table per canonical entity with the columns of ``stg`` plus the
versions a row is valid in: ``v_from`` (the version that wrote it) and ``v_to`` (the version that
replaced or deleted it; NULL while current). A version is therefore read as the rows with
``v_from <= v AND (v_to IS NULL OR v_to > v)``, and a commit only writes what changed. The view
``roster.current_<entity>`` is the head version. ``roster.version`` is the audit row of each
commit (who, when, kind, note, counts, and the plan hash, configuration version and hold override
reason the sync records); ``roster.change`` lists the records each version inserted, updated or
deleted. Rolling back commits an old version's rows as a new version.

A record is compared by its content: every column except ``load_id``, which changes with every
load without the record changing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from workbench.errors import InputError, WorkbenchError
from workbench.model.schema import ENTITIES, column_names, columns
from workbench.workspace import Workspace, author_name

NOT_COMMITTED = "Nothing was committed; the committed roster is unchanged."
SCHEMA = "roster"
OPS = ("insert", "update", "delete")


class ConflictError(WorkbenchError):
    """Another commit changed the roster since this one was prepared."""


@dataclass(frozen=True)
class Version:
    """One committed version of the roster (its audit row)."""

    version: int
    committed_at: datetime
    author: str
    kind: str
    note: str | None
    based_on: int
    restored_from: int | None
    config_version: int | None
    plan_hash: str | None
    override_reason: str | None
    counts: dict[str, dict[str, int]]

    def total(self, op: str) -> int:
        return sum(c.get(op, 0) for c in self.counts.values())


VERSION_COLUMNS = ("version", "committed_at", "author", "kind", "note", "based_on",
                   "restored_from", "config_version", "plan_hash", "override_reason", "counts")


def _ddl() -> list[str]:
    out = [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.version (
            version BIGINT PRIMARY KEY, committed_at TIMESTAMP NOT NULL, author VARCHAR NOT NULL,
            kind VARCHAR NOT NULL, note VARCHAR, based_on BIGINT NOT NULL, restored_from BIGINT,
            config_version INTEGER, plan_hash VARCHAR, override_reason VARCHAR,
            counts JSON NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.change (
            version BIGINT NOT NULL, entity VARCHAR NOT NULL, sourced_id VARCHAR NOT NULL,
            op VARCHAR NOT NULL)""",
    ]
    for entity in ENTITIES:
        cols = ",\n  ".join(f'"{c.name}" {c.type}' for c in columns(entity))
        out.append(f'CREATE TABLE IF NOT EXISTS {SCHEMA}."{entity}" (\n  {cols},\n'
                   "  v_from BIGINT NOT NULL, v_to BIGINT)")
        out.append(f'CREATE OR REPLACE VIEW {SCHEMA}."current_{entity}" AS SELECT * EXCLUDE '
                   f'(v_from, v_to) FROM {SCHEMA}."{entity}" WHERE v_to IS NULL')
    return out


def ensure(cur: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``roster`` (idempotent)."""
    for ddl in _ddl():
        cur.execute(ddl)


def exists(cur: duckdb.DuckDBPyConnection) -> bool:
    return bool(cur.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND "
                            "table_name = 'version'", [SCHEMA]).fetchall())


def head_of(cur: duckdb.DuckDBPyConnection) -> int:
    """The head version, on an open cursor whose ``roster`` schema exists."""
    row = cur.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA}.version").fetchone()
    return int(row[0]) if row else 0


def _content(entity: str, alias: str) -> str:
    cols = ", ".join(f'{alias}."{c}"' for c in column_names(entity) if c != "load_id")
    return f"row({cols})"


def _check_unique(cur: duckdb.DuckDBPyConnection, relation: str, entity: str, label: str) -> None:
    rows = cur.execute(f"SELECT sourced_id, count(*) FROM {relation} GROUP BY 1 HAVING count(*) > 1 "
                       "ORDER BY 1 LIMIT 5").fetchall()
    if rows:
        ids = ", ".join(f"{r[0]} ({r[1]} rows)" for r in rows)
        raise InputError.one(
            f"{entity} IDs are not unique: {ids}", file=label, field="sourced_id",
            hint="two sources share an ID prefix; give each source its own prefix and reload",
            outcome=NOT_COMMITTED)


def _apply(cur: duckdb.DuckDBPyConnection, entity: str, relation: str, version: int) -> dict[str, int]:
    """Write the changes of one entity from ``relation`` (the new rows) as ``version``."""
    table = f'{SCHEMA}."{entity}"'
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE _sync_chg AS
        SELECT coalesce(n.sourced_id, o.sourced_id) AS sourced_id,
               CASE WHEN o.sourced_id IS NULL THEN 'insert' WHEN n.sourced_id IS NULL THEN 'delete'
                    ELSE 'update' END AS op
        FROM (SELECT * FROM {table} WHERE v_to IS NULL) o
        FULL OUTER JOIN {relation} n ON n.sourced_id = o.sourced_id
        WHERE o.sourced_id IS NULL OR n.sourced_id IS NULL
           OR {_content(entity, 'o')} IS DISTINCT FROM {_content(entity, 'n')}""")
    cur.execute(f"""UPDATE {table} SET v_to = ? WHERE v_to IS NULL AND sourced_id IN
        (SELECT sourced_id FROM _sync_chg WHERE op <> 'insert')""", [version])
    names = ", ".join(f'n."{c}"' for c in column_names(entity))
    cur.execute(f"""INSERT INTO {table} SELECT {names}, ?, NULL FROM {relation} n
        SEMI JOIN (SELECT sourced_id FROM _sync_chg WHERE op <> 'delete') c USING (sourced_id)""",
                [version])
    cur.execute(f"INSERT INTO {SCHEMA}.change SELECT ?, ?, sourced_id, op FROM _sync_chg",
                [version, entity])
    counts = dict(cur.execute("SELECT op, count(*) FROM _sync_chg GROUP BY 1").fetchall())
    return {op: int(counts.get(op, 0)) for op in OPS}


def _write(cur: duckdb.DuckDBPyConnection, relations: dict[str, str], *, label: str,
           expected_head: int | None, audit: dict[str, Any]) -> int:
    """The body of a commit on an open transaction; returns the new version."""
    ensure(cur)
    head = head_of(cur)
    if expected_head is not None and head != expected_head:
        raise ConflictError(f"the roster moved on: it is at version {head}, this commit was "
                            f"prepared against version {expected_head}; review the plan again")
    for entity, relation in relations.items():
        _check_unique(cur, relation, entity, label)
    version = head + 1
    counts = {e: _apply(cur, e, r, version) for e, r in relations.items()}
    values = {**audit, "version": version, "committed_at": datetime.now(), "based_on": head,
              "counts": json.dumps(counts)}
    cur.execute(f"INSERT INTO {SCHEMA}.version ({', '.join(VERSION_COLUMNS)}) VALUES "
                f"({', '.join('?' for _ in VERSION_COLUMNS)})", [values.get(c) for c in VERSION_COLUMNS])
    return version


def write_version(ws: Workspace, relations_for: Any, **kwargs: Any) -> Version:
    cur = ws.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        try:
            version = _write(cur, relations_for(cur), **kwargs)
            cur.execute("COMMIT")
        except duckdb.TransactionException as exc:
            cur.execute("ROLLBACK")
            raise ConflictError(f"another commit won the race ({exc}); review the plan again") from exc
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.close()
    return get_version(ws, version)


def commit_roster(ws: Workspace, *, schema: str = "cand", author: str | None = None,
                  note: str | None = None, expected_head: int | None = None,
                  config_version: int | None = None, plan_hash: str | None = None,
                  override_reason: str | None = None) -> Version:
    """Commit the candidate roster (``schema``.*, built by ``rules.build_candidate``) as a new version.

    One DuckDB transaction: either every entity, the changes and the audit row are written, or
    nothing is. ``expected_head`` refuses the commit (``ConflictError``) when another commit landed
    since the caller looked.
    """
    tables = {r[0] for r in ws.query("SELECT table_name FROM duckdb_tables() WHERE schema_name = ?",
                                     [schema])}
    missing = [e for e in ENTITIES if e not in tables]
    if missing:
        raise InputError.one(f"schema {schema} has no {', '.join(missing)} table",
                             field="schema", hint="build the candidate roster first "
                             "(workbench preview, or rules.build_candidate)", outcome=NOT_COMMITTED)
    audit = {"author": author_name(author), "kind": "commit", "note": note,
             "config_version": config_version, "plan_hash": plan_hash,
             "override_reason": override_reason}
    return write_version(ws, lambda cur: {e: f'{schema}."{e}"' for e in ENTITIES},
                              label=f"{schema} (candidate roster)", expected_head=expected_head,
                              audit=audit)


def _as_of_sql(entity: str) -> str:
    """The rows of ``entity`` in version ``$v``."""
    return (f'SELECT * EXCLUDE (v_from, v_to) FROM {SCHEMA}."{entity}" '
            "WHERE v_from <= $v AND (v_to IS NULL OR v_to > $v)")


def rollback_roster(ws: Workspace, to_version: int, *, author: str | None = None,
                    note: str | None = None, expected_head: int | None = None) -> Version:
    """Make a new version whose rows equal those of ``to_version`` (0: the empty roster)."""
    head = head_version(ws)
    if not 0 <= to_version <= head:
        raise InputError.one(f"there is no version {to_version}; the roster is at version {head}",
                             field="version", hint="list them with `workbench history WORKSPACE`",
                             outcome=NOT_COMMITTED)

    def relations(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
        out = {}
        for entity in ENTITIES:
            cur.execute(f'CREATE OR REPLACE TEMP TABLE "_rb_{entity}" AS {_as_of_sql(entity)}',
                        {"v": to_version})
            out[entity] = f'"_rb_{entity}"'
        return out

    audit = {"author": author_name(author), "kind": "rollback", "restored_from": to_version,
             "note": note or f"rollback to version {to_version}"}
    return write_version(ws, relations, label=f"version {to_version}",
                              expected_head=head if expected_head is None else expected_head,
                              audit=audit)


def head_version(ws: Workspace) -> int:
    """The latest committed version (0 when nothing was ever committed)."""
    cur = ws.cursor()
    try:
        return head_of(cur) if exists(cur) else 0
    finally:
        cur.close()


def _versions(ws: Workspace, where: str, params: list[Any]) -> list[Version]:
    cur = ws.cursor()
    try:
        if not exists(cur):
            return []
        rows = cur.execute(f"SELECT {', '.join(VERSION_COLUMNS)} FROM {SCHEMA}.version "
                           f"WHERE {where} ORDER BY version DESC", params).fetchall()
    finally:
        cur.close()
    return [Version(*r[:-1], counts=json.loads(r[-1])) for r in rows]


def roster_history(ws: Workspace) -> list[Version]:
    """Every committed version, newest first."""
    return _versions(ws, "true", [])


def get_version(ws: Workspace, version: int) -> Version:
    found = _versions(ws, "version = ?", [version])
    if not found:
        raise InputError.one(f"there is no version {version}", field="version",
                             hint="list them with `workbench history WORKSPACE`", outcome="")
    return found[0]


def roster_rows(ws: Workspace, entity: str, version: int | None = None) -> Any:
    """The rows of ``entity`` in ``version`` (default: the head) as a DataFrame."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}")
    cur = ws.cursor()
    try:
        if not exists(cur):
            return cur.execute(f'SELECT * FROM stg."{entity}" LIMIT 0').df()
        v = head_of(cur) if version is None else version
        return cur.execute(_as_of_sql(entity) + " ORDER BY sourced_id", {"v": v}).df()
    finally:
        cur.close()


def committed_relation(cur: duckdb.DuckDBPyConnection, entity: str) -> str | None:
    """The head-version relation of ``entity`` (``roster.current_<entity>``), or None before the
    first commit; for SQL that compares the load with what was delivered."""
    return f'{SCHEMA}."current_{entity}"' if exists(cur) else None


def diff_versions(ws: Workspace, old: int, new: int, *, entity: str | None = None,
                  limit: int = 10_000) -> Any:
    """What changed from version ``old`` to ``new`` (either order), per record, with the fields
    that differ (``diff``: field, before, after) for updates, as a DataFrame."""
    from workbench.sync.plan import diff_sql

    head = head_version(ws)
    for v in (old, new):
        if not 0 <= v <= head:
            raise InputError.one(f"there is no version {v}; the roster is at version {head}",
                                 field="version", hint="list them with `workbench history WORKSPACE`",
                                 outcome="")
    entities = [entity] if entity else list(ENTITIES)
    parts = []
    for e in entities:
        keep = " OR ".join(f'o."{c}" IS DISTINCT FROM n."{c}"' for c in column_names(e) if c != "load_id")
        parts.append(f"""SELECT '{e}' AS entity, coalesce(n.sourced_id, o.sourced_id) AS sourced_id,
            CASE WHEN o.sourced_id IS NULL THEN 'insert' WHEN n.sourced_id IS NULL THEN 'delete'
                 ELSE 'update' END AS op,
            CASE WHEN o.sourced_id IS NOT NULL AND n.sourced_id IS NOT NULL THEN {diff_sql(e)} END AS diff
            FROM ({_as_of_sql(e).replace('$v', '$old')}) o
            FULL OUTER JOIN ({_as_of_sql(e).replace('$v', '$new')}) n USING (sourced_id)
            WHERE o.sourced_id IS NULL OR n.sourced_id IS NULL OR {keep}""")
    cur = ws.cursor()
    try:
        if not exists(cur):
            return cur.execute("SELECT NULL::VARCHAR AS entity, NULL::VARCHAR AS sourced_id, "
                               "NULL::VARCHAR AS op, NULL AS diff LIMIT 0").df()
        sql = " UNION ALL ".join(parts) + " ORDER BY entity, op, sourced_id LIMIT $n"
        return cur.execute(sql, {"old": old, "new": new, "n": limit}).df()
    finally:
        cur.close()


def committed_or_empty(cur: duckdb.DuckDBPyConnection, entity: str) -> str:
    """The head-version relation of ``entity``, or an empty one with the same columns."""
    return committed_relation(cur, entity) or f'(SELECT * FROM stg."{entity}" LIMIT 0)'
