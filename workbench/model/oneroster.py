"""OneRoster 1.1 raw tables -> canonical roster (docs/mapping.md, "OneRoster 1.1 -> canonical").

Set-based DuckDB SQL over ``raw."{source}__{file}"`` (written by ``workbench.sources.oneroster``);
values are bound parameters (``$prefix``, ``$source``, ``$load_id``). A file the package lacks reads
as an empty table and a column it lacks as NULL. Records whose status is ``tobedeleted`` (or 1.0's
``inactive``) and users whose role is not a OneRoster 1.1 role are not delivered; enrollments are
delivered only when their class and user are.

Choices the contract leaves open, made here:

* orgs of a type other than district or school are delivered (with their type) and noted
  (``org_type_other``); enumerations that differ only in case are read as the spec value.
* A session's school is the first school (in ID order) of the classes that list it; a session no
  class lists (a school year above its semesters) takes the first school of its descendants'.
* student.grade is the first of ``grades``; student.school the first of ``orgSourcedIds``; races are
  the race columns that are true (NULL when none), hispanic is ``hispanicOrLatinoEthnicity``; sex
  other than male/female is ``other``. contact.phone is ``phone``, else ``sms``; phones lists both.
* student_contact: a student's ``agentSourcedIds`` naming a parent, guardian or relative; priority
  is the position in the list (a repeated agent counts once, at its first position).

Besides the reader's queued findings, the mapping records (all ``info`` unless noted):
``enrollment_not_loaded`` (error: class or user is in the package but not delivered),
``org_type_other``, ``agent_not_contact``, ``agent_link_one_sided``, and plausibility notes:
``org_parent_missing``, ``session_parent_missing``, ``class_code_title_swapped``,
``course_subjects_differ``, ``enrollment_repeated``, ``age_grade_implausible``,
``identifier_is_email``, ``grades_unexpected``.
"""

from __future__ import annotations

from typing import Any

import duckdb

from workbench.model.schema import column_names
from workbench.sources.base import Finding, raw_table
from workbench.sources.oneroster import FILES_TABLE, FINDINGS_TABLE, emit_findings, install_macros
from workbench.sources.oneroster_spec import (
    ADMIN_ROLES,
    CLASS_TYPES,
    CONTACT_ROLES,
    DELETED_STATUS,
    ENROLLMENT_ROLES,
    ORG_TYPES,
    RACES,
    SESSION_TYPES,
    SPECS,
    STUDENT_ROLES,
    TEACHER_ROLES,
    USER_ROLES,
    Check,
)

Tables = dict[str, str]


def _lit(values: tuple[str, ...]) -> str:
    """A SQL list of spec constants (never of input data)."""
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _enum(expr: str, values: tuple[str, ...]) -> str:
    """The spec spelling of an enumerated value that differs only in case; other values as given."""
    cases = " ".join(f"WHEN '{v.lower()}' THEN '{v}'" for v in values)
    return f"CASE lower(wb_or_text({expr})) {cases} ELSE wb_or_text({expr}) END"


def _role(alias: str) -> str:
    return f"lower(wb_or_text({alias}.role))"


def _list(expr: str) -> str:
    return f"nullif(wb_or_list({expr}), [])"


def _ids(expr: str) -> str:
    return f"list_transform({_list(expr)}, lambda x: $prefix || x)"


def _ref(expr: str) -> str:
    return f"$prefix || wb_or_text({expr})"


# ------------------------------------------------------------------------------------------ input


def _existing(cur: duckdb.DuckDBPyConnection, source: str) -> dict[str, set[str]]:
    """Raw tables of the source -> their column names, lower-case."""
    rows = cur.execute(
        "SELECT table_name, lower(column_name) FROM duckdb_columns() WHERE schema_name = 'raw' "
        "AND starts_with(table_name, ?)", [f"{source}__"]).fetchall()
    out: dict[str, set[str]] = {}
    for table, col in rows:
        out.setdefault(table, set()).add(col)
    return out


