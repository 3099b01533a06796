"""Household contacts: who a child's parents, guardians and emergency contacts are.

Each household has a parent setup (two parents, a single parent, a step-parent, a guardian ...)
and sometimes an extra emergency contact (a grandparent, an aunt or uncle). Every child of the
household is linked to every contact of it, in the same priority order; the links carry the
PowerSchool ``StudentContactDetail`` flags (custodial, emergency, lives with, receives mail).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.households import rank_in_segment, segment_starts
from workbench.sandbox.names import GROUPS, display
from workbench.sandbox.text import cat, pick

RELATIONSHIPS = ("Mother", "Father", "Guardian", "Grandmother", "Grandfather", "Aunt", "Uncle",
                 "Stepmother", "Stepfather", "Other")
FEMALE_RELS = {"Mother", "Grandmother", "Aunt", "Stepmother"}
PARENT_RELS = {"Mother", "Father", "Guardian", "Stepmother", "Stepfather"}

# Parent setups: (probability, first contact, second contact or "")
SETUPS = ((0.55, "Mother", "Father"), (0.20, "Mother", ""), (0.06, "Father", ""),
          (0.05, "Mother", "Stepfather"), (0.03, "Father", "Stepmother"), (0.05, "Guardian", ""),
          (0.03, "Mother", "Mother"), (0.03, "Father", "Father"))
EXTRAS = ((0.10, "Grandmother"), (0.05, "Grandfather"), (0.03, "Aunt"), (0.02, "Uncle"), (0.01, "Other"))


def _slot_frame(hh: np.ndarray, rel: np.ndarray, slot: int) -> pd.DataFrame:
    keep = rel != ""
    return pd.DataFrame({"hh": hh[keep], "rel": rel[keep], "slot": slot})


def _contact_slots(rng: np.random.Generator, n_hh: int) -> pd.DataFrame:
    setup = rng.choice(len(SETUPS), p=[s[0] for s in SETUPS], size=n_hh)
    first = np.array([s[1] for s in SETUPS], dtype=object)[setup]
    second = np.array([s[2] for s in SETUPS], dtype=object)[setup]
    r = rng.random(n_hh)
    cum = np.cumsum([p for p, _ in EXTRAS])
    extra = np.array([rel for _, rel in EXTRAS] + [""], dtype=object)[np.searchsorted(cum, r, side="right")]
    hh = np.arange(n_hh)
    slots = pd.concat([_slot_frame(hh, first, 0), _slot_frame(hh, second, 1), _slot_frame(hh, extra, 2)])
    return slots.sort_values(["hh", "slot"], kind="stable").reset_index(drop=True)


def _random_surnames(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    out = np.empty(len(group), dtype=object)
    for g, spec in enumerate(GROUPS):
        m = group == g
        out[m] = [display(s) for s in pick(spec.last, rng.integers(0, len(spec.last), int(m.sum())))]
    return out


def _first_names(rng: np.random.Generator, group: np.ndarray, female: np.ndarray) -> np.ndarray:
    out = np.empty(len(group), dtype=object)
    for g, spec in enumerate(GROUPS):
        for is_f, pool in ((True, spec.female), (False, spec.male)):
            m = (group == g) & (female == is_f)
            out[m] = pick(pool, rng.integers(0, len(pool), int(m.sum())))
    return out


def build_contacts(rng: np.random.Generator, hh: pd.DataFrame) -> pd.DataFrame:
    """One row per contact person of every household (originals only, no duplicates yet)."""
    c = _contact_slots(rng, len(hh))
    n, h = len(c), c["hh"].to_numpy()
    rel = c["rel"].to_numpy()
    group = hh["group"].to_numpy()[h]
    female = np.isin(rel, list(FEMALE_RELS)) | ((rel == "Guardian") | (rel == "Other")) & (rng.random(n) < 0.6)
    own_surname = _random_surnames(rng, group)
    keep_surname = {"Father": 1.0, "Mother": 0.85, "Guardian": 0.5, "Grandmother": 0.6,
                    "Grandfather": 0.6, "Aunt": 0.4, "Uncle": 0.5}
    p_keep = np.array([keep_surname.get(x, 0.0) for x in rel])
    surname = np.where(rng.random(n) < p_keep, hh["surname"].to_numpy()[h], own_surname)
    parent = np.isin(rel, list(PARENT_RELS))
    away = (c["slot"].to_numpy() == 1) & (rng.random(n) < 0.15)  # a parent living elsewhere
    lives = (parent & ~away) | ((c["slot"].to_numpy() == 2) & (rng.random(n) < 0.1))
    middle = np.where(rng.random(n) < 0.35, _first_names(rng, group, female), None)
    first = _first_names(rng, group, female)
    middle = np.where(middle == first, None, middle)
    employer = np.where(rng.random(n) < 0.7, pick(places.EMPLOYERS, rng.integers(0, len(places.EMPLOYERS), n)), None)
    return c.assign(
        group=group, female=female, first=first, middle=middle, last=surname, lives_with=lives,
        custodial=parent & ~np.isin(rel, ["Stepmother", "Stepfather"]), emergency=True,
        receives_mail=parent & (lives | (rng.random(n) < 0.5)), pickup=parent | (rng.random(n) < 0.7),
        active=rng.random(n) >= 0.02, employer=employer,
        priority=rank_in_segment(h) + 1, dup_of=-1,
    )


def swap_priorities(rng: np.random.Generator, contacts: pd.DataFrame) -> None:
    """In one two-parent household in ten, the second parent is the first to call."""
    first = (contacts["slot"] == 0).to_numpy()
    second = np.r_[first[:-1] & (contacts["slot"].to_numpy()[1:] == 1), False]
    chosen = second & (rng.random(len(contacts)) < 0.1)
    idx = np.flatnonzero(chosen)
    pr = contacts["priority"].to_numpy().copy()
    pr[idx], pr[idx + 1] = 2, 1
    contacts["priority"] = pr


def link_students(contacts: pd.DataFrame, students: pd.DataFrame) -> pd.DataFrame:
    """Every student with a DCID linked to every contact of its household (``contact`` = row index)."""
    ok = students["DCID"].notna().to_numpy()
    srow = np.flatnonzero(ok)
    h = students["_hh"].to_numpy()[srow]
    per_hh = np.bincount(contacts["hh"].to_numpy(), minlength=int(h.max()) + 1)
    starts = segment_starts(per_hh)
    count = per_hh[h]
    rows = np.repeat(srow, count)
    offset = rank_in_segment(np.repeat(np.arange(len(srow)), count))
    contact = np.repeat(starts[h], count) + offset
    links = pd.DataFrame({"student": rows, "contact": contact,
                          "priority": contacts["priority"].to_numpy()[contact]})
    return links.sort_values(["student", "priority"], kind="stable").reset_index(drop=True)


def household_email_slugs(hh: pd.DataFrame) -> np.ndarray:
    """``smith`` for the Smith household: the stem of a family e-mail address."""
    from workbench.sandbox.text import slugs

    return slugs(hh["surname"].to_numpy())


def family_emails(rng: np.random.Generator, hh: pd.DataFrame) -> np.ndarray:
    """A shared family mailbox for about a third of the households (None for the others)."""
    n = len(hh)
    stem = household_email_slugs(hh)
    style = rng.integers(0, 3, n)
    local = np.where(style == 0, cat("the", stem, "s"), np.where(style == 1, cat(stem, "family"), cat(stem, "house")))
    domain = pick(places.EMAIL_DOMAINS, rng.choice(len(places.EMAIL_DOMAINS), p=places.EMAIL_WEIGHTS, size=n))
    email = cat(local, rng.integers(1, 999, n), "@", domain)
    return np.where(rng.random(n) < 0.35, email, None)
