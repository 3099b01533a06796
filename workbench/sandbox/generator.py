"""Build the in-memory sandbox district: people, schools, schedules, staff, contacts and defects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from workbench.sandbox import contact_tables as ct
from workbench.sandbox import defects, places, truth
from workbench.sandbox.contacts import build_contacts, link_students, swap_priorities
from workbench.sandbox.corefields import core_fields, district_fields
from workbench.sandbox.duplicates import duplicate_parents
from workbench.sandbox.enrollments import (
    base_rows,
    cc_frame,
    schedule_changes,
    term_bounds,
    zero_length_rows,
)
from workbench.sandbox.households import build_children, build_households
from workbench.sandbox.model import District, compact, release_memory, rng_streams
from workbench.sandbox.persons import add_contact_details, assemble_people
from workbench.sandbox.schedule import assign_sections, build_requests, scheduled_students
from workbench.sandbox.schools import build_courses, build_schools, build_terms
from workbench.sandbox.schoolyear import build_year, current_year
from workbench.sandbox.sections import build_sections
from workbench.sandbox.staff import (
    assign_section_teachers,
    build_roledef,
    build_section_teachers,
    build_staff,
    fill_school_leaders,
    staff_rows,
)
from workbench.sandbox.students import build_students, day, disjoint_base, student_races
from workbench.sandbox.text import slug

DEFAULT_TODAY = dt.date(2026, 11, 2)
STAGES = ("district", "people", "students", "defects", "contacts", "schedule", "staff", "cc", "emails", "fields")
Progress = Callable[[str], None]


def _prefs(d: District) -> pd.DataFrame:
    rows = [("districtnumber", d.number), ("districtname", d.name), ("districtcity", places.TOWNS[0][0]),
            ("districtstate", places.STATE), ("sched_defaultyearid", str(d.year.year_id))]
    return pd.DataFrame({"Name": [r[0] for r in rows], "Value": [r[1] for r in rows], "SchoolID": 0})


def _district(rng: np.random.Generator, today: dt.date) -> District:
    name = places.DISTRICT_NAMES[int(rng.integers(len(places.DISTRICT_NAMES)))]
    number = str(1000 + int(rng.integers(9000)))
    domain = f"{slug(' '.join(name.split()[:2]))}.example.org"
    year = current_year(today)
    return District(number, name, domain, today, year, build_year(year.start_year - 1))


def _schedule(rng: np.random.Generator, d: District, st: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sections and teacher slots; returns the compact requests (student, term, section row)."""
    courses = d.tables["Courses"]
    course_ix = {c: i for i, c in enumerate(courses["Course_Number"])}
    req, groups = build_requests(rng, scheduled_students(st), st["SchoolID"].to_numpy(), course_ix)
    assign_sections(rng, req)
    sections, slots, section_of = build_sections(rng, req, groups, courses, d.year)
    d.tables["Sections"] = sections
    compact = pd.DataFrame({"student": req["student"].to_numpy(), "term": req["term"].to_numpy(), "section": section_of})
    return compact, slots


def _enrollments(rng: np.random.Generator, d: District, req: pd.DataFrame) -> dict[str, list[str]]:
    """``CC`` from the requests (whose columns are consumed to keep the peak memory down)."""
    st, sections = d.tables["Students"], d.tables["Sections"]
    student, term, section = (req.pop(c).to_numpy() for c in ("student", "term", "section"))
    rows = base_rows(student, term, section, st, d.year)
    del student, term, section
    rows = schedule_changes(rng, rows, sections, d.today)
    n = int((st["_dup_of"] < 0).sum())
    extra = zero_length_rows(rng, rows, defects.scaled(n, 1000, 3))
    rows, sid, secid = defects.cc_defects(rng, rows, extra, st, sections, *term_bounds(d.year))
    d.tables["CC"] = cc_frame(rows, sections, st, rng, d.today, (sid, secid))
    orphan, outside = truth.cc_truth(d.tables["CC"])
    return {"orphan_cc": orphan, "enrollments_outside_term": outside}


def _year_terms(d: District) -> pd.DataFrame:
    return pd.DataFrame({"first": [day(d.year.term(i).first) for i in range(3)],
                         "last": [day(d.year.term(i).last) for i in range(3)]})


def _staff(rng: np.random.Generator, d: District, slots: pd.DataFrame, n: int) -> None:
    schools, sections = d.tables["Schools"], d.tables["Sections"]
    users, staff = build_staff(rng, staff_rows(rng, slots, schools, n), schools, d.domain)
    fill_school_leaders(schools, users, staff)
    assign_section_teachers(sections, staff)
    d.tables.update(Users=users, SchoolStaff=staff, RoleDef=build_roledef(),
                    SectionTeacher=build_section_teachers(rng, sections, _year_terms(d)))