def _tables(cur: duckdb.DuckDBPyConnection, source: str) -> Tables:
    """A FROM item per OneRoster file: every spec column, the file line and a deleted flag."""
    have = _existing(cur, source)
    out = {}
    for name, spec in SPECS.items():
        cols = have.get(f"{source}__{name.lower()}")
        if cols is None:
            nulls = ", ".join(f'NULL::VARCHAR AS "{c}"' for c in spec.columns)
            out[name] = f"(SELECT NULL::BIGINT AS wb_line, false AS wb_deleted, {nulls} WHERE false)"
            continue
        table = raw_table(source, name)
        proj = ", ".join(f'r."{c}"' if c.lower() in cols else f'NULL::VARCHAR AS "{c}"'
                         for c in spec.columns)
        deleted = (f"coalesce(list_contains({_lit(DELETED_STATUS)}, lower(trim(r.status))), false)"
                   if "status" in cols else "false")
        out[name] = (f"(SELECT r.rowid - (SELECT min(rowid) FROM {table}) + 2 AS wb_line, "
                     f"{deleted} AS wb_deleted, {proj} FROM {table} r)")
    return out


def _insert(cur: duckdb.DuckDBPyConnection, entity: str, exprs: dict[str, str], rest: str,
            params: dict[str, Any], with_: str = "") -> None:
    """INSERT every canonical column: ``exprs`` (SQL per column; the rest NULL) ``rest``."""
    names = column_names(entity)
    unknown = set(exprs) - set(names) - {"id"}
    if unknown:
        raise ValueError(f"{entity} has no column(s) {sorted(unknown)}")
    common = {"sourced_id": f"$prefix || {exprs['id']}", "source": "$source",
              "source_id": exprs["id"], "load_id": "$load_id"}
    select = ", ".join(common.get(c) or exprs.get(c) or "NULL" for c in names)
    cols = ", ".join(f'"{c}"' for c in names)
    sql = f'INSERT INTO stg."{entity}" ({cols}) {with_} SELECT {select} {rest}'
    cur.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})


# --------------------------------------------------------------------------------------- entities


def _school(cur: duckdb.DuckDBPyConnection, t: Tables, p: dict[str, Any]) -> None:
    _insert(cur, "school", {
        "id": 'trim(o."sourcedId")', "name": "wb_or_text(o.name)",
        "org_type": _enum("o.type", ORG_TYPES), "identifier": "wb_or_text(o.identifier)",
        "parent_sourced_id": _ref('o."parentSourcedId"'),
    }, f"FROM {t['orgs']} o WHERE NOT o.wb_deleted", p)


def _calendar(cur: duckdb.DuckDBPyConnection, t: Tables, p: dict[str, Any]) -> None:
    with_ = f"""WITH RECURSIVE
      cls AS (SELECT wb_or_text(c."schoolSourcedId") AS school,
                     unnest(wb_or_list(c."termSourcedIds")) AS term
              FROM {t['classes']} c WHERE NOT c.wb_deleted),
      direct AS (SELECT term AS id, min(school) AS school FROM cls WHERE school IS NOT NULL GROUP BY 1),
      ses AS (SELECT trim(s."sourcedId") AS id, wb_or_text(s."parentSourcedId") AS parent
              FROM {t['academicSessions']} s WHERE NOT s.wb_deleted),
      anc(id, up) AS (SELECT id, parent FROM ses WHERE parent IS NOT NULL
                      UNION SELECT anc.id, ses.parent FROM anc JOIN ses ON ses.id = anc.up
                      WHERE ses.parent IS NOT NULL),
      inherited AS (SELECT anc.up AS id, min(direct.school) AS school
                    FROM anc JOIN direct ON direct.id = anc.id GROUP BY 1)"""
    _insert(cur, "calendar", {
        "id": 'trim(s."sourcedId")', "title": "wb_or_text(s.title)",
        "session_type": _enum("s.type", SESSION_TYPES), "start_date": 'wb_or_date(s."startDate")',
        "end_date": 'wb_or_date(s."endDate")', "parent_sourced_id": _ref('s."parentSourcedId"'),
        "school_year": 'CASE WHEN regexp_full_match(trim(s."schoolYear"), \'\\d{4}\') '
                       'THEN trim(s."schoolYear")::INTEGER END',
        "school_sourced_id": "$prefix || coalesce(direct.school, inherited.school)",
    }, f"""FROM {t['academicSessions']} s
        LEFT JOIN direct ON direct.id = trim(s."sourcedId")
        LEFT JOIN inherited ON inherited.id = trim(s."sourcedId")
        WHERE NOT s.wb_deleted""", p, with_)


