"""Course requests and sections: who takes what, in which period and term.

Elementary students move as homeroom groups of about 24; every course a group takes is one
section of its own; specials (PE, art, music ...) meet once a week. Middle and high school
students choose one option per slot (see ``catalog``) and take slot ``s`` in period
``(s + cohort) % 8 + 1``, so a course is spread over the day; the requests for one course, term
and period at a school are split round-robin into sections of up to 30 students. Everything is
vectorised: the loops run over levels, grades and slots only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sandbox.catalog import ELEMENTARY, LEVEL_GRADES, Option, grade_code, slots
from workbench.sandbox.households import rank_in_segment
from workbench.sandbox.schoolyear import SEM1, SEM2, YEAR
from workbench.sandbox.students import ACTIVE, TRANSFERRED, level_of

GROUP_SIZE = 24
SECTION_CAP = 30
PERIODS = 8  # periods in a secondary school day (the number of slots)
ELEMENTARY_SLOTS = 5  # homeroom, reading, math, science, social studies: the homeroom teacher's
DAILY = -1


def _codes(codes: tuple[str, ...], grade: int) -> tuple[str, ...]:
    return tuple(c.replace("{g}", grade_code(grade)) for c in codes)


def _option_requests(rng: np.random.Generator, opt: Option, units: np.ndarray, grade: int,
                     course_ix: dict[str, int]) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(units, course indexes, term offset) triples for the units that took option ``opt``."""
    kind, codes, _ = opt
    ix = np.array([course_ix[c] for c in _codes(codes, grade)], dtype=np.int64)
    n = len(units)
    if kind == "Y":
        return [(units, ix[rng.integers(0, len(ix), n)], YEAR)]
    if kind == "P":
        swap = rng.random(n) < 0.5
        return [(units, np.where(swap, ix[1], ix[0]), SEM1), (units, np.where(swap, ix[0], ix[1]), SEM2)]
    if kind == "S":
        a = rng.integers(0, len(ix), n)
        b = (a + 1 + rng.integers(0, len(ix) - 1, n)) % len(ix)
        return [(units, ix[a], SEM1), (units, ix[b], SEM2)]
    return []


def _slot_requests(rng: np.random.Generator, options: list[Option], units: np.ndarray, grade: int,
                   slot: int, course_ix: dict[str, int]) -> list[pd.DataFrame]:
    p = np.array([o[2] for o in options])
    choice = rng.choice(len(options), p=p / p.sum(), size=len(units))
    out = []
    for k, opt in enumerate(options):
        for u, course, term in _option_requests(rng, opt, units[choice == k], grade, course_ix):
            out.append(pd.DataFrame({"unit": u.astype(np.int32), "course": course.astype(np.int16),
                                     "term": np.int8(term), "slot": np.int8(slot)}))
    return out


def unit_requests(rng: np.random.Generator, level: int, grade: int, units: np.ndarray,
                  course_ix: dict[str, int]) -> list[pd.DataFrame]:
    """Course requests of the units (students or homeroom groups) of one grade."""
    out: list[pd.DataFrame] = []
    for slot, options in enumerate(slots(level, grade)):
        out += _slot_requests(rng, options, units, grade, slot, course_ix)
    return out


def scheduled_students(students: pd.DataFrame) -> pd.DataFrame:
    """Rows of students who get a schedule: active or transferred, grade PK-12."""
    st = students["Enroll_Status"].to_numpy()
    grade = students["Grade_Level"].to_numpy()
    keep = np.isin(st, [ACTIVE, TRANSFERRED]) & (grade <= 12)
    return pd.DataFrame({"student": np.flatnonzero(keep), "school": students["SchoolID"].to_numpy()[keep],
                         "grade": grade[keep], "level": level_of(grade[keep])})


def homeroom_groups(rng: np.random.Generator, sched: pd.DataFrame) -> pd.DataFrame:
    """Elementary students split into groups of about GROUP_SIZE per school and grade."""
    el = sched[sched["level"] == ELEMENTARY]
    el = el.iloc[rng.permutation(len(el))].sort_values(["school", "grade"], kind="stable")
    rank = rank_in_segment(el["school"].to_numpy() * 100 + el["grade"].to_numpy())
    size = el.groupby(["school", "grade"])["student"].transform("size").to_numpy()
    n_groups = np.ceil(size / GROUP_SIZE).astype(np.int64)
    el = el.assign(group_in_grade=rank % n_groups)
    keys = el[["school", "grade", "group_in_grade"]].drop_duplicates().sort_values(["school", "grade", "group_in_grade"])
    keys = keys.assign(group=np.arange(len(keys)), ordinal=rank_in_segment(keys["school"].to_numpy()))
    return el.merge(keys, on=["school", "grade", "group_in_grade"])


