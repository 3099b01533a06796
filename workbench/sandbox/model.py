"""The in-memory district: PowerSchool-shaped tables that both writers read.

Columns named like PowerSchool's are written; columns starting with ``_`` are internal (links
between tables that the generator and the OneRoster writer use) and never reach a file.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.sandbox.schoolyear import SchoolYear

#: Table name -> file stem, in the order the files are written.
TABLES = ("Prefs", "Schools", "Terms", "Courses", "Sections", "RoleDef", "SectionTeacher", "Users",
          "SchoolStaff", "Students", "StudentRace", "StudentCoreFields", "U_DEF_EXT_STUDENTS", "CC",
          "CodeSet", "Person", "StudentContactAssoc", "StudentContactDetail", "EmailAddress",
          "PersonEmailAddressAssoc", "PhoneNumber", "PersonPhoneNumberAssoc", "PersonAddress",
          "PersonAddressAssoc")


@dataclass
class District:
    number: str
    name: str
    domain: str
    today: dt.date
    year: SchoolYear
    prev: SchoolYear
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)

    def public_columns(self, table: str) -> list[str]:
        return [c for c in self.tables[table].columns if not c.startswith("_")]

    def counts(self) -> dict[str, int]:
        return {t: len(self.tables[t]) for t in TABLES}


def rng_streams(seed: int, names: tuple[str, ...]) -> dict[str, np.random.Generator]:
    """One independent PCG64 stream per generation stage, so stages do not shift each other."""
    seqs = np.random.SeedSequence(seed).spawn(len(names))
    return {n: np.random.Generator(np.random.PCG64(s)) for n, s in zip(names, seqs, strict=True)}


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Store the text columns as Arrow strings (a third of the memory of Python str objects).

    Only for finished tables: writing single cells into an Arrow column is slow.
    """
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].astype("string[pyarrow]")
    return frame


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS (glibc), between generation stages.

    Millions of short-lived strings leave the C heap fragmented; trimming keeps the next stage's
    peak from stacking on top of that. A no-op where ``malloc_trim`` does not exist.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
