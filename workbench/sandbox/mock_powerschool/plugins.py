"""PowerSchool plugins: ``plugin.xml`` (``<oauth>``, ``<access_request>``) and named PowerQueries.

``load_plugin(path)`` reads a plugin folder or zip the way PowerSchool installs one: ``plugin.xml``
at the root and ``queries_root/*.named_queries.xml``. A request made with a plugin's token may read
only the fields of its access_request (table and field matched case-insensitively).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from workbench.sources.powerschool.plugin import (
    ACCESS_VALUES,
    MAX_DESCRIPTION,
    MAX_IDENTIFIER,
    MAX_NAME,
    MAX_VERSION,
    plugin_xml,
)

V1_ACCESS = ("NONE", "READ", "FULL")
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
__all__ = ["NamedQuery", "Plugin", "QueryArg", "QueryColumn", "load_plugin", "parse_named_queries",
           "parse_plugin_xml", "plugin_xml"]


@dataclass(frozen=True)
class QueryArg:
    name: str
    column: str = ""
    required: bool = False
    type: str = "primitive"  # or "array"
    default: str | None = None
    casing: str = "none"  # upper, lower, none


@dataclass(frozen=True)
class QueryColumn:
    column: str  # TABLE.FIELD, lower-case: what access is checked against
    alias: str  # the record key of a flattened query

    @property
    def table(self) -> str:
        return self.column.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.column.split(".", 1)[-1]


@dataclass(frozen=True)
class NamedQuery:
    name: str
    core_table: str
    flattened: bool
    columns: tuple[QueryColumn, ...]
    sql: str
    args: tuple[QueryArg, ...] = ()
    summary: str = ""
    description: str = ""


@dataclass
class Plugin:
    name: str
    version: str = "1.0"
    oauth: bool = True
    v1_access: str = "READ"
    access: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, field) -> ViewOnly|FullAccess
    queries: dict[str, NamedQuery] = field(default_factory=dict)
    client_id: str | None = None  # set by the server when it installs the plugin
    client_secret: str | None = field(default=None, repr=False)

    def can_read(self, table: str, column: str) -> bool:
        return (table.lower(), column.lower()) in self.access


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(node: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in node if _local(c.tag) == name]


def _xml(text: str, origin: str) -> ET.Element:
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"{origin}: not well-formed XML ({exc})") from None


def _check_plugin(root: ET.Element, origin: str) -> None:
    """What PowerSchool checks when a plugin is installed; ValueError naming the problem."""
    if _local(root.tag) != "plugin":
        raise ValueError(f"{origin}: the root element must be <plugin>, not <{_local(root.tag)}>")
    for attr, limit, required in (("name", MAX_NAME, True), ("version", MAX_VERSION, True),
                                  ("description", MAX_DESCRIPTION, False)):
        value = root.get(attr)
        if required and not (value or "").strip():
            raise ValueError(f"{origin}: <plugin> needs a {attr}")
        if value is not None and len(value) > limit:
            raise ValueError(f"{origin}: the plugin {attr} is {len(value)} characters; at most {limit}")
    if not _children(root, "publisher"):
        raise ValueError(f"{origin}: <publisher name=...><contact email=.../></publisher> is missing")
    for request in _children(root, "access_request"):
        for f in _children(request, "field"):
            table, name, access = f.get("table", ""), f.get("field", ""), f.get("access", "")
            for what, value in (("table", table), ("field", name)):
                if not value or len(value) > MAX_IDENTIFIER:
                    raise ValueError(f"{origin}: access_request {what} {value!r} must be 1 to "
                                     f"{MAX_IDENTIFIER} characters")
            if access not in ACCESS_VALUES:
                raise ValueError(f"{origin}: access_request {table}.{name} has access {access!r}; "
                                 f"allowed: {', '.join(ACCESS_VALUES)}")


def parse_plugin_xml(text: str, origin: str = "plugin.xml") -> Plugin:
    root = _xml(text, origin)
    _check_plugin(root, origin)
    plugin = Plugin(name=root.get("name", "unnamed"), version=root.get("version", "1.0"))
    oauth = _children(root, "oauth")
    plugin.oauth = bool(oauth)
    # <oauth/> without accessLevelV1Api: pre-25.2 servers grant v1 reads, which is what we emulate.
    level = (oauth[0].get("accessLevelV1Api") if oauth else None) or ("READ" if oauth else "NONE")
    if level.upper() not in V1_ACCESS:
        raise ValueError(f"{origin}: accessLevelV1Api must be one of {V1_ACCESS}, not {level!r}")
    plugin.v1_access = level.upper()
    for request in _children(root, "access_request"):
        for f in _children(request, "field"):
            key = (f.get("table", "").lower(), f.get("field", "").lower())
            plugin.access[key] = f.get("access", "ViewOnly")
    return plugin


def _check_query(q: ET.Element, origin: str) -> None:
    name = q.get("name", "")
    if not name:
        raise ValueError(f"{origin}: a <query> has no name")
    columns = [c.get("column", "") for node in _children(q, "columns") for c in _children(node, "column")]
    if not columns:
        raise ValueError(f"{origin}: query {name} declares no <columns>")
    bad = [c for c in columns if not _COLUMN.fullmatch(c)]
    if bad:
        raise ValueError(f"{origin}: query {name}: <column column={bad[0]!r}> is not TABLE.FIELD")
    if not "".join(s.text or "" for s in _children(q, "sql")).strip():
        raise ValueError(f"{origin}: query {name} has no <sql>")


def parse_named_queries(text: str, origin: str = "named_queries.xml") -> dict[str, NamedQuery]:
    root = _xml(text, origin)
    queries = {}
    for q in (n for n in root.iter() if _local(n.tag) == "query"):
        _check_query(q, origin)
        args = tuple(
            QueryArg(a.get("name", ""), a.get("column", ""), a.get("required", "false").lower() == "true",
                     a.get("type", "primitive"), a.get("default"), a.get("casing", "none").lower())
            for node in _children(q, "args") for a in _children(node, "arg")
        )
        columns = tuple(
            QueryColumn(c.get("column", "").lower(), (c.text or c.get("column", "")).strip().lower())
            for node in _children(q, "columns") for c in _children(node, "column")
        )
        sql = "".join(s.text or "" for s in _children(q, "sql")).strip()
        summary = "".join(s.text or "" for s in _children(q, "summary")).strip()
        description = "".join(s.text or "" for s in _children(q, "description")).strip()
        name = q.get("name", "")
        queries[name] = NamedQuery(name, q.get("coreTable", ""), q.get("flattened", "false").lower() == "true",
                                   columns, sql, args, summary, description)
    return queries


def load_plugin(path: str | Path) -> Plugin:
    """A plugin folder or zip: ``plugin.xml`` and ``queries_root/*.named_queries.xml``, checked the
    way PowerSchool checks one it installs (ValueError naming the file and the problem)."""
    path = Path(path)
    if path.is_dir():
        files = {p.relative_to(path).as_posix(): p.read_text(encoding="utf-8") for p in path.rglob("*.xml")}
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            files = {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}
    else:
        raise ValueError(f"{path} is neither a plugin folder nor a zip")
    if "plugin.xml" not in files:
        raise ValueError(f"{path}: no plugin.xml at the root")
    plugin = parse_plugin_xml(files["plugin.xml"], f"{path}: plugin.xml")
    for name, text in sorted(files.items()):
        if re.fullmatch(r"queries_root/[^/]+\.named_queries\.xml", name):
            plugin.queries.update(parse_named_queries(text, f"{path}: {name}"))
    return plugin
