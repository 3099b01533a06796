"""A small strict client for the PowerSchool API: OAuth token, table pages, PowerQueries.

* One injectable ``httpx.Client`` (thread-safe; the client may be shared by a few threads).
* The access token is cached and renewed a little before it expires; a ``401`` on a data call
  renews it exactly once and repeats the call, then gives up with ``AuthError``.
* Reads (GET, and PowerQuery POSTs, which only read) are retried on ``429`` (after ``Retry-After``
  seconds when the server says so), on ``5xx``, on transport errors and on broken JSON, with
  exponential backoff and jitter, at most ``max_retries`` times.
* Paging is a generator: ``/count`` first, then pages of the server's maximum page size
  (``schema_table_query_max_page_size`` from ``/ws/v1/metadata``, 100 when unknown).
* Every error is typed (``errors.py``) and says what to do; no message, log line or ``repr`` holds
  the client ID or secret.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from workbench.sources.powerschool.credentials import Credentials
from workbench.sources.powerschool.errors import (
    CONFIG_PAGE,
    AccessError,
    ApiAccessError,
    AuthError,
    NotFoundError,
    PowerSchoolError,
    RequestError,
    ServerError,
    UnreachableError,
    mask,
)

log = logging.getLogger("workbench.powerschool")

# canonical student attribute -> (v1 student object, member): what ``update_student`` can write
STUDENT_FIELDS = {
    "given_name": ("name", "first_name"), "middle_name": ("name", "middle_name"),
    "family_name": ("name", "last_name"), "email": ("contact_info", "email"),
}

DEFAULT_PAGE_SIZE = 100
# metadata ``access`` values of a column the plugin may not read
NO_ACCESS = ("NoAccess", "BlackListNoAccess")
Row = dict[str, str]


def public_url(url: str) -> str:
    """The Service URL as recorded: ``https://`` when no scheme is given, without any
    ``user:password@`` part, query or trailing slash."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise PowerSchoolError(f"{public_text(url)!r} is not a PowerSchool Service URL",
                               "give it as https://district.powerschool.com")
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def public_text(url: str) -> str:
    """``url`` with any ``user:password@`` part cut out, for messages."""
    return re.sub(r"//[^/@]*@", "//", url)


def _expires_in(value: Any, default: int = 3600) -> int:
    """``expires_in`` as PowerSchool sends it (a string of seconds) or as an int."""
    try:
        return max(int(str(value).strip()), 0)
    except (TypeError, ValueError):
        return default


def retry_after(resp: httpx.Response) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), if any."""
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _as_list(node: Any) -> list[Any]:
    """PowerSchool's list nodes: missing or ``""`` -> [], one object -> [object]."""
    if node is None or node == "":
        return []
    return node if isinstance(node, list) else [node]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value if isinstance(value, str) else str(value)


