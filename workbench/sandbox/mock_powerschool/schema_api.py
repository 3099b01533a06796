"""``/ws/schema/table``: the district's tables, row by row, with projection, ``q``, paging and sort.

Values are strings (NULL -> ``""``); the table key inside ``tables`` and every column name are
lower-case; rows come in the extract's order unless ``sort`` is given.
"""

from __future__ import annotations

from typing import Any

from workbench.sandbox.mock_powerschool.context import (
    ApiError,
    Context,
    bad_request,
    not_found,
    require_access,
    text,
)
from workbench.sandbox.mock_powerschool.fiql import FiqlError, compile_fiql
from workbench.sandbox.mock_powerschool.store import ROW, Table

TABLE_NOT_FOUND = "Database table specified by the URI not found"


def _table(ctx: Context, name: str) -> Table:
    table = ctx.store.table(name)
    if table is None:
        raise not_found(TABLE_NOT_FOUND)
    return table


def _column(table: Table, name: str) -> str:
    col = name.lower()
    if col.startswith(table.key + "."):
        col = col[len(table.key) + 1:]
    if col not in table.fields:
        raise bad_request(f"Unknown column {name!r} in table {table.key}")
    return col


def _projection(ctx: Context, table: Table) -> list[str]:
    raw = ctx.params.get("projection")
    if not raw:
        if ctx.options.require_projection:
            raise bad_request("Get requests are required to have a projection parameter (projection=*)")
        raw = "*"
    cols: list[str] = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        picked = list(table.fields) if part.lower() in ("*", f"{table.key}.*") else [_column(table, part)]
        cols += [c for c in picked if c not in cols]
    return cols


def _where(ctx: Context, table: Table) -> tuple[str, list[object], list[str]]:
    try:
        return compile_fiql(ctx.params.get("q", ""), lambda f: f'"{_column(table, f)}"')
    except FiqlError as exc:
        raise bad_request(str(exc)) from None


def _order(ctx: Context, table: Table) -> str:
    sort = [_column(table, s) for s in ctx.params.get("sort", "").split(",") if s.strip()]
    direction = "DESC" if ctx.params.get("sortdescending", "").lower() == "true" else "ASC"
    keys = [f'TRY_CAST("{c}" AS DOUBLE) {direction}, "{c}" {direction}' for c in sort]
    return ", ".join([*keys, ROW])


def _record(table: Table, cols: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    rid = row[-1]
    ident: Any = int(rid) if rid is not None and text(rid).lstrip("-").isdigit() else text(rid)
    return {"id": ident, "name": table.key, "tables": {table.key: {c: text(v) for c, v in zip(cols, row, strict=False)}}}


def _select(table: Table, cols: list[str]) -> str:
    ident = f'"{table.id_column}"' if table.id_column else f"CAST({ROW} + 1 AS VARCHAR)"
    return ", ".join([*(f'"{c}"' for c in cols), ident])


def table_rows(ctx: Context, name: str) -> dict[str, Any]:
    table = _table(ctx, name)
    cols = _projection(ctx, table)
    where, params, qfields = _where(ctx, table)
    require_access(ctx.plugin, table.key, [(table.key, c) for c in [*cols, *(_column(table, f) for f in qfields)]])
    offset, limit = ctx.page(ctx.options.max_page_size)
    sql = (f'SELECT {_select(table, cols)} FROM "{table.key}" WHERE {where} ORDER BY {_order(ctx, table)}'
           f" LIMIT {limit} OFFSET {offset}")
    rows = ctx.cur.execute(sql, params).fetchall()
    return {"name": table.name.upper(), "record": [_record(table, cols, r) for r in rows], "@extensions": ""}


def table_count(ctx: Context, name: str) -> dict[str, Any]:
    table = _table(ctx, name)
    where, params, qfields = _where(ctx, table)
    require_access(ctx.plugin, table.key, [(table.key, _column(table, f)) for f in qfields])
    row = ctx.cur.execute(f'SELECT count(*) FROM "{table.key}" WHERE {where}', params).fetchone()
    return {"count": int(row[0]) if row else 0}


def table_row(ctx: Context, name: str, ident: str) -> dict[str, Any]:
    table = _table(ctx, name)
    if table.id_column is None:
        raise not_found()
    cols = _projection(ctx, table)
    require_access(ctx.plugin, table.key, [(table.key, c) for c in cols])
    rows = ctx.cur.execute(f'SELECT {_select(table, cols)} FROM "{table.key}" WHERE "{table.id_column}" = ? '
                           f"ORDER BY {ROW} LIMIT 1", [ident]).fetchall()
    if not rows:
        raise not_found()
    return _record(table, cols, rows[0])


def table_metadata(ctx: Context, name: str) -> dict[str, Any]:
    table = _table(ctx, name)
    plugin = ctx.plugin

    def access(col: str) -> str:
        return plugin.access.get((table.key, col), "NoAccess") if plugin else "NoAccess"

    columns = [{"name": c.lower(), "description": c, "type": "String", "access": access(c.lower())}
               for c in table.columns]
    return {"name": table.key, "comment": "", "primaryKey": table.id_column or "", "queries": [],
            "schemaType": "core", "coreTable": not table.key.startswith(("u_", "s_")), "collection": False,
            "columns": columns}


def table_list(ctx: Context) -> dict[str, Any]:
    if ctx.plugin is None:
        raise ApiError(401, {"message": "Unauthorized"})
    return {"record": [{"name": t.key, "description": t.name} for t in ctx.store.tables.values()]}
