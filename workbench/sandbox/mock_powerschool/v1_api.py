"""``/ws/v1``: metadata, time, and the read side a rostering client uses (schools, students,
sections, staff, courses, terms, section enrollments), with PowerSchool's response shapes; and one
write, ``POST /ws/v1/student`` (UPDATE of names and email; the plugin needs v1 access FULL).

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

from workbench.sandbox.mock_powerschool.context import ApiError, Context, bad_request, not_found
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
    out.append(make("POST", "/ws/v1/student", update_students, v1=True))
    return out


# Writes: POST /ws/v1/student (UPDATE of names and email) ------------------------------------------

NAME_FIELDS = {"first_name": "first_name", "middle_name": "middle_name", "last_name": "last_name"}


def _item_error(item: dict[str, Any], message: str, field: str = "") -> dict[str, Any]:
    return {"client_uid": item.get("client_uid", ""), "status": "ERROR", "action": item.get("action", ""),
            "error_message": {"error": [{"field": field, "error_description": message}]}}


def _next_id(ctx: Context, table: str, column: str) -> str:
    row = ctx.cur.execute(f'SELECT coalesce(max(TRY_CAST("{column}" AS BIGINT)), 0) + 1 FROM "{table}"').fetchone()
    return str(row[0] if row else 1)


def _append(ctx: Context, table: str, values: dict[str, str | None]) -> None:
    t = ctx.store.tables[table]
    row = ctx.cur.execute(f'SELECT coalesce(max(__row), -1) + 1 FROM "{table}"').fetchone()
    cols = ["__row", *t.fields]
    vals = [row[0] if row else 0, *(values.get(c) for c in t.fields)]
    ctx.cur.execute(f'INSERT INTO "{table}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in cols)}) '
                    f'VALUES ({", ".join("?" for _ in cols)})', vals)


def _set_email(ctx: Context, person_id: str | None, email: str) -> str | None:
    """Point the person's chosen email (primary, then by priority) at a new EmailAddress row;
    a person without one gets a primary one. None, or why it could not be done."""
    if person_id is None:
        return "the student has no Person record to hold an email"
    if ctx.store.table("emailaddress") is None or ctx.store.table("personemailaddressassoc") is None:
        return "this server has no EmailAddress / PersonEmailAddressAssoc tables"
    email_id = _next_id(ctx, "emailaddress", "emailaddressid")
    _append(ctx, "emailaddress", {"emailaddressid": email_id, "emailaddress": email})
    chosen = ctx.cur.execute("""SELECT __row FROM personemailaddressassoc WHERE trim(personid) = trim(?)
        ORDER BY CASE WHEN lower(trim(isprimaryemailaddress)) IN ('1', 'true', 'y', 'yes') THEN 0 ELSE 1 END,
                 coalesce(TRY_CAST(emailaddresspriorityorder AS INTEGER), 999999), __row LIMIT 1""",
                             [person_id]).fetchone()
    if chosen:
        ctx.cur.execute("UPDATE personemailaddressassoc SET emailaddressid = ? WHERE __row = ?", [email_id, chosen[0]])
    else:
        _append(ctx, "personemailaddressassoc", {
            "personemailaddressassocid": _next_id(ctx, "personemailaddressassoc", "personemailaddressassocid"),
            "personid": person_id, "emailaddressid": email_id, "isprimaryemailaddress": "1",
            "emailaddresspriorityorder": "1"})
    return None


def _update_student(ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    ident = str(item.get("id", "")).strip()
    rows = ctx.cur.execute("SELECT person_id FROM students WHERE dcid = ? LIMIT 1", [ident]).fetchall() \
        if ident else []
    if not rows:
        return _item_error(item, f"no student with id {ident!r}", "id")
    name = item.get("name") or {}
    contact = item.get("contact_info") or {}
    if not isinstance(name, dict) or not isinstance(contact, dict):
        return _item_error(item, "name and contact_info must be objects")
    fields = ctx.store.tables["students"].fields
    sets = [(column, name[key]) for key, column in NAME_FIELDS.items() if key in name]
    missing = [c for c, _ in sets if c not in fields]
    if missing:
        return _item_error(item, f"the Students table has no {', '.join(missing)}", missing[0])
    ctx.cur.execute("BEGIN TRANSACTION")
    try:
        for column, value in sets:
            ctx.cur.execute(f'UPDATE students SET "{column}" = ? WHERE dcid = ?',
                            [None if value in (None, "") else str(value), ident])
        if "email" in contact:
            problem = _set_email(ctx, rows[0][0], str(contact["email"] or ""))
            if problem:
                ctx.cur.execute("ROLLBACK")
                return _item_error(item, problem, "contact_info.email")
        ctx.cur.execute("COMMIT")
    except Exception:
        ctx.cur.execute("ROLLBACK")
        raise
    return {"client_uid": item.get("client_uid", ""), "status": "SUCCESS", "action": "UPDATE",
            "success_message": {"id": int(ident) if _INT.match(ident) else ident,
                                "ref": f"/ws/v1/student/{ident}"}}


def update_students(ctx: Context) -> dict[str, Any]:
    """``POST /ws/v1/student``: the bulk insert/update of reference §1.4; this mock does UPDATE of
    ``name`` (first, middle, last) and ``contact_info.email``. Needs v1 access FULL."""
    if ctx.plugin is None or ctx.plugin.v1_access != "FULL":
        raise ApiError(403, {"message": "Forbidden: updating students needs the plugin's /ws/v1 access level "
                             "FULL (accessLevelV1Api=\"FULL\")"})
    body = ctx.body if isinstance(ctx.body, dict) else {}
    node = (body.get("students") or {}) if isinstance(body.get("students"), dict) else {}
    items = node.get("student")
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list) or not items:
        raise bad_request('send {"students": {"student": [{"client_uid", "action", "id", ...}]}}')
    results = []
    for item in items:
        action = str(item.get("action", "")).upper() if isinstance(item, dict) else ""
        if action != "UPDATE":
            results.append(_item_error(item if isinstance(item, dict) else {},
                                       f"action {action or '(none)'} is not supported by the mock (UPDATE only)",
                                       "action"))
            continue
        results.append(_update_student(ctx, item))
    updated = sum(1 for r in results if r["status"] == "SUCCESS")
    result: Any = results[0] if len(results) == 1 and ctx.options.single_object else results
    return {"results": {"insert_count": 0, "update_count": updated, "delete_count": 0, "result": result}}
