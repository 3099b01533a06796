"""The ``Students`` table: enrolment status, school, dates, numbers and logins for every child.

Row order is random (not by household), re-enrolment duplicates come last (they were created
later), and ``Students.ID`` and ``Students.DCID`` run in disjoint ranges so that a join on the wrong
key finds nothing instead of the wrong student.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.catalog import ELEMENTARY, HIGH, MIDDLE
from workbench.sandbox.duplicates import duplicate_students
from workbench.sandbox.names import GROUPS
from workbench.sandbox.schools import GRADUATED_SCHOOL
from workbench.sandbox.schoolyear import SEM2, SchoolYear
from workbench.sandbox.text import as_text, cat, initials, phones, slugs

PRE_REGISTERED, ACTIVE, TRANSFERRED, GRADUATED = -1, 0, 2, 3


def day(d: dt.date) -> np.datetime64:
    return np.datetime64(d, "D")


def uniform_days(rng: np.random.Generator, lo: dt.date, hi: dt.date, n: int) -> np.ndarray:
    """Random dates in [lo, hi] (just ``lo`` when hi < lo)."""
    span = max(0, (hi - lo).days)
    return day(lo) + rng.integers(0, span + 1, n).astype("timedelta64[D]")


def disjoint_base(largest: int) -> int:
    """A round number above ten times ``largest``: DCIDs start there, clear of the IDs."""
    return 10 ** (len(str(largest)) + 1)


def level_of(grade: np.ndarray) -> np.ndarray:
    return np.where(grade <= 5, ELEMENTARY, np.where(grade <= 8, MIDDLE, HIGH))


def _status(rng: np.random.Generator, kids: pd.DataFrame) -> np.ndarray:
    r = rng.random(len(kids))
    status = np.where(r < 0.02, PRE_REGISTERED, np.where(r < 0.05, TRANSFERRED, ACTIVE))
    status[kids["twin"].to_numpy()] = ACTIVE
    status[kids["grade"].to_numpy() == 13] = GRADUATED
    return status


def assign_schools(grade: np.ndarray, pos: np.ndarray, schools: pd.DataFrame) -> np.ndarray:
    """School_Number for each student: the level's school at the household's position."""
    out = np.full(len(grade), GRADUATED_SCHOOL, dtype=np.int64)
    level = level_of(grade)
    for lv in (ELEMENTARY, MIDDLE, HIGH):
        numbers = schools.loc[schools["_level"] == lv, "School_Number"].to_numpy()
        m = (level == lv) & (grade <= 12)
        idx = np.minimum((pos[m] * len(numbers)).astype(int), len(numbers) - 1)
        if lv == ELEMENTARY:  # Pre-K is offered at every third elementary school
            idx = np.where(grade[m] < 0, idx - idx % 3, idx)
        out[m] = numbers[idx]
    return out


def _dates(rng: np.random.Generator, status: np.ndarray, year: SchoolYear, prev: SchoolYear,
           today: dt.date) -> tuple[np.ndarray, np.ndarray]:
    n = len(status)
    first, after = year.first_day, year.last_day + dt.timedelta(days=1)
    entry = np.full(n, day(first))
    late = (status == ACTIVE) & (rng.random(n) < 0.07)
    entry[late] = uniform_days(rng, first + dt.timedelta(days=1), today, int(late.sum()))
    exit_ = np.full(n, day(after))
    pre = status == PRE_REGISTERED
    entry[pre] = day(max(year.term(SEM2).first, today + dt.timedelta(days=7)))
    gone = status == TRANSFERRED
    exit_[gone] = uniform_days(rng, first + dt.timedelta(days=10), today, int(gone.sum()))
    grad = status == GRADUATED
    entry[grad] = day(prev.first_day)
    exit_[grad] = day(prev.last_day + dt.timedelta(days=1))
    return entry, exit_


def _races(rng: np.random.Generator, hh: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per household: Hispanic flag, primary race code, optional second race code ('' = none)."""
    group = hh["group"].to_numpy()
    n = len(group)
    hisp_p = np.array([g.hispanic for g in GROUPS])[group]
    primary = np.array([g.races[0] for g in GROUPS], dtype=object)[group]
    primary = np.where((group == 1) & (rng.random(n) < 0.1), "I", primary)
    second = np.where(rng.random(n) < 0.06, np.array(list("IABPW"), dtype=object)[rng.integers(0, 5, n)], "")
    second = np.where(second == primary, "", second)
    return rng.random(n) < hisp_p, primary, second


