"""A logistic regression fitted on the steward's decisions, once there are enough of them.

The default scorer's weights were set by hand (``score.py``). Once a steward has decided
``linkage.min_labels`` pairs each way (merge or re-link: same person; keep separate: not), those
decisions are the best evidence there is about this district's data, and recordlinkage's
``LogisticRegressionClassifier`` is fitted on them. The steward decided the uncertain pairs, so
alone they say little about the clear ones: the training set also holds the default model's
confident pairs (probability at least 0.99 or at most 0.01, sampled), with each steward decision
counted ``STEWARD_WEIGHT`` times.

The inputs are the feature levels one-hot encoded (``missing`` is the reference level), so the
fitted model is again a sum of log-odds: the intercept is the ``prior`` and each coefficient the
contribution of its level (a level seen fewer than ``MIN_SEEN`` times in training keeps its
hand-set weight: nothing was learned about it). It therefore plugs into the same scoring SQL (``lk_weight``), keeps the
never- and always-link rules, and every pair's contributions still sum to its score.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from workbench.linkage.score import WEIGHTS, Scorer

STEWARD_WEIGHT = 20
CONFIDENT = 0.99
SAMPLE = 20_000
MIN_SEEN = 5
FEATURES = tuple(WEIGHTS)


@dataclass(frozen=True)
class Learned:
    """A fitted model: ``weights[feature][level]`` and ``intercept`` (log-odds)."""

    weights: dict[str, dict[str, float]]
    intercept: float
    labels: dict[str, int]
    training_pairs: int

    def scorer(self) -> Scorer:
        # no household cap: the regression weighs correlated evidence jointly
        return Scorer(prior=self.intercept, household_cap=1e9, overrides=self.weights)


def count_labels(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Active decisions on the pairs in ``lk_decided``: ``match`` and ``non_match`` counts."""
    rows = cur.execute("""SELECT action = 'keep_separate', count(*) FROM lk_decided
        WHERE (left_id, right_id) IN (SELECT (left_id, right_id) FROM lk_feat) GROUP BY 1""").fetchall()
    counts = {bool(k): int(n) for k, n in rows}
    return {"match": counts.get(False, 0), "non_match": counts.get(True, 0)}


def _training(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Feature levels and labels: the steward's decisions (repeated) and the confident pairs."""
    features = ", ".join(f"f.{f}" for f in FEATURES)
    return cur.execute(f"""
        WITH steward AS (
          SELECT {features}, (d.action <> 'keep_separate')::INTEGER AS label
          FROM lk_decided d JOIN lk_feat f USING (left_id, right_id), range($w)),
        sure AS (
          SELECT {features}, (s.probability >= $c)::INTEGER AS label
          FROM lk_scored s JOIN lk_feat f USING (left_id, right_id)
          WHERE s.rule = 'score' AND (s.probability >= $c OR s.probability <= 1 - $c)
            AND (s.left_id, s.right_id) NOT IN (SELECT (left_id, right_id) FROM lk_decided)),
        sampled AS (SELECT * FROM sure USING SAMPLE reservoir({SAMPLE} ROWS) REPEATABLE (7))
        SELECT * FROM steward UNION ALL SELECT * FROM sampled""",
                       {"w": STEWARD_WEIGHT, "c": CONFIDENT}).df()


def _one_hot(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [(f, lv) for f in FEATURES for lv in WEIGHTS[f]]
    return pd.DataFrame({f"{f}={lv}": (frame[f] == lv).astype(np.int8) for f, lv in columns})


def fit(cur: duckdb.DuckDBPyConnection, min_labels: int) -> Learned | None:
    """The fitted model, or None while either kind of decision has fewer than ``min_labels``."""
    import recordlinkage as rl

    labels = count_labels(cur)
    if min(labels.values()) < min_labels:
        return None
    train = _training(cur)
    if train["label"].nunique() < 2:
        return None
    x = _one_hot(train)
    x.index = pd.MultiIndex.from_arrays([np.arange(len(x)), np.arange(len(x))])
    model = rl.LogisticRegressionClassifier(C=1.0, max_iter=1000)
    model.fit(x, x.index[train["label"].to_numpy() == 1])
    weights: dict[str, dict[str, float]] = {f: {} for f in FEATURES}
    seen = x.sum()
    for name, coef in zip(x.columns, model.coefficients, strict=True):
        feature, level = name.split("=", 1)
        # a level the training pairs (almost) never show was not learned: keep the hand-set weight
        learned = seen[name] >= MIN_SEEN
        weights[feature][level] = round(float(coef) if learned else WEIGHTS[feature][level], 4)
    return Learned(weights, round(float(model.intercept), 4), labels, len(train))
