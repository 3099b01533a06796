"""E-mail addresses, phones and addresses of every ``Person``: contacts and the students themselves.

Phones are kept as seven-digit numbers plus a formatting style until the tables are written, so a
duplicate contact can carry the same number typed differently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.contacts import family_emails
from workbench.sandbox.text import cat, initials, pick, slug, slugs

PHONE_STYLE_P = [0.55, 0.25, 0.08, 0.08, 0.04]


def unique_values(values: np.ndarray) -> np.ndarray:
    """Make repeated non-null strings unique by putting a counter before the ``@``."""
    s = pd.Series(values, dtype=object)
    rep = s.notna() & s.duplicated()
    if rep.any():
        n = s[rep].groupby(s[rep]).cumcount().to_numpy() + 2
        parts = s[rep].str.split("@", n=1)
        s[rep] = [f"{p[0]}{k}@{p[1]}" if len(p) == 2 else f"{p[0]}{k}" for p, k in zip(parts, n, strict=True)]
    return s.to_numpy(dtype=object)


def personal_emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """``jane.doe27@mail.example.com`` and the other shapes people choose, unique in the batch."""
    n = len(first)
    fs, ls, fi = slugs(first), slugs(last), initials(first)
    style = rng.integers(0, 5, n)
    num = rng.integers(1, 10000, n)
    local = np.select(
        [style == 0, style == 1, style == 2, style == 3],
        [cat(fs, ".", ls, num % 100), cat(fi, ls, num % 1000), cat(fs, ls), cat(fs, "_", ls, num % 100)],
        cat(ls, ".", fs),
    )
    domain = pick(places.EMAIL_DOMAINS, rng.choice(len(places.EMAIL_DOMAINS), p=places.EMAIL_WEIGHTS, size=n))
    return unique_values(cat(local, "@", domain))


def work_emails(first: np.ndarray, last: np.ndarray, employer: np.ndarray) -> np.ndarray:
    domain = cat(np.asarray([slug(" ".join(e.split()[:2])) for e in employer], dtype=object), ".example.com")
    return unique_values(cat(slugs(first), ".", slugs(last), "@", domain))


def _emails(rng: np.random.Generator, c: pd.DataFrame, hh: pd.DataFrame) -> None:
    n, slot = len(c), c["slot"].to_numpy()
    family = unique_values(family_emails(rng, hh))[c["hh"].to_numpy()]
    own = personal_emails(rng, c["first"].to_numpy(), c["last"].to_numpy())
    r = rng.random(n)
    has_own = np.where(slot == 2, r < 0.5, r < 0.92)
    use_family = pd.notna(family) & ((slot == 0) | ((slot == 1) & (rng.random(n) < 0.5)))
    c["email"] = np.where(use_family, family, np.where(has_own, own, None))
    employer = c["employer"].to_numpy()
    work = (slot < 2) & pd.notna(employer) & (employer != "Self-employed") & (rng.random(n) < 0.15)
    c["email2"] = None
    c.loc[work, "email2"] = work_emails(c["first"].to_numpy()[work], c["last"].to_numpy()[work], employer[work])


def _phones(rng: np.random.Generator, c: pd.DataFrame, hh: pd.DataFrame) -> None:
    """Up to two phones: a mobile (preferred) and the home line (the household's when living there)."""
    n, slot = len(c), c["slot"].to_numpy()
    home = np.where(c["lives_with"].to_numpy(), hh["phone"].to_numpy()[c["hh"].to_numpy()],
                    rng.integers(2000000, 9999999, n))
    mobile = rng.integers(2000000, 9999999, n)
    r = rng.random((n, 2))
    has_mobile = np.where(slot < 2, r[:, 0] < 0.9, r[:, 0] < 0.5)
    has_home = np.where(slot < 2, r[:, 1] < 0.5, ~has_mobile)
    has_home |= ~has_mobile
    employer = c["employer"].to_numpy()
    work = (slot < 2) & has_mobile & ~has_home & pd.notna(employer) & (rng.random(n) < 0.3)
    c["phone1"] = np.where(has_mobile, mobile, home)
    c["phone1_type"] = np.where(has_mobile, "Mobile", "Home")
    c["phone2"] = np.where(has_mobile & has_home, home, np.where(work, rng.integers(2000000, 9999999, n), -1))
    c["phone2_type"] = np.where(has_mobile & has_home, "Home", np.where(work, "Work", None))
    c["phone2_ext"] = np.where(work & (rng.random(n) < 0.5), rng.integers(100, 9999, n), -1)
    c["phone_style"] = rng.choice(5, p=PHONE_STYLE_P, size=n)


def _addresses(rng: np.random.Generator, c: pd.DataFrame, hh: pd.DataFrame) -> None:
    n, h = len(c), c["hh"].to_numpy()
    lives = c["lives_with"].to_numpy()
    town = rng.integers(0, len(places.TOWNS), n)
    other_state = ~lives & (rng.random(n) < 0.1)
    elsewhere = cat(rng.integers(100, 20000, n), " ", pick(places.STREETS, rng.integers(0, len(places.STREETS), n)),
                    " ", pick(places.STREET_TYPES, rng.integers(0, len(places.STREET_TYPES), n)))
    st = rng.integers(0, len(places.OTHER_STATES), n)
    c["street"] = np.where(lives, hh["street"].to_numpy()[h], elsewhere)
    c["unit"] = np.where(lives, hh["unit"].to_numpy()[h], None)
    city = np.where(other_state, pick([s[2] for s in places.OTHER_STATES], st), pick([t for t, _ in places.TOWNS], town))
    c["city"] = np.where(lives, hh["city"].to_numpy()[h], city)
    state = np.where(other_state, pick([s[0] for s in places.OTHER_STATES], st), places.STATE)
    c["state"] = np.where(lives, places.STATE, state)
    zips = np.where(other_state, 80000 + rng.integers(0, 9999, n), np.array([z for _, z in places.TOWNS])[town] + rng.integers(0, 3, n))
    c["zip"] = np.where(lives, hh["zip"].to_numpy()[h], zips.astype(str).astype(object))
    c["mailing"] = (rng.random(n) < 0.04) & (c["slot"].to_numpy() < 2)


def add_contact_details(rng: np.random.Generator, contacts: pd.DataFrame, hh: pd.DataFrame) -> None:
    """Fill e-mail, phone and address columns of the household contacts in place."""
    _emails(rng, contacts, hh)
    _phones(rng, contacts, hh)
    _addresses(rng, contacts, hh)


def _objects(column: pd.Series) -> np.ndarray:
    """A text column as an object array with None for missing values."""
    return column.to_numpy(dtype=object, na_value=None)


def student_people(students: pd.DataFrame, domain: str) -> pd.DataFrame:
    """The students' own ``Person`` rows (their school e-mail lives there)."""
    n = len(students)
    return pd.DataFrame({
        "hh": students["_hh"].to_numpy(), "slot": -1,
        "first": _objects(students["First_Name"]), "middle": _objects(students["Middle_Name"]),
        "last": _objects(students["Last_Name"]), "active": True, "dup_of": -1,
        "email": cat(_objects(students["Student_Web_ID"]), f"@students.{domain}"),
        "phone1": np.full(n, -1), "phone2": np.full(n, -1), "phone2_ext": np.full(n, -1),
        "student": np.arange(n),
    })


def _stack(a: pd.DataFrame, b: pd.DataFrame, extra: dict[str, np.ndarray], skip: tuple[str, ...]) -> pd.DataFrame:
    """Rows of ``a`` then ``b``, column by column (columns missing on one side: None / 0 / False),
    plus the ``extra`` columns given for all rows; ``skip`` columns are left out."""
    out = {}
    for col in dict.fromkeys([*a.columns, *b.columns]):
        if col in skip:
            continue
        parts = [f[col].to_numpy() if col in f else None for f in (a, b)]
        like = next(p for p in parts if p is not None)
        fill = None if like.dtype == object else like.dtype.type(0)
        parts = [p if p is not None else np.full(len(f), fill, dtype=like.dtype) for p, f in zip(parts, (a, b), strict=True)]
        out[col] = np.concatenate(parts)
    return pd.DataFrame({**out, **extra})


def assemble_people(contacts: pd.DataFrame, students: pd.DataFrame, domain: str) -> pd.DataFrame:
    """Contacts (duplicates included) then the students' own rows, with ``person_id`` assigned.

    Person IDs follow creation: household by household (contacts, then children in birth order),
    then the duplicate contacts and the re-enrolled students' rows, which were entered later.
    """
    n = len(contacts)
    s = student_people(students, domain)
    gender = np.r_[np.where(contacts["female"].to_numpy(), "F", "M").astype(object), _objects(students["Gender"])]
    late = np.r_[contacts["dup_of"].to_numpy() >= 0, students["_dup_of"].to_numpy() >= 0]
    sub = np.r_[contacts["slot"].to_numpy(), students["_order"].to_numpy()]
    hh = np.r_[contacts["hh"].to_numpy(), s["hh"].to_numpy()]
    idx = np.arange(len(late))
    order = np.lexsort((sub, idx >= n, np.where(late, idx, hh), late))
    pid = np.empty(len(late), dtype=np.int64)
    pid[order] = 1 + idx
    students["Person_ID"] = pid[n:]
    student = np.r_[np.full(n, -1), np.arange(len(students))]
    extra = {"gender": gender, "student": student, "person_id": pid, "locked": np.zeros(len(late), dtype=bool)}
    return _stack(contacts, s, extra, skip=("group", "female", "student"))