def build_students(rng: np.random.Generator, hh: pd.DataFrame, kids: pd.DataFrame, schools: pd.DataFrame,
                   year: SchoolYear, prev: SchoolYear, today: dt.date) -> pd.DataFrame:
    """Students in random order, then re-enrolment duplicates; see the module docstring."""
    kids = kids.assign(status=_status(rng, kids)).iloc[rng.permutation(len(kids))].reset_index(drop=True)
    kids["child"] = np.arange(len(kids))
    pos = hh["pos"].to_numpy()[kids["hh"].to_numpy()]
    kids["school"] = assign_schools(kids["grade"].to_numpy(), pos, schools)
    kids["entry"], kids["exit"] = _dates(rng, kids["status"].to_numpy(), year, prev, today)
    kids["dup_of"] = -1
    kids["phone_style"] = hh["phone_style"].to_numpy()[kids["hh"].to_numpy()]
    kids["state_mode"] = "new"
    dups = duplicate_students(rng, kids, hh["surname"].to_numpy(), schools, year, today)
    return _frame(rng, pd.concat([kids, dups], ignore_index=True), hh, year, today)


def _frame(rng: np.random.Generator, s: pd.DataFrame, hh: pd.DataFrame, year: SchoolYear,
           today: dt.date) -> pd.DataFrame:
    n = len(s)
    h = s["hh"].to_numpy()
    ids = 1001 + np.arange(n)
    number = 100000 + np.cumsum(rng.integers(1, 20, n))
    state = 1_000_000_000 + rng.permutation(np.cumsum(rng.integers(1, 4000, n)))
    mode = s["state_mode"].to_numpy()
    dup_of = s["dup_of"].to_numpy()
    state[mode == "same"] = state[dup_of[mode == "same"]]
    last = s["last"].to_numpy() if "last" in s else np.full(n, None)
    last = np.where(pd.isna(last), hh["surname"].to_numpy()[h], last)
    first, middle = s["first"].to_numpy(), s["middle"].to_numpy()
    web = cat(initials(first), slugs(last), number)
    hisp, race1, race2 = _races(rng, hh)
    grade = s["grade"].to_numpy()
    graduated = s["status"].to_numpy() == GRADUATED
    df = pd.DataFrame({
        "ID": ids, "DCID": disjoint_base(int(ids[-1])) + ids, "Student_Number": number,
        "State_StudentNumber": as_text(state), "Student_Web_ID": web,
        "First_Name": first, "Middle_Name": middle, "Last_Name": last,
        "DOB": s["dob"].to_numpy(), "Gender": s["gender"].to_numpy(),
        "Grade_Level": np.where(graduated, 99, grade), "SchoolID": s["school"].to_numpy(),
        "Enroll_Status": s["status"].to_numpy(), "EntryDate": s["entry"].to_numpy(),
        "ExitDate": s["exit"].to_numpy(),
        "EntryCode": np.where(s["entry"].to_numpy() > day(year.first_day), "ND", "R1"),
        "ExitCode": np.where(s["status"].to_numpy() == TRANSFERRED, "T2", None),
        "Home_Phone": phones(places.AREA_CODE, hh["phone"].to_numpy()[h], s["phone_style"].to_numpy()),
        "Street": hh["street"].to_numpy()[h], "City": hh["city"].to_numpy()[h], "State": places.STATE,
        "Zip": hh["zip"].to_numpy()[h], "FedEthnicity": hisp[h].astype(int),
        "Person_ID": 0,
        "Sched_YearOfGraduation": np.where(graduated, year.start_year, year.end_year + 12 - grade),
        "Transaction_Date": uniform_days(rng, today - dt.timedelta(days=90), today, n),
        # last: the one field with a comma inside (quoted), after every field a script may edit
        "LastFirst": cat(last, ", ", first, np.where(pd.isna(middle), "", cat(" ", middle.astype(str)))),
        "_hh": h, "_order": s["order"].to_numpy(), "_child": s["child"].to_numpy(),
        "_dup_of": s["dup_of"].to_numpy(), "_twin": s["twin"].to_numpy(),
        "_race1": race1[h], "_race2": race2[h],
    })
    df.loc[mode == "blank", "State_StudentNumber"] = None
    for c in ("DOB", "EntryDate", "ExitDate", "Transaction_Date"):
        df[c] = pd.to_datetime(df[c])
    return df


RACE_ORDER = "IABPW"  # OneRoster's race column order


def student_races(students: pd.DataFrame) -> pd.DataFrame:
    """``StudentRace``: one row per (student, race code), codes in OneRoster's column order."""
    sid = students["ID"].to_numpy()
    r2 = students["_race2"].to_numpy() != ""
    code = np.concatenate([students["_race1"].to_numpy(), students["_race2"].to_numpy()[r2]]).astype(object)
    out = pd.DataFrame({"StudentID": np.concatenate([sid, sid[r2]]), "RaceCD": code,
                        "_rank": [RACE_ORDER.index(c) for c in code]})
    out = out.sort_values(["StudentID", "_rank"], kind="stable").reset_index(drop=True)
    out.insert(0, "ID", np.arange(1, len(out) + 1))
    return out.drop(columns=["_rank"])
