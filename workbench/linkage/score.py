"""The default scorer: a log-odds sum that treats household evidence as correlated.

Person evidence (given name with nicknames, middle name, birth date, state ID) counts in full.
Household evidence (family name, street, zip, phone, shared e-mail, school, grade) is what siblings,
twins and parents share, so its agreements together add at most ``household_cap``: they back a
person match, they cannot make one. Disagreements count in full. Every pair's ``contributions``
(feature -> signed log-odds, with ``prior`` and any rule adjustment) sum to its score, and
``probability = 1 / (1 + exp(-score))``.

Rules then override the score, recorded in ``rule``: never-link (``never:twin``: same family name,
birth date and household, no common state ID, given names that differ, or that are merely close,
Aidan and Aiden, when both started at the same school on the same day;
``never:sibling_email``) caps it at ``NEVER_SCORE``; always-link (``always:state_id``) and exact
duplicates of a configured domain (``exact:...``) raise it to ``ALWAYS_SCORE``, unless a feature
speaks clearly against the exact pair (``CONFLICT``): then the score decides, the rule is still
named, and the steward reviews it. Never wins.
A staff member who is also a parent is never linked by construction: pairs are only ever formed
inside one entity, so a teacher or admin is never compared with a contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

NEVER_SCORE = -9.21  # probability 0.0001
ALWAYS_SCORE = 9.21  # probability 0.9999
# An exact pair with a feature this much against it (a different middle name, no phone in
# common: a father and son of the same name sharing the family e-mail) keeps its score.
CONFLICT = -1.5
HOUSEHOLD = ("family_name", "street", "zip", "phone", "email", "school", "grade")

WEIGHTS: dict[str, dict[str, float]] = {
    "given_name": {"exact": 4.0, "nickname": 3.5, "close": 3.0, "similar": 1.0, "variant": -4.0,
                   "differ": -6.0},
    "middle_name": {"agree": 0.5, "differ": -1.5},
    "birth_date": {"exact": 4.0, "transposed": 3.0, "near": 2.5, "differ": -8.0},
    "state_id": {"exact": 5.0, "close": 0.0, "differ": -0.5},
    "family_name": {"exact": 2.0, "part": 1.5, "close": 1.5, "differ": -2.0},
    "street": {"exact": 1.5, "close": 1.0, "differ": -1.0},
    "zip": {"exact": 0.5, "differ": -0.5},
    "phone": {"shared": 1.5, "differ": -1.5},
    "email": {"shared": 1.5, "differ": 0.0},
    "school": {"exact": 0.5, "differ": 0.0},
    "grade": {"exact": 0.5, "differ": -0.5},
}


@dataclass(frozen=True)
class Scorer:
    """Prior log-odds, the cap on household agreement and weight overrides, per entity."""

    prior: float
    household_cap: float = 3.5
    overrides: dict[str, dict[str, float]] = field(default_factory=dict)

    def weights(self) -> dict[str, dict[str, float]]:
        return {f: {**levels, **self.overrides.get(f, {})} for f, levels in WEIGHTS.items()}


# Staff: the state staff ID and the work e-mail are personal; a different one is strong evidence.
_STAFF = {"state_id": {"differ": -4.0}, "email": {"differ": -2.0}}
SCORERS = {
    "student": Scorer(prior=-7.0, household_cap=4.0),
    "contact": Scorer(prior=-4.0),
    "teacher": Scorer(prior=-4.0, overrides=_STAFF),
    "admin": Scorer(prior=-4.0, overrides=_STAFF),
}

NEVER_RULES: dict[str, str] = {
    "never:twin": "f.family_name IN ('exact', 'part', 'close') AND f.birth_date = 'exact' "
                  "AND (f.street = 'exact' OR f.phone = 'shared') "
                  "AND f.state_id <> 'exact' AND (f.given_name IN ('differ', 'variant', 'similar') "
                  "OR (f.given_name = 'close' AND f.enrolled = 'together'))",
    "never:sibling_email": "f.email = 'shared' AND f.given_name IN ('differ', 'variant') "
                           "AND f.birth_date = 'differ'",
}
ALWAYS_RULES: dict[str, dict[str, str]] = {
    "student": {"always:state_id": "f.state_id = 'exact'"},
}


def install_weights(cur: duckdb.DuckDBPyConnection, entity: str, scorer: Scorer | None = None) -> None:
    """Temp table ``lk_weight(feature, level, weight, household)`` of one entity's scorer (or of
    ``scorer``, e.g. one learned from the steward's decisions)."""
    weights = (scorer or SCORERS[entity]).weights()
    rows = [(f, lv, w, f in HOUSEHOLD) for f, levels in weights.items() for lv, w in levels.items()]
    cols = [list(c) for c in zip(*rows, strict=True)]
    cur.execute("""CREATE OR REPLACE TEMP TABLE lk_weight AS SELECT unnest(?::VARCHAR[]) AS feature,
        unnest(?::VARCHAR[]) AS level, unnest(?::DOUBLE[]) AS weight,
        unnest(?::BOOLEAN[]) AS household""", cols)


