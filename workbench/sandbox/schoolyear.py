"""The district calendar: PowerSchool YearID-based terms of the current and the previous year.

Term IDs follow PowerSchool: ``YearID * 100`` for the full year (Portion 1, IsYearRec 1),
``+1`` and ``+2`` for the semesters (Portion 2) and ``+3`` .. ``+6`` for the quarters (Portion 4).
YearID is the first calendar year of the school year minus 1990 (2026-27 -> 36).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

YEAR, SEM1, SEM2, Q1, Q2, Q3, Q4 = range(7)


@dataclass(frozen=True)
class Term:
    offset: int
    name: str
    abbreviation: str
    first: dt.date
    last: dt.date  # inclusive, as Terms.LastDay
    portion: int

    @property
    def days(self) -> int:
        """School days (weekdays) from first to last, both included."""
        n = (self.last - self.first).days + 1
        full, rest = divmod(n, 7)
        extra = sum(1 for i in range(rest) if (self.first.weekday() + i) % 7 < 5)
        return full * 5 + extra


@dataclass(frozen=True)
class SchoolYear:
    start_year: int
    terms: tuple[Term, ...]

    @property
    def year_id(self) -> int:
        return self.start_year - 1990

    @property
    def end_year(self) -> int:
        return self.start_year + 1

    @property
    def first_day(self) -> dt.date:
        return self.terms[YEAR].first

    @property
    def last_day(self) -> dt.date:
        return self.terms[YEAR].last

    def term_id(self, offset: int) -> int:
        return self.year_id * 100 + offset

    def term(self, offset: int) -> Term:
        return self.terms[offset]


def _on_or_after(d: dt.date, weekday: int) -> dt.date:
    return d + dt.timedelta(days=(weekday - d.weekday()) % 7)


def _on_or_before(d: dt.date, weekday: int) -> dt.date:
    return d - dt.timedelta(days=(d.weekday() - weekday) % 7)


def build_year(start_year: int) -> SchoolYear:
    """The calendar of the school year that starts in August of ``start_year``."""
    first = _on_or_after(dt.date(start_year, 8, 17), 2)  # a Wednesday
    last = _on_or_after(dt.date(start_year + 1, 6, 2), 4)  # a Friday
    s1_last = _on_or_before(dt.date(start_year + 1, 1, 16), 4)
    s2_first = s1_last + dt.timedelta(days=4)  # the Tuesday after a long weekend
    q1_last = _on_or_before(first + dt.timedelta(days=65), 4)
    q3_last = _on_or_before(s2_first + dt.timedelta(days=67), 4)
    d3 = dt.timedelta(days=3)
    label = f"{start_year}-{start_year + 1}"
    terms = (
        Term(YEAR, label, f"{start_year % 100:02d}-{(start_year + 1) % 100:02d}", first, last, 1),
        Term(SEM1, "Semester 1", "S1", first, s1_last, 2),
        Term(SEM2, "Semester 2", "S2", s2_first, last, 2),
        Term(Q1, "Quarter 1", "Q1", first, q1_last, 4),
        Term(Q2, "Quarter 2", "Q2", q1_last + d3, s1_last, 4),
        Term(Q3, "Quarter 3", "Q3", s2_first, q3_last, 4),
        Term(Q4, "Quarter 4", "Q4", q3_last + d3, last, 4),
    )
    return SchoolYear(start_year, terms)


def current_year(today: dt.date) -> SchoolYear:
    """The school year ``today`` falls in (a year starts in July for this purpose)."""
    return build_year(today.year if today.month >= 7 else today.year - 1)
