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
# # Field discovery: find the fields a district needs, then build its custom plugin
#
# A vendor's setup guide asks the district to open PowerSchool's *View Field List*, copy the
# names of the fields it needs (standard fields have no dot, other tables' fields are
# `TableName.FieldName`), check the extension group names under *Database Extensions*, e-mail
# the list to support and wait for a custom plugin. This notebook does all of it here:
#
# 1. open a workspace (or build the synthetic sandbox district),
# 2. list every **table** the source offers, and what kind it is,
# 3. list every **field**, as View Field List names it, and search it,
# 4. **verify extension group names**: which table each extension hangs off, rows that hang
#    off nothing, and names that are close but wrong,
# 5. **profile** fields: fill rate, distinct values, type guess, value shapes, keys,
# 6. **pick** fields and write the **custom plugin** (a zip PowerSchool installs),
# 7. **install** it in the mock PowerSchool server, see what it grants, and **pull** through it,
# 8. **map** a picked field to the attribute it fills, **deliver** the others, and export.
#
# Everything goes through the public API (`import workbench as wb`, `wb.discovery`, the plugin
# generator in `workbench.sources.powerschool.plugin`, the mock in `workbench.sandbox`).
#
# **Settings** (environment variables, read once below):
#
# | variable | meaning | default |
# | --- | --- | --- |
# | `WORKBENCH_WORKSPACE` | a workspace whose fields to study in steps 2-5 (opened read-only) | unset: the sandbox |
# | `WORKBENCH_NOTEBOOK_DIR` | where the sandbox district, the plugin and the workspaces go | `sandbox/` beside this notebook (git-ignored) |
# | `WORKBENCH_NOTEBOOK_STUDENTS` | size of the sandbox district | 2000 |
#
# Steps 6-8 always run on the sandbox district: they install a plugin in a mock server.

# %%
import json
import zipfile

import pandas as pd
import plotly.express as px

import workbench as wb
from workbench.sandbox import fresh_sandbox, generate_district, notebook_settings
from workbench.sandbox.mock_powerschool import serve_mock
from workbench.sources.powerschool import PowerSchoolClient, load_powerschool, resolve_credentials
from workbench.sources.powerschool.plugin import (
    add_fields_to_mapping,
    build_plugin,
    parse_pick,
    write_plugin_zip,
)

SETTINGS = notebook_settings("field_discovery")  # WORKBENCH_WORKSPACE, WORKBENCH_NOTEBOOK_DIR, _STUDENTS
WORKSPACE = SETTINGS.workspace
SANDBOX = SETTINGS.folder
STUDENTS = SETTINGS.students
pd.set_option("display.max_colwidth", 60)

# %% [markdown]
# ## 1. Open the workspace
#
# The sandbox district is a synthetic PowerSchool extract: the rostering tables, plus the two
# extension tables most districts have, `StudentCoreFields` (health, language, legacy guardian
# fields) and the default extension `U_DEF_EXT_STUDENTS` (here: laptop tag, morning bus route,
# parent portal opt-in). The sandbox folder is ours: a previous run's copy (recognised by its
# marker file) is replaced.

# %%
folder = fresh_sandbox(SANDBOX, "notebooks/field_discovery.py")
district = folder / "district"
generate_district(district, students=STUDENTS, seed=1)
sandbox_ws = wb.init_workspace(folder / "extract-workspace")
wb.load_path(sandbox_ws, district, source="sis")
if WORKSPACE:
    ws = wb.open_workspace(WORKSPACE, read_only=True, wait=60)
    print(f"studying {WORKSPACE} (read-only)")
else:
    ws = sandbox_ws
    print(f"studying the sandbox district of {STUDENTS} students in {folder}")

# %% [markdown]
# ## 2. Tables
#
# `wb.discovery.list_tables` lists every table of the loaded sources (the latest load of each):
# its kind (a PowerSchool core table, a core-fields table, the default extension `U_DEF_EXT_*`,
# a district extension `U_*`, a state extension `S_*`, or a OneRoster file), the core table an
# extension hangs off and by which key column, and its rows and fields.

# %%
tables = wb.discovery.list_tables(ws)
tables

# %%
px.bar(tables.sort_values("fields"), x="fields", y="table", color="kind", orientation="h",
       hover_data=["rows", "core_table"], height=max(350, 22 * len(tables)),
       title="Fields per table").show()

# %% [markdown]
# ## 3. The field list
#
# `wb.discovery.list_fields` has one row per table and field. `name` is the field as View Field
# List shows it (a Students field has no dot; `StudentCoreFields.primarylanguage` is another
# table's), `qualified` is the `TABLE.FIELD` form that plugins, PowerQueries and the attribute
# mapping use. `used_as` says how the workbench uses the field today: read as a `standard`
# field, kept in the student's `extension`s, `mapped` to an attribute, or not at all (empty).

