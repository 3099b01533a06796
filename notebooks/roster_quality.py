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
# # Roster quality: what is missing, what is invalid, and where
#
# This notebook looks at a roster the way a data steward's analyst would before a sync:
#
# 1. open a workspace (or build the synthetic sandbox district),
# 2. build the **candidate roster**: what a sync would deliver under the saved configuration,
#    with every finding on the delivered records in one table,
# 3. chart **missing values** per school and attribute,
# 4. chart **invalid values** (findings) per school and rule,
# 5. try a **data requirement** before asking the steward to save it.
#
# Everything goes through the public API, `import workbench as wb`; nothing here changes the
# saved configuration.
#
# **Settings** (environment variables, read once below):
#
# | variable | meaning | default |
# | --- | --- | --- |
# | `WORKBENCH_WORKSPACE` | an existing workspace to study | unset: build the sandbox |
# | `WORKBENCH_NOTEBOOK_DIR` | where the sandbox district and its workspace go | `sandbox/` beside this notebook (git-ignored) |
# | `WORKBENCH_NOTEBOOK_STUDENTS` | size of the sandbox district | 2000 |

# %%

import pandas as pd
import plotly.express as px

import workbench as wb
from workbench.sandbox import fresh_sandbox, generate_district, notebook_settings

SETTINGS = notebook_settings("roster_quality")  # WORKBENCH_WORKSPACE, WORKBENCH_NOTEBOOK_DIR, _STUDENTS
WORKSPACE = SETTINGS.workspace
SANDBOX = SETTINGS.folder
STUDENTS = SETTINGS.students

# %% [markdown]
# ## 1. Open the workspace
#
# With `WORKBENCH_WORKSPACE` set we open that workspace (waiting up to a minute if the app is
# using it). Otherwise we generate the sandbox district, a synthetic PowerSchool extract with
# known defects, into a fresh folder and load it into a new workspace. The sandbox folder is
# ours: a previous run's copy (recognised by its marker file) is replaced.

# %%
if WORKSPACE:
    ws = wb.open_workspace(WORKSPACE, wait=60)
    print(f"opened {WORKSPACE}")
else:
    folder = fresh_sandbox(SANDBOX, "notebooks/roster_quality.py")
    generate_district(folder / "district", students=STUDENTS, seed=1)
    ws = wb.init_workspace(folder / "workspace")
    loaded = wb.load_path(ws, folder / "district", source="sis", id_prefix="")
    print(f"sandbox district of {STUDENTS} students loaded into {folder / 'workspace'}")
    print(pd.Series(loaded.counts, name="records loaded").to_frame().T.to_string())

# %% [markdown]
# ## 2. Build the candidate roster
#
# `wb.rules.build_candidate` applies the saved configuration (schools, filters, quarantine
# rules, requirements, duplicate merges) and writes the delivered records to schema `cand`,
# and every finding on them to `dq.finding`. The summary says how many records each entity
# keeps and drops, and which rules dropped them.

# %%
config = wb.rules.load_config(ws)
summary = wb.rules.build_candidate(ws, config)
pd.DataFrame({"kept": summary.kept, "dropped": summary.dropped})

# %%
pd.Series(summary.dropped_by_rule, name="records dropped", dtype="int64").to_frame()

# %% [markdown]
# ## 3. Missing values by school and attribute
#
# `wb.explore.missing_values(ws, entity)` counts, per school and attribute, the records whose
# value is NULL, blank or an empty list. As a percentage of the school's records it becomes a
# heat map: a dark column is an attribute the source rarely fills (fine if no app needs it), a
# dark cell in an otherwise light column is a school whose office does not enter it.
#
# A contact has no school of its own: it counts at its first linked student's school.


# %%
def missing_table(entity: str) -> pd.DataFrame:
    """Percent missing per school (rows) and attribute (columns); attributes never missing are left out."""
    rows = pd.DataFrame(wb.explore.missing_values(ws, entity))
    rows["percent"] = 100 * rows["missing"] / rows["records"].clip(lower=1)
    table = rows.pivot_table(index="school_name", columns="attribute", values="percent",
                             aggfunc="sum", fill_value=0)
    return table.loc[:, table.max() > 0].round(1)


