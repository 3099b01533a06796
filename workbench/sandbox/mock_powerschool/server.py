"""The HTTP side: routes, the bearer check, faults, counters, and ``serve_mock``.

A ``ThreadingHTTPServer`` on 127.0.0.1 in a background thread; each request gets its own DuckDB
cursor. Nothing is logged (no secrets, no tokens).
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb

from workbench.sandbox.mock_powerschool import contacts, powerquery, schema_api, v1_api
from workbench.sandbox.mock_powerschool.context import ApiError, Context, Options
from workbench.sandbox.mock_powerschool.faults import Faults
from workbench.sandbox.mock_powerschool.plugins import NamedQuery, Plugin, load_plugin
from workbench.sandbox.mock_powerschool.rostering import rostering_plugin
from workbench.sandbox.mock_powerschool.store import DistrictStore
from workbench.sandbox.mock_powerschool.tokens import TokenStore

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: str = "required"  # required, optional, none, token
    v1: bool = False


def _r(method: str, path: str, handler: Handler, auth: str = "required", v1: bool = False) -> Route:
    return Route(method, re.compile(f"^{path}$", re.IGNORECASE), handler, auth, v1)


ROUTES = [
    _r("POST", r"/oauth/access_token/?", lambda ctx: None, auth="token"),
    _r("GET", r"/ws/v1/time", v1_api.server_time, auth="none"),
    _r("GET", r"/ws/v1/metadata", v1_api.metadata, auth="optional"),
    *v1_api.routes(_r),
    _r("GET", r"/ws/contacts/student/(?P<ident>[^/]+)", contacts.student_contacts, v1=True),
    _r("GET", r"/ws/contacts/contact/(?P<ident>[^/]+)", contacts.contact, v1=True),
    _r("GET", r"/ws/schema/table", schema_api.table_list),
    _r("GET", r"/ws/schema/table/(?P<name>[^/]+)/count", schema_api.table_count),
    _r("GET", r"/ws/schema/table/(?P<name>[^/]+)/metadata", schema_api.table_metadata),
    _r("GET", r"/ws/schema/table/(?P<name>[^/]+)", schema_api.table_rows),
    _r("GET", r"/ws/schema/table/(?P<name>[^/]+)/(?P<ident>[^/]+)", schema_api.table_row),
    _r("GET", r"/ws/schema/query/api", powerquery.list_queries),
    _r("POST", r"/ws/schema/query/(?P<name>[^/]+)/count", powerquery.count_query),
    _r("POST", r"/ws/schema/query/(?P<name>[^/]+)", powerquery.run_query),
]


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    query: str
    status: int


class MockServer:
    """A running mock. ``url``, ``client_id``/``client_secret`` (the built-in rostering plugin),
    ``faults`` (change them at any time), ``requests`` (a Counter of ``"METHOD /path"``, the path
    lower-cased, without the query string) and
    ``log`` (every request with its status, in order)."""

    def __init__(self, store: DistrictStore, plugins: list[Plugin], *, faults: Faults | None = None,
                 options: Options | None = None, port: int = 0) -> None:
        self.store = store
        self.options = options or Options()
        self.faults = faults or Faults()
        self.plugins = plugins
        for p in plugins:
            p.client_id = p.client_id or str(uuid.uuid4())
            p.client_secret = p.client_secret or str(uuid.uuid4())
        self.queries: dict[str, NamedQuery] = {}
        for p in plugins:
            self.queries.update(p.queries)
        self.tokens = TokenStore(plugins, self.options)
        self.requests: Counter[str] = Counter()
        self.log: list[Hit] = []
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}  # per client id: when its last request was let through
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _RequestHandler)
        self._httpd.daemon_threads = True
        self._httpd.mock = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def client_id(self) -> str:
        return self.plugins[0].client_id or ""

    @property
    def client_secret(self) -> str:
        return self.plugins[0].client_secret or ""

    def credentials(self, plugin_name: str) -> tuple[str, str]:
        """(client id, client secret) of an installed plugin, by its name in plugin.xml."""
        for p in self.plugins:
            if p.name == plugin_name:
                return p.client_id or "", p.client_secret or ""
        raise KeyError(plugin_name)

    def start(self) -> MockServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="mock-powerschool", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()

    def hits(self, method: str, prefix: str) -> list[Hit]:
        """The logged requests of a method whose path starts with ``prefix`` (case-insensitive)."""
        with self._lock:
            return [h for h in self.log if h.method == method and h.path.lower().startswith(prefix.lower())]

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.requests[f"{hit.method} {hit.path.lower()}"] += 1
            self.log.append(hit)

    def dispatch(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        """Answer one request: (status, body bytes, headers)."""
        url = urlsplit(target)
        status, payload, extra, truncate = self._answer(method, url.path, url.query, headers, body)
        data = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode("utf-8")
        if truncate and data:
            data = data[: len(data) // 2]
        self._record(Hit(method, url.path, url.query, status))
        return status, data, extra

    def _answer(self, method: str, path: str, query: str, headers: Any,
                body: bytes) -> tuple[int, Any, dict[str, str], bool]:
        route, groups = _route(method, path)
        if route is None:
            if any(r.pattern.match(path) for r in ROUTES):
                return 405, {"message": f"Method {method} not allowed here (the mock's only write is POST /ws/v1/student)"}, {}, False
            return 404, {"message": "Not found"}, {}, False
        try:
            if route.auth == "token":
                return 200, self.tokens.issue(headers.get("Authorization"), body), {}, False
            hit = self.faults.hits() if route.auth != "none" else set()
            self._inject(hit)
            params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
            plugin = self._caller(route, headers)
            ctx = Context(self.store, self.store.cursor(), plugin, params, self.options, self.queries,
                          _json_body(method, headers, body))
            try:
                return 200, route.handler(ctx, **groups), {}, "truncate_every" in hit
            finally:
                ctx.cur.close()
        except ApiError as err:
            return err.status, err.body, err.headers, False

    def _inject(self, hit: set[str]) -> None:
        if "slow_every" in hit:
            time.sleep(self.faults.slow_seconds)
        if "rate_limit_every" in hit:
            wait = self.faults.retry_after
            headers = {"Retry-After": str(wait)} if wait is not None else {}
            raise ApiError(429, {"message": f"Too many requests. Please wait {wait or 1} second(s) and try again."},
                           headers)
        if "error_every" in hit:
            raise ApiError(self.faults.error_status, {"message": "Internal Server Error"})

    def _caller(self, route: Route, headers: Any) -> Plugin | None:
        authorization = headers.get("Authorization")
        if route.auth == "none" or (route.auth == "optional" and not authorization):
            return None
        plugin = self.tokens.check(authorization, self.faults.token_spent)
        self._throttle(plugin)
        if route.v1 and (self.faults.v1_access or plugin.v1_access).upper() == "NONE":
            raise ApiError(403, {"message": "Forbidden: this plugin has no access to the /ws/v1 API"})
        return plugin


    def _throttle(self, plugin: Plugin) -> None:
        """PowerSchool's per-plugin minimum interval between requests (``Options.min_interval_ms``)."""
        interval = self.options.min_interval_ms / 1000
        if interval <= 0:
            return
        now = time.monotonic()
        with self._lock:
            last = self._last.get(plugin.client_id or "")
            if last is not None and now - last < interval:
                wait = max(1, math.ceil(interval - (now - last)))
                raise ApiError(429, {"message": f"Too many requests. Please wait {wait} second(s) and try again."},
                               {"Retry-After": str(wait)})
            self._last[plugin.client_id or ""] = now