# %%
fields = wb.discovery.list_fields(ws)
print(f"{len(fields):,} fields in {fields['table'].nunique()} tables")
fields.groupby(["kind", "used_as"], dropna=False).size().rename("fields").to_frame()

# %% [markdown]
# The Filter box of View Field List is `find_fields`: every field whose name contains the text.
# Note PowerSchool's own spelling, `immunizaton` (sic): searching for `immunization` finds
# nothing, which is exactly how a field list sent to a vendor goes wrong.

# %%
wb.discovery.find_fields(ws, "immun")[["name", "qualified", "fill_rate", "type", "patterns"]]

# %%
assert wb.discovery.find_fields(ws, "immunization").empty

# %% [markdown]
# ## 4. Verify extension group names
#
# An extension *group* (e.g. `U_STUDENTS_EXTENSION`) holds one or more *tables* (e.g.
# `U_DEF_EXT_STUDENTS`); access requests and queries name the table. `extension_groups` lists
# each extension table, the core table it hangs off, its fields, and how many of its rows link to
# a row of the core table (`orphans` would show a wrong key or a table of another group).

# %%
wb.discovery.extension_groups(ws)

# %% [markdown]
# `verify_fields` checks a list of names before anything is built from it: a bare name is a
# field of the Students table (as in View Field List for the Students role); a name that is not
# there gets a suggestion.

# %%
check = wb.discovery.verify_fields(ws, [
    "U_DEF_EXT_STUDENTS.laptop_tag",        # right
    "U_STUDENTS_EXTENSION.laptop_tag",      # the group's name, not its table's
    "StudentCoreFields.immunization_dpt",   # PowerSchool spells it immunizaton
    "student_number",                       # a standard Students field
])
check

# %% [markdown]
# ## 5. Profiles
#
# Every field comes with a profile: filled rows and fill rate, distinct values, a type guess
# with the share of values that fit it, the commonest value *shapes* (digits as `9`, runs of
# capitals as `A`, of small letters as `a`) and samples, and whether it could be a key
# (`unique`: every row filled and unique; `unique when present`). The fill rates of the
# extension fields show at a glance which are worth delivering.

# %%
extension = fields[fields["kind"] != "core"]
extension = extension[~extension["field"].str.endswith("dcid")]
px.bar(extension.sort_values("fill_rate"), x="fill_rate", y="name", orientation="h",
       color="type", range_x=[0, 1], height=max(300, 24 * len(extension)),
       title="Extension fields: share of students with a value").show()
extension[["name", "fill_rate", "distinct", "type", "type_share", "patterns", "samples", "key"]]

# %% [markdown]
# Candidate keys of the core tables, and the fields whose type is not what their name
# suggests (free-text dates, 0/1 flags) are what an attribute mapping must convert.

# %%
fields[fields["key"] == "unique"][["name", "table", "type", "patterns"]].head(20)

# %%
profile = wb.discovery.profile_field(ws, "StudentCoreFields", "primarylanguage", top=10)
print({k: profile.summary[k] for k in ("fill_rate", "distinct", "type", "patterns")}, profile.lengths)
px.bar(profile.values, x="rows", y="value", orientation="h",
       title="StudentCoreFields.primarylanguage: the commonest values").update_yaxes(
    autorange="reversed").show()

# %% [markdown]
# ## 6. Pick the fields and write the custom plugin
#
# The district needs the laptop tag, the morning bus route and the primary language in the
# roster; the laptop tag is also the students' device login, so it fills `student.username`
# (`TABLE.FIELD=entity.attribute`). Nothing else in those tables (allergies, medical notes) is
# requested: a plugin asks for exactly what it reads.
#
# `build_plugin` writes `plugin.xml` (`<oauth/>`, an `<access_request>` with every standard
# field the workbench reads plus the picks and the keys the queries join on, `<publisher>`) and a
# named PowerQuery per core table; `write_plugin_zip` writes the zip PowerSchool installs under
# *System Management > Server > Plugin Configuration > Install*.

# %%
PICKS = ["U_DEF_EXT_STUDENTS.laptop_tag=student.username", "U_DEF_EXT_STUDENTS.bus_route_am",
         "StudentCoreFields.primarylanguage"]
picks = [parse_pick(p) for p in PICKS]
verified = wb.discovery.verify_fields(sandbox_ws, [p.column for p in picks])
assert verified["found"].all(), verified
plugin = build_plugin(picks, name="District custom fields")
zip_path = write_plugin_zip(plugin, folder / "district-custom-fields.zip")
with zipfile.ZipFile(zip_path) as z:
    print(z.namelist())
print("\n".join(line for line in plugin.plugin_xml.splitlines()
                if "U_DEF_EXT" in line or "STUDENTCOREFIELDS" in line or "oauth" in line))
print(plugin.queries[0].name)
print(plugin.queries[0].sql)

