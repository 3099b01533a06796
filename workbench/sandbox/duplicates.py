"""Duplicate people as stewards meet them: re-enrolled students and parents entered twice.

The variants are the slips of a busy registrar: a nickname instead of the formal name, a swapped
or dropped letter, the caps lock on, a stray space, a middle name left out or cut to its initial,
day and month of a birth date swapped, the state ID retyped or left blank.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from workbench.sandbox.households import rank_in_segment
from workbench.sandbox.schoolyear import SchoolYear
from workbench.sandbox.text import case_variant, nickname, typo

DUPLICATE_STUDENT_SHARE = 0.01


def first_name_variant(name: str, r: float, r2: float) -> str:
    """Nickname (35%), typo (30%), case/space slip (15%) or unchanged (20%)."""
    if r < 0.35:
        return nickname(name, r2) or typo(name, r2)
    if r < 0.65:
        return typo(name, r2)
    if r < 0.80:
        return case_variant(name, r2)
    return name


def last_name_variant(name: str, r: float, r2: float) -> str:
    if r < 0.25:
        return typo(name, r2)
    if r < 0.35:
        return case_variant(name, r2)
    if r < 0.40 and "-" in name:
        return name.split("-")[0]
    return name


def middle_variant(middle: object, r: float) -> object:
    if not isinstance(middle, str) or r < 0.5:
        return None
    return middle[0] if r < 0.7 else middle


def dob_variant(dob: np.datetime64, r: float) -> np.datetime64:
    """Same date (85%), day and month swapped when both are <= 12 (10%), or one day off (5%)."""
    d = pd.Timestamp(dob).date()
    if r < 0.85:
        return dob
    if r < 0.95 and d.day <= 12 and d.day != d.month:
        return np.datetime64(dt.date(d.year, d.day, d.month), "D")
    return np.datetime64(d + dt.timedelta(days=1), "D")


def _candidates(kids: pd.DataFrame) -> np.ndarray:
    ok = (kids["status"].to_numpy() == 0) & ~kids["twin"].to_numpy() & (kids["grade"].to_numpy() <= 12)
    return np.flatnonzero(ok)


def _other_schools(school: np.ndarray, schools: pd.DataFrame, r: np.ndarray) -> np.ndarray:
    """Half of the re-enrolments happen at the next school of the same level."""
    level = dict(zip(schools["School_Number"], schools["_level"], strict=True))
    following = {}
    for lv in set(level.values()):
        same = schools.loc[schools["_level"] == lv, "School_Number"].tolist()
        following.update({a: b for a, b in zip(same, same[1:] + same[:1], strict=True)})
    moved = np.array([following[int(s)] for s in school], dtype=np.int64)
    return np.where(r < 0.5, school, moved)


def duplicate_students(rng: np.random.Generator, kids: pd.DataFrame, surnames: np.ndarray,
                       schools: pd.DataFrame, year: SchoolYear, today: dt.date) -> pd.DataFrame:
    """New rows re-enrolling about 1% of the active children under new numbers.

    In half the cases the original record is closed as transferred (``kids`` is updated in place)
    on the day the duplicate was entered; otherwise both records stay active.
    """
    cand = _candidates(kids)
    n = min(len(cand), max(3, round(len(kids) * DUPLICATE_STUDENT_SHARE)))
    orig = np.sort(rng.choice(cand, size=n, replace=False))
    r = rng.random((n, 8))
    src = kids.iloc[orig].reset_index(drop=True)
    surname = surnames[src["hh"].to_numpy()]
    dup = src.copy()
    dup["first"] = [first_name_variant(f, a, b) for f, a, b in zip(src["first"], r[:, 0], r[:, 1], strict=True)]
    dup["last"] = [last_name_variant(s, a, b) for s, a, b in zip(surname, r[:, 2], r[:, 3], strict=True)]
    dup["middle"] = [middle_variant(m, a) for m, a in zip(src["middle"], r[:, 4], strict=True)]
    dup["dob"] = [dob_variant(d, a) for d, a in zip(src["dob"].to_numpy(), r[:, 5], strict=True)]
    dup["state_mode"] = np.where(r[:, 6] < 0.6, "same", np.where(r[:, 6] < 0.85, "new", "blank"))
    dup["school"] = _other_schools(src["school"].to_numpy(), schools, r[:, 7])
    dup["phone_style"] = rng.integers(0, 5, n)
    dup["dup_of"] = orig
    lo = year.first_day + dt.timedelta(days=5)
    entered = np.datetime64(lo, "D") + rng.integers(0, max(1, (today - lo).days) + 1, n).astype("timedelta64[D]")
    one = np.timedelta64(1, "D")
    dup["entry"] = np.maximum(entered, src["entry"].to_numpy().astype("datetime64[D]") + one)
    closes = rng.random(n) < 0.5
    kids.loc[orig[closes], "status"] = 2
    kids.loc[orig[closes], "exit"] = dup["entry"].to_numpy()[closes]
    return dup


def contact_name_variant(first: str, last: str, r: np.ndarray) -> tuple[str, str]:
    """A parent typed again for a younger sibling: case, spacing, nickname or typo."""
    kind = int(r[0] * 5)
    if kind == 0:
        return case_variant(first, r[1]), case_variant(last, r[2]) if r[3] < 0.5 else last
    if kind == 1:
        return nickname(first, r[1]) or first.lower(), last
    if kind == 2:
        return typo(first, r[1]), last
    if kind == 3:
        return first, typo(last, r[2])
    return first + " " if r[1] < 0.5 else first, last


DUPLICATE_CONTACT_SHARE = 0.30  # of the households with two or more linked children


def email_variant(email: object, r: float, r2: float) -> object:
    """Same address (40%), other case (15%), a new address (20%), none (15%) or a typo (10%)."""
    if not isinstance(email, str) or r < 0.40:
        return email
    local, _, domain = email.partition("@")
    if r < 0.55:
        return email.upper() if r2 < 0.5 else local.capitalize() + "@" + domain
    if r < 0.75:
        return f"{local}{1 + int(r2 * 9)}@{domain}"
    if r < 0.90:
        return None
    return typo(local, r2) + "@" + domain


def _siblings(students: pd.DataFrame) -> pd.DataFrame:
    """Distinct linked children per household, ranked by birth order (0 = oldest)."""
    keep = students["DCID"].notna() & (students["_dup_of"] == -1)
    s = students.loc[keep, ["_hh", "_child", "_order"]].sort_values(["_hh", "_order"], kind="stable")
    return s.assign(rank=rank_in_segment(s["_hh"].to_numpy())).rename(columns={"_hh": "hh", "_child": "child"})


def _dup_specs(rng: np.random.Generator, contacts: pd.DataFrame, students: pd.DataFrame) -> pd.DataFrame:
    """(parent row, child) for every parent entered again for a younger sibling."""
    sib = _siblings(students)
    size = sib.groupby("hh")["child"].size()
    multi = np.setdiff1d(size.index[size >= 2].to_numpy(), students.loc[students["DCID"].isna(), "_hh"].to_numpy())
    chosen = multi[rng.random(len(multi)) < DUPLICATE_CONTACT_SHARE]
    slot = contacts["slot"].to_numpy()
    pick_parent = contacts["hh"].isin(chosen).to_numpy() & ((slot == 0) | ((slot == 1) & (rng.random(len(slot)) < 0.4)))
    parents = pd.DataFrame({"parent": np.flatnonzero(pick_parent), "hh": contacts["hh"].to_numpy()[pick_parent]})
    later = sib.loc[sib["hh"].isin(chosen) & (sib["rank"] >= 1), ["hh", "child"]]
    return parents.merge(later, on="hh").sort_values(["parent", "child"], kind="stable").reset_index(drop=True)


def duplicate_parents(rng: np.random.Generator, contacts: pd.DataFrame, links: pd.DataFrame,
                      students: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parents entered once per sibling: new contact rows, and the younger siblings' links moved to them.

    Returns the contacts with the duplicates appended (``dup_of`` = the original's row) and the
    updated links.
    """
    spec = _dup_specs(rng, contacts, students)
    n = len(spec)
    new = contacts.iloc[spec["parent"].to_numpy()].reset_index(drop=True)
    r = rng.random((n, 8))
    names = [contact_name_variant(f, la, r[i, :4]) for i, (f, la) in enumerate(zip(new["first"], new["last"], strict=True))]
    new["first"] = [a for a, _ in names]
    new["last"] = [b for _, b in names]
    new["middle"] = np.where(r[:, 4] < 0.5, None, new["middle"].to_numpy())
    new["email"] = [email_variant(e, a, b) for e, a, b in zip(new["email"], r[:, 5], r[:, 6], strict=True)]
    new["email2"] = np.where(r[:, 7] < 0.5, None, new["email2"].to_numpy())
    new["phone_style"] = rng.integers(0, 5, n)
    drop_phone = rng.random(n) < 0.2
    new.loc[drop_phone, "phone2"] = -1
    new.loc[drop_phone, "phone2_type"] = None
    new["dup_of"] = spec["parent"].to_numpy()
    spec["new"] = len(contacts) + np.arange(n)
    child = students["_child"].to_numpy()[links["student"].to_numpy()]
    keyed = pd.DataFrame({"child": child, "parent": links["contact"].to_numpy()})
    moved = keyed.merge(spec[["parent", "child", "new"]], on=["parent", "child"], how="left")["new"]
    links = links.assign(contact=np.where(moved.notna(), moved.fillna(-1).astype(np.int64), links["contact"].to_numpy()))
    return pd.concat([contacts, new], ignore_index=True), links
