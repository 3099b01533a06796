"""Test Connection: can the workbench read what it needs from this PowerSchool server?

``test_connection`` runs the checks in order and stops after the first one that makes the rest
meaningless (no server, wrong credentials): the server answers, the credentials give a token, the
plugin's ``/ws/v1`` access level, and one row of every table the loader reads, projected on the
fields it needs; a table whose fields the plugin may not read names them with the
``access_request`` lines to add.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from workbench.sources.powerschool.client import PowerSchoolClient
from workbench.sources.powerschool.credentials import Credentials
from workbench.sources.powerschool.errors import (
    AccessError,
    ApiAccessError,
    NotFoundError,
    PowerSchoolError,
    UnreachableError,
)
from workbench.sources.powerschool.pull import public_url, pull_plan, resolve_fields


@dataclass(frozen=True)
class Check:
    """One check: ``status`` is ok, warn (works, with a limit) or fail; ``hint`` what to do."""

    name: str
    status: str
    detail: str
    hint: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def line(self) -> str:
        text = f"{self.status.upper():<4}  {self.name}: {self.detail}"
        return f"{text} -> {self.hint}" if self.hint else text


def _fail(name: str, exc: PowerSchoolError) -> Check:
    return Check(name, "fail", exc.message, exc.hint)


def _check_server(client: PowerSchoolClient) -> Check:
    try:
        client.server_time()
    except UnreachableError as exc:
        return _fail("server", exc)
    except PowerSchoolError:
        pass  # it answered, even if not /ws/v1/time
    return Check("server", "ok", f"{client.url} answers")


def _check_credentials(client: PowerSchoolClient) -> Check:
    try:
        client.token()
    except PowerSchoolError as exc:
        return _fail("credentials", exc)
    return Check("credentials", "ok", "the client ID and secret give an access token")


def _check_api_level(client: PowerSchoolClient) -> Check:
    """READ/FULL when a /ws/v1 resource answers; NONE (a warning: tables still work) on 403."""
    name = "API access level"
    try:
        client.get("/ws/v1/district/school/count")
    except ApiAccessError as exc:
        return Check(name, "warn", "NONE: the plugin may not read /ws/v1 (the tables the "
                     "workbench reads are not affected)", exc.hint)
    except NotFoundError:
        pass  # an older server without this resource: its v1 access is not in question
    except PowerSchoolError as exc:
        return _fail(name, exc)
    size = client.metadata().get("schema_table_query_max_page_size", "unknown")
    return Check(name, "ok", f"READ or FULL (/ws/v1 readable); table page size {size}")


def _check_table(client: PowerSchoolClient, table: str, fields: Sequence[str] | None,
                 optional: bool) -> Check:
    name = f"fields of {table}"
    try:
        client.get(f"/ws/schema/table/{table.lower()}", projection=",".join(fields or ["*"]),
                   page=1, pagesize=1)
    except AccessError as exc:
        return _fail(name, exc)
    except NotFoundError as exc:
        if optional:
            return Check(name, "ok", "not on this server (an optional extension table)")
        return _fail(name, exc)
    except PowerSchoolError as exc:
        return _fail(name, exc)
    return Check(name, "ok", f"{len(fields) if fields else 'all'} field(s) readable")


def test_connection(
    url: str,
    client_id: str,
    client_secret: str,
    fields: Mapping[str, Sequence[str]] | None = None,
    *,
    http: httpx.Client | None = None,
    timeout: float = 15.0,
) -> list[Check]:
    """One ``Check`` per line; ``fields`` maps table -> fields (default: what the loader reads)."""
    checks: list[Check] = []
    try:
        url = public_url(url)
    except PowerSchoolError as exc:
        return [_fail("server", exc)]
    own = http is None
    http = http or httpx.Client(timeout=timeout)
    client = PowerSchoolClient(url, Credentials(client_id, client_secret), http=http,
                               max_retries=1, backoff=0.2)
    try:
        for step in (_check_server, _check_credentials):
            checks.append(step(client))
            if not checks[-1].ok:
                return checks
        checks.append(_check_api_level(client))
        if fields is not None:
            wanted = [(t, list(f), False) for t, f in fields.items()]
        else:
            wanted = []
            for tp in pull_plan():
                try:
                    resolved = resolve_fields(client, tp)
                except PowerSchoolError as exc:
                    checks.append(_fail(f"fields of {tp.table}", exc))
                    continue
                wanted.append((tp.table, resolved, tp.optional))
        checks += [_check_table(client, t, f, opt) for t, f, opt in wanted]
    finally:
        if own:
            http.close()
    return checks


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
