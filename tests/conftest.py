"""Shared fixtures: a tiny synthetic PowerSchool extract, workspaces built from it, and an
isolated HOME for processes the tests start (streamlit, chromium)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workbench as wb


def _write(folder: Path, table: str, header: list[str], rows: list[list[Any]]) -> None:
    lines = [",".join(f"{table}.{h}" for h in header)]
    lines += [",".join(str(v) for v in row) for row in rows]
    (folder / f"{table}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_extract(folder: Path, *, students: int = 3, school: int = 100) -> Path:
    """A small, valid PowerSchool table extract: one school, one class, ``students`` students
    each enrolled in the class, one teacher and one admin, plus one CC row for a student that is
    not in Students (a finding, not a refusal)."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder, "Prefs", ["Name", "Value", "SchoolID"],
           [["districtnumber", 4410, 0], ["districtname", "Maple Valley USD", 0]])
    _write(folder, "Schools", ["School_Number", "Name", "Low_Grade", "High_Grade", "SIF_StatePrID"],
           [[school, "Maple Elementary", 0, 5, f"ST{school}"]])
    _write(folder, "Terms", ["ID", "DCID", "YearID", "SchoolID", "Name", "FirstDay", "LastDay",
                             "Portion"],
           [[3600, 1, 36, school, "2026-2027", "2026-08-20", "2027-06-04", 1],
            [3601, 2, 36, school, "S1", "2026-08-20", "2027-01-15", 2]])
    _write(folder, "Courses", ["DCID", "Course_Number", "Course_Name", "SchoolID",
                               "Sched_Department"], [[7, "MATH5", "Math 5", school, "Math"]])
    _write(folder, "Sections", ["ID", "DCID", "Course_Number", "Section_Number", "SchoolID",
                                "TermID", "Teacher", "Expression", "Room"],
           [[501, 9001, "MATH5", 1, school, 3600, 801, "1(A)", "R12"]])
    _write(folder, "Users", ["DCID", "First_Name", "Last_Name", "Email_Addr", "TeacherLoginID",
                             "HomeSchoolID", "PSAccess"],
           [[301, "Tom", "Hall", "thall@mvusd.org", "thall", school, 0],
            [302, "Pam", "Reed", "preed@mvusd.org", "", 0, 1]])
    _write(folder, "SchoolStaff", ["ID", "DCID", "Users_DCID", "SchoolID", "Status", "StaffStatus"],
           [[801, 801, 301, school, 1, 1], [802, 802, 302, school, 1, 2]])
    ids = range(11, 11 + students)
    _write(folder, "Students", ["ID", "DCID", "Student_Number", "First_Name", "Last_Name",
                                "Grade_Level", "SchoolID", "Enroll_Status", "DOB", "Gender",
                                "EntryDate", "ExitDate"],
           [[i, 4090 + i, 230000 + i, f"Kid{i}", "Jones", 5, school, 0, "2015-03-02", "F",
             "2026-08-20", "2027-06-05"] for i in ids])
    cc = [[n, 70000 + n, i, 501, school, 3600, "2026-08-20", "2027-06-05"]
          for n, i in enumerate(ids, start=1)]
    cc.append([len(cc) + 1, 79999, 999, 501, school, 3600, "2026-08-20", "2027-06-05"])
    _write(folder, "CC", ["ID", "DCID", "StudentID", "SectionID", "SchoolID", "TermID",
                          "DateEnrolled", "DateLeft"], cc)
    return folder


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    return write_extract(tmp_path / "extract", students=3)


@pytest.fixture
def second_extract(tmp_path: Path) -> Path:
    """Another district's extract, to load under a second source name with an ID prefix."""
    return write_extract(tmp_path / "extract2", students=5, school=200)


@pytest.fixture
def empty_workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    wb.init_workspace(path).close()
    return path


@pytest.fixture
def loaded_workspace(empty_workspace: Path, extract: Path) -> Path:
    """A workspace with the tiny extract loaded as source 'sis'."""
    with wb.open_workspace(empty_workspace) as ws:
        wb.load_path(ws, extract, source="sis")
    return empty_workspace


def workspace_status_of(path: Path) -> dict[str, Any]:
    with wb.open_workspace(path) as ws:
        return wb.workspace_status(ws)


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a child process whose HOME and XDG folders live in tmp_path."""
    home = tmp_path / "home"
    env = dict(os.environ, HOME=str(home))
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"),
                     ("XDG_DATA_HOME", ".local/share")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    return env


@pytest.fixture(autouse=True)
def _release_streamlit_caches() -> Iterator[None]:
    """Each test starts with no cached workspace, and the cached DuckDB connections are closed."""
    yield
    if "streamlit" in sys.modules:  # only tests that ran the app
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
