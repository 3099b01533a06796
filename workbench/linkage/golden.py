"""Golden records: one record per duplicate cluster, each attribute from the member that wins it.

The clusters are those of ``link.cluster`` (``find_duplicates``: match-band pairs and the steward's
merge and re-link decisions). Per attribute, the configured master field
(``master_fields.<entity>.<attribute>``) decides which member gives the value:

* ``source_priority``: the first member, in the order of ``sources`` and then the other sources,
  that has a value;
* ``most_recent``: the member from the latest load (``meta.load.finished_at``, then ``load_id``);
* ``most_complete``: the member with the most non-empty attributes (ties by source priority);
* ``aggregate``: for a list attribute, every member's values, distinct, in priority order; for a
  scalar, the priority winner.

An attribute that is not configured takes the first member with a value in the order the sources
were added (``meta.source.created_at``), then the most complete, then the smallest ``sourced_id``.
Empty values (NULL, blank text, an empty list) never win. Contacts always keep every phone and
e-mail: ``emails`` and ``phones`` are the union over the members, the golden ``email`` / ``phone``
first. The survivor (golden ID) is the member already in the committed roster (a view
``roster.current_<entity>``, when it exists), else the member of the highest-priority source
(``master_fields.<entity>.sourced_id.sources`` when given, else the order the sources were added),
else the smallest ``sourced_id``.

Everything runs as set-based SQL on one cursor (temp tables ``gd_*``); ``build_golden`` stores the
result in ``link.golden_<entity>`` and ``link.lineage`` and hands it back as DataFrames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from workbench.model.schema import COMMON, column_names, columns
from workbench.rules.compile import Sql, compose, ident, join, param, raw
from workbench.rules.config import complete_config, load_config, validate_config
from workbench.rules.schema import PERSON_ENTITIES as ENTITIES
from workbench.workspace import Workspace

LINEAGE_COLUMNS = tuple(c.name for c in COMMON)
ALWAYS_AGGREGATE = {"contact": {"emails": "email", "phones": "phone"}}  # list -> its primary
DEFAULT = "default"  # the strategy named in the lineage of an attribute that is not configured
SURVIVOR = "survivor"
LINEAGE_DDL = (
    "CREATE SCHEMA IF NOT EXISTS link",
    """CREATE TABLE IF NOT EXISTS link.lineage (
        entity VARCHAR NOT NULL, golden_id VARCHAR NOT NULL, attribute VARCHAR NOT NULL,
        source VARCHAR, sourced_id VARCHAR, strategy VARCHAR NOT NULL)""",
)
_KEYS = {"emails": "lower(trim({v}))", "phones": "regexp_replace({v}, '[^0-9]', '', 'g')"}
_NO_RANK = 1_000_000


@dataclass(frozen=True)
class Choice:
    """How one attribute is chosen: the strategy and the source priority list (may be empty)."""

    attribute: str
    strategy: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Golden:
    """The golden records of one entity (``records``: ``cluster_id`` and the canonical columns),
    their ``lineage`` (golden_id, attribute, source, sourced_id, strategy) and the cluster
    ``members`` (``cluster_id`` and the canonical columns of each member)."""

    entity: str
    records: pd.DataFrame
    lineage: pd.DataFrame
    members: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: one entry per golden record, with its members, values and lineage."""
        out = []
        for record in self.records.to_dict(orient="records"):
            gid = record["sourced_id"]
            rows = self.lineage[self.lineage["golden_id"] == gid]
            lineage: dict[str, list[dict[str, Any]]] = {}
            for r in rows.to_dict(orient="records"):
                lineage.setdefault(r["attribute"], []).append(
                    {"source": r["source"], "sourced_id": r["sourced_id"], "strategy": r["strategy"]})
            members = self.members.loc[self.members["cluster_id"] == record["cluster_id"], "sourced_id"]
            out.append({"golden_id": gid, "cluster_id": record["cluster_id"],
                        "members": sorted(members), "record": _plain(record), "lineage": lineage})
        return {"entity": self.entity, "golden": out}


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-friendly values (lists instead of arrays, ISO dates, None for missing)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if value is pd.NaT:
            value = None
        elif isinstance(value, pd.Timestamp):  # canonical dates come back from pandas as timestamps
            value = value.date().isoformat()
        elif hasattr(value, "tolist"):
            value = value.tolist()
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, float) and value != value:
            value = None
        out[key] = value
    return out


# --- the plan: one choice per attribute ---------------------------------------------------------

def attributes(entity: str) -> list[str]:
    """The attributes a golden record chooses (every canonical column but the lineage ones)."""
    return [c for c in column_names(entity) if c not in LINEAGE_COLUMNS]


