"""Link any person table with the duplicates engine: no workspace, no ``stg``, nothing stored.

    import duckdb
    from workbench.linkage.table import link_table

    con = duckdb.connect()
    result = link_table(con, df, {"id": "rec_id", "given_name": "first", "family_name": "last",
                                  "birth_date": "dob", "street": ["number", "street"],
                                  "zip": "postcode", "email": "email"}, profile="student")
    result.pairs          # left, right, score, probability, band, rule (match and possible bands)
    result.clusters       # [Cluster(members, guarded), ...] from the match band

The table goes through the same steps as :func:`workbench.linkage.find_duplicates`: the
normalisation macros build ``lk_rec``, then blocking, features, the scorer of ``profile``
(``student``, ``contact``, ``teacher`` or ``admin``: its weights, prior, household cap and rules)
and the guarded clusters, all as temp tables ``lk_*`` on ``con``. ``link_only_between`` names a
column splitting the table into sides (two files to link): only pairs across sides are scored.
Record IDs must be unique over the whole table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from workbench.linkage.blocking import build_candidates
from workbench.linkage.clusters import Cluster, build_clusters
from workbench.linkage.exact import build_exact
from workbench.linkage.features import FEATURES
from workbench.linkage.nicknames import install_nicknames
from workbench.linkage.normalise import ENTITIES, build_records, install_macros
from workbench.linkage.score import (
    ALWAYS_RULES,
    HOUSEHOLD,
    NEGLIGIBLE,
    NEVER_RULES,
    PRIOR_MARGIN,
    PRIORS,
    SCORERS,
    evidence_sql,
    install_weights,
    score_pairs,
)

Column = str | Sequence[str]

# our name -> (canonical stg column, SQL type); a list-typed one takes a scalar column as one element
FIELDS: dict[str, tuple[str, str]] = {
    "given_name": ("given_name", "VARCHAR"),
    "middle_name": ("middle_name", "VARCHAR"),
    "family_name": ("family_name", "VARCHAR"),
    "birth_date": ("birth_date", "DATE"),
    "street": ("street", "VARCHAR"),
    "zip": ("postal_code", "VARCHAR"),
    "email": ("email", "VARCHAR"),
    "phone": ("phone", "VARCHAR"),
    "state_id": ("state_id", "VARCHAR"),
    "school": ("school_sourced_id", "VARCHAR"),
    "grade": ("grade", "VARCHAR"),
    "entered": ("entry_date", "DATE"),
}
_INPUT = "lk_input"


@dataclass(frozen=True)
class LinkResult:
    """Pairs in the match or possible band (``left < right``), clusters of the match band."""

    pairs: pd.DataFrame
    clusters: list[Cluster]
    candidates: int
    seconds: float
    prior: float = math.nan  # the prior log-odds used (hand-set or estimated)

    def matched(self) -> pd.DataFrame:
        """The match-band pairs."""
        return self.pairs[self.pairs["band"] == "match"]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(col: Column) -> str:
    """One column as text, or several joined by a space (empty ones skipped); '' is NULL."""
    cols = [col] if isinstance(col, str) else list(col)
    parts = ", ".join(f"CAST({_quote(c)} AS VARCHAR)" for c in cols)
    return f"NULLIF(trim(concat_ws(' ', {parts})), '')"


def _date(col: Column) -> str:
    """A DATE, an ISO date text or ``YYYYMMDD``; anything else (``19561331``) is NULL."""
    if not isinstance(col, str):
        raise ValueError("a date is one column")
    c = _quote(col)
    return (f"coalesce(TRY_CAST({c} AS DATE), "
            f"CAST(try_strptime(CAST({c} AS VARCHAR), '%Y%m%d') AS DATE))")


def canonical_sql(relation: str, columns: Mapping[str, Column], side: str | None = None) -> str:
    """A SELECT over ``relation`` with the canonical columns ``records_sql`` reads."""
    unknown = set(columns) - set(FIELDS) - {"id"}
    if unknown or "id" not in columns:
        raise ValueError(f"columns must map 'id' and some of {sorted(FIELDS)}; "
                         f"unknown: {sorted(unknown)}")
    out = [f"CAST({_quote(str(columns['id']))} AS VARCHAR) AS sourced_id",
           f"CAST({_quote(side)} AS VARCHAR) AS source" if side else "'table' AS source"]
    for ours, (canon, typ) in FIELDS.items():
        col = columns.get(ours)
        if col is None:
            out.append(f"NULL::{typ} AS {canon}")
        elif typ == "DATE":
            out.append(f"{_date(col)} AS {canon}")
        else:
            out.append(f"{_text(col)} AS {canon}")
    # contacts read every e-mail and phone from lists (prepending the scalar), staff a school list
    lists = "[]::VARCHAR[] AS emails, []::VARCHAR[] AS phones, [school_sourced_id] AS school_sourced_ids"
    return f"(SELECT *, {lists} FROM (SELECT {', '.join(out)} FROM {relation}))"


def _kept_sql(profile: str, possible: float, prior: str = "fixed") -> str:
    """WHERE condition on a feature row ``f``: the pair can reach the possible band, or a rule may
    decide it. A pair failing it would be scored ``non_match`` by the score alone (``rule`` =
    ``score``): such pairs are neither returned nor used by the clusters, so they are dropped
    before scoring. The bound: the prior, the person evidence (given and middle name, birth date,
    state ID) as weighed, and the household cap as if every household feature agreed.

    ``prior="estimated"``: the bound takes the highest prior the estimate may reach, and the
    pairs whose evidence could still count in the estimate (log-odds at or above ``NEGLIGIBLE``
    under that prior) are kept too; the dropped ones count as non-matches there.
    """
    scorer = SCORERS[profile]
    top = scorer.prior + (PRIOR_MARGIN if prior == "estimated" else 0.0)
    weights = scorer.weights()
    terms = [f"CASE f.{feature} " + " ".join(f"WHEN '{level}' THEN {w}" for level, w in levels.items())
             + " ELSE 0 END" for feature, levels in weights.items() if feature not in HOUSEHOLD]
    backing = sum(max([0.0, *weights.get(f, {}).values()]) for f in HOUSEHOLD)
    bound = f"{top} + {min(scorer.household_cap, backing)} + " + " + ".join(terms)
    floor = math.log(possible / (1 - possible)) if 0 < possible < 1 else -math.inf
    rules = [*NEVER_RULES.values(), *ALWAYS_RULES.get(profile, {}).values()]
    if prior == "estimated":
        rules.append(f"{evidence_sql(scorer)} >= {NEGLIGIBLE - top}")
    return f"({bound}) >= {floor - 1e-9} OR " + " OR ".join(f"({c})" for c in rules)


def _build_features(con: duckdb.DuckDBPyConnection, profile: str, possible: float,
                    prior: str = "fixed") -> None:
    """Temp table ``lk_feat`` as ``features.build_features`` makes it, less the pairs no band or
    rule can use (see :func:`_kept_sql`): they are never materialised."""
    cols = ",\n  ".join(f"{expr} AS {name}" for name, expr in FEATURES.items())
    con.execute(f"""CREATE OR REPLACE TEMP TABLE lk_feat AS
        SELECT * FROM (
          SELECT c.left_id, c.right_id,
            {cols}
          FROM lk_cand c JOIN lk_rec l ON l.id = c.left_id JOIN lk_rec r ON r.id = c.right_id) f
        WHERE {_kept_sql(profile, possible, prior)}""")


def link_table(con: duckdb.DuckDBPyConnection, data: pd.DataFrame | str,
               columns: Mapping[str, Column], profile: str = "student",
               link_only_between: str | None = None, match_threshold: float = 0.9,
               possible_threshold: float = 0.5, prior: str = "fixed") -> LinkResult:
    """Find the pairs and clusters of one person table (a DataFrame, a table name or a SELECT).

    ``columns`` maps our names (``id`` and any of :data:`FIELDS`) to the table's columns; a list
    of columns is joined by spaces (``["street_number", "address_1"]``). The thresholds are the
    match and possible bands' (``linkage.match_threshold`` and ``possible_threshold``).
    ``prior``: ``fixed`` (the profile's hand-set prior) or ``estimated`` from the candidate pairs
    (``linkage.prior``; :func:`workbench.linkage.score.estimate_prior`).
    """
    if profile not in ENTITIES:
        raise ValueError(f"profile is one of {', '.join(ENTITIES)}, not {profile!r}")
    if prior not in PRIORS:
        raise ValueError(f"prior is one of {', '.join(PRIORS)}, not {prior!r}")
    start = time.perf_counter()
    if isinstance(data, pd.DataFrame):
        con.register(_INPUT, data)
        relation = _INPUT
    else:
        relation = data if data.strip().lower().startswith(("select", "from", "(")) else _quote(data)
        if relation.lower().startswith(("select", "from")):
            relation = f"({relation})"
    try:
        install_macros(con)
        install_nicknames(con)
        install_weights(con, profile)
        build_records(con, profile, canonical_sql(relation, columns, link_only_between))
    finally:
        if isinstance(data, pd.DataFrame):
            con.unregister(_INPUT)
    build_exact(con, profile, [])
    n = build_candidates(con)
    if link_only_between:
        con.execute("""CREATE OR REPLACE TEMP TABLE lk_cand AS
            SELECT c.* FROM lk_cand c JOIN lk_rec l ON l.id = c.left_id JOIN lk_rec r ON r.id = c.right_id
            WHERE l.source IS DISTINCT FROM r.source""")
        row = con.execute("SELECT count(*) FROM lk_cand").fetchone()
        n = int(row[0]) if row else 0
    _build_features(con, profile, possible_threshold, prior)
    used = score_pairs(con, profile, match_threshold, possible_threshold, prior=prior, total=n)
    clusters = build_clusters(con)
    pairs = con.execute("""SELECT left_id AS "left", right_id AS "right", score, probability, band,
        rule FROM lk_scored WHERE band <> 'non_match' ORDER BY probability DESC, left_id, right_id""").df()
    return LinkResult(pairs, clusters, n, time.perf_counter() - start, used)
