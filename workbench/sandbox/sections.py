"""``Sections`` from the section keys of the requests, and the teacher slot that teaches each one.

A *teacher slot* is one teacher at one school (a future ``SchoolStaff`` row). Elementary homeroom
teachers teach their group's homeroom, reading, math, science and social studies; a specials
teacher takes twenty groups, each at its own period and weekday. In middle and high schools the
sections of a department are dealt to its teachers period by period, so nobody teaches two
sections at the same time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sandbox.households import rank_in_segment
from workbench.sandbox.schedule import ELEMENTARY_SLOTS
from workbench.sandbox.schoolyear import YEAR, SchoolYear
from workbench.sandbox.students import disjoint_base

KEY = ["school", "course", "term", "period", "day", "seq"]
SPECIAL_ROOMS = {"ELPE": "Gym", "ELART": "Art Room", "ELMUS": "Music Room", "ELSTEM": "STEM Lab", "ELLIB": "Library"}
SPECIALS_GROUPS = 20  # groups per specials teacher: 4 periods x 5 days


def section_keys(req: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Unique section keys (sorted) and, for each request, the row of its section."""
    packed = np.zeros(len(req), dtype=np.int64)
    for col, width in zip(KEY, (1, 256, 4, 16, 8, 10**7), strict=True):
        packed = packed * width + req[col].to_numpy().astype(np.int64) + (1 if col == "day" else 0)
    uniq, inverse = np.unique(packed, return_inverse=True)
    del packed
    inverse = inverse.astype(np.int32)
    first = np.zeros(len(uniq), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(req))[::-1]
    keys = req.iloc[first][[*KEY, "group", "slot"]].astype(np.int64).reset_index(drop=True)
    return keys.assign(students=np.bincount(inverse)), inverse


def _secondary_teachers(rng: np.random.Generator, sec: pd.DataFrame) -> np.ndarray:
    """Teacher number within (school, department) for middle and high school sections."""
    sec = sec.assign(kind=(sec["term"] != YEAR).astype(int), is_year=(sec["term"] == YEAR).astype(int))
    sec = sec.sort_values(["school", "dept", "period", "kind", "term", "course", "seq"], kind="stable")
    g = sec.groupby(["school", "dept", "period"], sort=False)
    years = g["is_year"].transform("sum").to_numpy()
    by_term = sec.groupby(["school", "dept", "period", "term"], sort=False).cumcount().to_numpy()
    rank = np.where(sec["kind"].to_numpy() == 0, by_term, years + by_term)
    sec = sec.assign(rank=rank)
    total = sec.groupby(["school", "dept"])["rank"].transform("max").to_numpy() + 1
    offset = (g.ngroup().to_numpy() * 7919 + rng.integers(0, 1 << 30)) % total
    out = pd.Series((rank + offset) % total, index=sec.index)
    return out.sort_index().to_numpy()


def teacher_slots(rng: np.random.Generator, sec: pd.DataFrame, groups: pd.DataFrame,
                  courses: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Teacher slots (school, kind, a, b, room) and the slot of every section."""
    g = sec["group"].to_numpy()
    elem = g >= 0
    homeroom = elem & (sec["slot"].to_numpy() < ELEMENTARY_SLOTS)
    ordinal = np.where(elem, groups.set_index("group")["ordinal"].reindex(g).to_numpy(), 0)
    dept_code = pd.factorize(sec["dept"], sort=True)[0]
    kind = np.where(homeroom, 0, np.where(elem, 1, 2))
    a = np.where(homeroom, g, np.where(elem, sec["course"].to_numpy(), dept_code))
    b = np.where(homeroom, 0, np.where(elem, ordinal // SPECIALS_GROUPS, 0))
    if (~elem).any():
        b[~elem] = _secondary_teachers(rng, sec[~elem])
    t = pd.DataFrame({"school": sec["school"].to_numpy(), "kind": kind, "a": a, "b": b})
    slots = t.drop_duplicates().sort_values(["school", "kind", "a", "b"]).reset_index(drop=True)
    slot_of = t.merge(slots.reset_index(), on=["school", "kind", "a", "b"], how="left")["index"].to_numpy()
    return slots.assign(room=_rooms(slots, courses), dept=sec.groupby(slot_of)["dept"].first().to_numpy()), slot_of


def _rooms(slots: pd.DataFrame, courses: pd.DataFrame) -> np.ndarray:
    """Numbered classrooms per school; specials teachers in the gym, the art room ..."""
    room = (100 + rank_in_segment(slots["school"].to_numpy())).astype(str).astype(object)
    special = np.flatnonzero(slots["kind"].to_numpy() == 1)
    numbers = courses["Course_Number"].to_numpy()
    room[special] = [SPECIAL_ROOMS.get(numbers[x], "Room") + (f" {y + 1}" if y else "")
                     for x, y in zip(slots["a"].to_numpy()[special], slots["b"].to_numpy()[special], strict=True)]
    return room


def build_sections(rng: np.random.Generator, req: pd.DataFrame, groups: pd.DataFrame, courses: pd.DataFrame,
                   year: SchoolYear) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """``Sections`` (with internal columns), the teacher slots, and each request's section row."""
    sec, inverse = section_keys(req)
    c = sec["course"].to_numpy()
    sec["dept"] = courses["Sched_Department"].to_numpy()[c]
    slots, slot_of = teacher_slots(rng, sec, groups, courses)
    grade = np.where(sec["group"].to_numpy() >= 0, groups.set_index("group")["grade"].reindex(sec["group"]).to_numpy(),
                     courses["_grade"].to_numpy()[c])
    number = rank_in_segment(sec["school"].to_numpy() * 1000 + c)  # keys are sorted by school, course
    ids = 1 + np.arange(len(sec))
    out = pd.DataFrame({
        "ID": ids, "DCID": disjoint_base(int(ids[-1])) + ids,
        "Course_Number": courses["Course_Number"].to_numpy()[c],
        "Section_Number": (1 + number).astype(str), "SchoolID": sec["school"].to_numpy(),
        "TermID": year.term_id(0) + sec["term"].to_numpy(), "Teacher": 0,
        "Expression": [f"{p}({'ABCDE'[d] if d >= 0 else 'A-E'})" for p, d in zip(sec["period"], sec["day"], strict=True)], "Room": slots["room"].to_numpy()[slot_of],
        "Grade_Level": pd.array(np.where(grade < -1, -99, grade), dtype="Int64"),
        "MaxEnrollment": 30, "No_of_Students": sec["students"].to_numpy(),
        "_slot": slot_of, "_course": c, "_elementary": courses["_level"].to_numpy()[c] == 0, "_term": sec["term"].to_numpy(), "_period": sec["period"].to_numpy(),
    })
    out.loc[out["Grade_Level"] == -99, "Grade_Level"] = pd.NA
    return out, slots, inverse