def missing_heatmap(entity: str):
    table = missing_table(entity)
    if table.empty:
        print(f"no {entity} attribute is ever missing")
        return None
    fig = px.imshow(table, text_auto=True, aspect="auto", color_continuous_scale="Reds",
                    zmin=0, zmax=100, labels={"color": "% missing", "x": "attribute", "y": "school"},
                    title=f"{entity}: percent of records missing each attribute")
    fig.show()
    return table


missing_heatmap("student")

# %%
missing_heatmap("contact")

# %%
missing_heatmap("teacher")

# %% [markdown]
# ## 4. Invalid values and findings by school and rule
#
# The candidate build quarantines values that are present but wrong (an e-mail that is not an
# address, a birth date in the future): the value is delivered as empty and a **warning** is
# recorded. Requirements (`report_if_missing`) record an **error** for a delivered record
# without the value. `wb.explore.finding_counts` gives the totals per entity and rule,
# `wb.explore.findings` the rows themselves, with the school of each record.

# %%
counts = wb.explore.finding_counts(ws) or []
pd.DataFrame(counts, columns=["entity", "rule", "severity", "findings"])


# %%
def findings_frame(schema: str = "cand") -> pd.DataFrame:
    found = pd.DataFrame(wb.explore.findings(ws, schema=schema) or [], columns=wb.explore.FINDING_COLUMNS)
    names = {s["sourced_id"]: s["name"] for s in wb.explore.list_schools(ws)}
    found["school"] = found["school_sourced_id"].map(names).fillna("(no school)")
    return found


def findings_bars(found: pd.DataFrame, title: str) -> pd.DataFrame:
    by_school = (found.groupby(["school", "entity", "rule", "severity"]).size()
                 .rename("findings").reset_index())
    if by_school.empty:
        print("no findings")
        return by_school
    fig = px.bar(by_school, x="school", y="findings", color="rule", barmode="stack",
                 facet_col="entity", hover_data=["severity"], title=title)
    fig.update_xaxes(tickangle=30)
    fig.show()
    return by_school


found = findings_frame()
findings_bars(found, "Findings on the candidate roster by school and rule")

# %% [markdown]
# A few rows of the findings themselves: the record, the attribute, the value as loaded and
# what the build did about it. These are the records a school office should correct at the
# source (PowerSchool), where the next extract picks the correction up.

# %%
found[["entity", "sourced_id", "school", "attribute", "rule", "severity", "value",
       "message"]].head(20)

# %% [markdown]
# ## 5. Try a data requirement
#
# Suppose the apps the roster feeds need every student's e-mail. Rather than discovering it
# at sync time, the analyst tries the requirement on a **copy** of the configuration:
# `report_if_missing` on `student.email` turns every delivered student without one into an
# error finding. The draft is built in its own schema (`draft`, with its findings in
# `draft.finding`), so the candidate roster and its findings stay those of the saved
# configuration. Nothing is saved: the steward decides on the Rules page whether to adopt it.

# %%
draft = wb.rules.load_config(ws)
draft.setdefault("requirements", {}).setdefault("student", {})["email"] = "report_if_missing"
wb.rules.build_candidate(ws, draft, schema="draft")
with_requirement = findings_frame("draft")
findings_bars(with_requirement[with_requirement["rule"] == "report_if_missing"],
              "Students without an e-mail, under the draft requirement")

# %% [markdown]
# ## What the analyst sees, and what to do
#
# * **Missing values** concentrate in a few attributes (middle names, which many families do
#   not have; contact e-mails and employers). A column that is dark for every school is a
#   property of the source, not of one office; a single dark cell is a school to call.
# * **Invalid values** are few but real: e-mails like `n/a` or `1`, birth dates in the future.
#   The workbench already quarantines them, so they cannot reach the apps; the fix belongs at
#   the source.
# * **Requirements**: if an attribute matters downstream (student e-mail for a learning
#   platform), set `report_if_missing` on it so every sync reports the gap as an error, per
#   school, instead of delivering a silent blank.
#
# Finally we drop the draft schema and close the workspace: DuckDB allows one writer at a time,
# and the app cannot open it while this notebook holds it.

# %%
ws.query("DROP SCHEMA IF EXISTS draft CASCADE")
ws.close()
