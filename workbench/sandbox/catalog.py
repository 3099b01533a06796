"""The district course catalog and the daily schedule structure of each school level.

A level's day is a list of *slots* (periods). In every slot a student (or, in elementary schools,
a whole homeroom group) takes one of the slot's *options*:

* ``("Y", codes)``: one year-long course, chosen uniformly from ``codes``;
* ``("P", (a, b))``: a fixed semester pair, ``a`` in semester 1 and ``b`` in semester 2 or the
  other way round;
* ``("S", codes)``: two different semester courses drawn from the pool ``codes``;
* ``("-", ())``: nothing in this period.

Codes may contain ``{g}``, replaced by the two-character grade code (``PK``, ``K``, ``06``...).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

ELEMENTARY, MIDDLE, HIGH = 0, 1, 2
LEVEL_GRADES: dict[int, tuple[int, ...]] = {
    ELEMENTARY: (-1, 0, 1, 2, 3, 4, 5),
    MIDDLE: (6, 7, 8),
    HIGH: (9, 10, 11, 12),
}
Option = tuple[str, tuple[str, ...], float]


@dataclass(frozen=True)
class CourseSpec:
    number: str
    name: str
    department: str
    kind: str  # "Y" year-long or "S" semester
    grade: int | None  # the grade a grade-bound course is for
    level: int = -1


def grade_code(grade: int) -> str:
    return {-1: "PK", 0: "K"}.get(grade, f"{grade:02d}")


def grade_label(grade: int) -> str:
    return {-1: "Pre-K", 0: "Kindergarten"}.get(grade, f"Grade {grade}")


def _elementary() -> list[CourseSpec]:
    out = []
    for g in LEVEL_GRADES[ELEMENTARY]:
        c, lab = grade_code(g), grade_label(g)
        out += [
            CourseSpec(f"HR{c}", f"Homeroom {lab}", "Elementary", "Y", g),
            CourseSpec(f"RD{c}", f"Reading {lab}", "Elementary", "Y", g),
            CourseSpec(f"MA{c}", f"Math {lab}", "Elementary", "Y", g),
            CourseSpec(f"SC{c}", f"Science {lab}", "Elementary", "Y", g),
            CourseSpec(f"SS{c}", f"Social Studies {lab}", "Elementary", "Y", g),
        ]
    specials = [("ELPE", "Elementary PE", "Y"), ("ELART", "Elementary Art", "S"),
                ("ELMUS", "Elementary Music", "S"), ("ELSTEM", "STEM Lab", "S"),
                ("ELLIB", "Library", "S")]
    return out + [CourseSpec(n, t, "Specials", k, None) for n, t, k in specials]


_MIDDLE_CORE = (("ENG", "English", "English"), ("MTH", "Math", "Math"),
                ("SCI", "Science", "Science"), ("SOC", "Social Studies", "Social Studies"))
_MIDDLE_SEM = (("MART", "Art Exploration"), ("MCSD", "Computer Science Discoveries"),
               ("MDRA", "Drama"), ("MFDN", "Foods and Nutrition"), ("MROB", "Robotics"),
               ("MCRW", "Creative Writing"), ("MSPX", "Spanish Exploration"))
_MIDDLE_YEAR = (("MBND", "Band"), ("MCHR", "Choir"), ("MORC", "Orchestra"),
                ("MSP1", "Spanish I (MS)"), ("MSTS", "Study Skills"), ("MYBK", "Yearbook"))
_MIDDLE_ADVISORY = CourseSpec("MADV", "Advisory (MS)", "Advisory", "Y", None)


def _middle() -> list[CourseSpec]:
    out = []
    for g in LEVEL_GRADES[MIDDLE]:
        out += [CourseSpec(f"{p}{g:02d}", f"{t} {g}", d, "Y", g) for p, t, d in _MIDDLE_CORE]
        out += [CourseSpec(f"PE{g:02d}", f"Physical Education {g}", "PE", "S", g),
                CourseSpec(f"HLT{g:02d}", f"Health {g}", "PE", "S", g)]
    out.append(CourseSpec("MALG1", "Algebra I (MS)", "Math", "Y", 8))
    out += [CourseSpec(n, t, "Electives", "S", None) for n, t in _MIDDLE_SEM]
    out += [CourseSpec(n, t, "Electives", "Y", None) for n, t in _MIDDLE_YEAR]
    return [*out, _MIDDLE_ADVISORY]


_HIGH_YEAR = (
    ("ENG09", "English 9", "English", 9), ("ENG10", "English 10", "English", 10),
    ("ENG11", "English 11", "English", 11), ("ENG12", "English 12", "English", 12),
    ("ENGAPL", "AP English Language", "English", 11), ("ENGAPT", "AP English Literature", "English", 12),
    ("ALG1", "Algebra I", "Math", None), ("GEOM", "Geometry", "Math", None),
    ("ALG2", "Algebra II", "Math", None), ("PREC", "Precalculus", "Math", None),
    ("APCALC", "AP Calculus AB", "Math", 12), ("STAT", "Statistics", "Math", 12),
    ("BIO", "Biology", "Science", 9), ("CHEM", "Chemistry", "Science", 10),
    ("PHYS", "Physics", "Science", 11), ("APBIO", "AP Biology", "Science", None),
    ("ENVS", "Environmental Science", "Science", 12), ("ANAT", "Anatomy and Physiology", "Science", 12),
    ("WHIST", "World History", "Social Studies", 9), ("WGEO", "World Geography", "Social Studies", 10),
    ("APHG", "AP Human Geography", "Social Studies", 10), ("USHIST", "US History", "Social Studies", 11),
    ("APUSH", "AP US History", "Social Studies", 11),
    ("SPAN1", "Spanish I", "World Languages", None), ("SPAN2", "Spanish II", "World Languages", None),
    ("SPAN3", "Spanish III", "World Languages", None), ("FREN1", "French I", "World Languages", None),
    ("FREN2", "French II", "World Languages", None), ("BAND", "Concert Band", "Fine Arts", None),
    ("CHOIR", "Concert Choir", "Fine Arts", None), ("ORCH", "Orchestra", "Fine Arts", None),
    ("THEA", "Theatre Arts", "Fine Arts", None), ("CSP", "Computer Science Principles", "CTE", None),
    ("YBK", "Yearbook", "CTE", None), ("ADV", "Advisory", "Advisory", None),
)
_HIGH_SEM = (
    ("GOVT", "Government", "Social Studies", 12), ("ECON", "Economics", "Social Studies", 12),
    ("ART1", "Art I", "Fine Arts", None), ("CERA", "Ceramics", "Fine Arts", None),
    ("PHOTO", "Photography", "Fine Arts", None), ("HLTH", "Health", "PE", None),
    ("PE", "Physical Education", "PE", None), ("WTRN", "Weight Training", "PE", None),
    ("CRWR", "Creative Writing", "English", None), ("JOUR", "Journalism", "English", None),
    ("PSYC", "Psychology", "Social Studies", None), ("SOCI", "Sociology", "Social Studies", None),
    ("BUS", "Intro to Business", "CTE", None), ("PFIN", "Personal Finance", "CTE", None),
    ("WEB", "Web Design", "CTE", None), ("ROBO", "Robotics", "CTE", None),
    ("CULA", "Culinary Arts", "CTE", None), ("FILM", "Film Studies", "English", None),
)


def _high() -> list[CourseSpec]:
    year = [CourseSpec(n, t, d, "Y", g) for n, t, d, g in _HIGH_YEAR]
    return year + [CourseSpec(n, t, d, "S", g) for n, t, d, g in _HIGH_SEM]


#: Courses that exist in the catalog of one high school but have no sections this year.
UNSCHEDULED = (CourseSpec("CRREC", "Credit Recovery English", "English", "S", None),
               CourseSpec("INTERN", "Career Internship", "CTE", "Y", None))

_H_SEM_POOL = tuple(n for n, *_ in _HIGH_SEM[2:])
_H_YEAR_ELECTIVES = ("SPAN1", "SPAN2", "SPAN3", "FREN1", "FREN2", "BAND", "CHOIR", "ORCH",
                     "THEA", "CSP", "YBK")
_M_SEM_POOL = tuple(n for n, _ in _MIDDLE_SEM)
_M_YEAR_POOL = tuple(n for n, _ in _MIDDLE_YEAR)


def _high_slots(grade: int) -> list[list[Option]]:
    math = {9: [("Y", ("ALG1",), 0.75), ("Y", ("GEOM",), 0.25)],
            10: [("Y", ("GEOM",), 0.7), ("Y", ("ALG2",), 0.3)],
            11: [("Y", ("ALG2",), 0.65), ("Y", ("PREC",), 0.35)],
            12: [("Y", ("PREC",), 0.45), ("Y", ("APCALC",), 0.25), ("Y", ("STAT",), 0.3)]}[grade]
    eng = {11: [("Y", ("ENG11",), 0.8), ("Y", ("ENGAPL",), 0.2)],
           12: [("Y", ("ENG12",), 0.8), ("Y", ("ENGAPT",), 0.2)]}.get(grade, [("Y", (f"ENG{grade:02d}",), 1.0)])
    sci = {9: [("Y", ("BIO",), 1.0)], 10: [("Y", ("CHEM",), 1.0)],
           11: [("Y", ("PHYS",), 0.7), ("Y", ("APBIO",), 0.3)],
           12: [("Y", ("ENVS",), 0.5), ("Y", ("ANAT",), 0.5)]}[grade]
    soc = {9: [("Y", ("WHIST",), 1.0)], 10: [("Y", ("WGEO",), 0.75), ("Y", ("APHG",), 0.25)],
           11: [("Y", ("USHIST",), 0.75), ("Y", ("APUSH",), 0.25)],
           12: [("P", ("GOVT", "ECON"), 1.0)]}[grade]
    elective: list[Option] = [("S", _H_SEM_POOL, 0.7), ("Y", _H_YEAR_ELECTIVES, 0.3)]
    last: list[Option] = [("Y", ("ADV",), 0.8), ("-", (), 0.2)]
    return [eng, math, sci, soc, elective, elective, elective, last]


def _middle_slots(grade: int) -> list[list[Option]]:
    math: list[Option] = [("Y", (f"MTH{grade:02d}",), 1.0)]
    if grade == 8:
        math = [("Y", ("MTH08",), 0.8), ("Y", ("MALG1",), 0.2)]
    core = [[("Y", (f"{p}{grade:02d}",), 1.0)] for p, *_ in _MIDDLE_CORE if p != "MTH"]
    return [core[0], math, core[1], core[2],
            [("P", (f"PE{grade:02d}", f"HLT{grade:02d}"), 1.0)],
            [("S", _M_SEM_POOL, 1.0)], [("Y", _M_YEAR_POOL, 1.0)], [("Y", ("MADV",), 1.0)]]


def _elementary_slots(grade: int) -> list[list[Option]]:
    c = grade_code(grade)
    return [[("Y", (f"HR{c}",), 1.0)], [("Y", (f"RD{c}",), 1.0)], [("Y", (f"MA{c}",), 1.0)],
            [("Y", (f"SC{c}",), 1.0)], [("Y", (f"SS{c}",), 1.0)], [("Y", ("ELPE",), 1.0)], [("P", ("ELART", "ELMUS"), 1.0)],
            [("P", ("ELSTEM", "ELLIB"), 1.0)]]


def slots(level: int, grade: int) -> list[list[Option]]:
    """The options of every period for one grade of a level."""
    return {ELEMENTARY: _elementary_slots, MIDDLE: _middle_slots, HIGH: _high_slots}[level](grade)


def catalog() -> list[CourseSpec]:
    """Every course of the district catalog, in catalog order."""
    parts = ((ELEMENTARY, _elementary()), (MIDDLE, _middle()), (HIGH, _high() + list(UNSCHEDULED)))
    return [replace(c, level=level) for level, specs in parts for c in specs]