def _course(cur: duckdb.DuckDBPyConnection, t: Tables, p: dict[str, Any]) -> None:
    _insert(cur, "course", {
        "id": 'trim(c."sourcedId")', "title": "wb_or_text(c.title)",
        "course_code": 'wb_or_text(c."courseCode")', "school_sourced_id": _ref('c."orgSourcedId"'),
        "school_year_sourced_id": _ref('c."schoolYearSourcedId"'), "grades": _list("c.grades"),
        "subjects": _list("c.subjects"),
    }, f"FROM {t['courses']} c WHERE NOT c.wb_deleted", p)


def _class(cur: duckdb.DuckDBPyConnection, t: Tables, p: dict[str, Any]) -> None:
    _insert(cur, "class", {
        "id": 'trim(c."sourcedId")', "title": "wb_or_text(c.title)",
        "class_code": 'wb_or_text(c."classCode")', "class_type": _enum('c."classType"', CLASS_TYPES),
        "location": "wb_or_text(c.location)", "school_sourced_id": _ref('c."schoolSourcedId"'),
        "course_sourced_id": _ref('c."courseSourcedId"'),
        "term_sourced_ids": _ids('c."termSourcedIds"'), "periods": _list("c.periods"),
        "grades": _list("c.grades"),
    }, f"FROM {t['classes']} c WHERE NOT c.wb_deleted", p)


def _person(alias: str = "u") -> dict[str, str]:
    return {
        "id": f'trim({alias}."sourcedId")', "given_name": f'wb_or_text({alias}."givenName")',
        "middle_name": f'wb_or_text({alias}."middleName")',
        "family_name": f'wb_or_text({alias}."familyName")',
        "enabled": f'wb_or_bool({alias}."enabledUser")',
    }


def _account(alias: str = "u") -> dict[str, str]:
    return {
        **_person(alias), "username": f"wb_or_text({alias}.username)",
        "identifier": f"wb_or_text({alias}.identifier)", "email": f"wb_or_text({alias}.email)",
        "phone": f"wb_or_text({alias}.phone)",
        "state_id": f'wb_or_text(regexp_extract({alias}."userIds", \'(?i)\\{{\\s*state\\s*:([^}}]*)\\}}\', 1))',
    }


def _users_of(t: Tables, roles: tuple[str, ...]) -> str:
    return f"FROM {t['users']} u WHERE NOT u.wb_deleted AND list_contains({_lit(roles)}, {_role('u')})"


def _student(cur: duckdb.DuckDBPyConnection, t: Tables, p: dict[str, Any]) -> None:
    races = ", ".join(f"CASE WHEN wb_or_bool(d.\"{r}\") THEN '{r}' END" for r in RACES)
    _insert(cur, "student", {
        **_account(), "birth_date": 'wb_or_date(d."birthDate")',
        "sex": "CASE WHEN wb_or_text(d.sex) IS NULL THEN NULL WHEN lower(trim(d.sex)) IN "
               "('male', 'female') THEN lower(trim(d.sex)) ELSE 'other' END",
        "grade": "wb_or_list(u.grades)[1]",
        "school_sourced_id": '$prefix || wb_or_list(u."orgSourcedIds")[1]',
        "hispanic": 'wb_or_bool(d."hispanicOrLatinoEthnicity")',
        "races": f"nullif(list_filter([{races}], lambda x: x IS NOT NULL), [])",
    }, f"""FROM {t['users']} u
        LEFT JOIN (SELECT * FROM {t['demographics']} WHERE NOT wb_deleted) d
          ON trim(d."sourcedId") = trim(u."sourcedId")
        WHERE NOT u.wb_deleted AND list_contains({_lit(STUDENT_ROLES)}, {_role('u')})""", p)


def _staff(cur: duckdb.DuckDBPyConnection, entity: str, roles: tuple[str, ...], t: Tables,
           p: dict[str, Any]) -> None:
    _insert(cur, entity, {**_account(), "school_sourced_ids": _ids('u."orgSourcedIds"')},
            _users_of(t, roles), p)


