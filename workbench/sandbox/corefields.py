"""``StudentCoreFields`` and the district's ``U_DEF_EXT_STUDENTS`` extension, keyed by StudentsDCID."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.text import cat, pick


def _mdy(values: np.ndarray) -> np.ndarray:
    """Dates as free text ``MM/DD/YYYY``, the way these fields are typed into PowerSchool."""
    s = pd.Series(pd.to_datetime(values))
    return s.dt.strftime("%m/%d/%Y").to_numpy(dtype=object)


def core_fields(rng: np.random.Generator, st: pd.DataFrame, people: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Health, language and legacy guardian fields for every student with a DCID."""
    ok = st["DCID"].notna().to_numpy()
    s = st[ok]
    n = len(s)
    langs, weights = zip(*places.LANGUAGES, strict=True)
    lang = pick(langs, rng.choice(len(langs), p=np.array(weights) / sum(weights), size=n))
    first = links[links["priority"] == 1].drop_duplicates("student").set_index("student")["contact"]
    guardian = first.reindex(s.index).to_numpy()
    has = pd.notna(guardian)
    g_first = np.full(n, None, dtype=object)
    g_last = np.full(n, None, dtype=object)
    g_first[has] = people["first"].to_numpy()[guardian[has].astype(np.int64)]
    g_last[has] = people["last"].to_numpy()[guardian[has].astype(np.int64)]
    dob = s["DOB"].to_numpy().astype("datetime64[D]")
    shots = rng.random(n) < 0.93
    hs = s["Grade_Level"].to_numpy() >= 9
    return pd.DataFrame({
        "StudentsDCID": s["DCID"].to_numpy(),
        "allergies": np.where(rng.random(n) < 0.08, pick(places.ALLERGIES, rng.integers(0, len(places.ALLERGIES), n)), None),
        "medical_considerations": np.where(rng.random(n) < 0.05, pick(places.MEDICAL, rng.integers(0, len(places.MEDICAL), n)), None),
        "primarylanguage": lang,
        "lep_status": np.where((lang != "English") & (rng.random(n) < 0.45), "Y", np.where(lang != "English", "N", None)),
        "immunizaton_dpt": np.where(shots, _mdy(dob + rng.integers(60, 900, n).astype("timedelta64[D]")), None),
        "immunizaton_mmr": np.where(shots, _mdy(dob + rng.integers(365, 1800, n).astype("timedelta64[D]")), None),
        "graduation_year": np.where(hs, s["Sched_YearOfGraduation"].astype(str).to_numpy(), None),
        "guardian_fn": g_first, "guardian_ln": g_last,
    })


def district_fields(rng: np.random.Generator, st: pd.DataFrame) -> pd.DataFrame:
    """``U_DEF_EXT_STUDENTS``: laptop tag (grade 3 and up), morning bus route, parent portal opt-in."""
    s = st[st["DCID"].notna().to_numpy()]
    n = len(s)
    grade = s["Grade_Level"].to_numpy()
    laptop = (grade >= 3) & (grade <= 12) & (rng.random(n) < 0.95)
    route = rng.random(n) < 0.45
    return pd.DataFrame({
        "StudentsDCID": s["DCID"].to_numpy(),
        "laptop_tag": np.where(laptop, cat("LT-", 100000 + rng.integers(0, 900000, n)), None),
        "bus_route_am": np.where(route, cat("R", rng.integers(1, 60, n)), None),
        "parent_portal_opt_in": np.where(rng.random(n) < 0.7, "1", "0"),
    })
