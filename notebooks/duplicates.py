# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Duplicates: how good is the scoring, and where should the match threshold be?
#
# The workbench scores every candidate pair of students (and of contacts) with a probability
# that the two records are one person; pairs at or above `linkage.match_threshold` are
# **matches** and merge into clusters, pairs between `possible_threshold` and it are shown to the
# steward as **possible**. Choosing the threshold is a trade: lower finds more duplicates
# (recall) at the price of merging people who are not the same (precision).
#
# On a real district we do not know which pairs are true duplicates. The **sandbox district**
# does: its generator injects duplicates (a child enrolled twice, a parent entered once per
# sibling) and writes them to `truth.json`, together with look-alikes that must never merge
# (twins, siblings sharing a parent's e-mail). This notebook measures the scoring against that
# truth.
#
# **Settings** (environment variables):
#
# | variable | meaning | default |
# | --- | --- | --- |
# | `WORKBENCH_NOTEBOOK_DIR` | where the sandbox district and its workspace go | `sandbox/` beside this notebook (git-ignored) |
# | `WORKBENCH_NOTEBOOK_STUDENTS` | size of the sandbox district | 2000 |
#
# `WORKBENCH_WORKSPACE` is not used: a real workspace has no truth to measure against.

# %%
import json
import math

import pandas as pd
import plotly.express as px

import workbench as wb
from workbench.sandbox import fresh_sandbox, generate_district, notebook_settings

SETTINGS = notebook_settings("duplicates")  # WORKBENCH_WORKSPACE, WORKBENCH_NOTEBOOK_DIR, _STUDENTS
SANDBOX = SETTINGS.folder
STUDENTS = SETTINGS.students
PREFIX = ""  # the load's id_prefix: a workspace's sourced_id is PREFIX + the truth's ID

# %% [markdown]
# ## 1. Generate and load the sandbox district
#
# The sandbox folder is ours: a previous run's copy (recognised by its marker file) is replaced.
# The district is loaded with the ID prefix above, so a record `S101234` in `truth.json` is the
# record whose `sourced_id` is `PREFIX + "S101234"` in the workspace.

# %%
folder = fresh_sandbox(SANDBOX, "notebooks/duplicates.py")
generate_district(folder / "district", students=STUDENTS, seed=1)
truth = json.loads((folder / "district" / "truth.json").read_text(encoding="utf-8"))
ws = wb.init_workspace(folder / "workspace")
wb.load_path(ws, folder / "district", source="sis", id_prefix=PREFIX)
{key: len(truth[key]) for key in ("duplicate_students", "duplicate_contacts", "twins",
                                  "siblings_shared_email")}

# %% [markdown]
# ## 2. The truth as pairs
#
# `duplicate_students` lists `[original, duplicate]` pairs; `duplicate_contacts` lists clusters
# (a parent entered three times is one cluster of three, i.e. three pairs). Twins and siblings
# who share a parent's e-mail are the hard negatives: pairs that look alike and must never
# merge. Every pair becomes a sorted `(left, right)` key of workspace IDs.


# %%
def pair_key(a: str, b: str) -> tuple[str, str]:
    return tuple(sorted((PREFIX + a, PREFIX + b)))


def pairs_of(groups: list[list[str]]) -> set[tuple[str, str]]:
    """Every pair inside each group (a pair is a group of two)."""
    return {pair_key(a, b) for g in groups for i, a in enumerate(g) for b in g[i + 1:]}


TRUE_PAIRS = {"student": pairs_of(truth["duplicate_students"]),
              "contact": pairs_of(truth["duplicate_contacts"])}
LOOKALIKES = {"twin": pairs_of(truth["twins"]),
              "sibling sharing an e-mail": pairs_of(truth["siblings_shared_email"])}
{entity: len(p) for entity, p in TRUE_PAIRS.items()}

# %% [markdown]
# ## 3. Score the candidate pairs
#
# `wb.linkage.find_duplicates(ws, entity)` blocks, compares and scores in DuckDB and returns
# the pairs worth a steward's look (match and possible bands, and pairs a never-link rule
# decided) with their clusters. To judge thresholds we need **every** candidate pair, so we
# pass a copy of the configuration with `possible_threshold` 0: the match band and the
# clusters do not change, only the low-scoring pairs come out too. Nothing is saved.
#
# Each pair has a `probability`, its log-odds `score` (`probability = 1 / (1 + e^-score)`), a
# `band`, the `rule` that decided it (`score`, or a rule such as `never:twin`,
# `always:state_id`, `exact:...`) and the `contributions` of each feature to the score.

