"""The PowerSchool Contacts-module tables, derived from the people frame and the student links.

Row IDs of the different tables run in disjoint ranges (``k * base + 1`` ...), so a join on the
wrong ID column finds nothing. ``people`` holds one row per ``Person`` (contacts, duplicate contacts, the students themselves)
with a ``person_id``; ``links`` one row per student-contact association. Every association has one
active ``StudentContactDetail``; about one in twenty also has an older, inactive one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.sandbox import places
from workbench.sandbox.contacts import RELATIONSHIPS
from workbench.sandbox.text import phones

CODESETS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Relationship", tuple((r, r) for r in RELATIONSHIPS)),
    ("Phone", (("Home", "Home"), ("Mobile", "Mobile"), ("Work", "Work"))),
    ("Email", (("Home", "Home"), ("Work", "Work"), ("School", "School"))),
    ("Address", (("Home", "Home"), ("Mailing", "Mailing"))),
    ("Gender", (("F", "Female"), ("M", "Male"), ("X", "Nonbinary"))),
    ("State", ((places.STATE, places.STATE_NAME), *((c, n) for c, n, _ in places.OTHER_STATES))),
)


def build_codeset() -> pd.DataFrame:
    rows = [(t, c, d, i + 1) for t, codes in CODESETS for i, (c, d) in enumerate(codes)]
    df = pd.DataFrame(rows, columns=["CodeType", "Code", "DisplayValue", "UIDisplayOrder"])
    df.insert(0, "CodeSetID", 101 + np.arange(len(df)))
    df["Description"] = df["CodeType"] + ": " + df["DisplayValue"]
    df["IsVisible"] = 1
    return df


def code_ids(codeset: pd.DataFrame, code_type: str) -> dict[str, int]:
    sub = codeset[codeset["CodeType"] == code_type]
    return dict(zip(sub["Code"], sub["CodeSetID"], strict=True))


def _lookup(values: np.ndarray, mapping: dict[str, int]) -> np.ndarray:
    return pd.Series(values, dtype=object).map(mapping).to_numpy()


def person_table(people: pd.DataFrame, codeset: pd.DataFrame, base: int) -> pd.DataFrame:
    pid = people["person_id"].to_numpy()
    return pd.DataFrame({
        "ID": pid, "DCID": base + pid,
        "FirstName": people["first"].to_numpy(), "MiddleName": people["middle"].to_numpy(),
        "LastName": people["last"].to_numpy(),
        "GenderCodeSetID": _lookup(people["gender"].to_numpy(), code_ids(codeset, "Gender")),
        "Employer": people["employer"].to_numpy(), "IsActive": people["active"].to_numpy().astype(int),
        "ExcludeFromStateReporting": 0,
    }).sort_values("ID", kind="stable").reset_index(drop=True)


def email_tables(people: pd.DataFrame, codeset: pd.DataFrame, base: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``EmailAddress`` and ``PersonEmailAddressAssoc``; the first address of a person is primary."""
    types = code_ids(codeset, "Email")
    home_type = np.where(people["slot"].to_numpy() < 0, "School", "Home")
    parts = []
    for col, kind in (("email", home_type), ("email2", np.full(len(people), "Work"))):
        m = people[col].notna().to_numpy()
        parts.append(pd.DataFrame({"PersonID": people["person_id"].to_numpy()[m], "EmailAddress": people[col].to_numpy()[m],
                                   "type": kind[m], "n": 1 if col == "email" else 2}))
    e = pd.concat(parts).sort_values(["PersonID", "n"], kind="stable").reset_index(drop=True)
    order = e.groupby("PersonID").cumcount().to_numpy() + 1
    e["EmailAddressID"] = 2 * base + 1 + np.arange(len(e))
    addr = e[["EmailAddressID", "EmailAddress"]]
    assoc = pd.DataFrame({
        "PersonEmailAddressAssocID": 3 * base + 1 + np.arange(len(e)), "PersonID": e["PersonID"].to_numpy(),
        "EmailAddressID": e["EmailAddressID"].to_numpy(), "EmailTypeCodeSetID": _lookup(e["type"].to_numpy(), types),
        "IsPrimaryEmailAddress": (order == 1).astype(int), "EmailAddressPriorityOrder": order,
    })
    return addr, assoc


