"""``/ws/contacts``: a student's contacts (SIS 12+), built from Person, StudentContactAssoc and
StudentContactDetail with their emails, phones and addresses. A top-level JSON array; 204 (no
body) when the student has no contacts."""

from __future__ import annotations

from typing import Any

from workbench.sandbox.mock_powerschool.context import ApiError, Context, not_found
from workbench.sandbox.mock_powerschool.v1_resources import cols


def _rows(ctx: Context, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = ctx.cur.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _flag(value: Any) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "y")


def _id(value: Any) -> Any:
    """IDs and sequence numbers are JSON numbers in the contacts API."""
    text = str(value or "")
    return int(text) if text.lstrip("-").isdigit() else text


def _has(ctx: Context, *tables: str) -> bool:
    return all(ctx.store.table(t) is not None for t in tables)


def _code(alias: str, column: str, ctx: Context) -> tuple[str, str]:
    """(select expression, join) for a code set id column: its DisplayValue."""
    if not _has(ctx, "codeset"):
        return "CAST(NULL AS VARCHAR)", ""
    return f"{alias}_cs.displayvalue", f" LEFT JOIN codeset {alias}_cs ON {alias}_cs.codesetid = {alias}.{column}"


def _emails(ctx: Context, person: str) -> list[dict[str, Any]]:
    if not _has(ctx, "personemailaddressassoc", "emailaddress"):
        return []
    kind, join = _code("pea", "emailtypecodesetid", ctx)
    names = ["personemailaddressassocid", "isprimaryemailaddress", "emailaddresspriorityorder", "emailtypecodesetid"]
    rows = _rows(ctx, f"SELECT {cols(ctx.store, 'pea', 'personemailaddressassoc', names)}, pea.emailaddressid, "
                      f"ea.emailaddress, {kind} AS kind FROM personemailaddressassoc pea "
                      f"JOIN emailaddress ea ON ea.emailaddressid = pea.emailaddressid{join} "
                      "WHERE pea.personid = ? ORDER BY pea.__row", [person])
    return [{"contactEmailId": _id(r["personemailaddressassocid"]), "emailId": _id(r["emailaddressid"]),
             "primary": _flag(r["isprimaryemailaddress"]), "type": r["kind"] or "", "address": r["emailaddress"] or ""}
            for r in rows]


def _phones(ctx: Context, person: str) -> list[dict[str, Any]]:
    if not _has(ctx, "personphonenumberassoc", "phonenumber"):
        return []
    kind, join = _code("ppa", "phonetypecodesetid", ctx)
    names = ["personphonenumberassocid", "ispreferred", "phonenumberpriorityorder", "phonetypecodesetid"]
    rows = _rows(ctx, f"SELECT {cols(ctx.store, 'ppa', 'personphonenumberassoc', names)}, ppa.phonenumberid, "
                      f"{cols(ctx.store, 'pn', 'phonenumber', ['phonenumber', 'phonenumberext', 'issms'])}, "
                      f"{kind} AS kind FROM personphonenumberassoc ppa "
                      f"JOIN phonenumber pn ON pn.phonenumberid = ppa.phonenumberid{join} "
                      "WHERE ppa.personid = ? ORDER BY ppa.__row", [person])
    return [{"contactsPhoneId": _id(r["personphonenumberassocid"]), "phoneNumberId": _id(r["phonenumberid"]),
             "phoneType": r["kind"] or "", "phoneNumber": r["phonenumber"] or "", "extension": r["phonenumberext"] or "",
             "preferred": _flag(r["ispreferred"]), "sms": _flag(r["issms"]), "sequence": _id(r["phonenumberpriorityorder"])}
            for r in rows]


def _addresses(ctx: Context, person: str) -> list[dict[str, Any]]:
    if not _has(ctx, "personaddressassoc", "personaddress"):
        return []
    kind, join = _code("paa", "addresstypecodesetid", ctx)
    state, state_join = _code("pa", "statescodesetid", ctx)
    names = ["street", "linetwo", "unit", "city", "postalcode"]
    rows = _rows(ctx, f"SELECT {cols(ctx.store, 'paa', 'personaddressassoc', ['personaddressassocid', 'startdate', 'enddate', 'addresspriorityorder'])}, "
                      f"paa.personaddressid, {cols(ctx.store, 'pa', 'personaddress', names)}, {kind} AS kind, "
                      f"{state} AS state FROM personaddressassoc paa "
                      f"JOIN personaddress pa ON pa.personaddressid = paa.personaddressid{join}{state_join} "
                      "WHERE paa.personid = ? ORDER BY paa.__row", [person])
    return [{"contactsAddressId": _id(r["personaddressassocid"]), "addressId": _id(r["personaddressid"]),
             "addressType": r["kind"] or "", **{n: r[n] or "" for n in names}, "state": r["state"] or "",
             "startDate": r["startdate"] or "", "endDate": r["enddate"] or "", "sequence": _id(r["addresspriorityorder"])}
            for r in rows]


