"""A custom PowerSchool plugin, built from the fields an analyst picks.

Today a district sends a field list to a vendor and waits for a plugin. Here the analyst picks
``TABLE.FIELD`` (optionally ``=entity.attribute``, the canonical attribute the field fills), and
``write_plugin_zip`` writes a zip PowerSchool installs as is: ``plugin.xml`` at the root
(``<oauth/>``, an ``<access_request>`` granting every field the workbench reads plus the picks and
the keys the queries join on, ``<publisher>``) and ``queries_root/<slug>.named_queries.xml`` with one
flattened named PowerQuery per core table (the core table's DCID and every pick, LEFT JOINed on
``<ext>.<core>dcid``). ``add_fields_to_mapping`` saves the picks' attributes as a configuration
version.

    picks = [parse_pick("U_DEF_EXT_STUDENTS.laptop_tag"), parse_pick("StudentCoreFields.primarylanguage")]
    write_plugin_zip(build_plugin(picks), "custom.zip")

``plugin_xml`` and ``named_queries_xml`` are the one writer of these files; the sandbox's built-in
plugin uses them too.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from workbench.errors import InputError, Problem
from workbench.sources.powerschool_tables import SPECS

if TYPE_CHECKING:
    from workbench.workspace import Workspace

NAMESPACE = "http://plugin.powerschool.pearson.com"
DEFAULT_NAME = "Roster Workbench custom fields"
PUBLISHER = "Roster Workbench"
CONTACT_EMAIL = "rosters@example.org"
MAX_NAME, MAX_VERSION, MAX_DESCRIPTION, MAX_IDENTIFIER = 40, 20, 256, 30
ACCESS_VALUES = ("ViewOnly", "FullAccess")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NOT_SAVED = "Nothing was written."

# PowerSchool core table (lower-case) -> the canonical entity its rows become
ENTITY_OF_TABLE = {"students": "student", "users": "teacher", "schoolstaff": "teacher",
                   "person": "contact", "sections": "class", "courses": "course",
                   "schools": "school", "terms": "calendar", "cc": "enrollment"}
# entity -> the core table whose extension fields may fill its attributes
_TABLE_OF_ENTITY = {"student": "students", "teacher": "users", "admin": "users",
                    "contact": "person", "class": "sections", "course": "courses",
                    "school": "schools", "calendar": "terms", "enrollment": "cc"}


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"{what} {name!r} is not a PowerSchool name (letters, digits and _)")
    if len(name) > MAX_IDENTIFIER:
        raise ValueError(f"{what} {name!r} is {len(name)} characters; PowerSchool allows at most "
                         f"{MAX_IDENTIFIER} in an access_request")
    return name


@dataclass(frozen=True)
class FieldPick:
    """One field to grant and query: ``table`` as PowerSchool spells it, ``field``, the canonical
    ``attribute`` it fills (``"student.email"``, optional) and a ``core_table`` override."""

    table: str
    field: str
    attribute: str | None = None
    core_table: str | None = None

    def __post_init__(self) -> None:
        _identifier(self.table, "table")
        _identifier(self.field, "field")
        if self.core_table is not None:
            _identifier(self.core_table, "core table")
        if self.attribute is not None and not re.fullmatch(r"[a-z_]+\.[a-z_]+", self.attribute):
            raise ValueError(f"attribute {self.attribute!r} must be entity.attribute, e.g. student.email")

    @property
    def column(self) -> str:
        """``TABLE.FIELD`` as plugin files write it."""
        return f"{self.table.upper()}.{self.field.upper()}"

    @property
    def core(self) -> str:
        """The core table whose rows this field extends (lower-case)."""
        return (self.core_table or core_table_of(self.table)).lower()


def parse_pick(text: str) -> FieldPick:
    """``TABLE.FIELD`` or ``TABLE.FIELD=entity.attribute``; ValueError saying what is wrong."""
    spec, _, attribute = text.strip().partition("=")
    table, dot, name = spec.strip().partition(".")
    if not dot or not table or not name:
        raise ValueError(f"{text!r}: give a field as TABLE.FIELD or TABLE.FIELD=entity.attribute "
                         "(e.g. U_DEF_EXT_STUDENTS.laptop_tag=student.username)")
    return FieldPick(table.strip(), name.strip(), attribute.strip().lower() or None)


def core_table_of(table: str) -> str:
    """The core table an extension extends: ``XCoreFields`` -> X, ``U_DEF_EXT_<CORE>`` -> CORE,
    names with STU -> Students; a core table is its own."""
    t = table.lower()
    if t.endswith("corefields") and len(t) > len("corefields"):
        base = t[: -len("corefields")]
        return base if base in SPECS or base in ENTITY_OF_TABLE else base.rstrip("s") + "s"
    if t.startswith("u_def_ext_"):
        return t[len("u_def_ext_"):]
    if "stu" in t:
        return "students"
    if t in SPECS or t in ENTITY_OF_TABLE:
        return t
    raise ValueError(f"cannot tell which core table {table} extends; give core_table "
                     "(e.g. FieldPick(table, field, core_table='Students'))")


def standard_fields() -> dict[str, list[str]]:
    """Every field the workbench reads, per table (PowerSchool's spelling of the table)."""
    return {spec.name: list(spec.known) for spec in SPECS.values()}


@dataclass(frozen=True)
class QuerySpec:
    """One named PowerQuery: ``columns`` are (TABLE.FIELD, alias) in the SQL's output order;
    ``args`` are (name, primitive|array, required)."""

    name: str
    core_table: str
    columns: tuple[tuple[str, str], ...]
    sql: str
    args: tuple[tuple[str, str, bool], ...] = ()
    flattened: bool = True


@dataclass(frozen=True)
class GeneratedPlugin:
    name: str
    plugin_xml: str
    queries_xml: str
    queries: tuple[QuerySpec, ...]
    access: dict[str, list[str]] = field(default_factory=dict)  # table -> fields granted
    picks: tuple[FieldPick, ...] = ()

    @property
    def queries_file(self) -> str:
        return f"queries_root/{slug(self.name)}.named_queries.xml"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "custom"


def plugin_xml(name: str, fields: Mapping[str, Sequence[str]], *, version: str = "1.0",
               description: str = "", v1_access: str | None = None,
               publisher: str = PUBLISHER, email: str = CONTACT_EMAIL) -> str:
    """A plugin.xml granting ViewOnly access to ``fields`` (table -> field names), in the order
    real plugins use: ``<oauth/>``, ``<access_request>``, ``<publisher>``."""
    for value, limit, what in ((name, MAX_NAME, "name"), (version, MAX_VERSION, "version"),
                               (description, MAX_DESCRIPTION, "description")):
        if not value.strip() and what != "description":
            raise ValueError(f"the plugin {what} is empty")
        if len(value) > limit:
            raise ValueError(f"the plugin {what} is {len(value)} characters; at most {limit}")
    level = f' accessLevelV1Api="{_attr(v1_access)}"' if v1_access else ""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<plugin xmlns="{NAMESPACE}" name="{_attr(name)}" version="{_attr(version)}" '
             f'description="{_attr(description)}">',
             f"  <oauth{level}/>", "  <access_request>"]
    for table, cols in fields.items():
        t = _identifier(table, "table").upper()
        lines += [f'    <field table="{t}" field="{_identifier(c, "field").upper()}" access="ViewOnly"/>'
                  for c in cols]
    lines += ["  </access_request>", f'  <publisher name="{_attr(publisher)}">',
              f'    <contact email="{_attr(email)}"/>', "  </publisher>", "</plugin>", ""]
    return "\n".join(lines)


