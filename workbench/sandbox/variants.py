"""Next-day extracts of a sandbox district: what tomorrow's PowerSchool export may look like.

Each function copies a PowerSchool extract folder (``generate_district(..., fmt="powerschool")``)
to ``out`` with one kind of change, and returns what it changed, so that demos and tests can show
the sync plan, its causes and holds on realistic slips:

* ``drop_school``: one school is missing from the export (with its students, sections and
  enrollments), the classic upstream slip that looks like everyone left;
* ``rename_students``: a few first names corrected;
* ``rekey_students``: students re-entered under a new DCID (a new record for the same child).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

# tables keyed by Students.DCID
_DCID_COLUMNS = {"StudentContactAssoc": "StudentContactAssoc.StudentDCID",
                 "StudentCoreFields": "StudentCoreFields.StudentsDCID",
                 "U_DEF_EXT_STUDENTS": "U_DEF_EXT_STUDENTS.StudentsDCID"}
# table -> column holding the school number
_SCHOOL_COLUMNS = {"Students": "Students.SchoolID", "CC": "CC.SchoolID", "Sections": "Sections.SchoolID"}


def _read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, folder: Path, table: str) -> None:
    frame.to_csv(folder / f"{table}.csv", index=False)


def _copy(src: str | Path, out: str | Path) -> Path:
    out = Path(out)
    shutil.copytree(src, out)
    return out


def drop_school(src: str | Path, out: str | Path, school: str | None = None) -> str:
    """Copy without one school (default: the first in Schools.csv); returns its School_Number."""
    folder = _copy(src, out)
    schools = _read(folder, "Schools")
    school = school or schools.iloc[0]["Schools.School_Number"]
    _write(schools[schools["Schools.School_Number"] != school], folder, "Schools")
    for table, column in _SCHOOL_COLUMNS.items():
        frame = _read(folder, table)
        _write(frame[frame[column] != school], folder, table)
    return str(school)


def rename_students(src: str | Path, out: str | Path, count: int = 3) -> list[str]:
    """Copy with the first names of ``count`` active students (from the middle of the file, clear
    of the injected duplicates at its end) changed; returns their IDs."""
    folder = _copy(src, out)
    students = _read(folder, "Students")
    active = students.index[students["Students.Enroll_Status"] == "0"]
    rows = active[len(active) // 2:len(active) // 2 + count]
    students.loc[rows, "Students.First_Name"] = [f"Renamed{i}" for i in range(len(rows))]
    _write(students, folder, "Students")
    return ["S" + d for d in students.loc[rows, "Students.DCID"]]


def rekey_students(src: str | Path, out: str | Path, count: int = 3,
                   new_dcid: int = 900_000) -> dict[str, str]:
    """Copy with ``count`` active students given new DCIDs; returns old ID -> new ID."""
    folder = _copy(src, out)
    students = _read(folder, "Students")
    rows = students.index[students["Students.Enroll_Status"] == "0"][:count]
    mapping, dcids = {}, {}
    for n, i in enumerate(rows):
        mapping["S" + students.at[i, "Students.DCID"]] = f"S{new_dcid + n}"
        dcids[students.at[i, "Students.DCID"]] = str(new_dcid + n)
        students.at[i, "Students.DCID"] = str(new_dcid + n)
    _write(students, folder, "Students")
    for table, column in _DCID_COLUMNS.items():  # the new record keeps its contacts and fields
        if (folder / f"{table}.csv").exists():
            frame = _read(folder, table)
            frame[column] = frame[column].map(lambda d: dcids.get(d, d))
            _write(frame, folder, table)
    return mapping
