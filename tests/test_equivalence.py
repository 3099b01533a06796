"""One district exported as PowerSchool tables and as OneRoster gives the same canonical roster.

The sandbox writes both exports of the same seed; each is loaded into its own workspace through its
own reader and mapping, and the canonical rows are compared on every column OneRoster can carry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench as wb
from tests.helpers import stg_rows
from workbench.sandbox import generate_district

# Columns OneRoster 1.1 carries, per canonical entity (the rest is PowerSchool-only or derived).
COMMON: dict[str, tuple[str, ...]] = {
    "school": ("sourced_id", "source_id", "name", "org_type", "identifier", "parent_sourced_id"),
    "calendar": ("sourced_id", "title", "session_type", "start_date", "end_date", "parent_sourced_id",
                 "school_year"),
    "course": ("sourced_id", "title", "course_code", "school_sourced_id"),
    "class": ("sourced_id", "title", "class_code", "class_type", "location", "school_sourced_id",
              "course_sourced_id", "term_sourced_ids", "periods"),
    "student": ("sourced_id", "given_name", "middle_name", "family_name", "username", "identifier",
                "email", "birth_date", "sex", "grade", "school_sourced_id", "enabled", "hispanic",
                "races"),
    "teacher": ("sourced_id", "given_name", "middle_name", "family_name", "username", "identifier",
                "email", "school_sourced_ids", "enabled"),
    "admin": ("sourced_id", "given_name", "middle_name", "family_name", "username", "identifier",
              "email", "school_sourced_ids", "enabled"),
    "contact": ("sourced_id", "given_name", "middle_name", "family_name", "role", "email"),
    "student_contact": ("sourced_id", "student_sourced_id", "contact_sourced_id", "priority"),
    "enrollment": ("sourced_id", "class_sourced_id", "school_sourced_id", "user_sourced_id", "role",
                   "is_primary", "begin_date", "end_date"),
}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("equivalence")
    roots = []
    for fmt in ("powerschool", "oneroster"):
        out = base / fmt
        generate_district(out, students=600, seed=11, fmt=fmt)
        root = base / f"ws-{fmt}"
        with wb.init_workspace(root) as ws:
            wb.load_path(ws, out, source="district", id_prefix="X-")
        roots.append(root)
    return roots[0], roots[1]


def _project(root: Path, entity: str) -> list[tuple]:
    import duckdb

    cols = ", ".join(f'"{c}"' for c in COMMON[entity])
    con = duckdb.connect(str(root / "workbench.duckdb"), read_only=True)
    try:
        rows = con.execute(f'SELECT {cols} FROM stg."{entity}"').fetchall()
        return sorted((tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in rows), key=repr)
    finally:
        con.close()


@pytest.mark.parametrize("entity", list(COMMON))
def test_powerschool_and_oneroster_give_the_same_roster(both: tuple[Path, Path], entity: str) -> None:
    ps, oneroster = (_project(r, entity) for r in both)
    assert ps, f"no {entity} rows from PowerSchool"
    missing = sorted(set(ps) - set(oneroster), key=repr)[:5]
    extra = sorted(set(oneroster) - set(ps), key=repr)[:5]
    assert not missing and not extra, (
        f"{entity}: {len(set(ps) - set(oneroster))} rows only from PowerSchool, e.g. {missing}; "
        f"{len(set(oneroster) - set(ps))} only from OneRoster, e.g. {extra}"
    )


def test_oneroster_terms_know_their_school_where_classes_use_them(both: tuple[Path, Path]) -> None:
    ps = {r[0]: r[-1] for r in stg_rows(both[0], "calendar", exclude=("load_id", "source", "source_id"))}
    onr = {r[0]: r[-1] for r in stg_rows(both[1], "calendar", exclude=("load_id", "source", "source_id"))}
    known = {k: v for k, v in onr.items() if v is not None}
    assert known
    assert all(ps[k] == v for k, v in known.items())