def _rule_sql(entity: str) -> str:
    """CASE naming the rule that decides a pair (NULL: the score decides)."""
    whens = [f"WHEN {cond} THEN '{name}'" for name, cond in NEVER_RULES.items()]
    whens += [f"WHEN {cond} THEN '{name}'" for name, cond in ALWAYS_RULES.get(entity, {}).items()]
    whens.append("WHEN x.rule IS NOT NULL THEN x.rule")
    return "CASE " + " ".join(whens) + " END"


def score_pairs(cur: duckdb.DuckDBPyConnection, entity: str, match: float, possible: float,
                scorer: Scorer | None = None) -> None:
    """Temp table ``lk_scored(left_id, right_id, score, probability, band, rule, contributions)``
    with the weights in ``lk_weight`` and the prior and cap of ``scorer`` (default: the entity's)."""
    scorer = scorer or SCORERS[entity]
    features = ", ".join(WEIGHTS)
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE lk_scored AS
    WITH long AS (
      SELECT u.left_id, u.right_id, u.feature, coalesce(w.weight, 0) AS weight,
             coalesce(w.household, false) AS household
      FROM (UNPIVOT (SELECT left_id, right_id, {features} FROM lk_feat)
            ON {features} INTO NAME feature VALUE level) u
      LEFT JOIN lk_weight w ON w.feature = u.feature AND w.level = u.level),
    capped AS (
      SELECT *, sum(CASE WHEN household AND weight > 0 THEN weight ELSE 0 END)
                  OVER (PARTITION BY left_id, right_id) AS agree FROM long),
    contrib AS (
      SELECT left_id, right_id, feature,
             CASE WHEN household AND weight > 0 AND agree > $cap THEN weight * $cap / agree
                  ELSE weight END AS value
      FROM capped),
    summed AS (
      SELECT left_id, right_id, $prior + sum(value) AS raw_score, min(value) AS worst
      FROM contrib GROUP BY ALL),
    ruled AS (
      SELECT s.left_id, s.right_id, s.raw_score, s.worst, {_rule_sql(entity)} AS rule
      FROM summed s JOIN lk_feat f USING (left_id, right_id)
      LEFT JOIN lk_exact x USING (left_id, right_id)),
    adjusted AS (
      SELECT *, CASE WHEN rule LIKE 'never:%' THEN least(0, $never - raw_score)
                     WHEN rule LIKE 'exact:%' AND worst <= $conflict THEN 0
                     WHEN rule IS NOT NULL THEN greatest(0, $always - raw_score)
                     ELSE 0 END AS adjustment
      FROM ruled),
    parts AS (
      SELECT left_id, right_id, feature, value FROM contrib
      UNION ALL SELECT left_id, right_id, 'prior', $prior FROM adjusted
      UNION ALL SELECT left_id, right_id, CASE WHEN rule LIKE 'never:%' THEN 'never_link'
                                               ELSE 'always_link' END, adjustment
        FROM adjusted WHERE adjustment <> 0),
    js AS (
      SELECT left_id, right_id, json_group_object(feature, value) AS contributions
      FROM parts GROUP BY ALL)
    SELECT a.left_id, a.right_id, a.raw_score + a.adjustment AS score,
           1 / (1 + exp(-(a.raw_score + a.adjustment))) AS probability,
           coalesce(a.rule, 'score') AS rule, js.contributions
    FROM adjusted a JOIN js USING (left_id, right_id)""",
                {"cap": scorer.household_cap, "prior": scorer.prior, "never": NEVER_SCORE,
                 "always": ALWAYS_SCORE, "conflict": CONFLICT})
    cur.execute("""CREATE OR REPLACE TEMP TABLE lk_scored AS
        SELECT *, CASE WHEN probability >= ? THEN 'match' WHEN probability >= ? THEN 'possible'
                       ELSE 'non_match' END AS band
        FROM lk_scored""", [match, possible])
