"""A flat person table built like a roster, with duplicates and the truth: for linkage tests and
benchmarks (``bench/linkage.py``), at any size (a million rows in a few seconds).

    from workbench.sandbox.people import generate_people, truth_pairs
    people = generate_people(100_000, seed=1)
    people.records          # id, person, household, given_name, family_name, birth_date,
                            # street, city, zip, email, phone
    truth_pairs(people.records)   # DataFrame(left, right): every two records of one person
    people.twins            # DataFrame(left, right): record pairs of twins (never the same person)

Households are what makes person linkage hard: children and parents share a surname (a mother
keeps hers in some households), an address and zip, and often the family e-mail and home phone;
siblings are a few years apart, and twins (about 3% of households with two children or more)
share surname, birth date, address and phone, with different first names. First names and
surnames come from the sandbox's name pools, with a Zipf-like popularity, and surnames also from
a generated tail so that a million people are not all Smiths.

About ``duplicate_share`` of the records are second (rarely third) records of a person, entered
again by a busy registrar: a nickname or a typo in the first name, sometimes in the surname, the
caps lock on, day and month of the birth date swapped (or one day off), a moved address, the
e-mail or phone left out or changed. Everything is seeded and vectorised with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.names import GROUPS, NICKNAMES, display
from workbench.sandbox.text import case_variant, cat, pick, slugs, typo

REFERENCE_DAY = np.datetime64("2026-09-01", "D")
TWIN_SHARE = 0.03  # of households with two children or more
OWN_SURNAME = 0.15  # mothers who keep their own surname
_ONSETS = ("b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kl", "l", "m", "n",
           "p", "pr", "r", "s", "sh", "st", "t", "tr", "v", "w", "z")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou", "y")
_CODAS = ("", "n", "r", "l", "s", "t", "m", "nd", "rt", "ck", "ld", "st")
_ENDINGS = ("son", "er", "ley", "ton", "man", "berg", "ez", "ski", "ova", "ini", "well", "ford",
            "field", "wood", "ard", "in", "o", "ak")


@dataclass(frozen=True)
class People:
    """The records (one row per record; ``person`` is the truth) and the twins' record pairs."""

    records: pd.DataFrame
    twins: pd.DataFrame


def _zipf(rng: np.random.Generator, n_values: int, size: int, a: float = 1.0) -> np.ndarray:
    """Indices into ``n_values`` options, the first ones most popular (weight 1 / (rank + 3)^a)."""
    w = 1.0 / (np.arange(n_values) + 3.0) ** a
    return rng.choice(n_values, size=size, p=w / w.sum())


