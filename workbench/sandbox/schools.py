"""Schools, terms and the course catalog of the sandbox district."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.catalog import ELEMENTARY, HIGH, LEVEL_GRADES, MIDDLE, UNSCHEDULED, catalog
from workbench.sandbox.names import display
from workbench.sandbox.schoolyear import SchoolYear
from workbench.sandbox.text import cat, phones

GRADUATED_SCHOOL = 999999
LEVEL_SHARE = {ELEMENTARY: 0.55, MIDDLE: 0.20, HIGH: 0.25}
LEVEL_SUFFIX = {ELEMENTARY: "Elementary School", MIDDLE: "Middle School", HIGH: "High School"}


def level_counts(students: int) -> dict[int, int]:
    """How many schools of each level: about one per 600 students, at least one per level."""
    total = max(3, round(students / 600))
    elem = max(1, round(total * LEVEL_SHARE[ELEMENTARY]))
    mid = max(1, round(total * LEVEL_SHARE[MIDDLE]))
    return {ELEMENTARY: elem, MIDDLE: mid, HIGH: max(1, total - elem - mid)}


def _school_names(n: int, level: int, start: int) -> list[str]:
    stems = [display(s) for s in places.SCHOOL_STEMS]
    out = []
    for i in range(start, start + n):
        prefix = places.SCHOOL_PREFIXES[(i // len(stems)) % len(places.SCHOOL_PREFIXES)]
        cycle = i // (len(stems) * len(places.SCHOOL_PREFIXES))
        name = f"{prefix}{stems[i % len(stems)]} {LEVEL_SUFFIX[level]}"
        out.append(name if cycle == 0 else f"{name} {cycle + 1}")
    return out


def _abbreviations(names: list[str]) -> list[str]:
    """``MVES`` for Mountain View Elementary School; a number is added when two would clash."""
    out, seen = [], set()
    for name in names:
        base = "".join(w[0] for w in name.split() if w[0].isalpha()).upper()
        abbr, k = base, 1
        while abbr in seen:
            k += 1
            abbr = f"{base}{k}"
        seen.add(abbr)
        out.append(abbr)
    return out


def build_schools(rng: np.random.Generator, students: int, district_number: str) -> pd.DataFrame:
    """``Schools``: elementary, middle and high schools plus the Graduated Students school.

    Internal columns: ``_level`` (-1 for the graduated school) and ``_pos`` (the school's place on
    the district's 0..1 line; a household at position p attends school ``floor(p * n_level)``).
    """
    counts = level_counts(students)
    levels = np.concatenate([np.full(n, lv) for lv, n in counts.items()])
    pos = np.concatenate([(np.arange(n) + 0.5) / n for n in counts.values()])
    names: list[str] = []
    offset = int(rng.integers(len(places.SCHOOL_STEMS)))
    for lv, n in counts.items():
        names += _school_names(n, lv, offset + lv * 29)
    n = len(levels)
    town = (pos * len(places.TOWNS)).astype(int)
    number = 100 + 10 * np.arange(n)
    phone = phones(places.AREA_CODE, rng.integers(2000000, 9999999, n), np.zeros(n, dtype=int))
    fax = phones(places.AREA_CODE, rng.integers(2000000, 9999999, n), np.zeros(n, dtype=int))
    df = pd.DataFrame({
        "ID": np.arange(1, n + 1),
        "DCID": 101 + np.arange(n) * 3,
        "School_Number": number,
        "Name": names,
        "Abbreviation": _abbreviations(names),
        "Low_Grade": [LEVEL_GRADES[lv][0] if lv != ELEMENTARY or i % 3 == 0 else 0 for i, lv in enumerate(levels)],
        "High_Grade": [LEVEL_GRADES[lv][-1] for lv in levels],
        "Principal": None, "PrincipalEmail": None, "PrincipalPhone": phone,
        "AsstPrincipal": None,
        "SchoolAddress": cat(rng.integers(100, 9999, n), " ", np.asarray(
            [f"{places.STREETS[i % len(places.STREETS)]} {places.STREET_TYPES[i % 5]}" for i in
             rng.integers(0, 10**6, n)], dtype=object)),
        "SchoolCity": [places.TOWNS[t][0] for t in town],
        "SchoolState": places.STATE,
        "SchoolZip": [str(places.TOWNS[t][1] + int(k)) for t, k in zip(town, rng.integers(0, 3, n), strict=True)],
        "SchoolPhone": phone, "SchoolFax": fax,
        "SIF_StatePrID": [f"{district_number}{num:04d}" for num in number],
        "District_Number": district_number,
        "SortOrder": np.arange(1, n + 1),
        "_level": levels, "_pos": pos,
    })
    return pd.concat([df, _graduated_row(n, district_number)], ignore_index=True)


def _graduated_row(n: int, district_number: str) -> pd.DataFrame:
    return pd.DataFrame([{
        "ID": n + 1, "DCID": 101 + n * 3, "School_Number": GRADUATED_SCHOOL, "Name": "Graduated Students",
        "Abbreviation": "GRAD", "Low_Grade": 99, "High_Grade": 99, "District_Number": district_number,
        "SchoolState": places.STATE, "SortOrder": n + 1, "_level": -1, "_pos": 0.0,
    }])


def build_terms(schools: pd.DataFrame, years: list[SchoolYear]) -> pd.DataFrame:
    """``Terms``: every term of every year for every real school (not the graduated school)."""
    rows = []
    real = schools.loc[schools["_level"] >= 0, "School_Number"].tolist()
    for year in years:
        for number in real:
            for t in year.terms:
                rows.append((year.term_id(t.offset), year.year_id, number, t.name, t.abbreviation,
                             t.first, t.last, t.portion, int(t.portion == 1), t.days,
                             {1: 1, 2: 2, 4: 4}[t.portion]))
    cols = ["ID", "YearID", "SchoolID", "Name", "Abbreviation", "FirstDay", "LastDay", "Portion",
            "IsYearRec", "NoOfDays", "TermsInYear"]
    df = pd.DataFrame(rows, columns=cols)
    df.insert(1, "DCID", 5001 + np.arange(len(df)))
    for c in ("FirstDay", "LastDay"):
        df[c] = pd.to_datetime(df[c])
    return df


def build_courses(schools: pd.DataFrame) -> pd.DataFrame:
    """``Courses``: the district catalog (SchoolID 0) plus two courses owned by one high school."""
    specs = catalog()
    first_high = int(schools.loc[schools["_level"] == HIGH, "School_Number"].iloc[0])
    unscheduled = {c.number for c in UNSCHEDULED}
    return pd.DataFrame({
        "ID": np.arange(1, len(specs) + 1),
        "DCID": 20001 + np.arange(len(specs)) * 7,
        "Course_Number": [c.number for c in specs],
        "Course_Name": [c.name for c in specs],
        "Credit_Hours": [("1.0" if c.kind == "Y" else "0.5") if c.level == HIGH else "0.0" for c in specs],
        "Sched_Department": [c.department for c in specs],
        "SchoolID": [first_high if c.number in unscheduled else 0 for c in specs],
        "_kind": [c.kind for c in specs],
        "_grade": [c.grade if c.grade is not None else -9 for c in specs],
        "_level": [c.level for c in specs],
    })