def _contact(cur: duckdb.DuckDBPyConnection, t: Tables, p: dict[str, Any]) -> None:
    phone, sms = "wb_or_text(u.phone)", "wb_or_text(u.sms)"
    _insert(cur, "contact", {
        **_person(), "role": _role("u"), "email": "wb_or_text(u.email)",
        "phone": f"coalesce({phone}, {sms})",
        "emails": "CASE WHEN wb_or_text(u.email) IS NOT NULL THEN [wb_or_text(u.email)] END",
        "phones": f"nullif(list_filter([{phone}, CASE WHEN {sms} IS DISTINCT FROM {phone} THEN {sms} "
                  "END], lambda x: x IS NOT NULL), [])",
    }, _users_of(t, CONTACT_ROLES), p)


def _agents_sql(t: Tables) -> str:
    """Students' agent links: (student, agent, first position)."""
    return f"""(SELECT student, agent, min(pos) AS pos FROM (
        SELECT trim(u."sourcedId") AS student, unnest(wb_or_list(u."agentSourcedIds")) AS agent,
               generate_subscripts(wb_or_list(u."agentSourcedIds"), 1) AS pos, u.wb_line
        {_users_of(t, STUDENT_ROLES)}) GROUP BY student, agent)"""


def _student_contact(cur: duckdb.DuckDBPyConnection, t: Tables, p: dict[str, Any]) -> None:
    _insert(cur, "student_contact", {
        "id": "a.student || '~' || a.agent", "student_sourced_id": "$prefix || a.student",
        "contact_sourced_id": "$prefix || a.agent", "relationship": _role("c"), "priority": "a.pos",
    }, f"""FROM {_agents_sql(t)} a
        JOIN (SELECT trim("sourcedId") AS id, role {_users_of(t, CONTACT_ROLES)}) c ON c.id = a.agent""", p)


def _delivered_users(t: Tables) -> str:
    return f'(SELECT DISTINCT trim(u."sourcedId") AS id {_users_of(t, USER_ROLES)})'


def _delivered_classes(t: Tables) -> str:
    return f"(SELECT DISTINCT trim(c.\"sourcedId\") AS id FROM {t['classes']} c WHERE NOT c.wb_deleted)"


def _enrollment(cur: duckdb.DuckDBPyConnection, t: Tables, p: dict[str, Any]) -> None:
    _insert(cur, "enrollment", {
        "id": 'trim(e."sourcedId")', "class_sourced_id": _ref('e."classSourcedId"'),
        "school_sourced_id": _ref('e."schoolSourcedId"'), "user_sourced_id": _ref('e."userSourcedId"'),
        "role": _enum("e.role", ENROLLMENT_ROLES), "is_primary": 'wb_or_bool(e."primary")',
        "begin_date": 'wb_or_date(e."beginDate")', "end_date": 'wb_or_date(e."endDate")',
    }, f"""FROM {t['enrollments']} e
        SEMI JOIN {_delivered_classes(t)} c ON c.id = trim(e."classSourcedId")
        SEMI JOIN {_delivered_users(t)} u ON u.id = trim(e."userSourcedId")
        WHERE NOT e.wb_deleted""", p)


# --------------------------------------------------------------------------------------- findings


def _files(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """OneRoster name -> the file's name in the package (as the reader recorded it)."""
    exists = cur.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?",
                         [FILES_TABLE.split(".")[-1]]).fetchone()
    names = {n: s.file_name for n, s in SPECS.items()}
    if exists and exists[0]:
        names.update(dict(cur.execute(f"SELECT name, file FROM {FILES_TABLE} WHERE mapped").fetchall()))
    return names