# %%
config = wb.rules.load_config(ws)
MATCH = float(config["linkage"]["match_threshold"])
wide = json.loads(json.dumps(config))
wide["linkage"]["possible_threshold"] = 0.0


def label(key: tuple[str, str], entity: str) -> str:
    if key in TRUE_PAIRS[entity]:
        return "true duplicate"
    return next((name for name, pairs in LOOKALIKES.items() if key in pairs), "not a duplicate")


def scored_pairs(entity: str) -> pd.DataFrame:
    found = wb.linkage.find_duplicates(ws, entity, wide)
    pairs = found.pairs.copy()
    pairs["key"] = [pair_key(a, b) for a, b in zip(pairs["left"], pairs["right"], strict=True)]
    pairs["truth"] = [label(k, entity) for k in pairs["key"]]
    pairs["duplicate"] = pairs["truth"] == "true duplicate"
    print(f"{entity}: {found.candidates} candidate pairs, {len(found.clusters)} clusters, "
          f"{found.seconds:.1f} s")
    return pairs


PAIRS = {entity: scored_pairs(entity) for entity in ("student", "contact")}
pd.concat({e: p.groupby(["band", "truth"]).size() for e, p in PAIRS.items()},
          names=["entity"]).rename("pairs").to_frame()

# %% [markdown]
# ## 4. Score distribution: true duplicates against the rest
#
# A good score puts the true duplicates far to the right and everything else far to the left,
# with few pairs in between. The dashed line is the configured match threshold (in log-odds).
# Rule-decided pairs sit at ±9.21 (never-link caps, always-link and exact domains raise).

# %%
MATCH_SCORE = math.log(MATCH / (1 - MATCH)) if 0 < MATCH < 1 else float("nan")
for entity, pairs in PAIRS.items():
    fig = px.histogram(pairs, x="score", color="truth", nbins=60, barmode="overlay",
                       log_y=True, opacity=0.7,
                       title=f"{entity}: scores of candidate pairs by the truth")
    fig.add_vline(x=MATCH_SCORE, line_dash="dash",
                  annotation_text=f"match_threshold {MATCH:g}")
    fig.show()

# %% [markdown]
# ## 5. Precision, recall and F1 over a sweep of thresholds
#
# At a threshold *t* the pairs with probability ≥ *t* are predicted duplicates.
#
# * **precision**: the share of predicted pairs that are true duplicates (a wrong merge is the
#   costly error: two children's records become one);
# * **recall**: the share of true duplicate pairs found; a true pair that blocking never made a
#   candidate counts as missed at every threshold;
# * **F1**: their harmonic mean.

# %%
THRESHOLDS = sorted({0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98,
                     0.99, 0.999, MATCH})


def measure(pairs: pd.DataFrame, true_pairs: set, t: float) -> dict:
    predicted = set(pairs.loc[pairs["probability"] >= t, "key"])
    tp = len(predicted & true_pairs)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": t, "predicted": len(predicted), "true_positives": tp,
            "false_positives": len(predicted) - tp, "false_negatives": len(true_pairs) - tp,
            "precision": precision, "recall": recall, "f1": f1}


SWEEP = pd.concat([pd.DataFrame([measure(p, TRUE_PAIRS[e], t) for t in THRESHOLDS]).assign(entity=e)
                   for e, p in PAIRS.items()], ignore_index=True)
SWEEP.set_index(["entity", "threshold"]).round(3)

# %%
long = SWEEP.melt(id_vars=["entity", "threshold"], value_vars=["precision", "recall", "f1"],
                  var_name="measure")
fig = px.line(long, x="threshold", y="value", color="measure", facet_col="entity", markers=True,
              title="Precision, recall and F1 against the truth by match threshold")
fig.add_vline(x=MATCH, line_dash="dash", annotation_text=f"configured {MATCH:g}")
fig.update_yaxes(range=[0, 1.05])
fig.show()

# %% [markdown]
# ## 6. The errors at the configured threshold, feature by feature
#
# A **false positive** is a predicted pair that is not a true duplicate; a **false negative**
# is a true duplicate the threshold misses. Their feature contributions say why: a twin pair
# with a high score usually owes it to household evidence (family name, street, phone), a
# missed re-enrolment to a name slip or a different birth date.
#
# Errors are often few on the sandbox, so the tables also show the **near misses** on each side:
# the highest-scoring pairs that are not duplicates and the lowest-scoring true duplicates that
# still clear the threshold. They are the pairs a change of threshold would flip first.


# %%
def contributions(pairs: pd.DataFrame) -> pd.DataFrame:
    """One column per feature (signed log-odds), one row per pair."""
    return pd.DataFrame(list(pairs["contributions"]), index=pairs.index).fillna(0.0)


