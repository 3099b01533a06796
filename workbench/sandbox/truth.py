"""Ground truth of the injected defects, in the canonical IDs of ``docs/mapping.md``.

``truth.json`` keys (IDs are source IDs: prepend the load's ``--id-prefix`` to compare with
``sourced_id``; students ``S<Students.DCID>``, contacts ``C<Person.ID>``, teachers
``T<Users.DCID>``, enrolments ``E<CC.DCID>``):

* ``duplicate_students``: ``[original, duplicate]`` pairs: one child enrolled twice under two DCIDs
  and Student_Numbers (name slips and nicknames, sometimes another school, the same state ID in
  about 60% of the pairs). Must be merged.
* ``duplicate_contacts``: clusters ``[original, duplicate, ...]``: a parent entered once per sibling,
  with case, spacing, nickname or e-mail variants. Must be merged.
* ``twins``: ``[student, student]`` pairs: same household, surname and birth date, different first
  names. Must never be merged.
* ``siblings_shared_email``: ``[student, student]`` pairs of siblings whose own e-mail is the same
  parent address. Must never be merged.
* ``staff_also_parent``: ``[teacher, contact]``: the same person as a teacher and as a contact.
* ``invalid_emails``: ``{"id", "value"}`` for every student and contact whose e-mail is not an address
  (``1``, ``n/a``, ``jane.doe@``, ``x@@y.org`` ...).
* ``missing_emails``: every student and contact without an e-mail: none at all, or an
  ``EmailAddress`` row whose value is empty.
* ``future_birth_dates``: students born after ``today``.
* ``orphan_cc``: CC rows whose StudentID or SectionID exists nowhere (never delivered).
* ``enrollments_outside_term``: delivered CC rows that start before their term's first day or end
  (inclusive) after its last day.

Also: ``generator`` (the arguments: seed, students, today), ``school_year`` and ``counts`` (rows per
PowerSchool table).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

VALID_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUTH_KEYS = ("duplicate_students", "duplicate_contacts", "twins", "siblings_shared_email",
              "staff_also_parent", "invalid_emails", "missing_emails", "future_birth_dates",
              "orphan_cc", "enrollments_outside_term")


def canonical_people(people: pd.DataFrame, links: pd.DataFrame, st: pd.DataFrame) -> pd.Series:
    """Canonical ID of every people row that has one (linked contacts, students with a DCID)."""
    ids = pd.Series(index=people.index, dtype=object)
    contact = np.unique(links["contact"].to_numpy())
    ids.iloc[contact] = "C" + people["person_id"].iloc[contact].astype(str)
    srow = people["student"].to_numpy()
    is_s = srow >= 0
    dcid = dcids(st)[srow[is_s]]
    ids[is_s] = ["S" + str(d) if d is not None else None for d in dcid]
    return ids.dropna()


def email_truth(people: pd.DataFrame, ids: pd.Series) -> tuple[list[dict[str, str]], list[str]]:
    """Invalid and missing primary e-mails (the primary is the first address a person has)."""
    p = people.loc[ids.index, ["email", "email2"]]
    primary = p["email"].where(p["email"].notna(), p["email2"])
    missing = primary.isna() | (primary == "")
    bad = ~missing & ~primary.fillna("").str.match(VALID_EMAIL.pattern)
    invalid = [{"id": i, "value": v} for i, v in zip(ids[bad], primary[bad], strict=True)]
    return sorted(invalid, key=lambda d: d["id"]), sorted(ids[missing].tolist())


def dcids(st: pd.DataFrame) -> np.ndarray:
    """Students.DCID as Python ints (None where missing)."""
    return st["DCID"].astype("Int64").to_numpy(dtype=object, na_value=None)


def student_pairs(st: pd.DataFrame) -> tuple[list[list[str]], list[list[str]]]:
    """Duplicate (original, re-enrolment) pairs and twin pairs."""
    dcid = dcids(st)
    dups = np.flatnonzero(st["_dup_of"].to_numpy() >= 0)
    orig = st["_dup_of"].to_numpy()[dups]
    dup_pairs = [[f"S{dcid[a]}", f"S{dcid[b]}"] for a, b in zip(orig, dups, strict=True)]
    tw = st[st["_twin"] & (st["_dup_of"] < 0)].sort_values(["_hh", "DCID"])
    twins = [[f"S{g.iloc[0]}", f"S{g.iloc[1]}"] for _, g in tw.groupby("_hh")["DCID"] if len(g) == 2]
    return dup_pairs, twins


def contact_clusters(people: pd.DataFrame, links: pd.DataFrame) -> list[list[str]]:
    """``[original, duplicate, ...]`` for every parent entered more than once (all of them linked)."""
    dup = np.flatnonzero(people["dup_of"].to_numpy() >= 0)
    orig = people["dup_of"].to_numpy()[dup]
    order = np.lexsort((dup, orig))
    dup, orig = dup[order], orig[order]
    linked = np.zeros(len(people), dtype=bool)
    linked[links["contact"].to_numpy()] = True
    pid = people["person_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, orig[1:] != orig[:-1]])
    out = []
    for members in np.split(dup, starts[1:]):
        rows = [int(people["dup_of"].to_numpy()[members[0]]), *members.tolist()]
        if linked[rows].all():
            out.append([f"C{pid[r]}" for r in rows])
    return out


def cc_truth(cc: pd.DataFrame) -> tuple[list[str], list[str]]:
    from workbench.sandbox.enrollments import ORPHAN, OUTSIDE

    kind = cc["_kind"].to_numpy()
    dcid = cc["DCID"].to_numpy()
    return [f"E{d}" for d in dcid[kind == ORPHAN]], [f"E{d}" for d in dcid[kind == OUTSIDE]]


def build_truth(meta: dict[str, Any], parts: dict[str, Any]) -> dict[str, Any]:
    """The truth document: metadata first, then every defect key in TRUTH_KEYS order."""
    missing = [k for k in TRUTH_KEYS if k not in parts]
    if missing:
        raise ValueError(f"truth is missing {missing}")
    return {**meta, **{k: parts[k] for k in TRUTH_KEYS}}
