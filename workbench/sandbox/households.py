"""Households and their children: the people the district model is built from.

A household has one surname, one address, one home phone and a place on the district's 0..1 line
(which decides the schools its children attend). Its children are siblings: they share all of that,
have distinct first names and distinct grades, except twins, who share grade and birth date.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.names import GROUPS, display
from workbench.sandbox.schoolyear import SchoolYear
from workbench.sandbox.text import cat, pick

KIDS = (np.array([1, 2, 3, 4, 5]), np.array([0.45, 0.35, 0.14, 0.05, 0.01]))
GRADE_VALUES = np.arange(-1, 14)  # 13 = graduated last June
GRADE_WEIGHTS = np.array([0.4] + [1.0] * 13 + [0.27])
TWIN_SHARE = 0.01  # of all households


def segment_starts(counts: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def rank_in_segment(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within runs of equal values of a sorted ``groups`` array."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[True, groups[1:] != groups[:-1]]
    idx = np.arange(n)
    return idx - np.maximum.accumulate(np.where(start, idx, 0))


def _kid_counts(rng: np.random.Generator, n_children: int) -> np.ndarray:
    kids = rng.choice(KIDS[0], p=KIDS[1], size=int(n_children / 1.82 * 1.2) + 10)
    cum = np.cumsum(kids)
    h = int(np.searchsorted(cum, n_children)) + 1
    kids = kids[:h].copy()
    kids[-1] -= int(cum[h - 1] - n_children)
    return kids


def _names_by_group(rng: np.random.Generator, group: np.ndarray, attr: str) -> np.ndarray:
    out = np.empty(len(group), dtype=object)
    for g, spec in enumerate(GROUPS):
        m = group == g
        pool = getattr(spec, attr)
        out[m] = pick(pool, rng.integers(0, len(pool), int(m.sum())))
    return out


def build_households(rng: np.random.Generator, n_children: int) -> pd.DataFrame:
    """One row per household, with its children count and shared attributes."""
    kids = _kid_counts(rng, n_children)
    h = len(kids)
    weights = np.array([g.weight for g in GROUPS])
    group = rng.choice(len(GROUPS), p=weights / weights.sum(), size=h)
    surname = np.asarray([display(s) for s in _names_by_group(rng, group, "last")], dtype=object)
    hyphen = rng.random(h) < 0.03
    surname[hyphen] = cat(surname[hyphen], "-", pick([display(s) for s in GROUPS[0].last],
                                                     rng.integers(0, len(GROUPS[0].last), int(hyphen.sum()))))
    pos = rng.random(h)
    town = (pos * len(places.TOWNS)).astype(int)
    zips = np.array([z for _, z in places.TOWNS])[town] + rng.integers(0, 3, h)
    street = cat(rng.integers(100, 20000, h), " ", pick(places.STREETS, rng.integers(0, len(places.STREETS), h)),
                 " ", pick(places.STREET_TYPES, rng.integers(0, len(places.STREET_TYPES), h)))
    unit = np.where(rng.random(h) < 0.2, pick(places.UNITS, rng.integers(0, len(places.UNITS), h)), None)
    twins = (kids >= 2) & (rng.random(h) < TWIN_SHARE / max(np.mean(kids >= 2), 1e-9))
    return pd.DataFrame({
        "kids": kids, "group": group, "surname": surname, "pos": pos, "town": town,
        "city": pick([t for t, _ in places.TOWNS], town), "zip": zips.astype(str).astype(object),
        "street": street, "unit": unit, "phone": rng.integers(2000000, 9999999, h),
        "twins": twins, "phone_style": rng.choice(5, p=[0.7, 0.2, 0.06, 0.03, 0.01], size=h),
    })


def _grades(rng: np.random.Generator, kids: np.ndarray, twins: np.ndarray) -> np.ndarray:
    """Distinct grades per household, oldest first (twins share the oldest's grade).

    Weighted sampling without replacement per household through exponential keys, so every
    child's grade follows GRADE_WEIGHTS whatever the size of the family.
    """
    keys = rng.exponential(size=(len(kids), len(GRADE_VALUES))) / GRADE_WEIGHTS
    chosen = GRADE_VALUES[np.argsort(keys, axis=1)[:, :5]]
    hh = np.repeat(np.arange(len(kids)), kids)
    order = rank_in_segment(hh)
    twin_second = (order == 1) & twins[hh]
    grade = chosen[hh, order - twin_second]  # the second twin takes the first one's grade
    ranked = np.lexsort((-grade, hh))  # oldest (highest grade) first within the household
    return grade[ranked]


def _birth_dates(rng: np.random.Generator, grade: np.ndarray, year: SchoolYear) -> np.ndarray:
    """Age ``grade + 5`` on September 1st of the school year; 3% a year older (held back)."""
    born_from = np.array([np.datetime64(dt.date(year.start_year - 6, 9, 2))]) - (grade * 365.25).astype("timedelta64[D]")
    held = np.where(rng.random(len(grade)) < 0.03, 365, 0).astype("timedelta64[D]")
    return born_from - held + rng.integers(0, 365, len(grade)).astype("timedelta64[D]")


def build_children(rng: np.random.Generator, hh: pd.DataFrame, year: SchoolYear) -> pd.DataFrame:
    """One row per child, sorted by household and birth order (0 = oldest)."""
    idx = np.repeat(np.arange(len(hh)), hh["kids"].to_numpy())
    order = rank_in_segment(idx)
    twins = hh["twins"].to_numpy()
    grade = _grades(rng, hh["kids"].to_numpy(), twins)
    gender = rng.choice(np.array(["F", "M", "X"], dtype=object), p=[0.495, 0.495, 0.01], size=len(idx))
    group = hh["group"].to_numpy()[idx]
    name_group = np.where((group > 0) & (rng.random(len(idx)) < 0.15), 0, group)
    female = _names_by_group(rng, name_group, "female")
    male = _names_by_group(rng, name_group, "male")
    first = np.where(gender == "F", female, np.where(gender == "M", male, np.where(rng.random(len(idx)) < 0.5, female, male)))
    middle_pool = np.where(gender == "F", _names_by_group(rng, name_group, "female"), _names_by_group(rng, name_group, "male"))
    middle = np.where((rng.random(len(idx)) < 0.6) & (middle_pool != first), middle_pool, None)
    dob = _birth_dates(rng, grade, year)
    twin_second = np.r_[False, (idx[1:] == idx[:-1]) & (grade[1:] == grade[:-1])]
    dob[twin_second] = dob[np.flatnonzero(twin_second) - 1]
    kids = pd.DataFrame({"hh": idx, "order": order, "grade": grade, "gender": gender,
                         "first": first, "middle": middle, "dob": dob, "group": group,
                         "twin": twin_second | np.r_[twin_second[1:], False]})
    _distinct_first_names(rng, kids)
    return kids


def _distinct_first_names(rng: np.random.Generator, kids: pd.DataFrame) -> None:
    """Re-draw the first name of a child who got the same one as a sibling."""
    for _ in range(10):
        clash = kids.duplicated(["hh", "first"]).to_numpy()
        if not clash.any():
            return
        rows = np.flatnonzero(clash)
        pools = [GROUPS[g].female if s == "F" else GROUPS[g].male
                 for g, s in zip(kids["group"].to_numpy()[rows], kids["gender"].to_numpy()[rows], strict=True)]
        kids.loc[rows, "first"] = [p[int(rng.integers(len(p)))] for p in pools]
