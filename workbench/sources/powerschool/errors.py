"""Typed errors of the PowerSchool API client; each says what to do next.

No message ever carries a credential: every text is passed through ``mask`` with the client's
secrets before the error is built, so a secret that a server echoes back (or that sits in a URL
someone typed) comes out as ``***``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from workbench.errors import WorkbenchError

CONFIG_PAGE = "the plugin's Data Provider Configuration"


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for s in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(s, "***")
    return text


class PowerSchoolError(WorkbenchError):
    """A PowerSchool API problem: ``message`` says what happened, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "", *, url: str = "") -> None:
        self.message, self.hint, self.url = message, hint, url
        super().__init__(f"{message} ({hint})" if hint else message)


class UnreachableError(PowerSchoolError):
    """No answer from the server: wrong URL, DNS, network, TLS, or the server is down."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(f"cannot reach the PowerSchool server at {url}: {cause}",
                         "check the Service URL and the network", url=url)


class AuthError(PowerSchoolError):
    """The server refused the client ID and secret, or the access token it just issued."""

    def __init__(self, url: str, detail: str = "the server refused the client ID and secret") -> None:
        super().__init__(f"{detail} at {url}",
                         f"check the client ID and secret in {CONFIG_PAGE}", url=url)


class AccessError(PowerSchoolError):
    """The plugin may not read some fields: they are missing from its ``access_request``."""

    def __init__(self, url: str, fields: Sequence[tuple[str, str]], resource: str = "") -> None:
        self.fields = [(t.upper(), f.upper()) for t, f in fields]
        names = ", ".join(f"{t}.{f}" for t, f in self.fields) or "(fields not named by the server)"
        lines = " ".join(f'<field table="{t}" field="{f}" access="ViewOnly"/>' for t, f in self.fields)
        where = f" reading {resource}" if resource else ""
        super().__init__(
            f"the plugin has no access to {names}{where}",
            f"add {lines or 'the fields'} to the plugin's access_request in plugin.xml and "
            "reinstall the plugin",
            url=url,
        )


class ApiAccessError(PowerSchoolError):
    """The plugin has no access to the ``/ws/v1`` API (accessLevelV1Api is NONE)."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"the plugin has no access to the /ws/v1 API at {url} (access level NONE)",
            f'set <oauth accessLevelV1Api="READ"/> in plugin.xml, or the API access level in '
            f"{CONFIG_PAGE}, and reinstall", url=url)


class NotFoundError(PowerSchoolError):
    """The server has no such table, query or row."""


class RequestError(PowerSchoolError):
    """The server refused the request itself (400): a bad table, column, argument or query."""


class ServerError(PowerSchoolError):
    """The server kept failing (5xx, throttling or broken replies) after every retry."""

    def __init__(self, url: str, what: str, attempts: int) -> None:
        super().__init__(f"{what} from {url}, still after {attempts} attempt(s)",
                         "try again later; if it persists, ask the PowerSchool administrator to "
                         "check the server and the plugin's request limits", url=url)