# %% [markdown]
# ## 7. Install it in the mock PowerSchool and pull through it
#
# The mock server (real HTTP on 127.0.0.1) installs the zip the way PowerSchool does, checks
# it, and gives it its own client ID and secret. With those credentials:
#
# * `wb.discovery.discover_api` reads the tables' metadata: the picked fields are `ViewOnly`,
#   the others `NoAccess`;
# * the named query returns the picks;
# * `load_powerschool` pulls the district into a new workspace: the picked extension fields
#   arrive, and nothing else of those tables.

# %%
pulled = wb.init_workspace(folder / "api-workspace")
with serve_mock(district, plugins=[zip_path]) as server:
    client_id, client_secret = server.credentials(plugin.name)
    access = wb.discovery.discover_api(server.url, client_id=client_id, client_secret=client_secret,
                                       tables=["U_DEF_EXT_STUDENTS", "StudentCoreFields"], sample=200)
    with PowerSchoolClient(server.url, resolve_credentials(client_id, client_secret)) as client:
        served = pd.DataFrame(list(client.query_rows(plugin.queries[0].name))).head()
    load_powerschool(pulled, server.url, client_id=client_id, client_secret=client_secret,
                     source="sis", workers=2)
access[["qualified", "access", "fill_rate", "type"]]

# %%
served

# %% [markdown]
# What landed: the extension fields of the pulled students (`extensions`, keyed `table.field`)
# are exactly the picks, with the extract's values.

# %%
landed = pd.DataFrame(
    [{"sourced_id": sid, **json.loads(ext or "{}")}
     for sid, ext in pulled.query("SELECT sourced_id, extensions FROM stg.student ORDER BY 1")])
print(sorted(c for c in landed.columns if c != "sourced_id"))
assert sorted(c for c in landed.columns if c != "sourced_id") == sorted(
    f"{p.table.lower()}.{p.field.lower()}" for p in picks)
from_extract = pd.DataFrame(
    [{"sourced_id": sid, **json.loads(ext or "{}")}
     for sid, ext in sandbox_ws.query("SELECT sourced_id, extensions FROM stg.student ORDER BY 1")])
same = landed.merge(from_extract, on="sourced_id", suffixes=("", "_extract"))
for col in landed.columns.drop("sourced_id"):
    assert same[col].fillna("").eq(same[f"{col}_extract"].fillna("")).all(), col
landed.head()

# %% [markdown]
# ## 8. Map the fields and deliver them
#
# `add_fields_to_mapping` saves one configuration version:
#
# * `attributes.student.username = U_DEF_EXT_STUDENTS.laptop_tag`: the candidate roster
#   delivers the laptop tag as the username. A mapped field replaces the standard one: students
#   without a tag (most of kindergarten to grade 2) are delivered without a username, which
#   `requirements.student.username: report_if_missing` would put in front of the steward;
# * `extensions.student = [U_DEF_EXT_STUDENTS.bus_route_am, StudentCoreFields.primarylanguage]`:
#   the picks without an attribute are delivered with the students, as `metadata.<field>`
#   columns of the OneRoster `users.csv`. Extension fields nobody picked (allergies, medical
#   notes) stay in the roster and are never delivered.

# %%
added = add_fields_to_mapping(pulled, picks, author="analyst")
config = wb.rules.load_config(pulled)
print(added)
print(config["extensions"])
summary = wb.rules.build_candidate(pulled, config)
delivered = pd.DataFrame(pulled.query(
    "SELECT s.sourced_id, s.username, json_extract_string(s.extensions, "
    "'$.\"u_def_ext_students.laptop_tag\"') AS laptop_tag FROM cand.student s ORDER BY 1"),
    columns=["sourced_id", "username", "laptop_tag"])
with_tag = delivered[delivered["laptop_tag"].notna()]
assert (with_tag["username"] == with_tag["laptop_tag"]).all()
print(f"{len(with_tag):,} of {len(delivered):,} students delivered with their laptop tag as username; "
      f"{delivered['username'].isna().sum():,} without a username")

# %% [markdown]
# The sandbox's first sync, committed directly (a steward commits through Preview and Commit),
# and its OneRoster delivery: the students' rows of `users.csv` carry the delivered fields.

# %%
wb.sync.commit_roster(pulled, author="analyst", note="first sync of the sandbox district")
export = wb.sync.export_oneroster(pulled, folder / "oneroster")
print(export.metadata)
users = pd.read_csv(folder / "oneroster" / "users.csv", dtype=str)
students = users[users["role"] == "student"]
assert students["metadata.primarylanguage"].notna().all()
students[["sourcedId", "username", *export.metadata]].head()

# %% [markdown]
# ## Close
#
# DuckDB allows one writer per workspace file: close what we opened.

# %%
pulled.close()
if ws is not sandbox_ws:
    ws.close()
sandbox_ws.close()
