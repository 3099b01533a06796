"""What a request handler sees: the district, the caller's plugin, the query string and body; and
the error a handler raises to answer with a status other than 200."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from workbench.sandbox.mock_powerschool.plugins import NamedQuery, Plugin
from workbench.sandbox.mock_powerschool.store import DistrictStore


@dataclass
class Options:
    """Server settings and the quirk toggles of reference §1.5-1.6 (defaults as PowerSchool)."""

    max_page_size: int = 100  # every *_max_page_size in /ws/v1/metadata; bigger pagesize is clamped
    powerquery_page_size: int = 100  # PowerQuery default pagesize (0 = all)
    token_lifetime: int = 2_592_000  # 30 days
    reuse_tokens: bool = True  # a second token request returns the live token, with less time left
    single_object: bool = True  # a /ws/v1 page of one record holds an object, not a list
    v1_numbers: bool = True  # /ws/v1 integer-looking values (no leading zero) as JSON numbers
    require_projection: bool = True  # /ws/schema/table without projection -> 400
    min_interval_ms: int = 0  # "Minimum time interval between API requests per plugin": closer -> 429
    clock: Callable[[], float] = time.time


class ApiError(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"message": message})


def not_found(message: str = "Not found") -> ApiError:
    return ApiError(404, {"message": message})


@dataclass
class Context:
    store: DistrictStore
    cur: duckdb.DuckDBPyConnection
    plugin: Plugin | None
    params: dict[str, str]
    options: Options
    queries: dict[str, NamedQuery] = field(default_factory=dict)
    body: Any = None

    def int_param(self, name: str, default: int) -> int:
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"{name} must be a whole number, not {raw!r}") from None

    def page(self, default_size: int, allow_all: bool = False) -> tuple[int, int | None]:
        """(offset, limit) from ``page`` (1-based) and ``pagesize`` (clamped to the maximum)."""
        page = self.int_param("page", 1)
        size = self.int_param("pagesize", default_size)
        if page < 1 or size < 0:
            raise bad_request("page must be 1 or more and pagesize 0 or more")
        if size == 0:
            if allow_all:
                return 0, None
            size = default_size
        if not allow_all:
            size = min(size, self.options.max_page_size)
        return (page - 1) * size, size


def require_access(plugin: Plugin | None, resource: str, fields: list[tuple[str, str]]) -> None:
    """403 Validation Failed naming each (table, field) the plugin's access_request lacks."""
    if plugin is None:
        raise ApiError(401, {"message": "Unauthorized"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    missing: list[str] = []
    for table, column in fields:
        name = f"{table.lower()}.{column.lower()}"
        if not plugin.can_read(table, column) and name not in missing:
            missing.append(name)
    if missing:
        errors = [{"resource": resource, "field": m, "code": "No access to the field"} for m in missing]
        raise ApiError(403, {"message": "Validation Failed", "errors": errors})


def text(value: Any) -> str:
    return "" if value is None else str(value)