def record_columns(record: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The column map of one ``/ws/schema/table`` record (``tables[key]``, ``key`` lower-case),
    values as sent; found case-insensitively when the server spells the table otherwise."""
    tables = record.get("tables")
    if not isinstance(tables, dict):  # JSON objects are dicts (and dict checks are fast)
        return {k: v for k, v in record.items() if k not in ("id", "name")}
    cols = tables.get(key)
    if cols is None:
        cols = next((c for n, c in tables.items() if n.lower() == key), None)
    return cols if isinstance(cols, dict) else {}


def _lower_keys(page: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Column names lower-case (PowerSchool's are); a no-op for a server that already does so."""
    if not page or all(k.islower() for k in page[0]):
        return page
    return [{k.lower(): v for k, v in cols.items()} for cols in page]


def record_row(record: Mapping[str, Any], table: str) -> Row:
    """One ``/ws/schema/table`` record as ``{field: text}`` (fields lower-case)."""
    return {k.lower(): _text(v) for k, v in record_columns(record, table.lower()).items()}


def query_row(record: Mapping[str, Any]) -> Row:
    """One PowerQuery record: flat ``{alias: text}``, or grouped ``{table.field: text}``."""
    tables = record.get("tables")
    if isinstance(tables, Mapping):
        return {f"{t.lower()}.{k.lower()}": _text(v) for t, cols in tables.items()
                if isinstance(cols, Mapping) for k, v in cols.items()}
    return {k: _text(v) for k, v in record.items() if not k.startswith(("@", "_"))}


def _access_fields(body: Any) -> list[tuple[str, str]]:
    """(table, field) pairs of a ``Validation Failed`` 403 body."""
    out = []
    for e in _as_list(body.get("errors") if isinstance(body, Mapping) else None):
        name = str(e.get("field", "")) if isinstance(e, Mapping) else ""
        if "." in name:
            table, field = name.rsplit(".", 1)
            out.append((table, field))
    return out


class PowerSchoolClient:
    """One PowerSchool server and one plugin's credentials.

    ``http`` is injectable (tests, proxies, custom TLS); the client closes only one it made.
    ``sleep``, ``clock`` and ``jitter`` are injectable for tests of the retry and token logic.
    """

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        http: httpx.Client | None = None,
        timeout: float = 60.0,
        max_retries: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        refresh_margin: float = 60.0,
        page_size: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.url = public_url(url)
        self.credentials = credentials
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=timeout, follow_redirects=False)
        self.max_retries, self.backoff, self.max_backoff = max_retries, backoff, max_backoff
        self.max_retry_after, self.refresh_margin = max_retry_after, refresh_margin
        self._page_size = page_size
        self._server_page_size: int | None = None
        self._sleep, self._clock, self._jitter = sleep, clock, jitter
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._metadata: dict[str, Any] | None = None
        self.tokens_issued = 0
        self.retries = 0

    def __repr__(self) -> str:
        return f"PowerSchoolClient({self.url!r})"

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> PowerSchoolClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- errors and waits -------------------------------------------------------------------

    def _mask(self, text: str) -> str:
        return mask(text, self.credentials.secrets)

    def _wait(self, attempt: int, resp: httpx.Response | None, why: str) -> None:
        """Sleep before retry ``attempt`` (0-based): Retry-After if given, else backoff+jitter."""
        told = retry_after(resp) if resp is not None else None
        if told is not None:
            delay = min(told, self.max_retry_after)
        else:
            delay = min(self.max_backoff, self.backoff * 2 ** attempt) * (0.5 + self._jitter() / 2)
        self.retries += 1
        log.info("PowerSchool %s; retry %d of %d in %.2fs", self._mask(why), attempt + 1,
                 self.max_retries, delay)
        self._sleep(delay)

    def _refused(self, resp: httpx.Response, path: str) -> PowerSchoolError:
        """The typed error of a 4xx answer that retrying cannot fix."""
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        message = self._mask(str(body.get("message", "")) if isinstance(body, Mapping)
                             else resp.text[:200])
        if resp.status_code == 403:
            if path.startswith("/ws/v1/"):
                return ApiAccessError(self.url)
            fields = _access_fields(body)
            resource = path.rsplit("/", 1)[-1]
            return AccessError(self.url, fields, resource)
        if resp.status_code == 404:
            return NotFoundError(f"{self.url}{path} was not found: {message or 'Not found'}",
                                 "check the table or query name, and that the plugin providing "
                                 "it is installed and enabled", url=self.url)
        return RequestError(f"the server refused {path} ({resp.status_code}): {message}",
                            "this is a client or server bug; report it with this message",
                            url=self.url)

    # -- token ------------------------------------------------------------------------------

    def token(self) -> str:
        """A valid access token: the cached one, or a new one if it is about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._fetch_token()
            assert self._token is not None
            return self._token

    def _renew(self, stale: str) -> None:
        """Renew after a 401, unless another thread has already replaced ``stale``."""
        with self._lock:
            if self._token == stale:
                self._token = None
                self._fetch_token()

    def _fetch_token(self) -> None:
        resp = self._send("POST", "/oauth/access_token", auth=False, retry=True,
                          data={"grant_type": "client_credentials"},
                          basic=(self.credentials.client_id, self.credentials.client_secret))
        if resp.status_code in (400, 401, 403):
            raise AuthError(self.url)
        try:
            body = None if resp.status_code >= 300 else self._json(resp, "/oauth/access_token")
        except _BrokenReply:
            body = None
        if not isinstance(body, Mapping):
            raise PowerSchoolError(
                f"{self.url} did not answer the token request as PowerSchool does "
                f"(HTTP {resp.status_code})",
                "check the Service URL: the address of the PowerSchool server itself", url=self.url)
        token = body.get("access_token")
        if not token:
            raise AuthError(self.url, "the server answered the token request without a token")
        lifetime = _expires_in(body.get("expires_in"))
        margin = min(self.refresh_margin, lifetime / 10)
        self._token, self._expires_at = str(token), self._clock() + lifetime - margin
        self.tokens_issued += 1

    # -- requests ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, auth: bool, retry: bool,
              params: Mapping[str, Any] | None = None, json: Any = None,
              data: Mapping[str, str] | None = None,
              basic: tuple[str, str] | None = None) -> httpx.Response:
        """One call with retries; returns the final response (2xx, 401 or a 4xx to refuse)."""
        attempt, renewed = 0, False
        while True:
            headers = {"Accept": "application/json"}
            token = self.token() if auth else None
            if token:
                headers["Authorization"] = f"Bearer {token}"
            try:
                resp = self.http.request(method, self.url + path, params=params, json=json,
                                         data=data, headers=headers,
                                         auth=httpx.BasicAuth(*basic) if basic else None)
                resp.read()
            except httpx.TransportError as exc:
                why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if retry and attempt < self.max_retries:
                    self._wait(attempt, None, f"{why} on {path}")
                    attempt += 1
                    continue
                raise UnreachableError(self.url, self._mask(why)) from None
            status = resp.status_code
            if status == 401 and token:
                if renewed:
                    raise AuthError(self.url, "the server refused a freshly issued access token")
                self._renew(token)
                renewed = True
                continue
            if status == 429 or status >= 500:
                if retry and attempt < self.max_retries:
                    self._wait(attempt, resp, f"answered {status} on {path}")
                    attempt += 1
                    continue
                what = "too many requests (429)" if status == 429 else f"server error {status}"
                raise ServerError(self.url, what, attempt + 1)
            return resp

    def _json(self, resp: httpx.Response, path: str) -> Any:
        try:
            return resp.json()
        except ValueError as exc:
            raise _BrokenReply(path) from exc

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, idempotent: bool | None = None) -> Any:
        """The JSON of an authorised call. GET and ``idempotent`` calls are retried."""
        retry = method == "GET" if idempotent is None else idempotent
        attempt = 0
        while True:
            resp = self._send(method, path, auth=True, retry=retry, params=params, json=json)
            if resp.status_code >= 400:
                raise self._refused(resp, path)
            if resp.status_code == 204:
                return None
            try:
                return self._json(resp, path)
            except _BrokenReply:
                if retry and attempt < self.max_retries:
                    self._wait(attempt, None, f"sent a broken JSON reply on {path}")
                    attempt += 1
                    continue
                raise ServerError(self.url, f"a broken JSON reply on {path}", attempt + 1) from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    # -- server facts -----------------------------------------------------------------------

    def server_time(self) -> Any:
        """``/ws/v1/time`` (no token needed): proves the server answers."""
        resp = self._send("GET", "/ws/v1/time", auth=False, retry=True)
        if resp.status_code >= 400:
            raise self._refused(resp, "/ws/v1/time")
        return self._json(resp, "/ws/v1/time")

    def metadata(self) -> dict[str, Any]:
        """``/ws/v1/metadata``, cached; {} when the plugin may not read /ws/v1."""
        if self._metadata is None:
            try:
                body = self.get("/ws/v1/metadata")
            except (ApiAccessError, NotFoundError):
                body = {}
            meta = body.get("metadata", body) if isinstance(body, Mapping) else {}
            self._metadata = dict(meta) if isinstance(meta, Mapping) else {}
        return self._metadata

    def page_size(self) -> int:
        """The page size for table queries: the server's maximum (100 when unknown), or the
        configured size if that is smaller."""
        if self._server_page_size is None:
            try:
                size = int(str(self.metadata().get("schema_table_query_max_page_size", "")))
            except ValueError:
                size = DEFAULT_PAGE_SIZE
            self._server_page_size = size if size > 0 else DEFAULT_PAGE_SIZE
        return min(self._page_size or self._server_page_size, self._server_page_size)

    # -- tables -----------------------------------------------------------------------------

    @staticmethod
    def _table_path(table: str) -> str:
        return f"/ws/schema/table/{quote(table.lower(), safe='')}"

    def table_count(self, table: str, q: str | None = None) -> int:
        body = self.get(self._table_path(table) + "/count", q=q)
        node = body.get("resource", body) if isinstance(body, Mapping) else {}
        return int(node.get("count", 0))

    def table_access(self, table: str) -> dict[str, str] | None:
        """The table's columns (lower-case) and the plugin's access to each (``""`` when the
        server does not say) from its metadata; None if the server has none."""
        try:
            body = self.get(self._table_path(table) + "/metadata", expansions="access")
        except (NotFoundError, RequestError):
            return None
        cols = _as_list(body.get("columns") if isinstance(body, Mapping) else None)
        access = {}
        for c in cols:
            name = str(c.get("name", "") if isinstance(c, Mapping) else c).lower()
            if name:
                access[name] = str(c.get("access") or "") if isinstance(c, Mapping) else ""
        return access or None

    def table_columns(self, table: str, *, readable: bool = False) -> list[str] | None:
        """The table's column names (lower-case) from its metadata; None if the server has none.
        ``readable``: only those the plugin may read (access not ``NoAccess`` or
        ``BlackListNoAccess``; a column without an access value counts as readable)."""
        access = self.table_access(table)
        if access is None:
            return None
        return [c for c, a in access.items() if not (readable and a in NO_ACCESS)]

    def table_names(self) -> list[str] | None:
        """The names of the server's tables (``GET /ws/schema/table``); None if it will not say."""
        try:
            body = self.get("/ws/schema/table")
        except (NotFoundError, RequestError, AccessError):
            return None
        records = _as_list(body.get("record") if isinstance(body, Mapping) else None)
        return [str(r.get("name", "")) for r in records if isinstance(r, Mapping) and r.get("name")]

    def table_records(self, table: str, projection: list[str] | str = "*", *,
                      q: str | None = None,
                      page_size: int | None = None) -> Iterator[list[Mapping[str, Any]]]:
        """The column maps of ``table``, one list per page, values as the server sends them
        (text, or None): ``/count`` first, then every page in order. For bulk pulls.

        Stops when the count is reached or a page comes back empty, so a server that sends fewer
        rows per page than asked (a lower maximum) is still read to the end.
        """
        size = min(page_size, self.page_size()) if page_size else self.page_size()
        total, got, page = self.table_count(table, q), 0, 1
        while got < total:
            rows = self.table_page(table, projection, page, size, q=q)
            if not rows:
                break
            yield rows
            got, page = got + len(rows), page + 1

    def table_page(self, table: str, projection: list[str] | str, page: int, page_size: int, *,
                   q: str | None = None) -> list[Mapping[str, Any]]:
        """One page (1-based) of ``table``'s column maps, keys lower-case (see ``table_records``)."""
        proj = projection if isinstance(projection, str) else ",".join(projection)
        body = self.get(self._table_path(table), projection=proj, q=q, page=page,
                        pagesize=page_size)
        records = _as_list(body.get("record") if isinstance(body, Mapping) else None)
        rows = [record_columns(r, table.lower()) for r in records if isinstance(r, dict)]
        return _lower_keys(rows) if rows else []

    def table_pages(self, table: str, projection: list[str] | str = "*",
                    **kw: Any) -> Iterator[list[Row]]:
        """The rows of ``table`` as ``{field: text}``, one list per page (see ``table_records``)."""
        for page in self.table_records(table, projection, **kw):
            yield [{k: _text(v) for k, v in cols.items()} for cols in page]

    def table_rows(self, table: str, projection: list[str] | str = "*", **kw: Any) -> Iterator[Row]:
        for page in self.table_pages(table, projection, **kw):
            yield from page

    # -- PowerQueries -----------------------------------------------------------------------

    def query_count(self, name: str, args: Mapping[str, Any] | None = None) -> int:
        body = self.request("POST", f"/ws/schema/query/{quote(name, safe='')}/count",
                            json=dict(args or {}), idempotent=True)
        return int(body.get("count", 0)) if isinstance(body, Mapping) else 0

    def query_pages(self, name: str, args: Mapping[str, Any] | None = None, *,
                    page_size: int = 0, order: str | None = None) -> Iterator[list[Row]]:
        """The rows of a named PowerQuery. ``page_size=0`` asks for every row in one streamed
        reply; otherwise ``/count`` first, then the pages (pass ``order`` for stable pages)."""
        path = f"/ws/schema/query/{quote(name, safe='')}"
        pages = 1 if page_size == 0 else math.ceil(self.query_count(name, args) / page_size)
        for page in range(1, pages + 1):
            params: dict[str, Any] = {"pagesize": page_size}
            if page_size:
                params["page"] = page
            if order:
                params["order"] = order
            body = self.request("POST", path, params=params, json=dict(args or {}),
                                idempotent=True)
            records = _as_list(body.get("record") if isinstance(body, Mapping) else None)
            yield [query_row(r) for r in records if isinstance(r, Mapping)]

    def query_rows(self, name: str, args: Mapping[str, Any] | None = None,
                   **kw: Any) -> Iterator[Row]:
        for page in self.query_pages(name, args, **kw):
            yield from page


    # -- writes (two-way sync) ----------------------------------------------------------------

    def update_student(self, dcid: str | int, fields: Mapping[str, str | None]) -> dict[str, Any]:
        """``POST /ws/v1/student`` with one UPDATE of the student whose DCID is ``dcid``:
        ``fields`` maps canonical attributes (``STUDENT_FIELDS``) to values (None clears).

        Never retried (a write). Returns the server's result item (``status`` SUCCESS); raises
        ``WriteAccessError`` when the plugin's v1 access is not FULL, ``RequestError`` when the
        server refuses the update, ``ValueError`` for an attribute it cannot write."""
        unknown = sorted(set(fields) - set(STUDENT_FIELDS))
        if unknown:
            raise ValueError(f"cannot write {', '.join(unknown)} to a PowerSchool student "
                             f"(supported: {', '.join(STUDENT_FIELDS)})")
        ident = str(dcid).strip()
        item: dict[str, Any] = {"client_uid": "1", "action": "UPDATE", "id": ident}
        for attribute, value in fields.items():
            node, member = STUDENT_FIELDS[attribute]
            item.setdefault(node, {})[member] = "" if value is None else str(value)
        path = "/ws/v1/student"
        try:
            body = self.request("POST", path, json={"students": {"student": [item]}},
                                idempotent=False)
        except ApiAccessError:
            raise WriteAccessError(self.url) from None
        results = body.get("results", body) if isinstance(body, Mapping) else {}
        found = _as_list(results.get("result") if isinstance(results, Mapping) else None)
        result = found[0] if found and isinstance(found[0], Mapping) else {}
        if str(result.get("status", "")).upper() != "SUCCESS":
            errors = _as_list((result.get("error_message") or {}).get("error")
                              if isinstance(result.get("error_message"), Mapping) else None)
            why = "; ".join(str(e.get("error_description", e)) if isinstance(e, Mapping) else str(e)
                            for e in errors) or "no result for the update"
            raise RequestError(f"the server did not update student {ident}: {self._mask(why)}",
                               "check the student's DCID and the values sent", url=self.url)
        return dict(result)

    def read_student(self, dcid: str | int) -> dict[str, str | None]:
        """The writable attributes of the student whose DCID is ``dcid`` as the server now has
        them (``GET /ws/v1/student/{dcid}?expansions=contact_info``): canonical name -> text or
        None."""
        body = self.get(f"/ws/v1/student/{quote(str(dcid).strip(), safe='')}",
                        expansions="contact_info")
        student = body.get("student", {}) if isinstance(body, Mapping) else {}
        out: dict[str, str | None] = {}
        for attribute, (node, member) in STUDENT_FIELDS.items():
            part = student.get(node) if isinstance(student, Mapping) else None
            value = part.get(member) if isinstance(part, Mapping) else None
            out[attribute] = None if value is None or value == "" else _text(value)
        return out


class WriteAccessError(PowerSchoolError):
    """The plugin may not write through ``/ws/v1`` (its access level is not FULL)."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"the plugin may not update students through the /ws/v1 API at {url} "
            "(its access level is not FULL)",
            'set <oauth accessLevelV1Api="FULL"/> in plugin.xml (or the API access level FULL in '
            f"{CONFIG_PAGE}) and reinstall the plugin", url=url)


class _BrokenReply(Exception):
    """A reply whose body is not JSON (truncated, or an HTML error page)."""