def named_queries_xml(queries: Sequence[QuerySpec]) -> str:
    """A ``queries_root/*.named_queries.xml`` file (SQL in CDATA, everything else escaped)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<queries>"]
    for q in queries:
        if "]]>" in q.sql:
            raise ValueError(f"the SQL of {q.name} contains ']]>'")
        out.append(f'  <query name="{_attr(q.name)}" coreTable="{_attr(q.core_table)}" '
                   f'flattened="{str(q.flattened).lower()}">')
        if q.args:
            out.append("    <args>")
            out += [f'      <arg name="{_attr(a)}" type="{_attr(t)}" required="{str(r).lower()}"/>'
                    for a, t, r in q.args]
            out.append("    </args>")
        out.append("    <columns>")
        out += [f'      <column column="{_attr(c)}">{escape(alias)}</column>' for c, alias in q.columns]
        out += ["    </columns>", f"    <sql><![CDATA[{q.sql}]]></sql>", "  </query>"]
    out += ["</queries>", ""]
    return "\n".join(out)


def _aliases(picks: Sequence[FieldPick]) -> list[str]:
    """The field name, or ``table_field`` when two picks share a field name (or one is ``dcid``)."""
    names = [p.field.lower() for p in picks]
    return [n if names.count(n) == 1 and n != "dcid" else f"{p.table.lower()}_{n}"
            for p, n in zip(picks, names, strict=True)]


def _join_key(core: str) -> str:
    """An extension's key column: ``<CORE>DCID`` (U_DEF_EXT_STUDENTS.STUDENTSDCID)."""
    return f"{core}dcid"