def _route(method: str, path: str) -> tuple[Route | None, dict[str, str]]:
    for route in ROUTES:
        m = route.pattern.match(path)
        if m and route.method == method:
            return route, m.groupdict()
    return None, {}


def _json_body(method: str, headers: Any, body: bytes) -> Any:
    if method != "POST":
        return None
    ctype = (headers.get("Content-Type") or "application/json").lower()
    if "json" not in ctype:
        raise ApiError(415, {"message": "Invalid content-type: send application/json"})
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError(400, {"message": "The body is not valid JSON"}) from None


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PowerSchool-mock"

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        mock: MockServer = self.server.mock  # type: ignore[attr-defined]
        status, data, headers = mock.dispatch(method, self.path, self.headers, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self._serve("PATCH")

    def log_message(self, format: str, *args: Any) -> None:  # never log (tokens are in headers)
        pass


def build_server(extract_dir: str | Path, *, plugins: Iterable[Plugin | str | Path] = (), faults: Faults | None = None,
                 options: Options | None = None, port: int = 0) -> MockServer:
    """A server (not yet started) for an extract folder: the rostering plugin first, then ``plugins``."""
    extra = [p if isinstance(p, Plugin) else load_plugin(p) for p in plugins]  # refused before any work
    store = DistrictStore(extract_dir)
    try:
        columns = {t.name: list(t.columns) for t in store.tables.values()}
        installed = [rostering_plugin(columns), *extra]
        for plugin in installed:
            check_query_columns(store, plugin)
        return MockServer(store, installed, faults=faults, options=options, port=port)
    except BaseException:
        store.close()
        raise


def check_query_columns(store: DistrictStore, plugin: Plugin) -> None:
    """PowerSchool's rule that a query declares one ``<column>`` per SQL output column: checked
    for each query whose SQL runs on this district (one that reads a table the district lacks is
    left to fail when called)."""
    cur = store.cursor()
    try:
        for q in plugin.queries.values():
            values = {a.name.lower(): ([None] if a.type == "array" else None) for a in q.args}
            try:
                sql, params = powerquery.bind_sql(q.sql, values)
                cur.execute(f"SELECT * FROM ({sql}) LIMIT 0", params)
            except (duckdb.Error, ApiError):
                continue
            width = len(cur.description or [])
            if width != len(q.columns):
                raise ValueError(f"plugin {plugin.name!r}: query {q.name} declares {len(q.columns)} "
                                 f"<column>(s) but its SQL returns {width} column(s)")
    finally:
        cur.close()


@contextmanager
def serve_mock(extract_dir: str | Path | None = None, *, students: int = 300, seed: int = 1, port: int = 0,
               plugins: Iterable[Plugin | str | Path] = (), faults: Faults | None = None,
               options: Options | None = None) -> Iterator[MockServer]:
    """Run the mock PowerSchool on 127.0.0.1 for the ``with`` block.

    ``extract_dir``: a PowerSchool table extract to serve; None generates the sandbox district
    (``students``, ``seed``) into a temporary folder. ``plugins``: Plugin objects or plugin
    folders/zips, installed after the built-in rostering plugin (whose credentials are
    ``server.client_id`` / ``server.client_secret``).
    """
    with tempfile.TemporaryDirectory(prefix="mock-powerschool-") as tmp:
        if extract_dir is None:
            from workbench.sandbox import generate_district

            extract_dir = Path(tmp) / "district"
            generate_district(extract_dir, students=students, seed=seed)
        server = build_server(extract_dir, plugins=plugins, faults=faults, options=options, port=port)
        server.start()
        try:
            yield server
        finally:
            server.stop()
            server.store.close()