def _students(ctx: Context, person: str) -> list[dict[str, Any]]:
    assocs = _rows(ctx, "SELECT sca.studentcontactassocid, sca.studentdcid, "
                        f"{cols(ctx.store, 'sca', 'studentcontactassoc', ['contactpriorityorder'])}, "
                        "st.student_number FROM studentcontactassoc sca LEFT JOIN students st ON st.dcid = sca.studentdcid "
                        "WHERE sca.personid = ? ORDER BY sca.__row", [person])
    out = []
    for a in assocs:
        details = []
        if _has(ctx, "studentcontactdetail"):
            rel, join = _code("scd", "relationshiptypecodesetid", ctx)
            flags = ["iscustodial", "isemergency", "liveswithflg", "schoolpickupflg", "receivesmailflg", "isactive"]
            rows = _rows(ctx, f"SELECT {cols(ctx.store, 'scd', 'studentcontactdetail', [*flags, 'startdate', 'enddate'])}, "
                              f"{rel} AS relationship FROM studentcontactdetail scd{join} "
                              "WHERE scd.studentcontactassocid = ? ORDER BY scd.__row", [a["studentcontactassocid"]])
            details = [{"relationship": r["relationship"] or "", "custodial": _flag(r["iscustodial"]),
                        "emergency": _flag(r["isemergency"]), "livesWith": _flag(r["liveswithflg"]),
                        "schoolPickup": _flag(r["schoolpickupflg"]), "receivesMail": _flag(r["receivesmailflg"]),
                        "startDate": r["startdate"] or "", "endDate": r["enddate"] or "", "active": _flag(r["isactive"])}
                       for r in rows]
        out.append({"studentContactId": _id(a["studentcontactassocid"]), "dcid": _id(a["studentdcid"]),
                    "studentNumber": a["student_number"] or "", "sequence": _id(a["contactpriorityorder"]),
                    "studentDetails": details})
    return out


def _contact(ctx: Context, person: dict[str, Any]) -> dict[str, Any]:
    pid = person["id"]
    return {"contactId": _id(pid), "firstName": person["firstname"] or "", "middleName": person["middlename"] or "",
            "lastName": person["lastname"] or "", "employer": person["employer"] or "",
            "stateContactNumber": person["statecontactnumber"] or "", "active": _flag(person["isactive"]),
            "emails": _emails(ctx, pid), "phones": _phones(ctx, pid), "addresses": _addresses(ctx, pid),
            "contactStudents": _students(ctx, pid), "@extensions": ""}


_PERSON = ["firstname", "middlename", "lastname", "employer", "statecontactnumber", "isactive"]


def student_contacts(ctx: Context, ident: str) -> Any:
    if ctx.cur.execute("SELECT 1 FROM students WHERE dcid = ?", [ident]).fetchone() is None:
        raise not_found()
    if not _has(ctx, "studentcontactassoc", "person"):
        raise ApiError(204)
    people = _rows(ctx, f"SELECT p.id, {cols(ctx.store, 'p', 'person', _PERSON)} FROM studentcontactassoc sca "
                        "JOIN person p ON p.id = sca.personid WHERE sca.studentdcid = ? "
                        f"ORDER BY TRY_CAST({'sca.contactpriorityorder' if _priority(ctx) else 'NULL'} AS INTEGER), sca.__row",
                   [ident])
    if not people:
        raise ApiError(204)
    return [_contact(ctx, p) for p in people]


def _priority(ctx: Context) -> bool:
    t = ctx.store.table("studentcontactassoc")
    return bool(t and "contactpriorityorder" in t.fields)


def contact(ctx: Context, ident: str) -> Any:
    if not _has(ctx, "studentcontactassoc", "person"):
        raise not_found()
    people = _rows(ctx, f"SELECT p.id, {cols(ctx.store, 'p', 'person', _PERSON)} FROM person p WHERE p.id = ?", [ident])
    if not people:
        raise not_found()
    return _contact(ctx, people[0])