def _delivery_checks(t: Tables) -> list[tuple[str, Check]]:
    """What the mapping did not deliver, and why."""
    enr = (f'(SELECT e.wb_line, trim(e."sourcedId") AS wb_id, trim(e."classSourcedId") AS cls, '
           f'trim(e."userSourcedId") AS usr FROM {t["enrollments"]} e WHERE NOT e.wb_deleted)')
    dead_classes = (f'(SELECT trim(c."sourcedId") AS id, trim(c.status) AS status '
                    f'FROM {t["classes"]} c WHERE c.wb_deleted)')
    dead_users = (f"(SELECT trim(u.\"sourcedId\") AS id, coalesce(trim(u.role), '') AS role, "
                  f"u.wb_deleted, trim(u.status) AS status FROM {t['users']} u WHERE u.wb_deleted "
                  f"OR NOT list_contains({_lit(USER_ROLES)}, {_role('u')}))")
    return [
        ("enrollments", Check(
            "classSourcedId", "enrollment_not_loaded", "'error'", "true",
            "'the class has status ' || status || '; the enrollment is not loaded'", "item",
            f"(SELECT e.wb_line, e.wb_id, e.cls AS item, c.status FROM {enr} e "
            f"JOIN {dead_classes} c ON c.id = e.cls)")),
        ("enrollments", Check(
            "userSourcedId", "enrollment_not_loaded", "'error'", "true",
            "CASE WHEN wb_deleted THEN 'the user has status ' || status ELSE 'the user has the "
            "role ''' || role || ''', which is not loaded' END || '; the enrollment is not loaded'",
            "item",
            f"(SELECT e.wb_line, e.wb_id, e.usr AS item, u.wb_deleted, u.status, u.role FROM {enr} e "
            f"JOIN {dead_users} u ON u.id = e.usr)")),
        ("orgs", Check(
            "type", "org_type_other", "'info'", "item NOT IN ('district', 'school')",
            "'an org of type ' || item || ' is loaded as a school-level org'", "item",
            f"(SELECT o.wb_line, trim(o.\"sourcedId\") AS wb_id, {_enum('o.type', ORG_TYPES)} AS item "
            f"FROM {t['orgs']} o WHERE NOT o.wb_deleted)")),
        *_agent_checks(t),
    ]


def _agent_checks(t: Tables) -> list[tuple[str, Check]]:
    contacts = f'(SELECT trim(u."sourcedId") AS id {_users_of(t, CONTACT_ROLES)})'
    everyone = f"(SELECT trim(u.\"sourcedId\") AS id, u.role FROM {t['users']} u)"
    links = f"""(SELECT trim(u."sourcedId") AS student, u.wb_line,
                        unnest(wb_or_list(u."agentSourcedIds")) AS agent {_users_of(t, STUDENT_ROLES)})"""
    back = f"""(SELECT trim(u."sourcedId") AS contact, u.wb_line,
                       unnest(wb_or_list(u."agentSourcedIds")) AS student {_users_of(t, CONTACT_ROLES)})"""
    return [
        ("users", Check(
            "agentSourcedIds", "agent_not_contact", "'info'", "true",
            "'agent ' || item || ' has the role ' || coalesce(role, '(none)') || ', not parent, "
            "guardian or relative; no student_contact is made'", "item",
            f"""(SELECT l.wb_line, l.student AS wb_id, l.agent AS item, x.role FROM {links} l
                 JOIN {everyone} x ON x.id = l.agent ANTI JOIN {contacts} c ON c.id = l.agent)""")),
        ("users", Check(
            "agentSourcedIds", "agent_link_one_sided", "'info'", "true",
            "'lists student ' || item || ', who does not list this contact; student_contact rows "
            "come from the student''s agentSourcedIds, so this link is not loaded'", "item",
            f"""(SELECT b.wb_line, b.contact AS wb_id, b.student AS item FROM {back} b
                 SEMI JOIN (SELECT trim(u."sourcedId") AS id {_users_of(t, STUDENT_ROLES)}) s ON s.id = b.student
                 ANTI JOIN {links} l ON l.student = b.student AND l.agent = b.contact)""")),
    ]


def _plausibility_checks(t: Tables) -> list[tuple[str, Check]]:
    """Values that are valid OneRoster but unlikely to be what the district meant."""
    return [*_org_session_checks(t), *_class_checks(t), *_people_checks(t)]