def errors(entity: str, count: int = 8) -> pd.DataFrame:
    """The ``count`` highest-scoring non-duplicates and lowest-scoring duplicates, each marked
    as an error at the configured threshold or as a near miss."""
    pairs = PAIRS[entity]
    above = pairs["probability"] >= MATCH
    non = pairs[~pairs["duplicate"]].nlargest(count, "probability")
    dup = pairs[pairs["duplicate"]].nsmallest(count, "probability")
    non = non.assign(error=above[non.index].map({True: "false positive",
                                                 False: "near miss: not a duplicate"}))
    dup = dup.assign(error=above[dup.index].map({False: "false negative",
                                                 True: "near miss: duplicate"}))
    never = len(TRUE_PAIRS[entity] - set(pairs["key"]))
    print(f"{entity} at {MATCH:g}: {int((above & ~pairs['duplicate']).sum())} false positives, "
          f"{int((~above & pairs['duplicate']).sum())} false negatives among the candidates, "
          f"{never} true pairs never became candidates (blocking)")
    return pd.concat([non, dup])


def top_contributions(found: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """Each pair with its ``top`` largest contributions (by size, either sign)."""
    feats = contributions(found).drop(columns=["prior"], errors="ignore")
    biggest = feats.apply(lambda row: ", ".join(f"{k} {v:+.1f}" for k, v in
                                                row[row.abs().sort_values(ascending=False).index]
                                                .head(top).items()), axis=1)
    return found.assign(biggest=biggest)[["error", "left", "right", "truth", "rule", "probability",
                                          "biggest"]].round({"probability": 4})


ERRORS = {entity: errors(entity) for entity in PAIRS}
top_contributions(ERRORS["student"])

# %%
top_contributions(ERRORS["contact"])

# %% [markdown]
# The mean contribution of each feature among those pairs shows which evidence pushes them
# to the wrong side of the threshold.

# %%
means = pd.concat([contributions(found).groupby(found["error"]).mean().stack()
                   .rename("mean log-odds").reset_index().assign(entity=entity)
                   for entity, found in ERRORS.items()], ignore_index=True)
means.columns = ["error", "feature", "mean log-odds", "entity"]
fig = px.bar(means, x="feature", y="mean log-odds", color="error", barmode="group",
             facet_row="entity", title="Mean feature contributions of the errors (or near misses)")
fig.show()

# %% [markdown]
# ## Conclusion: choosing `linkage.match_threshold`
#
# Read the sweep from the right: as long as precision stays at 1.0 while the threshold falls,
# recall is gained for free. The **safe floor** of an entity is the lowest threshold of the sweep
# from which every higher one keeps precision 1.0. One `match_threshold` serves all entities, so
# the floor that matters is the highest of them.

# %%
def safe_floor(sweep: pd.DataFrame) -> float:
    ordered = sweep.sort_values("threshold", ascending=False)
    clean = ordered[ordered["precision"].cummin() >= 1.0]
    return float(clean["threshold"].min()) if len(clean) else float("nan")


floors = SWEEP.groupby("entity").apply(safe_floor, include_groups=False).rename("safe floor")
at_match = SWEEP[SWEEP["threshold"] == MATCH].set_index("entity")[["precision", "recall", "f1"]]
floor = float(floors.max())
at_floor = SWEEP[SWEEP["threshold"] == floor].set_index("entity")[["precision", "recall", "f1"]]
print(f"configured match_threshold {MATCH:g}; highest safe floor on this district {floor:g}")
pd.concat({"safe floor": floors.to_frame(), f"at {MATCH:g} (configured)": at_match,
           f"at {floor:g} (floor)": at_floor}, axis=1).round(3)

# %% [markdown]
# How to read it:
#
# * **The configured threshold is above the floor and recall at the floor is higher**: the
#   threshold leaves duplicates for the steward to find by hand. Lowering it toward the floor
#   gains them without a wrong merge on this district; keep a margin above the floor, because a
#   wrong merge joins two children's records and costs far more than a missed duplicate, which
#   the steward still sees as a possible pair.
# * **The configured threshold is below the floor**: it merges look-alikes (twins, siblings,
#   parents of the same name); raise it.
# * The sandbox is one synthetic district. Before changing the setting for a real district,
#   check the near misses above against its own data on the Duplicates page; the steward's
#   decisions there (with `linkage.model: learned`) adapt the scoring itself to the district.
#
# Close the workspace: DuckDB allows one writer at a time.

# %%
ws.close()
