"""``/ws/schema/query/{name}``: named PowerQueries run as DuckDB SQL over the district's tables.

``:arg`` binds become bound parameters (an array arg becomes one ``?`` per value); the query's
declared ``<column>`` list names the output columns in order. Body ``$q`` (or the ``$q`` query
parameter) filters on the column aliases, body ``projection`` (``table.col;table.*``) picks
columns, ``order`` overrides the SQL's ORDER BY, ``pagesize`` 0 returns every row.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from workbench.sandbox.mock_powerschool.context import (
    ApiError,
    Context,
    bad_request,
    not_found,
    require_access,
    text,
)
from workbench.sandbox.mock_powerschool.fiql import FiqlError, compile_fiql
from workbench.sandbox.mock_powerschool.plugins import NamedQuery, QueryColumn

_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_STRING = re.compile(r"('(?:[^']|'')*')")
_RESERVED = ("$q", "projection", "$dataversion", "$dataversion_applicationname")


def _query(ctx: Context, name: str) -> NamedQuery:
    found = ctx.queries.get(name) or next((q for n, q in ctx.queries.items() if n.lower() == name.lower()), None)
    if found is None:
        raise not_found(f"Named query {name} not found")
    return found


def _arg_values(query: NamedQuery, body: dict[str, Any]) -> dict[str, Any]:
    declared = {a.name.lower(): a for a in query.args}
    unknown = [k for k in body if k.lower() not in declared and k not in _RESERVED]
    if unknown:
        raise bad_request(f"Invalid argument(s) for {query.name}: {', '.join(unknown)}")
    given = {k.lower(): v for k, v in body.items()}
    values: dict[str, Any] = {}
    for arg in query.args:
        value = given.get(arg.name.lower(), arg.default)
        if value is None and arg.required:
            raise bad_request(f"Missing required argument {arg.name} for {query.name}")
        if arg.type == "array":
            items = value if isinstance(value, list) else ([] if value is None else [value])
            value = [_scalar(v, arg.casing) for v in items]
        elif value is not None:
            if isinstance(value, (list, dict)):
                raise bad_request(f"Argument {arg.name} of {query.name} takes one value")
            value = _scalar(value, arg.casing)
        values[arg.name.lower()] = value
    return values


def _scalar(value: Any, casing: str) -> str:
    s = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return s.upper() if casing == "upper" else s.lower() if casing == "lower" else s


def bind_sql(sql: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """Replace ``:name`` binds (outside string literals) by ``?`` and list the parameters in order."""
    params: list[Any] = []

    def sub(m: re.Match[str]) -> str:
        key = m.group(1).lower()
        if key not in values:
            raise ApiError(500, {"message": f"The query's SQL binds :{m.group(1)}, which is not a declared arg"})
        value = values[key]
        if isinstance(value, list):
            params.extend(value)
            return ", ".join("?" for _ in value) or "NULL"
        params.append(value)
        return "?"

    parts = _STRING.split(sql)
    out = [p if i % 2 else _BIND.sub(sub, p) for i, p in enumerate(parts)]
    return "".join(out), params


def _alias_resolver(columns: tuple[QueryColumn, ...]) -> Any:
    def resolve(name: str) -> str:
        key = name.lower()
        for i, c in enumerate(columns):
            if key in (c.alias, c.column):
                return f"c{i}"
        raise FiqlError(f"Unknown column {name!r} in $q")
    return resolve


def _projected(ctx: Context, query: NamedQuery) -> list[int]:
    raw = (ctx.body or {}).get("projection") or ctx.params.get("projection")
    if not raw:
        return list(range(len(query.columns)))
    wanted = [p.strip().lower() for p in str(raw).replace(",", ";").split(";") if p.strip()]
    keep = [i for i, c in enumerate(query.columns)
            if any(w in (c.column, c.alias, f"{c.table}.*", "*") for w in wanted)]
    if not keep:
        raise bad_request(f"projection {raw!r} names none of the columns of {query.name}")
    return keep


def _order(ctx: Context, query: NamedQuery) -> str | None:
    raw = ctx.params.get("order")
    if not raw:
        return None
    resolve = _alias_resolver(query.columns)
    keys = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        name, _, direction = part.partition(";")
        try:
            col = resolve(name.strip())
        except FiqlError:
            raise bad_request(f"order names an unknown column: {name!r}") from None
        keys.append(f"{col} {'DESC' if direction.strip().lower() == 'desc' else 'ASC'}")
    return ", ".join(keys)


def _prepare(ctx: Context, name: str) -> tuple[NamedQuery, str, list[Any], list[int]]:
    query = _query(ctx, name)
    body = ctx.body if ctx.body is not None else {}
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object ({} when there are no arguments)")
    keep = _projected(ctx, query)
    raw_q = body.get("$q") or ctx.params.get("$q") or ""
    try:
        where, qparams, qfields = compile_fiql(str(raw_q), _alias_resolver(query.columns))
    except FiqlError as exc:
        raise bad_request(str(exc)) from None
    resolve = _alias_resolver(query.columns)
    touched = [query.columns[i] for i in keep] + [query.columns[int(resolve(f)[1:])] for f in qfields]
    require_access(ctx.plugin, query.name, [(c.table, c.field) for c in touched])
    sql, params = bind_sql(query.sql, _arg_values(query, body))
    aliases = ", ".join(f"c{i}" for i in range(len(query.columns)))
    return query, f"SELECT * FROM ({sql}) AS pq({aliases}) WHERE {where}", params + qparams, keep


def _execute(ctx: Context, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    try:
        return ctx.cur.execute(sql, params).fetchall()
    except duckdb.Error as exc:
        raise ApiError(500, {"message": f"The query failed: {exc}"}) from None


def _record(query: NamedQuery, keep: list[int], row: tuple[Any, ...], n: int) -> dict[str, Any]:
    if query.flattened:
        return {query.columns[i].alias: text(row[i]) for i in keep}
    tables: dict[str, dict[str, str]] = {}
    for i in keep:
        tables.setdefault(query.columns[i].table, {})[query.columns[i].field] = text(row[i])
    core = tables.get(query.core_table.lower(), {})
    ident = core.get("dcid") or core.get("id") or str(n)
    return {"id": int(ident) if ident.lstrip("-").isdigit() else ident, "name": query.core_table, "tables": tables}


def run_query(ctx: Context, name: str) -> dict[str, Any]:
    query, sql, params, keep = _prepare(ctx, name)
    order = _order(ctx, query)
    offset, limit = ctx.page(ctx.options.powerquery_page_size, allow_all=True)
    paged = f"{sql}{f' ORDER BY {order}' if order else ''}{f' LIMIT {limit}' if limit is not None else ''} OFFSET {offset}"
    rows = _execute(ctx, paged, params)
    table = ctx.store.table(query.core_table)
    out: dict[str, Any] = {"name": table.name if table else query.core_table,
                           "record": [_record(query, keep, r, offset + i + 1) for i, r in enumerate(rows)],
                           "@extensions": ""}
    if ctx.params.get("count", "").lower() == "true":
        out["count"] = _count(ctx, sql, params)
    return out


def _count(ctx: Context, sql: str, params: list[Any]) -> int:
    rows = _execute(ctx, f"SELECT count(*) FROM ({sql})", params)
    return int(rows[0][0])


def count_query(ctx: Context, name: str) -> dict[str, Any]:
    _, sql, params, _ = _prepare(ctx, name)
    return {"count": _count(ctx, sql, params)}


def list_queries(ctx: Context) -> dict[str, Any]:
    if ctx.plugin is None:
        raise ApiError(401, {"message": "Unauthorized"})
    return {"query": [{"name": q.name, "coreTable": q.core_table, "flattened": str(q.flattened).lower(),
                       "summary": q.summary, "description": q.description,
                       "args": [{"name": a.name, "type": a.type, "required": str(a.required).lower()} for a in q.args],
                       "columns": [{"column": c.column, "name": c.alias} for c in q.columns]}
                      for q in sorted(ctx.queries.values(), key=lambda q: q.name)]}