def _kind(entity: str, attribute: str) -> str:
    base = next(c.type for c in columns(entity) if c.name == attribute).replace(" NOT NULL", "")
    return {"VARCHAR[]": "list", "VARCHAR": "text", "JSON": "json"}.get(base, "other")


def plan(entity: str, master_fields: Mapping[str, Any] | None) -> list[Choice]:
    """The choice of every attribute of ``entity`` under the configured master fields."""
    configured = (master_fields or {}).get(entity) or {}
    out = []
    for attribute in attributes(entity):
        spec = configured.get(attribute) or {}
        strategy = spec.get("strategy") or DEFAULT
        if attribute in ALWAYS_AGGREGATE.get(entity, {}):
            strategy = "aggregate"
        out.append(Choice(attribute, strategy, tuple(spec.get("sources") or ())))
    return out


def survivor_sources(entity: str, master_fields: Mapping[str, Any] | None) -> tuple[str, ...]:
    spec = ((master_fields or {}).get(entity) or {}).get("sourced_id") or {}
    return tuple(spec.get("sources") or ())


# --- SQL pieces ---------------------------------------------------------------------------------

def _filled(expr: str, kind: str) -> str:
    """Whether a value (trusted SQL over the row) is non-empty."""
    if kind == "list":
        return f"coalesce(len(list_filter({expr}, lambda v: nullif(trim(v), '') IS NOT NULL)), 0) > 0"
    if kind == "text":
        return f"nullif(trim({expr}), '') IS NOT NULL"
    if kind == "json":
        return (f"coalesce(CASE json_type({expr}) WHEN 'OBJECT' THEN len(json_keys({expr})) > 0 "
                f"WHEN 'ARRAY' THEN json_array_length({expr}) > 0 WHEN 'NULL' THEN false "
                "ELSE true END, false)")
    return f"{expr} IS NOT NULL"


def _priority(sources: tuple[str, ...]) -> Sql:
    """Members in source order: the listed sources first, then the order the sources were added."""
    tail = raw("m._src_rank, m._filled DESC, m.sourced_id")
    if not sources:
        return tail
    return compose("list_position({}, m.source) NULLS LAST, {}", param(list(sources), "VARCHAR[]"), tail)


def _order(choice: Choice) -> Sql:
    if choice.strategy == "most_recent":
        return compose("m._loaded_at DESC, m.load_id DESC, {}", _priority(choice.sources))
    if choice.strategy == "most_complete":
        head = (compose("list_position({}, m.source) NULLS LAST, ",
                        param(list(choice.sources), "VARCHAR[]")) if choice.sources else raw(""))
        return compose("m._filled DESC, {}m._src_rank, m.sourced_id", head)
    return _priority(choice.sources)


def _value(entity: str, attribute: str) -> str:
    primary = ALWAYS_AGGREGATE.get(entity, {}).get(attribute)
    col = f"m.{ident(attribute)}"
    if primary:  # a contact's every e-mail (phone): its primary one and the list
        return f"list_prepend(m.{ident(primary)}, coalesce({col}, []))"
    return col


def _pick(entity: str, choice: Choice) -> Sql:
    """The aggregate over a cluster's members: ``struct(v := value, who := [(src, id), ...])``."""
    kind = _kind(entity, choice.attribute)
    value = _value(entity, choice.attribute)
    when = _filled(value, kind)
    who = "struct_pack(src := m.source, id := m.sourced_id)"
    order = _order(choice)
    if choice.strategy == "aggregate" and kind == "list":
        clean = f"list_filter({value}, lambda v: nullif(trim(v), '') IS NOT NULL)"
        return compose(f"struct_pack(v := flatten(list({clean} ORDER BY {{}}) FILTER (WHERE {when})), "
                       f"who := list({who} ORDER BY {{}}) FILTER (WHERE {when})) AS "
                       f"{ident(choice.attribute)}", order, order)
    return compose(f"struct_pack(v := first({value} ORDER BY {{}}) FILTER (WHERE {when}), "
                   f"who := first([{who}] ORDER BY {{}}) FILTER (WHERE {when})) AS "
                   f"{ident(choice.attribute)}", order, order)


def _distinct(expr: str, attribute: str) -> str:
    """A list's values, first spelling kept, in order (e-mails by lower case, phones by digits)."""
    key = _KEYS.get(attribute, "trim({v})")
    return (f"list_filter({expr}, lambda x, i: list_position(list_transform({expr}, lambda y: "
            f"{key.format(v='y')}), {key.format(v='x')}) = i)")