def _org_session_checks(t: Tables) -> list[tuple[str, Check]]:
    ses = (f"(SELECT s.wb_line, trim(s.\"sourcedId\") AS id, {_enum('s.type', SESSION_TYPES)} AS type, "
           "wb_or_text(s.\"parentSourcedId\") AS parent, wb_or_date(s.\"startDate\") AS fd, "
           f"wb_or_date(s.\"endDate\") AS ld FROM {t['academicSessions']} s WHERE NOT s.wb_deleted)")
    return [
        ("orgs", Check(
            "parentSourcedId", "org_parent_missing", "'info'", "item IS NOT NULL",
            "'the school has no parentSourcedId although the package has the district ' || item",
            "item",
            f"""(SELECT o.wb_line, trim(o."sourcedId") AS wb_id,
                   (SELECT min(trim(d."sourcedId")) FROM {t['orgs']} d WHERE NOT d.wb_deleted
                    AND {_enum('d.type', ORG_TYPES)} = 'district') AS item
                 FROM {t['orgs']} o WHERE NOT o.wb_deleted AND {_enum('o.type', ORG_TYPES)} = 'school'
                 AND wb_or_text(o."parentSourcedId") IS NULL)""")),
        ("academicSessions", Check(
            "parentSourcedId", "session_parent_missing", "'info'", "true",
            "'the ' || type || ' has no parentSourcedId although the school year ' || item || "
            "' contains its dates'", "item",
            f"""(SELECT c.wb_line, c.id AS wb_id, c.type, min(p.id) AS item FROM {ses} c
                 JOIN {ses} p ON p.type = 'schoolYear' AND p.fd <= c.fd AND p.ld >= c.ld AND p.id <> c.id
                 WHERE c.parent IS NULL AND c.type <> 'schoolYear' GROUP BY ALL)""")),
    ]


def _class_checks(t: Tables) -> list[tuple[str, Check]]:
    cls = (f"(SELECT c.wb_line, trim(c.\"sourcedId\") AS id, trim(c.\"courseSourcedId\") AS course, "
           f"wb_or_text(c.title) AS title, wb_or_text(c.\"classCode\") AS code, "
           f"wb_or_list(c.subjects) AS subjects FROM {t['classes']} c WHERE NOT c.wb_deleted)")
    crs = (f"(SELECT c.wb_line, trim(c.\"sourcedId\") AS id, wb_or_text(c.title) AS title, "
           f"wb_or_text(c.\"courseCode\") AS code, wb_or_list(c.subjects) AS subjects "
           f"FROM {t['courses']} c WHERE NOT c.wb_deleted)")
    enr = (f"(SELECT e.wb_line, trim(e.\"sourcedId\") AS id, trim(e.\"userSourcedId\") AS usr, "
           f"trim(e.\"classSourcedId\") AS cls FROM {t['enrollments']} e WHERE NOT e.wb_deleted)")
    return [
        ("classes", Check(
            "title", "class_code_title_swapped", "'info'", "true",
            "'title ' || item || ' is the course''s courseCode and classCode ' || code || "
            "' is the course''s title: the two look swapped'", "item",
            f"""(SELECT c.wb_line, c.id AS wb_id, c.title AS item, c.code FROM {cls} c
                 JOIN {crs} k ON k.id = c.course
                 WHERE c.title = k.code AND c.code = k.title AND c.title <> c.code)""")),
        ("courses", Check(
            "subjects", "course_subjects_differ", "'info'", "true",
            "'subjects ' || array_to_string(item, ',') || ' differ from those of its classes (' || "
            "array_to_string(theirs, ',') || ')'", "array_to_string(item, ',')",
            f"""(SELECT k.wb_line, k.id AS wb_id, k.subjects AS item, min(c.subjects) AS theirs
                 FROM {crs} k JOIN {cls} c ON c.course = k.id
                 WHERE len(k.subjects) > 0 AND len(c.subjects) > 0
                 GROUP BY ALL HAVING NOT bool_or(c.subjects = k.subjects))""")),
        ("enrollments", Check(
            "userSourcedId", "enrollment_repeated", "'info'", "true",
            "'user ' || usr || ' has ' || n || ' enrollments in class ' || cls || ' (split by term?)'",
            "usr",
            f"""(SELECT wb_line, id AS wb_id, usr, cls, n FROM (
                   SELECT *, count(*) OVER w AS n, row_number() OVER (w ORDER BY wb_line) AS k
                   FROM {enr} WINDOW w AS (PARTITION BY usr, cls)) WHERE k > 1)""")),
    ]


