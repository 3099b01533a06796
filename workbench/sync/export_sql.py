"""The committed roster as OneRoster 1.1 rows: one SQL projection per file, at any version.

docs/mapping.md ("OneRoster 1.1 -> canonical") read backwards, so that loading an exported
package gives the committed rows back. Each projection reads the roster tables as of the version
bound to the parameter it is given (``$t``, the exported version, or ``$n``, a delta's base) and
yields the file's spec columns except ``status`` and ``dateLastModified``: text as VARCHAR, lists
as VARCHAR[] (joined when written), booleans, dates and years already as their OneRoster text.
``wb_v`` is the last version that wrote anything the row is built from (its record, and for users
the student-contact links and, for a contact, the schools of its students): it dates the row in a
delta.

Values the mapping cannot read back the same are decided here:

* username is required: a record without one is exported with its sourcedId (contacts: their
  email, else their sourcedId; the canonical contact has no username).
* enabledUser is required: a record whose ``enabled`` is unknown is exported as enabled (the
  steward committed it for delivery).
* sex: OneRoster 1.1 knows male and female only; ``other`` is exported blank.
* a contact's orgs are the schools of its students (the district when it has none); teachers'
  and admins' roles are ``teacher`` and ``administrator``.
* agentSourcedIds: a student lists its contacts by priority (then ID), so priorities 1, 2, 3 come
  back as they were (gaps close up); a contact lists its students. Links to a contact that is not
  in the version are left out (the loader could not make them either).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from workbench.sources.oneroster_spec import RACES

Projection = Callable[[str], str]

MACROS = (
    "CREATE OR REPLACE TEMP MACRO wb_tf(x) AS CASE WHEN x THEN 'true' WHEN NOT x THEN 'false' END",
    "CREATE OR REPLACE TEMP MACRO wb_ymd(x) AS strftime(x, '%Y-%m-%d')",
    "CREATE OR REPLACE TEMP MACRO wb_ids(x) AS nullif(list_filter(x, lambda e: e IS NOT NULL), [])",
)

#: The canonical entities each file is built from (their deletions date a delta's tobedeleted rows).
ENTITIES_OF: dict[str, tuple[str, ...]] = {
    "orgs": ("school",), "academicSessions": ("calendar",), "courses": ("course",),
    "classes": ("class",), "users": ("student", "teacher", "admin", "contact"),
    "enrollments": ("enrollment",), "demographics": ("student",),
}


def at(entity: str, v: str) -> str:
    """The rows of ``entity`` in the version bound to parameter ``v`` (``$t`` or ``$n``)."""
    return f'(SELECT * FROM roster."{entity}" WHERE v_from <= {v} AND (v_to IS NULL OR v_to > {v}))'


def _orgs(v: str) -> str:
    return f"""SELECT sourced_id AS "sourcedId", name, org_type AS type, identifier,
        parent_sourced_id AS "parentSourcedId", v_from AS wb_v FROM {at('school', v)}"""


def _sessions(v: str) -> str:
    return f"""SELECT sourced_id AS "sourcedId", title, session_type AS type,
        wb_ymd(start_date) AS "startDate", wb_ymd(end_date) AS "endDate",
        parent_sourced_id AS "parentSourcedId", CAST(school_year AS VARCHAR) AS "schoolYear",
        v_from AS wb_v FROM {at('calendar', v)}"""


def _courses(v: str) -> str:
    return f"""SELECT sourced_id AS "sourcedId", school_year_sourced_id AS "schoolYearSourcedId", title,
        course_code AS "courseCode", grades, school_sourced_id AS "orgSourcedId", subjects,
        NULL::VARCHAR[] AS "subjectCodes", v_from AS wb_v FROM {at('course', v)}"""


def _classes(v: str) -> str:
    return f"""SELECT sourced_id AS "sourcedId", title, grades, course_sourced_id AS "courseSourcedId",
        class_code AS "classCode", class_type AS "classType", location,
        school_sourced_id AS "schoolSourcedId", term_sourced_ids AS "termSourcedIds",
        NULL::VARCHAR[] AS subjects, NULL::VARCHAR[] AS "subjectCodes", periods, v_from AS wb_v
        FROM {at('class', v)}"""


def _links(v: str) -> str:
    """Student-contact links of the version whose contact is in it, with the last version that
    touched each student's or contact's links (a link added, changed or removed), and the version
    since which each student is at its school (a contact's orgs are its students' schools)."""
    return f"""links AS (
        SELECT sc.* FROM {at('student_contact', v)} sc
        SEMI JOIN {at('contact', v)} c ON c.sourced_id = sc.contact_sourced_id),
      touched AS (
        SELECT student_sourced_id, contact_sourced_id,
               greatest(v_from, CASE WHEN v_to <= {v} THEN v_to ELSE 0 END) AS v
        FROM roster.student_contact WHERE v_from <= {v}),
      student_touch AS (SELECT student_sourced_id AS id, max(v) AS v FROM touched GROUP BY 1),
      contact_touch AS (SELECT contact_sourced_id AS id, max(v) AS v FROM touched GROUP BY 1),
      moved AS (
        SELECT sourced_id AS id, max(v_from) FILTER (WHERE school_sourced_id IS DISTINCT FROM prev) AS v
        FROM (SELECT sourced_id, v_from, school_sourced_id, lag(school_sourced_id) OVER
                (PARTITION BY sourced_id ORDER BY v_from) AS prev
              FROM roster.student WHERE v_from <= {v}) GROUP BY 1)"""


_USER_COLUMNS = ('"sourcedId"', '"enabledUser"', '"orgSourcedIds"', "role", "username", '"userIds"',
                 '"givenName"', '"familyName"', '"middleName"', "identifier", "email", "sms", "phone",
                 '"agentSourcedIds"', "grades", "password", "wb_v")


def _person(alias: str) -> str:
    return (f'{alias}.sourced_id AS "sourcedId", wb_tf(coalesce({alias}.enabled, true)) AS "enabledUser"')


def _names(alias: str) -> str:
    return (f'{alias}.given_name AS "givenName", {alias}.family_name AS "familyName", '
            f'{alias}.middle_name AS "middleName"')


def metadata_columns(fields: Sequence[str]) -> list[tuple[str, str]]:
    """(column, key in ``extensions``) of delivered extension fields: ``TABLE.FIELD`` is delivered
    as ``metadata.<field>`` (lower-case), read from the key ``table.field``. Names are checked
    identifiers (the configuration's schema), so they are safe in SQL."""
    return [(f"metadata.{f.rpartition('.')[2].lower()}", f.lower()) for f in fields]


def _students(v: str, extra: Sequence[tuple[str, str]] = ()) -> str:
    meta = "".join(f", json_extract_string(s.extensions, '$.\"{key}\"') AS \"{col}\""
                   for col, key in extra)
    return f"""SELECT {_person('s')}, wb_ids([s.school_sourced_id]) AS "orgSourcedIds", 'student' AS role,
        coalesce(s.username, s.sourced_id) AS username, wb_ids(['{{State:' || s.state_id || '}}']) AS "userIds",
        {_names('s')}, s.identifier, s.email, NULL AS sms, s.phone,
        a.ids AS "agentSourcedIds", wb_ids([s.grade]) AS grades, NULL AS password{meta},
        greatest(s.v_from, coalesce(st.v, 0)) AS wb_v
      FROM {at('student', v)} s LEFT JOIN student_touch st ON st.id = s.sourced_id
      LEFT JOIN (SELECT student_sourced_id AS id,
                        list(contact_sourced_id ORDER BY priority NULLS LAST, contact_sourced_id) AS ids
                 FROM links GROUP BY 1) a ON a.id = s.sourced_id"""


def _staff(entity: str, role: str, v: str) -> str:
    return f"""SELECT {_person('s')}, wb_ids(s.school_sourced_ids) AS "orgSourcedIds", '{role}' AS role,
        coalesce(s.username, s.sourced_id) AS username, wb_ids(['{{State:' || s.state_id || '}}']) AS "userIds",
        {_names('s')}, s.identifier, s.email, NULL AS sms, s.phone, NULL::VARCHAR[] AS "agentSourcedIds",
        NULL::VARCHAR[] AS grades, NULL AS password, s.v_from AS wb_v FROM {at(entity, v)} s"""


def _contacts(v: str) -> str:
    return f"""SELECT {_person('c')},
        coalesce(k.schools, (SELECT nullif(list(sourced_id ORDER BY sourced_id), [])
                             FROM {at('school', v)} WHERE org_type = 'district')) AS "orgSourcedIds",
        c.role, coalesce(c.email, c.sourced_id) AS username, NULL::VARCHAR[] AS "userIds",
        {_names('c')}, NULL AS identifier, c.email,
        list_filter(c.phones, lambda p: p IS DISTINCT FROM c.phone)[1] AS sms, c.phone,
        k.students AS "agentSourcedIds", NULL::VARCHAR[] AS grades, NULL AS password,
        greatest(c.v_from, coalesce(ct.v, 0), coalesce(k.v, 0)) AS wb_v
      FROM {at('contact', v)} c
      LEFT JOIN (SELECT l.contact_sourced_id AS id, list(DISTINCT l.student_sourced_id ORDER BY
                          l.student_sourced_id) AS students,
                        nullif(list(DISTINCT s.school_sourced_id ORDER BY s.school_sourced_id)
                               FILTER (WHERE s.school_sourced_id IS NOT NULL), []) AS schools,
                        max(m.v) AS v
                 FROM links l JOIN {at('student', v)} s ON s.sourced_id = l.student_sourced_id
                 LEFT JOIN moved m ON m.id = s.sourced_id GROUP BY 1) k ON k.id = c.sourced_id
      LEFT JOIN contact_touch ct ON ct.id = c.sourced_id"""


def users_sql(v: str, extra: Sequence[tuple[str, str]] = ()) -> str:
    """users.csv: students, teachers, administrators and contacts; ``extra`` (see
    ``metadata_columns``) adds the students' delivered extension fields (empty for the others)."""
    cols = ", ".join(_USER_COLUMNS)
    meta = "".join(f', "{col}"' for col, _ in extra)
    empty = "".join(f', NULL::VARCHAR AS "{col}"' for col, _ in extra)
    parts = [f"SELECT {cols}{meta} FROM ({_students(v, extra)})"]
    parts += [f"SELECT {cols}{empty} FROM ({p})" for p in (
        _staff("teacher", "teacher", v), _staff("admin", "administrator", v), _contacts(v))]
    return f"WITH {_links(v)} " + " UNION ALL ".join(parts)


def _users(v: str) -> str:
    return users_sql(v)


def _enrollments(v: str) -> str:
    return f"""SELECT sourced_id AS "sourcedId", class_sourced_id AS "classSourcedId",
        school_sourced_id AS "schoolSourcedId", user_sourced_id AS "userSourcedId", role,
        wb_tf(is_primary) AS "primary", wb_ymd(begin_date) AS "beginDate", wb_ymd(end_date) AS "endDate",
        v_from AS wb_v FROM {at('enrollment', v)}"""


def _demographics(v: str) -> str:
    races = ", ".join(f"wb_tf(coalesce(list_contains(races, '{r}'), false)) AS \"{r}\"" for r in RACES)
    return f"""SELECT sourced_id AS "sourcedId", wb_ymd(birth_date) AS "birthDate",
        CASE WHEN sex IN ('male', 'female') THEN sex END AS sex, {races},
        wb_tf(coalesce(len(races), 0) > 1) AS "demographicRaceTwoOrMoreRaces",
        wb_tf(hispanic) AS "hispanicOrLatinoEthnicity", NULL AS "countryOfBirthCode",
        NULL AS "stateOfBirthAbbreviation", NULL AS "cityOfBirth",
        NULL AS "publicSchoolResidenceStatus", v_from AS wb_v FROM {at('student', v)}"""


#: OneRoster file -> its projection, given the version parameter.
PROJECTIONS: dict[str, Projection] = {
    "orgs": _orgs, "academicSessions": _sessions, "courses": _courses, "classes": _classes,
    "users": _users, "enrollments": _enrollments, "demographics": _demographics,
}