def _golden_column(entity: str, choice: Choice) -> str:
    a = ident(choice.attribute)
    primary = ALWAYS_AGGREGATE.get(entity, {}).get(choice.attribute)
    if primary:
        joined = f"list_concat([w.{ident(primary)}.v], w.{a}.v)"
        cleaned = f"list_filter({joined}, lambda v: nullif(trim(v), '') IS NOT NULL)"
        return f"nullif({_distinct(cleaned, choice.attribute)}, []) AS {a}"
    if choice.strategy == "aggregate" and _kind(entity, choice.attribute) == "list":
        return f"{_distinct(f'w.{a}.v', choice.attribute)} AS {a}"
    return f"w.{a}.v AS {a}"


# --- the statements -----------------------------------------------------------------------------

def _committed(cur: duckdb.DuckDBPyConnection, entity: str) -> str:
    """Whether a member is in the committed roster (``roster.current_<entity>``, if it exists)."""
    view = f"current_{entity}"
    found = cur.execute("SELECT 1 FROM duckdb_views() WHERE schema_name = 'roster' AND view_name = ?",
                        [view]).fetchall()
    return f"t.sourced_id IN (SELECT sourced_id FROM roster.{ident(view)})" if found else "false"


def member_statement(cur: duckdb.DuckDBPyConnection, entity: str, read: str) -> Sql:
    """``gd_member``: the members (two or more per cluster) of ``read`` with their ranks."""
    filled = " + ".join(f"({_filled('t.' + ident(a), _kind(entity, a))})::INTEGER"
                        for a in attributes(entity))
    return compose(f"""CREATE OR REPLACE TEMP TABLE gd_member AS
        SELECT c.cluster_id, t.*, coalesce(r.rank, {_NO_RANK}) AS _src_rank,
               coalesce(l.finished_at, TIMESTAMP '1970-01-01') AS _loaded_at,
               {filled} AS _filled, {_committed(cur, entity)} AS _committed
        FROM link.cluster c JOIN {read}.{ident(entity)} t ON t.sourced_id = c.sourced_id
        LEFT JOIN (SELECT name, row_number() OVER (ORDER BY created_at, name) AS rank
                   FROM meta.source) r ON r.name = t.source
        LEFT JOIN meta.load l ON l.load_id = t.load_id
        WHERE c.entity = {{}}
        QUALIFY count(*) OVER (PARTITION BY c.cluster_id) > 1""", param(entity))


def survivor_statement(sources: tuple[str, ...]) -> Sql:
    """``gd_survivor``: the golden ID of each cluster and the lineage columns of its record."""
    return compose("""CREATE OR REPLACE TEMP TABLE gd_survivor AS
        SELECT cluster_id, s.id AS golden_id, s.source, s.source_id, s.load_id FROM (
          SELECT cluster_id, first(struct_pack(id := sourced_id, source := source,
                 source_id := source_id, load_id := load_id)
                 ORDER BY _committed DESC, list_position({}, source) NULLS LAST, _src_rank,
                 sourced_id) AS s
          FROM gd_member GROUP BY cluster_id)""", param(list(sources), "VARCHAR[]"))


def win_statement(entity: str, choices: list[Choice]) -> Sql:
    """``gd_win``: per cluster and attribute, the chosen value and the records that gave it."""
    picks = join([_pick(entity, c) for c in choices], ",\n  ")
    return compose("CREATE OR REPLACE TEMP TABLE gd_win AS SELECT m.cluster_id, {} "
                   "FROM gd_member m GROUP BY m.cluster_id", picks)


def golden_statement(entity: str, choices: list[Choice]) -> Sql:
    """``gd_golden``: ``cluster_id`` and the canonical columns, one row per cluster."""
    by_name = {c.attribute: _golden_column(entity, c) for c in choices}
    cols = [f"s.{'golden_id' if n == 'sourced_id' else n} AS {ident(n)}" if n in LINEAGE_COLUMNS
            else by_name[n] for n in column_names(entity)]
    return raw(f"CREATE OR REPLACE TEMP TABLE gd_golden AS SELECT w.cluster_id, {', '.join(cols)} "
               "FROM gd_win w JOIN gd_survivor s USING (cluster_id)")


def lineage_statement(entity: str, choices: list[Choice]) -> Sql:
    """``gd_lineage``: which source and record gave each attribute (aggregates: every record)."""
    items = join([compose(f"struct_pack(attribute := {{}}, strategy := {{}}, who := w.{ident(c.attribute)}.who)",
                          param(c.attribute), param(c.strategy)) for c in choices], ", ")
    return compose("""CREATE OR REPLACE TEMP TABLE gd_lineage AS
        SELECT {} AS entity, s.golden_id, {} AS attribute, s.source, s.golden_id AS sourced_id,
               {} AS strategy FROM gd_survivor s
        UNION ALL
        SELECT {}, golden_id, attribute, who.src, who.id, strategy FROM (
          SELECT golden_id, y.attribute, y.strategy, unnest(y.who) AS who FROM (
            SELECT s.golden_id, unnest([{}]) AS y
            FROM gd_win w JOIN gd_survivor s USING (cluster_id)))""",
                   param(entity), param("sourced_id"), param(SURVIVOR), param(entity), items)


