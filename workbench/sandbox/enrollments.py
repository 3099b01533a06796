"""``CC``: section enrolments, with PowerSchool's exclusive ``DateLeft``.

A student is in a section from ``max(term start, school entry)`` to ``min(term end + 1 day, school
exit)``. About 3% of middle and high school enrolments are schedule changes: the old row is
dropped (``SectionID`` and ``TermID`` negated, ``DateLeft`` = the change date, or equal to
``DateEnrolled`` when the term has not started) and a new row starts in another section of the
same course and period on that day. Rows are kept as compact numpy columns (ten million of them
for a million students) and sorted once, by student, term and period, when the table is built.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from workbench.sandbox.households import rank_in_segment
from workbench.sandbox.schoolyear import SchoolYear
from workbench.sandbox.students import day, disjoint_base

DROP_SHARE = 0.03
ONE = np.timedelta64(1, "D")
BASE, DROPPED, ADDED, ZERO, OUTSIDE, ORPHAN = range(6)  # row kinds (internal ``_kind``)


def term_bounds(year: SchoolYear) -> tuple[np.ndarray, np.ndarray]:
    """First day and the day after the last day of the year and the two semesters."""
    first = np.array([day(year.term(i).first) for i in range(3)])
    after = np.array([day(year.term(i).last) + ONE for i in range(3)])
    return first, after


def rows_frame(student: np.ndarray, section: np.ndarray, start: np.ndarray, end: np.ndarray,
               kind: np.ndarray | int) -> pd.DataFrame:
    return pd.DataFrame({"student": student.astype(np.int32), "section": section.astype(np.int32),
                         "start": start.astype("datetime64[D]"), "end": end.astype("datetime64[D]"),
                         "kind": np.broadcast_to(np.int8(kind), student.shape).astype(np.int8)})


def base_rows(student: np.ndarray, term: np.ndarray, section: np.ndarray, students: pd.DataFrame,
              year: SchoolYear) -> pd.DataFrame:
    """One row per request whose term overlaps the student's enrolment."""
    first, after = term_bounds(year)
    entry = students["EntryDate"].to_numpy().astype("datetime64[D]")[student]
    leave = students["ExitDate"].to_numpy().astype("datetime64[D]")[student]
    start, end = np.maximum(first[term], entry), np.minimum(after[term], leave)
    keep = end > start
    return rows_frame(student[keep], section[keep], start[keep], end[keep], BASE)


def _alternatives(sections: pd.DataFrame) -> np.ndarray:
    """For each section, another section of the same course, term and period (itself if none)."""
    key = (sections["SchoolID"].to_numpy().astype(np.int64) * 1000 + sections["_course"].to_numpy()) * 100 \
        + sections["_term"].to_numpy() * 10 + sections["_period"].to_numpy()
    order = np.argsort(key, kind="stable")
    k = key[order]
    grp = np.cumsum(np.r_[True, k[1:] != k[:-1]]) - 1
    size = np.bincount(grp)[grp]
    rank = rank_in_segment(k)
    alt = np.empty(len(k), dtype=np.int64)
    alt[order] = order[np.arange(len(k)) - rank + (rank + 1) % size]
    return alt


