"""Staff: ``Users`` (one per person) and ``SchoolStaff`` (one per person and school).

Teachers come from the teacher slots of the schedule (StaffStatus 1); about 5% of them hold slots
at two schools. Administrators are a principal per school, an assistant principal per middle and
high school and district-office staff at SchoolID 0 (StaffStatus 2, PSAccess 1). A few people
are on staff without being rostered (StaffStatus 3, PSAccess 0) and a few have left (Status 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.catalog import ELEMENTARY
from workbench.sandbox.names import GROUPS, display
from workbench.sandbox.persons import unique_values
from workbench.sandbox.students import disjoint_base
from workbench.sandbox.text import cat, initials, pick, slugs

TEACHER, ADMIN, OTHER = 1, 2, 3
TWO_SCHOOL_SHARE = 0.05


def staff_names(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Adult names drawn across the name groups (more evenly mixed than households)."""
    w = np.array([g.weight for g in GROUPS]) ** 0.7
    group = rng.choice(len(GROUPS), p=w / w.sum(), size=n)
    female = rng.random(n) < 0.7
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    for g, spec in enumerate(GROUPS):
        for is_f, pool in ((True, spec.female), (False, spec.male)):
            m = (group == g) & (female == is_f)
            first[m] = pick(pool, rng.integers(0, len(pool), int(m.sum())))
        m = group == g
        last[m] = [display(s) for s in pick(spec.last, rng.integers(0, len(spec.last), int(m.sum())))]
    middle = np.where(rng.random(n) < 0.3, pick(("A.", "B.", "J.", "L.", "M.", "R.", "S."), rng.integers(0, 7, n)), None)
    return pd.DataFrame({"first": first, "middle": middle, "last": last})


def _teacher_users(rng: np.random.Generator, slots: pd.DataFrame) -> np.ndarray:
    """User number of every teacher slot: mostly one each, ~5% of people at two schools."""
    n = len(slots)
    half = n // 2
    user = np.arange(n)
    school = slots["school"].to_numpy()
    i = np.flatnonzero(rng.random(half) < 2 * TWO_SCHOOL_SHARE / (1 + TWO_SCHOOL_SHARE))
    j = i + half
    ok = school[i] != school[j]
    user[j[ok]] = i[ok]
    return np.unique(user, return_inverse=True)[1]


def _admin_rows(schools: pd.DataFrame, students: int) -> pd.DataFrame:
    real = schools[schools["_level"] >= 0]
    principal = pd.DataFrame({"school": real["School_Number"].to_numpy(), "title": "Principal"})
    ap = real[real["_level"] != ELEMENTARY]
    assistant = pd.DataFrame({"school": ap["School_Number"].to_numpy(), "title": "Assistant Principal"})
    n_office = 5 + students // 20000
    titles = [places.DISTRICT_OFFICE_TITLES[i % len(places.DISTRICT_OFFICE_TITLES)] for i in range(n_office)]
    office = pd.DataFrame({"school": 0, "title": titles})
    return pd.concat([principal, assistant, office], ignore_index=True).assign(staff_status=ADMIN, status=1)