def _surname_tail(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` made-up surnames (``Brailton``, ``Kouster``): syllables and an ending."""
    parts = [pick(_ONSETS, rng.integers(0, len(_ONSETS), n)),
             pick(_VOWELS, rng.integers(0, len(_VOWELS), n)),
             pick(_CODAS, rng.integers(0, len(_CODAS), n)),
             pick(_ENDINGS, rng.integers(0, len(_ENDINGS), n))]
    names = np.unique(cat(*parts))
    return np.asarray([s.capitalize() for s in names], dtype=object)


def _households(rng: np.random.Generator, n_persons: int) -> tuple[np.ndarray, np.ndarray]:
    """Parents (1 or 2) and children (1 to 5) per household, enough for ``n_persons``."""
    h = n_persons // 3 + 10
    parents = np.where(rng.random(h) < 0.3, 1, 2)
    kids = rng.choice([1, 2, 3, 4, 5], size=h, p=[0.38, 0.36, 0.18, 0.06, 0.02])
    total = np.cumsum(parents + kids)
    h = int(np.searchsorted(total, n_persons)) + 1
    parents, kids = parents[:h], kids[:h]
    kids[-1] = max(1, kids[-1] - (int(total[h - 1]) - n_persons))
    if parents[-1] + kids[-1] > n_persons - (int(total[h - 2]) if h > 1 else 0):
        kids[-1] = n_persons - (int(total[h - 2]) if h > 1 else 0) - parents[-1]
    return parents, kids


def _names(rng: np.random.Generator, group: np.ndarray, female: np.ndarray) -> np.ndarray:
    out = np.empty(len(group), dtype=object)
    for g, ng in enumerate(GROUPS):
        for sex, pool in ((True, ng.female), (False, ng.male)):
            m = (group == g) & (female == sex)
            if m.any():
                out[m] = pick([display(x) for x in pool], _zipf(rng, len(pool), int(m.sum()), 0.8))
    return out


def _surnames(rng: np.random.Generator, group: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """Half from the group's pool (Zipf), half from the generated tail (Zipf as well)."""
    out = np.empty(len(group), dtype=object)
    for g, ng in enumerate(GROUPS):
        m = group == g
        if m.any():
            out[m] = pick([display(x) for x in ng.last], _zipf(rng, len(ng.last), int(m.sum())))
    use_tail = rng.random(len(group)) < 0.5
    out[use_tail] = tail[_zipf(rng, len(tail), int(use_tail.sum()), 0.7)]
    return out


def _addresses(rng: np.random.Generator, n: int, n_zips: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    number = rng.integers(1, 9999, n)
    street = cat(number, " ", pick(places.STREETS, rng.integers(0, len(places.STREETS), n)), " ",
                 pick(places.STREET_TYPES, rng.integers(0, len(places.STREET_TYPES), n)))
    z = rng.integers(0, n_zips, n)
    towns = np.asarray([t for t, _ in places.TOWNS], dtype=object)
    return street, towns[z % len(towns)], (97001 + z).astype(str).astype(object)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    num = rng.integers(2_000_000, 9_999_999, n)
    return cat("(555) ", num // 10000, "-", np.char.zfill((num % 10000).astype(str), 4).astype(object))


def _emails(rng: np.random.Generator, local: np.ndarray) -> np.ndarray:
    dom = rng.choice(len(places.EMAIL_DOMAINS), size=len(local), p=places.EMAIL_WEIGHTS)
    return cat(local, rng.integers(1, 999, len(local)), "@", pick(places.EMAIL_DOMAINS, dom))


def _vary(rng: np.random.Generator, values: np.ndarray, shares: tuple[float, float, float]) -> np.ndarray:
    """Nickname, typo, case slip for ``shares`` of the values (in that order); the rest as is."""
    r, r2 = rng.random(len(values)), rng.random(len(values))
    out = values.copy()
    nick, slip, case = np.cumsum(shares)
    for i, v in enumerate(values):
        if r[i] < nick:
            options = NICKNAMES.get(v)
            out[i] = options[int(r2[i] * len(options))] if options else typo(v, r2[i])
        elif r[i] < slip:
            out[i] = typo(v, r2[i])
        elif r[i] < case:
            out[i] = case_variant(v, r2[i])
    return out


def _swap_day_month(dob: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Day and month swapped (8%, when the day is a month), one day off (4%), else the same."""
    y = dob.astype("datetime64[Y]")
    month = (dob.astype("datetime64[M]") - y.astype("datetime64[M]")).astype(int) + 1
    day = (dob - dob.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    swap = (r < 0.08) & (day <= 12) & (day != month)
    swapped = (y.astype("datetime64[M]") + (day - 1)).astype("datetime64[D]") + (month - 1)
    out = np.where(swap, swapped, dob)
    return np.where((r >= 0.08) & (r < 0.12), dob + 1, out)


def generate_people(n: int, seed: int = 0, duplicate_share: float = 0.05) -> People:
    """``n`` records of about ``n / (1 + duplicate_share)`` people, shuffled, IDs ``r0000001``..."""
    rng = np.random.default_rng(seed)
    n_persons = max(2, round(n / (1 + duplicate_share)))
    parents, kids = _households(rng, n_persons)
    h = len(parents)
    size = parents + kids
    hh = np.repeat(np.arange(h), size)
    rank = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
    is_kid = rank >= np.repeat(parents, size)
    kid_rank = rank - np.repeat(parents, size)

    weights = np.array([g.weight for g in GROUPS])
    group = np.repeat(rng.choice(len(GROUPS), size=h, p=weights / weights.sum()), size)
    female = np.where(is_kid, rng.random(len(hh)) < 0.5, rank == 1)
    female = np.where(~is_kid & (np.repeat(parents, size) == 1), rng.random(len(hh)) < 0.6, female)
    given = _names(rng, group, female)
    tail = _surname_tail(rng, 40_000)
    h_surname = _surnames(rng, group[np.cumsum(size) - size], tail)
    family = h_surname[hh]
    own = (~is_kid) & (rank == 1) & (rng.random(len(hh)) < OWN_SURNAME)
    family[own] = _surnames(rng, group[own], tail)

    # birth dates: children a few years apart, parents 20 to 40 years older than the eldest
    gaps = np.where(is_kid & (kid_rank > 0), rng.integers(300, 4 * 365, len(hh)), 0)
    run = np.cumsum(gaps)
    younger = run - np.repeat(np.r_[0, run[np.cumsum(size) - 1][:-1]], size)
    span = younger[np.cumsum(size) - 1]  # the youngest child's distance from the eldest
    eldest = span + rng.integers(4 * 365, np.maximum(4 * 365 + 1, 18 * 365 - span))
    kid_age = np.repeat(eldest, size) - younger
    parent_age = np.repeat(eldest, size) + rng.integers(20 * 365, 40 * 365, len(hh))
    age_days = np.where(is_kid, kid_age, parent_age)
    dob = REFERENCE_DAY - age_days
    # twins: the second child shares the first one's birth date
    twin_h = (kids >= 2) & (rng.random(h) < TWIN_SHARE)
    second = is_kid & (kid_rank == 1) & twin_h[hh]
    dob[second] = dob[np.flatnonzero(second) - 1]
    # siblings (twins too) have different first names
    for _ in range(20):
        same = is_kid & pd.DataFrame({"h": hh, "g": given}).duplicated().to_numpy()
        if not same.any():
            break
        given[same] = _names(rng, group[same], female[same])

    street, city, zipc = _addresses(rng, h, max(20, n_persons // 4000))
    h_phone = _phones(rng, h)
    h_email = _emails(rng, slugs(h_surname))
    r = rng.random(len(hh))
    email = np.where(is_kid, np.where(r < 0.2, h_email[hh], None), np.where(r < 0.5, h_email[hh], None))
    own_mail = np.where(is_kid, (r >= 0.2) & (r < 0.6), (r >= 0.5) & (r < 0.85))
    email[own_mail] = _emails(rng, cat(slugs(given[own_mail]), ".", slugs(family[own_mail])))
    r = rng.random(len(hh))
    phone = np.where(r < 0.6, h_phone[hh], None)
    mobile = (~is_kid) & (r >= 0.6) & (r < 0.9)
    phone[mobile] = _phones(rng, int(mobile.sum()))

    persons = pd.DataFrame({
        "person": np.arange(len(hh)), "household": hh, "given_name": given, "family_name": family,
        "birth_date": dob, "street": street[hh], "city": city[hh], "zip": zipc[hh],
        "email": email, "phone": phone})
    dups = _duplicates(rng, persons, n - len(persons), n_zips=max(20, n_persons // 4000))
    records = pd.concat([persons, dups], ignore_index=True)
    records = records.iloc[rng.permutation(len(records))].reset_index(drop=True)
    width = len(str(len(records)))
    records.insert(0, "id", [f"r{i:0{width}d}" for i in range(1, len(records) + 1)])
    records["birth_date"] = pd.to_datetime(records["birth_date"])
    twin_people = np.column_stack([np.flatnonzero(second) - 1, np.flatnonzero(second)])
    return People(records, _pairs_of(records, twin_people))


def _duplicates(rng: np.random.Generator, persons: pd.DataFrame, k: int, n_zips: int) -> pd.DataFrame:
    """``k`` more records of randomly chosen people (a few get two), with a registrar's slips."""
    if k <= 0:
        return persons.iloc[:0]
    who = rng.choice(len(persons), size=k, replace=True)
    d = persons.iloc[who].reset_index(drop=True).copy()
    d["given_name"] = _vary(rng, d["given_name"].to_numpy(), (0.25, 0.2, 0.1))
    d["family_name"] = _vary(rng, d["family_name"].to_numpy(), (0.0, 0.08, 0.05))
    d["birth_date"] = _swap_day_month(d["birth_date"].to_numpy().astype("datetime64[D]"), rng.random(k))
    moved = rng.random(k) < 0.1
    street, city, zipc = _addresses(rng, int(moved.sum()), n_zips)
    d.loc[moved, "street"], d.loc[moved, "city"], d.loc[moved, "zip"] = street, city, zipc
    r = rng.random(k)
    d.loc[r < 0.2, "email"] = None
    r = rng.random(k)
    d.loc[r < 0.2, "phone"] = None
    changed = (r >= 0.2) & (r < 0.3) & d["phone"].notna().to_numpy()
    d.loc[changed, "phone"] = _phones(rng, int(changed.sum()))
    return d


def _pairs_of(records: pd.DataFrame, person_pairs: np.ndarray) -> pd.DataFrame:
    """Record pairs (left < right) of the given person pairs."""
    by_person = records[["id", "person"]]
    p = pd.DataFrame(person_pairs, columns=["a", "b"])
    m = p.merge(by_person, left_on="a", right_on="person").merge(
        by_person, left_on="b", right_on="person", suffixes=("_a", "_b"))
    left = np.minimum(m["id_a"].to_numpy(), m["id_b"].to_numpy())
    right = np.maximum(m["id_a"].to_numpy(), m["id_b"].to_numpy())
    return pd.DataFrame({"left": left, "right": right})


def truth_pairs(records: pd.DataFrame, id_col: str = "id", person_col: str = "person") -> pd.DataFrame:
    """Every two records of one person: DataFrame(left, right), ``left < right``."""
    r = records[[id_col, person_col]]
    multi = r[r.duplicated(person_col, keep=False)]
    m = multi.merge(multi, on=person_col, suffixes=("_l", "_r"))
    m = m[m[f"{id_col}_l"] < m[f"{id_col}_r"]]
    return pd.DataFrame({"left": m[f"{id_col}_l"].to_numpy(), "right": m[f"{id_col}_r"].to_numpy()})