def _people_checks(t: Tables) -> list[tuple[str, Check]]:
    year = (f"(SELECT max(TRY_CAST(trim(s.\"schoolYear\") AS INTEGER)) FROM {t['academicSessions']} s "
            "WHERE NOT s.wb_deleted)")
    grade_age = ("CASE g WHEN 'PK' THEN 4 WHEN 'TK' THEN 5 WHEN 'KG' THEN 5 "
                 "ELSE TRY_CAST(g AS INTEGER) + 5 END")
    return [
        ("demographics", Check(
            "birthDate", "age_grade_implausible", "'info'",
            f"g IS NOT NULL AND abs(age - ({grade_age})) > 3",
            "'born ' || born || ': ' || age || ' years old on ' || on_day || ', unusual for grade ' || g",
            "born::VARCHAR",
            f"""(SELECT d.wb_line, trim(d."sourcedId") AS wb_id, wb_or_date(d."birthDate") AS born,
                   wb_or_list(u.grades)[1] AS g, make_date({year} - 1, 9, 1) AS on_day,
                   date_part('year', age(make_date({year} - 1, 9, 1), wb_or_date(d."birthDate"))) AS age
                 FROM {t['demographics']} d
                 JOIN (SELECT * {_users_of(t, STUDENT_ROLES)}) u ON trim(u."sourcedId") = trim(d."sourcedId")
                 WHERE NOT d.wb_deleted AND {year} IS NOT NULL
                 AND wb_or_date(d."birthDate") IS NOT NULL)""")),
        ("users", Check(
            "identifier", "identifier_is_email", "'info'", "contains(item, '@')",
            "'identifier ' || item || ' looks like an email address, not a local ID'", "item",
            f"(SELECT u.wb_line, trim(u.\"sourcedId\") AS wb_id, wb_or_text(u.identifier) AS item "
            f"FROM {t['users']} u WHERE NOT u.wb_deleted)")),
        ("users", Check(
            "grades", "grades_unexpected", "'info'", "true",
            "'grades ' || item || ' on a user with the role ' || role", "item",
            f"""(SELECT u.wb_line, trim(u."sourcedId") AS wb_id, wb_or_text(u.grades) AS item,
                   wb_or_text(u.role) AS role FROM {t['users']} u WHERE NOT u.wb_deleted
                 AND len(wb_or_list(u.grades)) > 0
                 AND NOT list_contains(['student', 'teacher', 'aide'], {_role('u')}))""")),
    ]


def _flush(cur: duckdb.DuckDBPyConnection, source: str, load_id: int) -> None:
    cur.execute(
        f"INSERT INTO dq.load_finding SELECT $load_id, $source, file, line, field, record_id, rule, "
        f"severity, value, message FROM {FINDINGS_TABLE} ORDER BY file NULLS FIRST, line NULLS LAST",
        {"load_id": load_id, "source": source})
    cur.execute(f"DROP TABLE {FINDINGS_TABLE}")


def build_canonical(cur: duckdb.DuckDBPyConnection, source: str, prefix: str,
                    load_id: int) -> list[Finding]:
    """Map the source's OneRoster raw tables onto ``stg``; write the load's findings."""
    install_macros(cur)
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {FINDINGS_TABLE.split('.')[-1]} (file VARCHAR, "
                "line BIGINT, field VARCHAR, record_id VARCHAR, rule VARCHAR, severity VARCHAR, "
                "value VARCHAR, message VARCHAR)")
    t = _tables(cur, source)
    p: dict[str, Any] = {"prefix": prefix, "source": source, "load_id": load_id}
    _school(cur, t, p)
    _calendar(cur, t, p)
    _course(cur, t, p)
    _class(cur, t, p)
    _student(cur, t, p)
    _staff(cur, "teacher", TEACHER_ROLES, t, p)
    _staff(cur, "admin", ADMIN_ROLES, t, p)
    _contact(cur, t, p)
    _student_contact(cur, t, p)
    _enrollment(cur, t, p)
    files = _files(cur)
    for name, check in _delivery_checks(t) + _plausibility_checks(t):
        emit_findings(cur, files[name], check, "")
    _flush(cur, source, load_id)
    return []
