"""The canonical roster (`stg` schema): one table per entity, the same shape whatever the source.

Conventions, fixed here once for every source mapping:

* ``sourced_id`` is ``id_prefix || source_id``; every reference column (``*_sourced_id``) carries the
  same prefix, so two sources loaded side by side never collide unless they share a prefix.
* ``source`` is the source name given at load time, ``source_id`` the record's ID within that source,
  ``load_id`` the load that produced the row (lineage).
* Dates are DATE and **end dates are inclusive** (the last day the record is in force). PowerSchool's
  exclusive ``ExitDate`` and ``CC.DateLeft`` are moved back one day by the PowerSchool mapping; OneRoster
  end dates are read as inclusive, as production PowerSchool OneRoster exports write them.
* Grades use the CEDS codes OneRoster uses (``PK``, ``KG``, ``01`` ... ``12``).
* Values PowerSchool knows and OneRoster does not (contact flags, extension fields) have their own
  columns or live in ``extensions`` (a JSON object keyed ``TABLE.field``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str


COMMON = (
    Column("sourced_id", "VARCHAR NOT NULL", "ID prefix + source ID; the record's canonical ID"),
    Column("source", "VARCHAR NOT NULL", "name of the source the record was loaded from"),
    Column("source_id", "VARCHAR NOT NULL", "the record's ID inside its source"),
    Column("load_id", "BIGINT NOT NULL", "the load that produced this row"),
)

PERSON_NAME = (
    Column("given_name", "VARCHAR", "first name"),
    Column("middle_name", "VARCHAR", "middle name(s)"),
    Column("family_name", "VARCHAR", "last name"),
)

STAFF = (
    *PERSON_NAME,
    Column("username", "VARCHAR", "login"),
    Column("identifier", "VARCHAR", "teacher or staff number"),
    Column("state_id", "VARCHAR", "state staff ID"),
    Column("email", "VARCHAR", "email"),
    Column("phone", "VARCHAR", "phone"),
    Column("title", "VARCHAR", "job title"),
    Column("school_sourced_ids", "VARCHAR[]", "schools the person works at (home school first)"),
    Column("enabled", "BOOLEAN", "active at one school at least"),
)

ENTITIES: dict[str, tuple[Column, ...]] = {
    "school": (
        Column("name", "VARCHAR", "organisation name"),
        Column("org_type", "VARCHAR", "district or school (OneRoster org type)"),
        Column("school_number", "VARCHAR", "PowerSchool School_Number"),
        Column("identifier", "VARCHAR", "state or NCES identifier"),
        Column("parent_sourced_id", "VARCHAR", "the district a school belongs to"),
        Column("low_grade", "VARCHAR", "lowest grade served (CEDS)"),
        Column("high_grade", "VARCHAR", "highest grade served (CEDS)"),
        Column("address", "VARCHAR", "street address"),
        Column("city", "VARCHAR", "city"),
        Column("state", "VARCHAR", "state"),
        Column("postal_code", "VARCHAR", "zip"),
        Column("phone", "VARCHAR", "main phone"),
        Column("principal", "VARCHAR", "principal's name"),
    ),
    "calendar": (
        Column("title", "VARCHAR", "term name"),
        Column("session_type", "VARCHAR", "schoolYear, semester, term or gradingPeriod"),
        Column("start_date", "DATE", "first day (inclusive)"),
        Column("end_date", "DATE", "last day (inclusive)"),
        Column("parent_sourced_id", "VARCHAR", "the session this one is part of"),
        Column("school_year", "INTEGER", "calendar year in which the school year ends"),
        Column("school_sourced_id", "VARCHAR", "school the term belongs to"),
    ),
    "course": (
        Column("title", "VARCHAR", "course name"),
        Column("course_code", "VARCHAR", "PowerSchool Course_Number"),
        Column("school_sourced_id", "VARCHAR", "owning org (a school, or the district)"),
        Column("school_year_sourced_id", "VARCHAR", "school year the course belongs to"),
        Column("grades", "VARCHAR[]", "grades (CEDS)"),
        Column("subjects", "VARCHAR[]", "subjects"),
        Column("credit_hours", "VARCHAR", "credit hours"),
    ),
    "class": (
        Column("title", "VARCHAR", "class title"),
        Column("class_code", "VARCHAR", "course_number.section_number"),
        Column("class_type", "VARCHAR", "scheduled or homeroom"),
        Column("location", "VARCHAR", "room"),
        Column("school_sourced_id", "VARCHAR", "school"),
        Column("course_sourced_id", "VARCHAR", "course"),
        Column("term_sourced_ids", "VARCHAR[]", "terms the class runs in"),
        Column("periods", "VARCHAR[]", "periods (PowerSchool expression)"),
        Column("grades", "VARCHAR[]", "grades (CEDS)"),
        Column("section_number", "VARCHAR", "PowerSchool Section_Number"),
    ),
    "student": (
        *PERSON_NAME,
        Column("username", "VARCHAR", "login (PowerSchool Student_Web_ID)"),
        Column("identifier", "VARCHAR", "local student number"),
        Column("state_id", "VARCHAR", "state student number"),
        Column("email", "VARCHAR", "student email"),
        Column("phone", "VARCHAR", "home phone"),
        Column("birth_date", "DATE", "date of birth"),
        Column("sex", "VARCHAR", "male, female or other"),
        Column("grade", "VARCHAR", "current grade (CEDS)"),
        Column("school_sourced_id", "VARCHAR", "school of enrollment"),
        Column("enroll_status", "VARCHAR", "active, pre-registered, inactive, transferred, graduated, historical"),
        Column("entry_date", "DATE", "school entry date"),
        Column("exit_date", "DATE", "last day enrolled (inclusive)"),
        Column("enabled", "BOOLEAN", "account enabled (active or pre-registered)"),
        Column("street", "VARCHAR", "home street"),
        Column("city", "VARCHAR", "home city"),
        Column("state", "VARCHAR", "home state"),
        Column("postal_code", "VARCHAR", "home zip"),
        Column("hispanic", "BOOLEAN", "Hispanic or Latino ethnicity"),
        Column("races", "VARCHAR[]", "OneRoster race names"),
        Column("extensions", "JSON", "extension fields keyed TABLE.field"),
    ),
    "teacher": STAFF,
    "admin": STAFF,
    "contact": (
        *PERSON_NAME,
        Column("role", "VARCHAR", "parent, guardian or relative (OneRoster user role)"),
        Column("email", "VARCHAR", "primary email"),
        Column("phone", "VARCHAR", "preferred phone"),
        Column("emails", "VARCHAR[]", "every email, primary first"),
        Column("phones", "VARCHAR[]", "every phone, preferred first"),
        Column("employer", "VARCHAR", "employer"),
        Column("street", "VARCHAR", "home street"),
        Column("city", "VARCHAR", "home city"),
        Column("state", "VARCHAR", "home state"),
        Column("postal_code", "VARCHAR", "home zip"),
        Column("enabled", "BOOLEAN", "contact is active"),
    ),
    "student_contact": (
        Column("student_sourced_id", "VARCHAR", "student"),
        Column("contact_sourced_id", "VARCHAR", "contact"),
        Column("relationship", "VARCHAR", "Mother, Father, Guardian, Grandparent ..."),
        Column("priority", "INTEGER", "contact priority order (1 first)"),
        Column("custodial", "BOOLEAN", "has custody"),
        Column("emergency", "BOOLEAN", "emergency contact"),
        Column("lives_with", "BOOLEAN", "student lives with the contact"),
        Column("receives_mail", "BOOLEAN", "receives mail"),
    ),
    "enrollment": (
        Column("class_sourced_id", "VARCHAR", "class"),
        Column("school_sourced_id", "VARCHAR", "school of the class"),
        Column("user_sourced_id", "VARCHAR", "student or teacher"),
        Column("role", "VARCHAR", "student or teacher"),
        Column("is_primary", "BOOLEAN", "lead teacher (teachers only)"),
        Column("begin_date", "DATE", "first day in the class"),
        Column("end_date", "DATE", "last day in the class (inclusive)"),
    ),
}


def columns(entity: str) -> tuple[Column, ...]:
    """All columns of a canonical entity, the common lineage columns first."""
    return COMMON + ENTITIES[entity]


def column_names(entity: str) -> list[str]:
    return [c.name for c in columns(entity)]


def create_table_sql(entity: str, schema: str = "stg") -> str:
    cols = ",\n  ".join(f'"{c.name}" {c.type}' for c in columns(entity))
    # No PRIMARY KEY: an ART index over ten million enrollments costs more than it protects; the
    # mappings check (source, sourced_id) uniqueness themselves and report duplicates as input errors.
    return f'CREATE TABLE IF NOT EXISTS {schema}."{entity}" (\n  {cols}\n)'

