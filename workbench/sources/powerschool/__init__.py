"""The PowerSchool API client: token, pages, PowerQueries, pull into a workspace, Test Connection.

    from workbench.sources.powerschool import load_powerschool, test_connection
    load_powerschool(ws, "https://district.powerschool.com", client_id=..., client_secret=...)
"""

from workbench.sources.powerschool.client import PowerSchoolClient
from workbench.sources.powerschool.connection import Check, test_connection
from workbench.sources.powerschool.credentials import Credentials, resolve_credentials
from workbench.sources.powerschool.errors import (
    AccessError,
    ApiAccessError,
    AuthError,
    NotFoundError,
    PowerSchoolError,
    RequestError,
    ServerError,
    UnreachableError,
)
from workbench.sources.powerschool.pull import load_powerschool, pull_plan, pull_tables

__all__ = [
    "AccessError",
    "ApiAccessError",
    "AuthError",
    "Check",
    "Credentials",
    "NotFoundError",
    "PowerSchoolClient",
    "PowerSchoolError",
    "RequestError",
    "ServerError",
    "UnreachableError",
    "load_powerschool",
    "pull_plan",
    "pull_tables",
    "resolve_credentials",
    "test_connection",
]