def schedule_changes(rng: np.random.Generator, rows: pd.DataFrame, sections: pd.DataFrame,
                     today: dt.date) -> pd.DataFrame:
    """Drop about 3% of the secondary enrolments and add the replacement rows."""
    sec = rows["section"].to_numpy()
    start, end = rows["start"].to_numpy().astype("datetime64[D]"), rows["end"].to_numpy().astype("datetime64[D]")
    now = day(today)
    started = start < now - 3 * ONE
    span = np.minimum((end - start) // ONE - 1, (now - start) // ONE)
    pick = ~sections["_elementary"].to_numpy()[sec] & (rng.random(len(rows)) < DROP_SHARE)
    idx = np.flatnonzero(pick & (~started | (span > 3)))
    offs = (rng.random(len(idx)) * np.maximum(span[idx] - 3, 1)).astype(np.int64) + 3
    change = np.where(started[idx], start[idx] + offs.astype("timedelta64[D]"), start[idx])
    alt = _alternatives(sections)[sec[idx]]
    has = alt != sec[idx]
    student = rows["student"].to_numpy()
    dropped = rows_frame(student[idx], sec[idx], start[idx], change, DROPPED)
    added = rows_frame(student[idx][has], alt[has], change[has], end[idx][has], ADDED)
    keep = np.ones(len(rows), dtype=bool)
    keep[idx] = False
    return pd.concat([rows[keep], dropped, added], ignore_index=True)


def zero_length_rows(rng: np.random.Generator, rows: pd.DataFrame, n: int) -> pd.DataFrame:
    """Rows added and removed on the same day without being dropped (DateLeft = DateEnrolled)."""
    idx = rng.choice(np.flatnonzero(rows["kind"].to_numpy() == BASE), size=n, replace=False)
    r = rows.iloc[np.sort(idx)]
    return rows_frame(r["student"].to_numpy(), r["section"].to_numpy(), r["start"].to_numpy(),
                      r["start"].to_numpy(), ZERO)


def _texts(values: np.ndarray, rows: np.ndarray) -> pd.Categorical:
    """``values[rows]`` as a categorical: ten million short strings cost one byte or two each."""
    cats, codes = np.unique(values.astype(str), return_inverse=True)
    return pd.Categorical.from_codes(codes[rows], categories=cats)


def cc_frame(rows: pd.DataFrame, sections: pd.DataFrame, students: pd.DataFrame, rng: np.random.Generator,
             today: dt.date, orphan_ids: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """The ``CC`` table, ordered by student, term and period, with IDs in that order.

    ``orphan_ids``: StudentIDs and SectionIDs (> 0) replacing the real ones in the last rows.
    """
    s, k = rows["student"].to_numpy(), rows["section"].to_numpy()
    student_id = students["ID"].to_numpy().astype(np.int32)[s]
    sid, secid = orphan_ids
    tail = slice(len(rows) - len(sid), len(rows))
    student_id[tail] = np.where(sid > 0, sid, student_id[tail])
    term = sections["TermID"].to_numpy().astype(np.int32)[k]
    order = np.lexsort((rows["start"].to_numpy(), sections["_period"].to_numpy()[k], term, student_id))
    sign = np.where(rows["kind"].to_numpy() == DROPPED, -1, 1).astype(np.int8)[order]
    section_id = sections["ID"].to_numpy().astype(np.int32)[k]
    section_id[tail] = np.where(secid > 0, secid, section_id[tail])
    student_id, section_id, term = student_id[order], section_id[order], term[order]
    s, k = s[order], k[order]
    start = rows["start"].to_numpy()[order]
    started = start < day(today)
    ids = 1 + np.arange(len(rows), dtype=np.int64)
    cc = pd.DataFrame({
        "ID": ids.astype(np.int32), "DCID": disjoint_base(len(rows)) + ids,
        "StudentID": student_id, "SectionID": sign * section_id,
        "SchoolID": sections["SchoolID"].to_numpy().astype(np.int32)[k], "TermID": sign * term,
        "Course_Number": _texts(sections["Course_Number"].to_numpy(), k),
        "Section_Number": _texts(sections["Section_Number"].to_numpy(), k),
        "DateEnrolled": start, "DateLeft": rows["end"].to_numpy()[order],
        "Expression": _texts(sections["Expression"].to_numpy(), k),
        "TeacherID": sections["Teacher"].to_numpy()[k].astype(np.int32),
        "CurrentAbsences": np.where(started, rng.poisson(1.5, len(rows)), 0).astype(np.int16),
        "CurrentTardies": np.where(started, rng.poisson(0.8, len(rows)), 0).astype(np.int16),
        "_student": s, "_section": k, "_kind": rows["kind"].to_numpy()[order],
    })
    return cc
