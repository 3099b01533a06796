"""Injected data-quality defects: the problems a steward must find, planted where truth.json says.

Counts scale with the number of students and never fall below a few, so even a 2,000-student
district has members in every category. People touched by one defect are *locked* (``people.locked``)
so that the next defect does not pick them again and every truth list stays unambiguous.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.enrollments import BASE, ORPHAN, OUTSIDE
from workbench.sandbox.students import ACTIVE
from workbench.sandbox.text import slug

INVALID_SHAPES = ("1", "n/a", "N/A", "none", "{local}@", "{local}@@{domain}", "{local}.{domain}",
                  "{local} @{domain}", "{local}@{host}", "x@@y.org")


def scaled(n_students: int, per: int, floor: int) -> int:
    return max(floor, n_students // per)


def _pick(rng: np.random.Generator, candidates: np.ndarray, k: int) -> np.ndarray:
    return np.sort(rng.choice(candidates, size=min(k, len(candidates)), replace=False))


def mark_student_defects(rng: np.random.Generator, st: pd.DataFrame) -> dict[str, list]:
    """Move a few birth dates 20 years into the future (a typed year)."""
    n = int((st["_dup_of"] < 0).sum())
    plain = (st["_dup_of"].to_numpy() < 0) & ~st["_twin"].to_numpy() & ~st.index.isin(st["_dup_of"])
    active = np.flatnonzero(plain & (st["Enroll_Status"].to_numpy() == ACTIVE))
    future = _pick(rng, active, scaled(n, 1000, 3))
    st.loc[future, "DOB"] = st.loc[future, "DOB"] + pd.Timedelta(days=7305)
    return {"future_birth_dates": [f"S{d}" for d in st.loc[future, "DCID"]]}


def _linked(people: pd.DataFrame, links: pd.DataFrame, st: pd.DataFrame) -> np.ndarray:
    """People rows with a canonical ID: linked contacts and students that have a DCID."""
    contact = np.zeros(len(people), dtype=bool)
    contact[links["contact"].to_numpy()] = True
    stu = people["student"].to_numpy()
    has_dcid = np.zeros(len(people), dtype=bool)
    srows = stu >= 0
    has_dcid[srows] = st["DCID"].notna().to_numpy()[stu[srows]]
    return contact | has_dcid


def share_sibling_emails(rng: np.random.Generator, people: pd.DataFrame, st: pd.DataFrame) -> list[list[str]]:
    """In ~15% of households with two or more children, the children's e-mail is the parent's."""
    ok = st["DCID"].notna().to_numpy()
    kids = st.loc[ok, ["_hh", "_child"]].drop_duplicates()
    many = kids.groupby("_hh").size()
    bad = st.loc[~ok, "_hh"].unique()
    parent = people[(people["slot"] == 0) & (people["dup_of"] < 0) & people["email"].notna()]
    cand = np.setdiff1d(np.intersect1d(many.index[many >= 2].to_numpy(), parent["hh"].to_numpy()), bad)
    chosen = cand[rng.random(len(cand)) < 0.15]
    mail = parent.drop_duplicates("hh").set_index("hh")["email"]
    rows = st.index[ok & st["_hh"].isin(chosen).to_numpy()]
    person = people.index[people["student"].isin(rows)]
    people.loc[person, "email"] = mail.reindex(st.loc[people.loc[person, "student"], "_hh"]).to_numpy()
    people.loc[person, "locked"] = True
    pairs = []
    sub = st.loc[rows, ["_hh", "_child", "DCID"]].sort_values(["_hh", "DCID"])
    for _, g in sub.groupby("_hh"):
        vals = g.to_numpy()
        pairs += [[f"S{a[2]}", f"S{b[2]}"] for i, a in enumerate(vals) for b in vals[i + 1:] if a[1] != b[1]]
    return pairs


def _invalid_value(shape: str, email: str) -> str:
    local, _, domain = email.partition("@")
    return shape.format(local=local, domain=domain, host=domain.split(".")[0])


def email_defects(rng: np.random.Generator, people: pd.DataFrame, links: pd.DataFrame, st: pd.DataFrame) -> None:
    """Invalid values (``1``, ``n/a``, ``jane.doe@`` ...), empty values and removed addresses."""
    n = int((st["_dup_of"] < 0).sum())
    canonical = _linked(people, links, st)
    cand = np.flatnonzero(canonical & people["email"].notna().to_numpy() & ~people["locked"].to_numpy())
    k_bad, k_empty, k_gone = scaled(n, 250, 6), scaled(n, 1000, 3), scaled(n, 500, 4)
    chosen = _pick(rng, cand, k_bad + k_empty + k_gone)
    chosen = chosen[rng.permutation(len(chosen))]
    bad, empty, gone = chosen[:k_bad], chosen[k_bad:k_bad + k_empty], chosen[k_bad + k_empty:]
    shapes = rng.integers(0, len(INVALID_SHAPES), len(bad))
    people.loc[bad, "email"] = [_invalid_value(INVALID_SHAPES[s], e) for s, e in zip(shapes, people.loc[bad, "email"], strict=True)]
    people.loc[empty, "email"] = ""
    people.loc[empty, "email2"] = None
    people.loc[gone, ["email", "email2"]] = None
    people.loc[chosen, "locked"] = True


def cc_defects(rng: np.random.Generator, rows: pd.DataFrame, extra: pd.DataFrame, st: pd.DataFrame,
               sections: pd.DataFrame, term_first: np.ndarray,
               term_after: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows moved outside their term, then ``extra`` rows and orphans appended (one copy of ``rows``).

    Orphans point at a student or a section that exists nowhere. Returns the rows and, for the
    orphans (the last rows), the StudentID and SectionID to write instead of the real ones (0 =
    keep the real one).
    """
    n = int((st["_dup_of"] < 0).sum())
    base = np.flatnonzero(rows["kind"].to_numpy() == BASE)
    k = scaled(n, 500, 4)
    out_idx = _pick(rng, base, k)
    term = sections["_term"].to_numpy()[rows["section"].to_numpy()[out_idx]]
    early = rng.random(len(out_idx)) < 0.5
    shift = rng.integers(3, 30, len(out_idx)).astype("timedelta64[D]")
    rows.loc[out_idx[early], "start"] = term_first[term[early]] - shift[early]
    rows.loc[out_idx[~early], "end"] = term_after[term[~early]] + shift[~early]
    rows.loc[out_idx, "kind"] = OUTSIDE
    free = np.ones(len(rows), dtype=bool)
    free[out_idx] = False
    src = _pick(rng, base[free[base]], k)
    orphans = rows.iloc[src].assign(kind=np.int8(ORPHAN))
    half = len(src) // 2
    sid = np.r_[int(st["ID"].max()) + 1 + np.arange(half) * 3, np.zeros(len(src) - half, dtype=np.int64)]
    secid = np.r_[np.zeros(half, dtype=np.int64), int(sections["ID"].max()) + 1 + np.arange(len(src) - half) * 2]
    return pd.concat([rows, extra, orphans], ignore_index=True), sid, secid