def _contact_tables(rng: np.random.Generator, d: District, people: pd.DataFrame, links: pd.DataFrame) -> None:
    st = d.tables["Students"]
    codeset = ct.build_codeset()
    base = disjoint_base(len(people) + 2 * len(links))
    email, email_assoc = (compact(t) for t in ct.email_tables(people, codeset, base))
    phone, phone_assoc = (compact(t) for t in ct.phone_tables(people, codeset, base))
    addr, addr_assoc = (compact(t) for t in ct.address_tables(people, codeset, day(d.prev.first_day), base))
    assoc, detail = (compact(t) for t in ct.association_tables(rng, links, people, st, codeset, base))
    d.tables.update(CodeSet=codeset, Person=compact(ct.person_table(people, codeset, base)), StudentContactAssoc=assoc,
                    StudentContactDetail=detail, EmailAddress=email, PersonEmailAddressAssoc=email_assoc,
                    PhoneNumber=phone, PersonPhoneNumberAssoc=phone_assoc, PersonAddress=addr,
                    PersonAddressAssoc=addr_assoc)


def _people(rng: dict[str, np.random.Generator], d: District, hh: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    st = d.tables["Students"]
    contacts = build_contacts(rng["contacts"], hh)
    swap_priorities(rng["contacts"], contacts)
    add_contact_details(rng["contacts"], contacts, hh)
    links = link_students(contacts, st)
    contacts, links = duplicate_parents(rng["contacts"], contacts, links, st)
    return assemble_people(contacts, st, d.domain), links


def _people_defects(rng: dict[str, np.random.Generator], d: District, people: pd.DataFrame,
                    links: pd.DataFrame, hh: pd.DataFrame, n: int) -> dict[str, list]:
    """Shared sibling e-mails, bad e-mails, staff who are parents; then the people-based truth."""
    st = d.tables["Students"]
    parts: dict[str, list] = {"siblings_shared_email": defects.share_sibling_emails(rng["emails"], people, st)}
    defects.email_defects(rng["emails"], people, links, st)
    parts["staff_also_parent"] = defects.staff_parents(rng["emails"], people, links, d.tables["Users"],
                                                       d.tables["SchoolStaff"], n, hh["phone"].to_numpy())
    ids = truth.canonical_people(people, links, st)
    parts["invalid_emails"], parts["missing_emails"] = truth.email_truth(people, ids)
    parts["duplicate_students"], parts["twins"] = truth.student_pairs(st)
    parts["duplicate_contacts"] = truth.contact_clusters(people, links)
    return parts


def _meta(d: District, seed: int, students: int) -> dict[str, dict]:
    return {"generator": {"seed": seed, "students": students, "today": d.today.isoformat()},
            "school_year": {"year_id": d.year.year_id, "first_day": d.year.first_day.isoformat(),
                            "last_day": d.year.last_day.isoformat()},
            "counts": d.counts()}


def build_district(students: int = 2000, seed: int = 1, today: dt.date | None = None,
                   progress: Progress | None = None) -> District:
    """The whole district in memory; the same arguments always give the same district."""

    def say(msg: str) -> None:
        release_memory()
        if progress:
            progress(msg)

    rng = rng_streams(seed, STAGES)
    d = _district(rng["district"], today or DEFAULT_TODAY)
    schools = build_schools(rng["district"], students, d.number)
    d.tables.update(Prefs=_prefs(d), Schools=schools, Terms=build_terms(schools, [d.prev, d.year]),
                    Courses=build_courses(schools))
    say("households and students")
    hh = build_households(rng["people"], students)
    st = compact(build_students(rng["students"], hh, build_children(rng["people"], hh, d.year), schools,
                                d.year, d.prev, d.today))
    parts = defects.mark_student_defects(rng["defects"], st)
    d.tables.update(Students=st, StudentRace=student_races(st))
    say("contacts")
    people, links = _people(rng, d, hh)
    say("schedules and sections")
    req, slots = _schedule(rng["schedule"], d, st)
    _staff(rng["staff"], d, slots, students)
    say("section enrolments")
    parts.update(_enrollments(rng["cc"], d, req))
    say("e-mail defects, staff parents and truth")
    parts.update(_people_defects(rng, d, people, links, hh, students))
    say("extension fields and contact tables")
    d.tables["StudentCoreFields"] = compact(core_fields(rng["fields"], st, people, links))
    d.tables["U_DEF_EXT_STUDENTS"] = compact(district_fields(rng["fields"], st))
    _contact_tables(rng["fields"], d, people, links)
    del people, links
    for name in ("Users", "SchoolStaff", "Sections", "Schools", "Courses"):
        compact(d.tables[name])
    d.truth = truth.build_truth(_meta(d, seed, students), parts)
    return d