def staff_rows(rng: np.random.Generator, slots: pd.DataFrame, schools: pd.DataFrame, students: int) -> pd.DataFrame:
    """One row per SchoolStaff row to create, with the person (``user``) it belongs to."""
    user = _teacher_users(rng, slots)
    teachers = pd.DataFrame({"school": slots["school"].to_numpy(), "title": "Teacher", "staff_status": TEACHER,
                             "status": 1, "user": user, "slot": np.arange(len(slots)),
                             "dept": slots["dept"].to_numpy(), "room": slots["room"].to_numpy()})
    real = schools.loc[schools["_level"] >= 0, "School_Number"].to_numpy()
    k = max(2, students // 2000)
    gone = pd.DataFrame({"school": real[rng.integers(0, len(real), k)], "title": "Teacher",
                         "staff_status": TEACHER, "status": 2})
    others = pd.DataFrame({"school": real[rng.integers(0, len(real), max(3, students // 2000))],
                           "title": pick(places.NON_ROSTERED_TITLES, rng.integers(0, len(places.NON_ROSTERED_TITLES), max(3, students // 2000))),
                           "staff_status": OTHER, "status": 1})
    admins = _admin_rows(schools, students)
    admins.loc[admins.index[-1], "status"] = 2  # a district-office account that was switched off
    rest = pd.concat([admins, gone, others], ignore_index=True)
    rest["user"] = int(user.max()) + 1 + np.arange(len(rest))
    rows = pd.concat([teachers, rest], ignore_index=True)
    rows["slot"] = rows["slot"].fillna(-1).astype(np.int64)
    return rows


def build_staff(rng: np.random.Generator, rows: pd.DataFrame, schools: pd.DataFrame,
                domain: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``Users`` and ``SchoolStaff`` from the staff rows."""
    n_users = int(rows["user"].max()) + 1
    first_row = rows.drop_duplicates("user").sort_values("user")
    names = staff_names(rng, n_users)
    base = disjoint_base(len(rows) + n_users)
    users_dcid = 2 * base + 1 + np.arange(n_users)
    phone_of = dict(zip(schools["School_Number"], schools["SchoolPhone"], strict=True))
    is_teacher = first_row["staff_status"].to_numpy() == TEACHER
    login = unique_values(cat(initials(names["first"].to_numpy()), slugs(names["last"].to_numpy())))
    users = pd.DataFrame({
        "DCID": users_dcid, "First_Name": names["first"].to_numpy(), "Middle_Name": names["middle"].to_numpy(),
        "Last_Name": names["last"].to_numpy(),
        "Email_Addr": unique_values(cat(slugs(names["first"].to_numpy()), ".", slugs(names["last"].to_numpy()), "@", domain)),
        "TeacherNumber": (10000 + rng.permutation(n_users * 3)[:n_users]).astype(str),
        "LoginID": np.where(is_teacher, None, login),
        "TeacherLoginID": np.where(is_teacher, login, None),
        "HomeSchoolID": first_row["school"].to_numpy(),
        "PSAccess": (first_row["staff_status"].to_numpy() == ADMIN).astype(int),
        "PTAccess": is_teacher.astype(int),
        "Title": np.where(is_teacher, np.where(pd.notna(first_row["dept"].to_numpy()), cat(first_row["dept"].fillna("").to_numpy(), " Teacher"), "Teacher"), first_row["title"].to_numpy()),
        "SIF_StatePrID": (3_000_000 + rng.permutation(n_users * 5)[:n_users]).astype(str),
        "School_Phone": pd.Series(first_row["school"].to_numpy()).map(phone_of).to_numpy(),
        "Home_Phone": None,
        "LastFirst": cat(names["last"].to_numpy(), ", ", names["first"].to_numpy()),
    })
    staff = pd.DataFrame({
        "ID": 1 + np.arange(len(rows)), "DCID": base + 1 + np.arange(len(rows)),
        "Users_DCID": users_dcid[rows["user"].to_numpy()], "SchoolID": rows["school"].to_numpy(),
        "Status": rows["status"].to_numpy(), "StaffStatus": rows["staff_status"].to_numpy(),
        "Sched_Department": rows["dept"].to_numpy(), "Sched_Classroom": rows["room"].to_numpy(),
        "_slot": rows["slot"].to_numpy(), "_user": rows["user"].to_numpy(), "_title": rows["title"].to_numpy(),
    })
    return users, staff


def fill_school_leaders(schools: pd.DataFrame, users: pd.DataFrame, staff: pd.DataFrame) -> None:
    """``Schools.Principal``, ``PrincipalEmail`` and ``AsstPrincipal`` from the administrators."""
    u = users.set_index("DCID")
    for title, col in (("Principal", "Principal"), ("Assistant Principal", "AsstPrincipal")):
        st = staff[staff["_title"] == title].drop_duplicates("SchoolID")
        full = (u.loc[st["Users_DCID"], "First_Name"] + " " + u.loc[st["Users_DCID"], "Last_Name"]).to_numpy()
        by_school = dict(zip(st["SchoolID"], full, strict=True))
        schools[col] = schools["School_Number"].map(by_school)
        if title == "Principal":
            mails = dict(zip(st["SchoolID"], u.loc[st["Users_DCID"], "Email_Addr"].to_numpy(), strict=True))
            schools["PrincipalEmail"] = schools["School_Number"].map(mails)


ROLES = ((25, "Lead Teacher", "lead"), (26, "Co-teacher", "co"), (27, "ESL/SPED Teacher", "support"))
LEAD, CO = 25, 26
CO_TEACH_SHARE = 0.15


def build_roledef() -> pd.DataFrame:
    return pd.DataFrame({
        "ID": [r[0] for r in ROLES], "Name": [r[1] for r in ROLES], "RoleKey": [r[2] for r in ROLES],
        "Description": [f"Section role: {r[1]}" for r in ROLES], "RoleModuleID": 1, "IsLocked": 1,
        "IsVisible": 1, "IsEnabled": 1, "SortOrder": [1, 2, 3],
    })


def assign_section_teachers(sections: pd.DataFrame, staff: pd.DataFrame) -> None:
    """``Sections.Teacher``: the SchoolStaff.ID of the slot teaching the section."""
    by_slot = staff[staff["_slot"] >= 0].set_index("_slot")["ID"]
    sections["Teacher"] = by_slot.reindex(sections["_slot"]).to_numpy()


def build_section_teachers(rng: np.random.Generator, sections: pd.DataFrame, year_terms: pd.DataFrame) -> pd.DataFrame:
    """``SectionTeacher``: the lead of every section and a co-teacher for about 15% of them."""
    n = len(sections)
    first = year_terms["first"].to_numpy()[sections["_term"].to_numpy()]
    last = year_terms["last"].to_numpy()[sections["_term"].to_numpy()]
    lead = pd.DataFrame({"SectionID": sections["ID"].to_numpy(), "TeacherID": sections["Teacher"].to_numpy(),
                         "RoleID": LEAD, "Allocation": 100, "PriorityOrder": 1, "Start_Date": first, "End_Date": last})
    school = sections["SchoolID"].to_numpy()
    order = np.argsort(school, kind="stable")
    starts = np.searchsorted(school[order], school)
    size = np.searchsorted(school[order], school, side="right") - starts
    other = sections["Teacher"].to_numpy()[order[starts + rng.integers(0, 1 << 30, n) % size]]
    co = (rng.random(n) < CO_TEACH_SHARE) & (other != lead["TeacherID"].to_numpy())
    late = rng.random(n) < 0.2
    span = (last - first).astype("timedelta64[D]").astype(int)
    co_start = np.where(late, first + (rng.random(n) * span).astype("timedelta64[D]"), first)
    cot = pd.DataFrame({"SectionID": lead["SectionID"].to_numpy()[co], "TeacherID": other[co], "RoleID": CO,
                        "Allocation": 50, "PriorityOrder": 2, "Start_Date": co_start[co], "End_Date": last[co]})
    out = pd.concat([lead, cot]).sort_values(["SectionID", "PriorityOrder"], kind="stable").reset_index(drop=True)
    out.insert(0, "ID", 3 * disjoint_base(len(out) + n) + 1 + np.arange(len(out)))
    for c in ("Start_Date", "End_Date"):
        out[c] = pd.to_datetime(out[c])
    return out
