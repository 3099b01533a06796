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

The prior is the hand-set one of the entity (``prior="fixed"``) or, with ``prior="estimated"``,
the share of matches among the candidate pairs estimated from the data with the weights held
fixed (the Fellegi-Sunter step, Splink's "probability two random records match"): see
:func:`estimate_prior`.
A staff member who is also a parent is never linked by construction: pairs are only ever formed
inside one entity, so a teacher or admin is never compared with a contact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import duckdb

NEVER_SCORE = -9.21  # probability 0.0001
ALWAYS_SCORE = 9.21  # probability 0.9999
# An exact pair with a feature this much against it (a different middle name, no phone in
# common: a father and son of the same name sharing the family e-mail) keeps its score.
CONFLICT = -1.5
# The estimated prior stays within this of the hand-set one: less than the gap between the match
# and possible bands (ln 9: probability 0.9 against 0.5), so the estimate moves a pair by at most
# one band; a pair the hand-set prior calls a non-match never becomes a match, nor the reverse.
PRIOR_MARGIN = 2.0
# A pair whose log-odds stay below this under any allowed prior counts as a non-match (posterior
# 0) in the estimate: its posterior is below 0.00005.
NEGLIGIBLE = -10.0
PRIORS = ("fixed", "estimated")
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


def evidence_sql(scorer: Scorer, row: str = "f") -> str:
    """SQL of a pair's evidence over a feature row ``row`` (a ``lk_feat`` row): the sum of its
    contributions without the prior and without rule adjustments (household agreement capped),
    so that ``score = prior + evidence`` for a pair the score decides."""
    person, agree, against = [], [], []
    for feature, levels in scorer.weights().items():
        def case(pick: float | None = None, feature: str = feature,
                 levels: dict[str, float] = levels) -> str:
            whens = " ".join(f"WHEN '{lv}' THEN {w if pick is None else pick(w)}"
                             for lv, w in levels.items())
            return f"(CASE {row}.{feature} {whens} ELSE 0 END)"
        if feature in HOUSEHOLD:
            agree.append(case(lambda w: max(w, 0.0)))
            against.append(case(lambda w: min(w, 0.0)))
        else:
            person.append(case())
    return (f"({' + '.join(person)} + least({scorer.household_cap}, {' + '.join(agree)}) + "
            f"{' + '.join(against)})")


def _logit(p: float) -> float:
    return math.log(p / (1 - p)) if 0 < p < 1 else math.copysign(math.inf, p - 0.5)


def estimate_prior(cur: duckdb.DuckDBPyConnection, scorer: Scorer, relation: str = "lk_feat",
                   total: int | None = None, margin: float = PRIOR_MARGIN) -> float:
    """The prior log-odds of a candidate pair being a match, estimated from the pairs of
    ``relation`` with the weights of ``scorer`` held fixed, bounded to its hand-set prior +- margin.

    Each pair's likelihood ratio is ``exp(evidence)`` (:func:`evidence_sql`); the share of matches
    ``lam`` is the fixed point of ``lam = mean(lam * LR / (lam * LR + 1 - lam))`` (EM on the
    mixing weight alone), started at the hand-set prior. One DuckDB aggregate counts the pairs by
    evidence (the weights are few, so the distinct values are few); the iterations run on those
    counts. ``total``: the number of candidate pairs when ``relation`` holds only some of them;
    the others count as non-matches (their log-odds stay below ``NEGLIGIBLE``). Rules are not
    used: the estimate is the evidence's.
    """
    rows = cur.execute(f"""SELECT round(CAST({evidence_sql(scorer)} AS DOUBLE), 9) AS evidence, count(*) AS n
        FROM {relation} f GROUP BY ALL""").fetchall()
    n = sum(int(c) for _, c in rows)
    total = max(total or 0, n)
    if not total:
        return scorer.prior
    lam = 1 / (1 + math.exp(-scorer.prior))
    for _ in range(200):
        logit = _logit(lam)
        new = sum(c / (1 + math.exp(-max(-700.0, min(700.0, logit + e)))) for e, c in rows) / total
        done = abs(new - lam) < 1e-10
        lam = new
        if done or not 0 < lam < 1:
            break
    return min(scorer.prior + margin, max(scorer.prior - margin, _logit(lam)))


def _rule_sql(entity: str) -> str:
    """CASE naming the rule that decides a pair (NULL: the score decides)."""
    whens = [f"WHEN {cond} THEN '{name}'" for name, cond in NEVER_RULES.items()]
    whens += [f"WHEN {cond} THEN '{name}'" for name, cond in ALWAYS_RULES.get(entity, {}).items()]
    whens.append("WHEN x.rule IS NOT NULL THEN x.rule")
    return "CASE " + " ".join(whens) + " END"


def score_pairs(cur: duckdb.DuckDBPyConnection, entity: str, match: float, possible: float,
                scorer: Scorer | None = None, prior: str = "fixed",
                total: int | None = None) -> float:
    """Temp table ``lk_scored(left_id, right_id, score, probability, band, rule, contributions)``
    with the weights in ``lk_weight`` and the prior and cap of ``scorer`` (default: the entity's).
    ``prior="estimated"``: the prior is estimated from the pairs of ``lk_feat`` (``total``: the
    candidate pairs, when ``lk_feat`` lacks some; see :func:`estimate_prior`). Returns the prior
    used, which is also every pair's ``prior`` contribution."""
    if prior not in PRIORS:
        raise ValueError(f"prior is one of {', '.join(PRIORS)}, not {prior!r}")
    scorer = scorer or SCORERS[entity]
    if prior == "estimated":
        scorer = replace(scorer, prior=estimate_prior(cur, scorer, total=total))
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
    return scorer.prior
