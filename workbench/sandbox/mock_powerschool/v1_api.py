"""``/ws/v1``: metadata, time, and the read side a rostering client uses (schools, students,
sections, staff, courses, terms, section enrollments), with PowerSchool's response shapes.

Lists: ``{"<plural>": {"@expansions": ..., "@extensions": ..., "<singular>": [...]}}``, where a page
of one record holds an object (``Options.single_object``) and an empty page has no ``<singular>``
key; ``/count`` gives ``{"resource": {"count": N}}``; requested expansions with nothing in them are
``""``; integer-looking values are JSON numbers (``Options.v1_numbers``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from workbench.sandbox.mock_powerschool.context import Context, bad_request, not_found
from workbench.sandbox.mock_powerschool.fiql import FiqlError, compile_fiql
from workbench.sandbox.mock_powerschool.v1_resources import RESOURCES, Resource

_INT = re.compile(r"^(0|-?[1-9]\d*)$")


def metadata(ctx: Context) -> dict[str, Any]:
    size = ctx.options.max_page_size
    names = ("course", "school", "schema_table_query", "section", "section_enrollment", "staff", "student", "term")
    meta: dict[str, Any] = {f"{n}_max_page_size": size for n in names}
    prefs = _prefs(ctx)
    meta.update({
        "plugin_id": ctx.plugin.name if ctx.plugin else "", "powerschool_version": "25.1.0.0",
        "powerschool_uptime": "12 days", "machine_uptime": "40 days", "mobile_api_version": "1.0",
        "state_reporting_version": "", "state": prefs.get("districtstate", ""),
        "district_timezone": "America/Los_Angeles", "district_uuid": prefs.get("districtnumber", ""),
        "district_name": prefs.get("districtname", ""),
        "sso_enabled_admin": "false", "sso_enabled_guardian": "false", "sso_enabled_student": "false",
        "sso_enabled_teacher": "false",
    })
    return {"metadata": meta}


def _prefs(ctx: Context) -> dict[str, str]:
    if ctx.store.table("prefs") is None:
        return {}
    rows = ctx.cur.execute("SELECT lower(name), value FROM prefs").fetchall()
    return {k: v or "" for k, v in rows if k}


def server_time(ctx: Context) -> dict[str, Any]:
    now = dt.datetime.fromtimestamp(ctx.options.clock(), tz=dt.UTC)
    return {"time": {"date": now.date().isoformat(), "time": now.strftime("%H:%M:%S"),
                     "timestamp": str(int(now.timestamp()))}}


def coerce(value: Any, numbers: bool) -> Any:
    """PowerSchool's XML-to-JSON: integer-looking strings become numbers, others stay strings."""
    if isinstance(value, dict):
        return {k: coerce(v, numbers) for k, v in value.items()}
    if isinstance(value, list):
        return [coerce(v, numbers) for v in value]
    if numbers and isinstance(value, str) and _INT.match(value) and len(value) < 16:
        return int(value)
    return value


def _where(ctx: Context, res: Resource) -> tuple[str, list[object]]:
    def resolve(name: str) -> str:
        expr = res.search.get(name.lower())
        if expr is None:
            raise FiqlError(f"Unsupported search field {name!r} for {res.plural}")
        return expr
    try:
        where, params, _ = compile_fiql(ctx.params.get("q", ""), resolve)
    except FiqlError as exc:
        raise bad_request(str(exc)) from None
    return where, params


def _rows(ctx: Context, res: Resource, scope: str | None, extra: str = "", limit: str = "") -> list[dict[str, Any]]:
    where, params = _where(ctx, res)
    if scope is not None:
        if res.scope is None:
            raise not_found()
        where, params = f"({where}) AND {res.scope} = ?", [*params, scope]
    sql = f"SELECT * FROM ({res.sql(ctx.store)}) AS r WHERE {where}{res.list_filter} {extra} {limit}"
    cur = ctx.cur.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _parent(ctx: Context, res: Resource, parent: str | None) -> None:
    if parent is None or res.parent is None:
        return
    table, column = res.parent
    if ctx.cur.execute(f'SELECT 1 FROM "{table}" WHERE "{column}" = ? LIMIT 1', [parent]).fetchone() is None:
        raise not_found()


def list_resource(res: Resource) -> Callable[..., dict[str, Any]]:
    def handler(ctx: Context, parent: str | None = None) -> dict[str, Any]:
        _parent(ctx, res, parent)
        offset, limit = ctx.page(ctx.options.max_page_size)
        rows = _rows(ctx, res, parent, f"ORDER BY {res.order}", f"LIMIT {limit} OFFSET {offset}")
        expansions = {e.strip().lower() for e in ctx.params.get("expansions", "").split(",") if e.strip()}
        items = [coerce(res.build(ctx, row, expansions), ctx.options.v1_numbers) for row in rows]
        wrapper: dict[str, Any] = {"@expansions": ", ".join(res.expansions),
                                   "@extensions": ",".join(res.extensions(ctx.store))}
        if items:
            wrapper[res.singular] = items[0] if len(items) == 1 and ctx.options.single_object else items
        return {res.plural: wrapper}
    return handler


def count_resource(res: Resource) -> Callable[..., dict[str, Any]]:
    def handler(ctx: Context, parent: str | None = None) -> dict[str, Any]:
        _parent(ctx, res, parent)
        where, params = _where(ctx, res)
        if parent is not None:
            where, params = f"({where}) AND {res.scope} = ?", [*params, parent]
        row = ctx.cur.execute(f"SELECT count(*) FROM ({res.sql(ctx.store)}) AS r WHERE {where}{res.list_filter}",
                              params).fetchone()
        return {"resource": {"count": int(row[0]) if row else 0}}
    return handler


def one_resource(res: Resource) -> Callable[..., dict[str, Any]]:
    def handler(ctx: Context, ident: str) -> dict[str, Any]:
        rows = _by_id(ctx, res, ident)
        if not rows:
            raise not_found()
        expansions = {e.strip().lower() for e in ctx.params.get("expansions", "").split(",") if e.strip()}
        return {res.singular: coerce(res.build(ctx, rows[0], expansions), ctx.options.v1_numbers)}
    return handler


def _by_id(ctx: Context, res: Resource, ident: str) -> list[dict[str, Any]]:
    cur = ctx.cur.execute(f"SELECT * FROM ({res.sql(ctx.store)}) AS r WHERE r.id = ? LIMIT 1", [ident])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def routes(make: Callable[..., Any]) -> list[Any]:
    out = []
    for res in RESOURCES:
        for path in res.paths:
            out.append(make("GET", path + "/count", count_resource(res), v1=True))
            out.append(make("GET", path, list_resource(res), v1=True))
        if res.single:
            out.append(make("GET", res.single, one_resource(res), v1=True))
    return out
