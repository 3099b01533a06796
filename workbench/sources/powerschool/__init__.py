"""The PowerSchool API client: token, pages, PowerQueries, pull into a workspace, Test Connection.

    from workbench.sources.powerschool import load_powerschool, test_connection
    load_powerschool(ws, "https://district.powerschool.com", client_id=..., client_secret=...)

    # a custom plugin for the fields an analyst picks (see docs/powerschool_api.md)
    from workbench.sources.powerschool import build_plugin, parse_pick, write_plugin_zip
    write_plugin_zip(build_plugin([parse_pick("U_DEF_EXT_STUDENTS.laptop_tag")]), "custom.zip")
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
from workbench.sources.powerschool.plugin import (
    FieldPick,
    GeneratedPlugin,
    add_fields_to_mapping,
    build_plugin,
    check_picks_on_server,
    delivered_picks,
    parse_pick,
    write_plugin_zip,
)
from workbench.sources.powerschool.pull import load_powerschool, pull_plan, pull_tables

__all__ = [
    "AccessError",
    "ApiAccessError",
    "AuthError",
    "Check",
    "Credentials",
    "FieldPick",
    "GeneratedPlugin",
    "NotFoundError",
    "PowerSchoolClient",
    "PowerSchoolError",
    "RequestError",
    "ServerError",
    "UnreachableError",
    "add_fields_to_mapping",
    "delivered_picks",
    "build_plugin",
    "check_picks_on_server",
    "load_powerschool",
    "parse_pick",
    "pull_plan",
    "pull_tables",
    "resolve_credentials",
    "test_connection",
    "write_plugin_zip",
]
