"""The FIQL subset PowerSchool accepts in ``q`` and ``$q``, compiled to a bound SQL condition.

``field==value`` (``*`` wildcards, ``(a,b)`` value lists, ``\\u0000`` for NULL), ``!=``, ``=gt=``,
``=ge=``, ``=lt=``, ``=le=``; clauses joined by ``;`` (AND). Values that look like numbers are
compared as numbers, everything else as text (ISO dates sort as text).
"""

from __future__ import annotations

import re
from collections.abc import Callable

OPERATORS = {"==": "=", "!=": "<>", "=gt=": ">", "=ge=": ">=", "=lt=": "<", "=le=": "<="}
_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(==|!=|=gt=|=ge=|=lt=|=le=)(.*)$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
NULL = "\u0000"


class FiqlError(ValueError):
    """A ``q`` the server does not understand (HTTP 400)."""


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")


def _compare(expr: str, op: str, value: str, params: list[object]) -> str:
    sql_op = OPERATORS[op]
    if value == NULL:
        if op not in ("==", "!="):
            raise FiqlError("NULL can only be compared with == or !=")
        return f"{expr} IS {'NOT ' if op == '!=' else ''}NULL"
    if "*" in value and op in ("==", "!="):
        params.append(_like(value))
        return f"{expr} {'NOT ' if op == '!=' else ''}LIKE ? ESCAPE '\\'"
    if _NUMBER.match(value):
        if op in ("==", "!="):
            params.extend([value, float(value)])
            inner = f"({expr} = ? OR TRY_CAST({expr} AS DOUBLE) = ?)"
            return inner if op == "==" else f"NOT coalesce({inner}, false)"
        params.append(float(value))
        return f"TRY_CAST({expr} AS DOUBLE) {sql_op} ?"
    params.append(value)
    return f"{expr} {sql_op} ?"


def compile_fiql(q: str, resolve: Callable[[str], str]) -> tuple[str, list[object], list[str]]:
    """``q`` -> (SQL condition, parameters, fields named). ``resolve`` maps a field name to an SQL
    expression and raises FiqlError for unknown fields."""
    conditions: list[str] = []
    params: list[object] = []
    fields: list[str] = []
    for clause in (c for c in q.split(";") if c.strip()):
        m = _CLAUSE.match(clause)
        if not m:
            raise FiqlError(f"Invalid query expression: {clause!r}")
        field, op, value = m.group(1), m.group(2), m.group(3).strip()
        expr = resolve(field)
        fields.append(field)
        if value.startswith("(") and value.endswith(")"):
            if op not in ("==", "!="):
                raise FiqlError(f"A value list needs == or !=: {clause!r}")
            parts = [_compare(expr, "==", v.strip(), params) for v in value[1:-1].split(",") if v.strip()]
            either = "(" + " OR ".join(parts or ["false"]) + ")"
            conditions.append(either if op == "==" else f"NOT coalesce({either}, false)")
        else:
            conditions.append(_compare(expr, op, value, params))
    return (" AND ".join(conditions) or "true"), params, fields