def phone_tables(people: pd.DataFrame, codeset: pd.DataFrame, base: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``PhoneNumber`` and ``PersonPhoneNumberAssoc``; the first phone of a person is preferred."""
    types = code_ids(codeset, "Phone")
    parts = []
    for i, (num, typ) in enumerate((("phone1", "phone1_type"), ("phone2", "phone2_type"))):
        m = people[num].to_numpy() >= 0
        ext = people["phone2_ext"].to_numpy()[m] if i else np.full(int(m.sum()), -1)
        parts.append(pd.DataFrame({"PersonID": people["person_id"].to_numpy()[m], "num": people[num].to_numpy()[m],
                                   "style": people["phone_style"].to_numpy()[m], "type": people[typ].to_numpy()[m],
                                   "ext": ext, "n": i}))
    p = pd.concat(parts).sort_values(["PersonID", "n"], kind="stable").reset_index(drop=True)
    order = p.groupby("PersonID").cumcount().to_numpy() + 1
    text = phones(places.AREA_CODE, p["num"].to_numpy(), p["style"].to_numpy())
    ids = 4 * base + 1 + np.arange(len(p))
    numbers = pd.DataFrame({"PhoneNumberID": ids, "PhoneNumber": text,
                            "PhoneNumberExt": np.where(p["ext"].to_numpy() >= 0, p["ext"].to_numpy().astype(str), None),
                            "IsSMS": (p["type"].to_numpy() == "Mobile").astype(int)})
    assoc = pd.DataFrame({
        "PersonPhoneNumberAssocID": 5 * base + 1 + np.arange(len(p)), "PersonID": p["PersonID"].to_numpy(),
        "PhoneNumberID": ids, "PhoneTypeCodeSetID": _lookup(p["type"].to_numpy(), types),
        "IsPreferred": (order == 1).astype(int), "PhoneNumberPriorityOrder": order, "PhoneNumberAsEntered": text,
    })
    return numbers, assoc


def address_tables(people: pd.DataFrame, codeset: pd.DataFrame, start: np.datetime64,
                   base: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``PersonAddress`` and ``PersonAddressAssoc``: a home address per contact, a few mailing ones."""
    c = people[people["slot"].to_numpy() >= 0]
    m = c["mailing"].to_numpy()
    home = pd.DataFrame({"PersonID": c["person_id"].to_numpy(), "Street": c["street"].to_numpy(),
                         "Unit": c["unit"].to_numpy(), "City": c["city"].to_numpy(), "state": c["state"].to_numpy(),
                         "PostalCode": c["zip"].to_numpy(), "type": "Home", "n": 1})
    box = (c["person_id"].to_numpy()[m] * 37) % 9000 + 100
    mail = home[m].assign(Street=[f"PO Box {b}" for b in box], Unit=None, type="Mailing", n=2)
    a = pd.concat([home, mail]).sort_values(["PersonID", "n"], kind="stable").reset_index(drop=True)
    ids = 6 * base + 1 + np.arange(len(a))
    addr = pd.DataFrame({"PersonAddressID": ids, "Street": a["Street"].to_numpy(), "LineTwo": None,
                         "Unit": a["Unit"].to_numpy(), "City": a["City"].to_numpy(),
                         "StatesCodeSetID": _lookup(a["state"].to_numpy(), code_ids(codeset, "State")),
                         "PostalCode": a["PostalCode"].to_numpy(), "IsVerified": 0})
    assoc = pd.DataFrame({
        "PersonAddressAssocID": 7 * base + 1 + np.arange(len(a)), "PersonID": a["PersonID"].to_numpy(),
        "PersonAddressID": ids, "AddressTypeCodeSetID": _lookup(a["type"].to_numpy(), code_ids(codeset, "Address")),
        "AddressPriorityOrder": a["n"].to_numpy(), "StartDate": start, "EndDate": pd.NaT,
    })
    assoc["StartDate"] = pd.to_datetime(assoc["StartDate"])
    assoc["EndDate"] = pd.to_datetime(assoc["EndDate"])
    return addr, assoc


def association_tables(rng: np.random.Generator, links: pd.DataFrame, people: pd.DataFrame,
                       students: pd.DataFrame, codeset: pd.DataFrame, base: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``StudentContactAssoc`` and ``StudentContactDetail`` (flags from the contact's role)."""
    rel_ids = code_ids(codeset, "Relationship")
    flag_cols = ("custodial", "emergency", "lives_with", "pickup", "receives_mail")
    c = people[["rel", "person_id", *flag_cols]].iloc[links["contact"].to_numpy()]
    rel = _lookup(c["rel"].to_numpy(), rel_ids)
    n = len(links)
    assoc_id = 8 * base + 1 + np.arange(n)
    assoc = pd.DataFrame({
        "StudentContactAssocID": assoc_id, "StudentDCID": students["DCID"].to_numpy()[links["student"].to_numpy()],
        "PersonID": c["person_id"].to_numpy(), "ContactPriorityOrder": links["priority"].to_numpy(),
        "CurrRelTypeCodeSetID": rel,
    })
    entry = students["EntryDate"].to_numpy()[links["student"].to_numpy()].astype("datetime64[D]")
    start = entry - (rng.integers(0, 6, n) * 365).astype("timedelta64[D]")
    flags = {k: c[k].to_numpy().astype(np.int8) for k in flag_cols}
    return assoc, _details(rng, assoc_id, rel, start, flags, base)


def _details(rng: np.random.Generator, assoc_id: np.ndarray, rel: np.ndarray, start: np.ndarray,
             flags: dict[str, np.ndarray], base: int) -> pd.DataFrame:
    """One active detail per association; before it, for ~5%, an older inactive one (other flags)."""
    n = len(assoc_id)
    old = np.flatnonzero(rng.random(n) < 0.05)
    row = np.r_[old, np.arange(n)]  # the association each detail row belongs to
    is_old = np.r_[np.ones(len(old), dtype=bool), np.zeros(n, dtype=bool)]
    order = np.lexsort((~is_old, row))
    row, is_old = row[order], is_old[order]
    day = np.timedelta64(1, "D")
    lives = flags["lives_with"][row]
    return pd.DataFrame({
        "StudentContactDetailID": 9 * base + 1 + np.arange(len(row)),
        "StudentContactAssocID": assoc_id[row], "RelationshipTypeCodeSetID": rel[row],
        "RelationshipNote": np.where(is_old, "Superseded", None),
        "StartDate": pd.to_datetime(np.where(is_old, start[row] - 400 * day, start[row])),
        "EndDate": pd.to_datetime(np.where(is_old, start[row] - day, np.datetime64("NaT", "D"))),
        "IsActive": (~is_old).astype(np.int8), "IsCustodial": flags["custodial"][row],
        "IsEmergency": flags["emergency"][row], "LivesWithFlg": np.where(is_old, 1 - lives, lives).astype(np.int8),
        "SchoolPickupFlg": flags["pickup"][row], "ReceivesMailFlg": flags["receives_mail"][row],
        "GeneralCommFlag": 1, "ConfidentialCommFlag": 0,
    })