def fields_query(plugin_name: str, core: str, picks: Sequence[FieldPick]) -> QuerySpec:
    """The named query of one core table: its DCID and every pick, ordered by the DCID."""
    columns = [(f"{core.upper()}.DCID", "dcid")]
    columns += [(p.column, a) for p, a in zip(picks, _aliases(picks), strict=True)]
    select = [f"{core}.dcid"] + [f"{p.table.lower()}.{p.field.lower()} as {a}"
                                 for p, a in zip(picks, _aliases(picks), strict=True)]
    joins = []
    for ext in dict.fromkeys(p.table.lower() for p in picks if p.table.lower() != core):
        joins.append(f"left join {ext} on {ext}.{_join_key(core)} = {core}.dcid")
    sql = " ".join([f"select {', '.join(select)} from {core}", *joins, f"order by {core}.dcid"])
    name = f"org.rosterworkbench.{slug(plugin_name).replace('_', '')[:30] or 'custom'}.{core}.fields"
    return QuerySpec(name, core, tuple(columns), sql)


def access_fields(picks: Sequence[FieldPick]) -> dict[str, list[str]]:
    """The access_request: the standard fields, the picks, and the keys the queries join on."""
    fields = standard_fields()
    tables = {t.lower(): t for t in fields}

    def grant(table: str, name: str) -> None:
        target = fields.setdefault(tables.setdefault(table.lower(), table), [])
        if name.lower() not in {f.lower() for f in target}:
            target.append(name)

    for p in picks:
        grant(p.table, p.field)
        grant(p.core, "dcid")
        if p.table.lower() != p.core:
            grant(p.table, _join_key(p.core))
    return fields


def build_plugin(picks: Sequence[FieldPick], *, name: str = DEFAULT_NAME, version: str = "1.0",
                 description: str | None = None) -> GeneratedPlugin:
    """The plugin.xml and named-queries XML for ``picks`` (ValueError on a bad pick or name)."""
    if not picks:
        raise ValueError("pick at least one field (TABLE.FIELD)")
    unique = list({(p.table.lower(), p.field.lower()): p for p in picks}.values())
    by_core: dict[str, list[FieldPick]] = {}
    for p in unique:
        by_core.setdefault(p.core, []).append(p)
    queries = tuple(fields_query(name, core, ps) for core, ps in by_core.items())
    text = description if description is not None else (
        "Roster Workbench: the standard rostering fields and "
        + ", ".join(p.column for p in unique))[:MAX_DESCRIPTION]
    access = access_fields(unique)
    return GeneratedPlugin(name, plugin_xml(name, access, version=version, description=text),
                           named_queries_xml(queries), queries, access, tuple(unique))