def map_statement() -> Sql:
    """``gd_map``: every member (source, sourced_id) and the golden ID it becomes."""
    return raw("""CREATE OR REPLACE TEMP TABLE gd_map AS
        SELECT m.cluster_id, m.source, m.sourced_id, s.golden_id FROM gd_member m
        JOIN gd_survivor s USING (cluster_id)""")


def has_clusters(cur: duckdb.DuckDBPyConnection, entity: str) -> bool:
    """Whether ``link.cluster`` exists and has clusters of ``entity``."""
    if not cur.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'link' "
                       "AND table_name = 'cluster'").fetchall():
        return False
    return bool(cur.execute("SELECT 1 FROM link.cluster WHERE entity = ? LIMIT 1", [entity]).fetchall())


def build_golden_tables(cur: duckdb.DuckDBPyConnection, entity: str,
                        master_fields: Mapping[str, Any] | None, read: str = "stg") -> int:
    """Fill the temp tables ``gd_member``, ``gd_survivor``, ``gd_win``, ``gd_golden``,
    ``gd_lineage`` and ``gd_map`` of ``cur`` from the records of ``<read>.<entity>`` that are in
    a cluster of ``link.cluster`` with another; returns the number of golden records (0 when
    there are no clusters, and then the tables are not made)."""
    if entity not in ENTITIES:
        raise ValueError(f"golden records are built for {', '.join(ENTITIES)}, not {entity!r}")
    if not has_clusters(cur, entity):
        return 0
    choices = plan(entity, master_fields)
    for statement in (member_statement(cur, entity, read),
                      survivor_statement(survivor_sources(entity, master_fields)),
                      win_statement(entity, choices), golden_statement(entity, choices),
                      lineage_statement(entity, choices), map_statement()):
        cur.execute(statement.text, list(statement.params))
    row = cur.execute("SELECT count(*) FROM gd_golden").fetchone()
    return int(row[0]) if row else 0


def store_golden(cur: duckdb.DuckDBPyConnection, entity: str, built: bool) -> None:
    """Replace ``link.golden_<entity>`` and the entity's rows of ``link.lineage``."""
    for ddl in LINEAGE_DDL:
        cur.execute(ddl)
    table = f"link.{ident('golden_' + entity)}"
    cur.execute("DELETE FROM link.lineage WHERE entity = ?", [entity])
    if built:
        cur.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM gd_golden ORDER BY cluster_id")
        cur.execute("INSERT INTO link.lineage SELECT entity, golden_id, attribute, source, "
                    "sourced_id, strategy FROM gd_lineage")
        return
    cols = ", ".join(f"{ident(c.name)} {c.type.replace(' NOT NULL', '')}" for c in columns(entity))
    cur.execute(f"CREATE OR REPLACE TABLE {table} (cluster_id VARCHAR, {cols})")


def _frames(cur: duckdb.DuckDBPyConnection, entity: str, built: bool) -> Golden:
    cols = ", ".join(ident(c) for c in column_names(entity))
    if not built:
        empty = cur.execute(f'SELECT NULL::VARCHAR AS cluster_id, {cols} FROM stg."{entity}" LIMIT 0').df()
        lineage = pd.DataFrame(columns=["golden_id", "attribute", "source", "sourced_id", "strategy"])
        return Golden(entity, empty, lineage, empty.copy())
    records = cur.execute("SELECT * FROM gd_golden ORDER BY cluster_id").df()
    lineage = cur.execute("SELECT golden_id, attribute, source, sourced_id, strategy FROM gd_lineage "
                          "ORDER BY golden_id, attribute, source, sourced_id").df()
    members = cur.execute(f"SELECT cluster_id, {cols} FROM gd_member ORDER BY cluster_id, "
                          "_src_rank, sourced_id").df()
    return Golden(entity, records, lineage, members)


def build_golden(ws: Workspace, entity: str, config: Mapping[str, Any] | None = None, *,
                 store: bool = True) -> Golden:
    """The golden records of ``entity`` from its clusters in ``link.cluster`` and the master fields
    of ``config`` (default: the saved configuration); stored in ``link.golden_<entity>`` and
    ``link.lineage`` unless ``store`` is false (a preview of a draft)."""
    if entity not in ENTITIES:
        raise ValueError(f"golden records are built for {', '.join(ENTITIES)}, not {entity!r}")
    cfg = load_config(ws) if config is None else validate_config(complete_config(dict(config)))
    with ws.transaction() as cur:
        built = build_golden_tables(cur, entity, cfg.get("master_fields")) > 0
        if store:
            store_golden(cur, entity, built)
        return _frames(cur, entity, built)