def _elementary_periods(req: pd.DataFrame, ordinal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Homeroom periods 1-5 daily; specials once a week, at a period and day set by the group."""
    slot = req["slot"].to_numpy()
    special = slot >= ELEMENTARY_SLOTS
    period = np.where(special, 1 + ELEMENTARY_SLOTS + (ordinal + slot - ELEMENTARY_SLOTS) % 4, slot + 1)
    return period, np.where(special, (ordinal // 4) % 5, DAILY)


def _cohorts(rng: np.random.Generator, sched: pd.DataFrame) -> pd.Series:
    """Secondary students rotate their periods by a cohort number, about 30 students per cohort."""
    size = sched.groupby(["school", "grade"])["student"].transform("size").to_numpy()
    n = np.clip(np.ceil(size / 30), 1, PERIODS).astype(np.int64)
    return pd.Series(rng.integers(0, 1 << 30, len(sched)) % n, index=sched["student"].to_numpy())


def build_requests(rng: np.random.Generator, sched: pd.DataFrame, school_of: np.ndarray,
                   course_ix: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Requests of every scheduled student, with period and day, and the homeroom groups.

    ``group`` is the homeroom group (-1 outside elementary); ``day`` is the weekday letter index
    of a once-a-week class, or DAILY.
    """
    groups = homeroom_groups(rng, sched)
    gkeys = groups.drop_duplicates("group").sort_values("group")
    parts = []
    for grade in LEVEL_GRADES[ELEMENTARY]:
        g = gkeys[gkeys["grade"] == grade]["group"].to_numpy()
        parts += unit_requests(rng, ELEMENTARY, grade, g, course_ix)
    greq = pd.concat(parts, ignore_index=True).rename(columns={"unit": "group"})
    period, weekday = _elementary_periods(greq, gkeys.set_index("group")["ordinal"].reindex(greq["group"]).to_numpy())
    greq["period"], greq["day"] = period.astype(np.int8), weekday.astype(np.int8)
    el = groups[["student", "group"]].astype(np.int32).merge(greq, on="group")
    secondary = sched[sched["level"] != ELEMENTARY]
    cohort = _cohorts(rng, secondary)
    other = []
    for level in (1, 2):
        for grade in LEVEL_GRADES[level]:
            s = secondary.loc[(secondary["level"] == level) & (secondary["grade"] == grade), "student"].to_numpy()
            other += unit_requests(rng, level, grade, s, course_ix)
    mh = pd.concat(other, ignore_index=True).rename(columns={"unit": "student"})
    period = (mh["slot"].to_numpy() + cohort.reindex(mh["student"]).to_numpy()) % PERIODS + 1
    mh = mh.assign(group=np.int32(-1), day=np.int8(DAILY), period=period.astype(np.int8))
    req = pd.concat([el, mh], ignore_index=True)
    req["school"] = school_of[req["student"].to_numpy()].astype(np.int32)
    return req, gkeys


def assign_sections(rng: np.random.Generator, req: pd.DataFrame) -> None:
    """Add ``seq`` to every request: its homeroom group, or a round-robin section number."""
    n = len(req)
    cols = [req[c].to_numpy().astype(np.int64) for c in ("school", "course", "term", "period")]
    order = np.lexsort((rng.random(n), cols[3], cols[2], cols[1], cols[0]))
    key = (((cols[0] * 256 + cols[1]) * 4 + cols[2]) * 16 + cols[3])[order]
    del cols
    grp = np.cumsum(np.r_[True, key[1:] != key[:-1]]) - 1
    del key
    n_sec = np.ceil(np.bincount(grp) / SECTION_CAP).astype(np.int64)[grp]
    seq = np.empty(n, dtype=np.int32)
    seq[order] = rank_in_segment(grp) % n_sec
    group = req["group"].to_numpy()
    req["seq"] = np.where(group >= 0, group, seq).astype(np.int32)
