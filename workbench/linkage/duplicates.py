"""Find duplicates of one entity: exact, scored and ruled pairs, clusters; stored in ``link``.

Everything runs in DuckDB on one cursor (temp tables ``lk_*``); only the pairs worth a steward's
look (match, possible, or decided by a never-link rule) leave it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from workbench.linkage.blocking import build_candidates
from workbench.linkage.clusters import Cluster, build_clusters
from workbench.linkage.decisions import add_decided_candidates, apply_decisions
from workbench.linkage.exact import build_exact
from workbench.linkage.features import build_features
from workbench.linkage.learned import Learned, fit
from workbench.linkage.nicknames import install_nicknames
from workbench.linkage.normalise import ENTITIES, build_records, install_macros
from workbench.linkage.score import install_weights, score_pairs
from workbench.rules.config import complete_config, load_config, validate_config
from workbench.sync.roster import committed_relation
from workbench.workspace import Workspace

LINK_DDL = (
    "CREATE SCHEMA IF NOT EXISTS link",
    """CREATE TABLE IF NOT EXISTS link.pair (
        entity VARCHAR NOT NULL, left_id VARCHAR NOT NULL, right_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL, probability DOUBLE NOT NULL, band VARCHAR NOT NULL,
        rule VARCHAR NOT NULL, contributions JSON NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS link.cluster (
        entity VARCHAR NOT NULL, cluster_id VARCHAR NOT NULL, sourced_id VARCHAR NOT NULL,
        guarded BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS link.rekey (
        entity VARCHAR NOT NULL, old_id VARCHAR NOT NULL, new_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL, probability DOUBLE NOT NULL, band VARCHAR NOT NULL,
        rule VARCHAR NOT NULL, contributions JSON NOT NULL)""",
)
PAIR_COLUMNS = ("left", "right", "probability", "band", "rule", "score", "contributions")
REKEY_COLUMNS = ("old", "new", "probability", "band", "rule", "score", "contributions")


@dataclass(frozen=True)
class Duplicates:
    """The pairs (a DataFrame, ``PAIR_COLUMNS``) and clusters of one entity."""

    entity: str
    pairs: pd.DataFrame
    clusters: list[Cluster]
    candidates: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    rekeys: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REKEY_COLUMNS))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``pairs`` (left, right, probability, band, rule, contributions) and
        ``clusters`` (lists of record IDs), and ``rekeys`` (a committed record that vanished
        and a new one that matches it: ``old``, ``new``, probability, band, rule, contributions)."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{**row, "contributions": dict(row["contributions"])}
                    for row in frame.to_dict(orient="records")]
        return {"entity": self.entity, "pairs": records(self.pairs),
                "clusters": [list(c.members) for c in self.clusters],
                "guarded_clusters": [list(c.members) for c in self.clusters if c.guarded],
                "rekeys": records(self.rekeys)}


def _settings(ws: Workspace, config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The saved configuration, or a given one completed with the defaults and validated."""
    if config is None:
        return load_config(ws)
    return validate_config(complete_config(dict(config)))


def _records(cur: duckdb.DuckDBPyConnection, entity: str) -> str:
    """Temp view ``lk_src``: the loaded records plus the committed ones that vanished from the
    load (``lk_vanished``), so that a vanished record and a new one (``lk_new``: loaded, never
    committed) can be recognised as one person under a new ID."""
    stg = f'stg."{entity}"'
    committed = committed_relation(cur, entity)
    if committed is None:
        cur.execute(f"CREATE OR REPLACE TEMP VIEW lk_src AS SELECT * FROM {stg}")
        cur.execute("CREATE OR REPLACE TEMP TABLE lk_vanished AS SELECT NULL::VARCHAR AS id LIMIT 0")
        cur.execute("CREATE OR REPLACE TEMP TABLE lk_new AS SELECT NULL::VARCHAR AS id LIMIT 0")
        return "lk_src"
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE lk_vanished AS SELECT sourced_id AS id FROM {committed}
        ANTI JOIN {stg} USING (sourced_id)""")
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE lk_new AS SELECT sourced_id AS id FROM {stg}
        ANTI JOIN {committed} USING (sourced_id)""")
    cur.execute(f"""CREATE OR REPLACE TEMP VIEW lk_src AS SELECT * FROM {stg} UNION ALL BY NAME
        SELECT * FROM {committed} SEMI JOIN lk_vanished ON lk_vanished.id = sourced_id""")
    return "lk_src"


def _split_rekeys(cur: duckdb.DuckDBPyConnection) -> None:
    """Move pairs with a vanished record out of ``lk_scored``: those between a vanished and a new
    record become ``lk_rekey`` (old, new); the rest (a vanished record and one that is still
    there, or two vanished ones) say nothing about the coming sync."""
    cur.execute("""CREATE OR REPLACE TEMP TABLE lk_rekey AS
        SELECT CASE WHEN v.id = s.left_id THEN s.left_id ELSE s.right_id END AS old_id,
               CASE WHEN v.id = s.left_id THEN s.right_id ELSE s.left_id END AS new_id,
               s.score, s.probability, s.band, s.rule, s.contributions
        FROM lk_scored s JOIN lk_vanished v ON v.id IN (s.left_id, s.right_id)
        JOIN lk_new n ON n.id IN (s.left_id, s.right_id)""")
    cur.execute("""DELETE FROM lk_scored WHERE left_id IN (SELECT id FROM lk_vanished)
        OR right_id IN (SELECT id FROM lk_vanished)""")


def _run(cur: duckdb.DuckDBPyConnection, entity: str,
         cfg: Mapping[str, Any]) -> tuple[int, list[Cluster], Learned | None]:
    install_macros(cur)
    install_nicknames(cur)
    install_weights(cur, entity)
    relation = _records(cur, entity)
    build_records(cur, entity, relation)
    build_exact(cur, entity, (cfg.get("uniqueness") or {}).get(entity) or [], relation)
    n = build_candidates(cur)
    add_decided_candidates(cur, entity)
    build_features(cur)
    linkage = cfg["linkage"]
    bands = float(linkage["match_threshold"]), float(linkage["possible_threshold"])
    score_pairs(cur, entity, *bands, prior=linkage.get("prior", "fixed"))
    apply_decisions(cur, entity)
    learned = fit(cur, int(linkage["min_labels"])) if linkage["model"] == "learned" else None
    if learned is not None:
        install_weights(cur, entity, learned.scorer())
        score_pairs(cur, entity, *bands, scorer=learned.scorer())
        apply_decisions(cur, entity)
    _split_rekeys(cur)
    return n, build_clusters(cur), learned


def _store(cur: duckdb.DuckDBPyConnection, entity: str, clusters: list[Cluster]) -> None:
    for ddl in LINK_DDL:
        cur.execute(ddl)
    cur.execute("DELETE FROM link.pair WHERE entity = ?", [entity])
    cur.execute("DELETE FROM link.cluster WHERE entity = ?", [entity])
    cur.execute("""INSERT INTO link.pair SELECT ?, left_id, right_id, score, probability, band,
        rule, contributions FROM lk_scored WHERE band <> 'non_match' OR rule <> 'score'""", [entity])
    cur.execute("DELETE FROM link.rekey WHERE entity = ?", [entity])
    cur.execute("""INSERT INTO link.rekey SELECT ?, old_id, new_id, score, probability, band, rule,
        contributions FROM lk_rekey WHERE band <> 'non_match'""", [entity])
    rows = [(entity, c.members[0], m, c.guarded) for c in clusters for m in c.members]
    if rows:
        cols = [list(c) for c in zip(*rows, strict=True)]
        cur.execute("INSERT INTO link.cluster SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::BOOLEAN[])", cols)


def _pairs(cur: duckdb.DuckDBPyConnection, entity: str) -> pd.DataFrame:
    df = cur.execute("""SELECT left_id AS "left", right_id AS "right", probability, band, rule, score,
        contributions FROM link.pair WHERE entity = ?
        ORDER BY probability DESC, left_id, right_id""", [entity]).df()
    df["contributions"] = [json.loads(c) for c in df["contributions"]]
    return df


def _rekeys(cur: duckdb.DuckDBPyConnection, entity: str) -> pd.DataFrame:
    df = cur.execute("""SELECT old_id AS "old", new_id AS "new", probability, band, rule, score,
        contributions FROM link.rekey WHERE entity = ?
        ORDER BY probability DESC, old_id, new_id""", [entity]).df()
    df["contributions"] = [json.loads(c) for c in df["contributions"]]
    return df


def find_duplicates(ws: Workspace, entity: str, config: Mapping[str, Any] | None = None) -> Duplicates:
    """Score the duplicates of ``entity`` (student, contact, teacher, admin); store them in ``link``."""
    if entity not in ENTITIES:
        raise ValueError(f"duplicates are found for {', '.join(ENTITIES)}, not {entity!r}")
    cfg = _settings(ws, config)
    start = time.perf_counter()
    with ws.transaction() as cur:
        n, clusters, learned = _run(cur, entity, cfg)
        _store(cur, entity, clusters)
        pairs, rekeys = _pairs(cur, entity), _rekeys(cur, entity)
    model = ({"model": "learned", "labels": learned.labels, "intercept": learned.intercept,
              "weights": learned.weights, "training_pairs": learned.training_pairs}
             if learned else {"model": "default"})
    return Duplicates(entity, pairs, clusters, n, time.perf_counter() - start,
                      extra={"model": model}, rekeys=rekeys)