def write_plugin_zip(plugin: GeneratedPlugin, out: str | Path) -> Path:
    """The zip PowerSchool installs: ``plugin.xml`` at the root and the named queries."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("plugin.xml", plugin.plugin_xml)
        z.writestr(plugin.queries_file, plugin.queries_xml)
    tmp.replace(out)
    return out


# -- the attribute mapping ------------------------------------------------------------------


def _mapping_problem(pick: FieldPick) -> Problem | None:
    from workbench.model.schema import ENTITIES, column_names
    from workbench.rules.attributes import NOT_MAPPABLE

    entity, _, attribute = (pick.attribute or "").partition(".")
    key = f"{pick.table}.{pick.field}={pick.attribute}"
    if entity not in ENTITIES or entity not in _TABLE_OF_ENTITY:
        return Problem(f"{entity!r} is not an entity a field can fill", field=key,
                       hint=f"allowed: {', '.join(sorted(_TABLE_OF_ENTITY))}")
    allowed = [c for c in column_names(entity) if c not in NOT_MAPPABLE]
    if attribute not in allowed:
        return Problem(f"{attribute!r} is not an attribute of {entity}", field=key,
                       hint=f"allowed: {', '.join(allowed)}")
    core = _TABLE_OF_ENTITY[entity]
    if pick.core != core:
        return Problem(f"{pick.table} extends {pick.core}, not {core} (the table of {entity})",
                       field=key, hint=f"map it to an attribute of {ENTITY_OF_TABLE.get(pick.core, '?')}")
    if pick.table.lower() != core and entity != "student":
        return Problem(f"only student extension fields can fill an attribute; {pick.table} is an "
                       f"extension of {core}", field=key, hint=f"map a field of {core} itself")
    return None


def check_mapping(picks: Sequence[FieldPick]) -> None:
    """InputError naming every pick whose attribute is not one its field can fill."""
    problems = [p for p in map(_mapping_problem, [p for p in picks if p.attribute]) if p]
    if problems:
        raise InputError(problems, NOT_SAVED)


def extended_table(pick: FieldPick) -> str | None:
    """The core table (lower-case) an extension field extends; None for a core table's own field
    or a table whose core cannot be told."""
    try:
        core = pick.core
    except ValueError:
        return None
    return core if pick.table.lower() != core else None


def delivered_picks(picks: Sequence[FieldPick]) -> list[str]:
    """``TABLE.FIELD`` of the picks without an attribute that extend Students: the student
    extension fields ``add_fields_to_mapping`` delivers (``extensions.student``)."""
    return [f"{p.table}.{p.field}" for p in picks
            if not p.attribute and extended_table(p) == "students"]


def add_fields_to_mapping(ws: Workspace, picks: Sequence[FieldPick], *, author: str | None = None,
                          note: str | None = None, deliver: bool = True) -> dict[str, dict[str, Any]]:
    """Save a configuration version mapping each pick with an attribute
    (``attributes.<entity>.<attribute> = {field: TABLE.FIELD}``) and, with ``deliver``, listing
    each student extension pick without one in ``extensions.student`` (delivered as a OneRoster
    ``metadata.<field>`` column); the attributes added, by entity."""
    from workbench.rules.config import load_config, save_config

    check_mapping(picks)
    config = load_config(ws)
    section = config.setdefault("attributes", {}) or {}
    config["attributes"] = section
    added: dict[str, dict[str, Any]] = {}
    for p in picks:
        if not p.attribute:
            continue
        entity, _, attribute = p.attribute.partition(".")
        spec = {"field": f"{p.table}.{p.field}"}
        section.setdefault(entity, {})[attribute] = spec
        added.setdefault(entity, {})[attribute] = spec
    delivered = []
    if deliver:
        listed = (config.get("extensions") or {}).get("student") or []
        have = {f.lower() for f in listed}
        delivered = [f for f in delivered_picks(picks) if f.lower() not in have]
        if delivered:
            config["extensions"] = {**(config.get("extensions") or {}), "student": [*listed, *delivered]}
    if added or delivered:
        fields = [f"{e}.{a} <- {s['field']}" for e, attrs in added.items() for a, s in attrs.items()]
        fields += [f"deliver {f}" for f in delivered]
        save_config(ws, config, author=author, note=note or f"custom plugin fields: {', '.join(fields)}")
    return added


# -- checking picks against a server ------------------------------------------------------------


def check_picks_on_server(client: Any, picks: Sequence[FieldPick]) -> None:
    """InputError naming each pick the server's table does not have (``client`` is a
    ``PowerSchoolClient``; one metadata request per table)."""
    columns: dict[str, list[str] | None] = {}
    problems = []
    for p in picks:
        key = p.table.lower()
        if key not in columns:
            columns[key] = client.table_columns(p.table)
        have = columns[key]
        if have is None:
            problems.append(Problem(f"the server has no table {p.table}", field=f"{p.table}.{p.field}",
                                    hint="check the table name in PowerSchool's Data Dictionary"))
        elif p.field.lower() not in have:
            problems.append(Problem(f"{p.table} has no field {p.field}", field=f"{p.table}.{p.field}",
                                    hint=f"its fields: {', '.join(have)}"))
    if problems:
        raise InputError(problems, NOT_SAVED)