def staff_parents(rng: np.random.Generator, people: pd.DataFrame, links: pd.DataFrame, users: pd.DataFrame,
                  staff: pd.DataFrame, n_students: int, home_phones: np.ndarray) -> list[list[str]]:
    """A few teachers are also parents: the teacher's Users row takes the parent's name."""
    linked = np.zeros(len(people), dtype=bool)
    linked[links["contact"].to_numpy()] = True
    originals = set(people["dup_of"][people["dup_of"] >= 0])
    ok = linked & people["slot"].isin([0, 1]).to_numpy() & (people["dup_of"].to_numpy() < 0) \
        & ~people["locked"].to_numpy() & ~people.index.isin(list(originals))
    per_user = staff.groupby("Users_DCID")["ID"].transform("size")
    single = staff[(staff["StaffStatus"] == 1) & (staff["Status"] == 1) & (per_user == 1)]["Users_DCID"].unique()
    k = scaled(n_students, 1000, 3)
    parents = _pick(rng, np.flatnonzero(ok), k)
    teachers = _pick(rng, np.sort(single), len(parents))
    u_row = pd.Index(users["DCID"]).get_indexer(teachers)
    pairs = []
    taken = set(users["Email_Addr"]) | set(users["TeacherLoginID"].dropna())
    for p, u, r in zip(parents, u_row, rng.random(len(parents)), strict=True):
        first, last = str(people.at[p, "first"]).strip(), str(people.at[p, "last"]).strip()
        users.loc[u, ["First_Name", "Middle_Name", "Last_Name", "LastFirst"]] = [first, None, last, f"{last}, {first}"]
        _rename_logins(users, u, first, last, taken)
        if r < 0.5:
            people.at[p, "email2"] = users.at[u, "Email_Addr"]
        else:
            number = int(home_phones[int(people.at[p, "hh"])])
            users.at[u, "Home_Phone"] = f"({places.AREA_CODE}) {number // 10000}-{number % 10000:04d}"
        people.at[p, "locked"] = True
        pairs.append([f"T{users.at[u, 'DCID']}", f"C{people.at[p, 'person_id']}"])
    return pairs


def _rename_logins(users: pd.DataFrame, u: int, first: str, last: str, taken: set[str]) -> None:
    """New TeacherLoginID and Email_Addr for a renamed teacher, unique in the district."""
    domain = str(users.at[u, "Email_Addr"]).split("@", 1)[1]
    for k in range(1, 1000):
        suffix = "" if k == 1 else str(k)
        login, email = f"{slug(first)[:1]}{slug(last)}{suffix}", f"{slug(first)}.{slug(last)}{suffix}@{domain}"
        if login not in taken and email not in taken:
            break
    taken.update((login, email))
    users.at[u, "TeacherLoginID"], users.at[u, "Email_Addr"] = login, email
