"""PowerSchool raw tables -> canonical roster (docs/mapping.md, "PowerSchool tables -> canonical").

Set-based DuckDB SQL over ``raw."{source}__{table}"``; values are bound parameters (``$prefix``,
``$source``, ``$load_id``, ``$district``), only the validated source name is spliced in as part of
table identifiers. References that do not resolve (a CC row whose section is gone) are not
delivered and land in ``dq.load_finding``.
"""

from __future__ import annotations

from typing import Any

import duckdb

from workbench.model.macros import install_macros
from workbench.model.schema import column_names
from workbench.sources.base import Finding, line_of, raw_columns, raw_table

PARENT_RELATIONSHIPS = ("mother", "father", "parent", "stepmother", "stepfather")
RACES = {
    "I": "americanIndianOrAlaskaNative",
    "A": "asian",
    "B": "blackOrAfricanAmerican",
    "P": "nativeHawaiianOrOtherPacificIslander",
    "W": "white",
}
ENROLL_STATUS = {
    "-1": "pre-registered", "0": "active", "1": "inactive", "2": "transferred",
    "3": "graduated", "4": "historical",
}


def _school_ref(col: str) -> str:
    """A school reference: school number 0 is the district office, i.e. the district org."""
    return f"CASE WHEN wb_text({col}) IS NULL THEN NULL WHEN trim({col}) = '0' THEN $district ELSE $prefix || trim({col}) END"


def _insert(cur: duckdb.DuckDBPyConnection, entity: str, select: str, params: dict[str, Any]) -> None:
    cols = ", ".join(f'"{c}"' for c in column_names(entity))
    used = {k: v for k, v in params.items() if f"${k}" in select}
    cur.execute(f'INSERT INTO stg."{entity}" ({cols}) {select}', used)


def _school_sql(t: dict[str, str]) -> str:
    return f"""
    SELECT $district, $source, $district_id, $load_id,
           (SELECT max(wb_text(value)) FROM {t['prefs']} WHERE lower(trim(name)) = 'districtname'),
           'district', NULL, substr($district_id, 2), NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    WHERE $district IS NOT NULL
    UNION ALL
    SELECT $prefix || trim(school_number), $source, trim(school_number), $load_id, wb_text(name),
           'school', trim(school_number), wb_text(sif_stateprid), $district,
           wb_ceds(low_grade), wb_ceds(high_grade), wb_text(schooladdress), wb_text(schoolcity),
           wb_text(schoolstate), wb_text(schoolzip), wb_text(schoolphone), wb_text(principal)
    FROM {t['schools']}"""


def _calendar_sql(t: dict[str, str]) -> str:
    return f"""
    WITH term AS (
      SELECT trim(schoolid) AS school, trim(id) AS id, wb_text(name) AS title,
             wb_date(firstday) AS fd, wb_date(lastday) AS ld,
             TRY_CAST(portion AS INTEGER) AS portion, TRY_CAST(yearid AS INTEGER) AS yearid
      FROM {t['terms']}),
    parent AS (
      SELECT c.school, c.id, arg_max(p.id, p.portion * 100000 - TRY_CAST(p.id AS BIGINT)) AS pid
      FROM term c JOIN term p ON p.school = c.school AND p.yearid = c.yearid
        AND p.portion < c.portion AND p.fd <= c.fd AND p.ld >= c.ld
      GROUP BY c.school, c.id)
    SELECT $prefix || term.school || '-' || term.id, $source, term.school || '-' || term.id, $load_id,
           title,
           CASE WHEN portion <= 1 THEN 'schoolYear' WHEN portion IN (2, 3) THEN 'semester'
                ELSE 'gradingPeriod' END,
           fd, ld,
           CASE WHEN parent.pid IS NOT NULL THEN $prefix || term.school || '-' || parent.pid END,
           yearid + 1991, {_school_ref('term.school')}
    FROM term LEFT JOIN parent USING (school, id)"""


def _course_sql(t: dict[str, str]) -> str:
    return f"""
    SELECT $prefix || trim(dcid), $source, trim(dcid), $load_id, wb_text(course_name),
           trim(course_number),
           CASE WHEN wb_text(schoolid) IS NULL THEN $district ELSE {_school_ref('schoolid')} END,
           NULL, NULL,
           CASE WHEN wb_text(sched_department) IS NOT NULL THEN [trim(sched_department)] END,
           wb_text(credit_hours)
    FROM {t['courses']}"""


def _class_sql(t: dict[str, str]) -> str:
    return f"""
    SELECT $prefix || trim(s.dcid), $source, trim(s.dcid), $load_id,
           coalesce(wb_text(c.course_name), trim(s.course_number)) || ' - ' || trim(s.section_number),
           trim(s.course_number) || '.' || trim(s.section_number), 'scheduled', wb_text(s.room),
           {_school_ref('s.schoolid')}, $prefix || trim(c.dcid),
           [$prefix || trim(s.schoolid) || '-' || abs(TRY_CAST(s.termid AS BIGINT))],
           CASE WHEN wb_text(s.expression) IS NOT NULL THEN [trim(s.expression)] END,
           CASE WHEN wb_ceds(s.grade_level) IS NOT NULL THEN [wb_ceds(s.grade_level)] END,
           trim(s.section_number)
    FROM {t['sections']} s LEFT JOIN {t['courses']} c ON trim(c.course_number) = trim(s.course_number)"""


def _extension_sql(cur: duckdb.DuckDBPyConnection, source: str) -> tuple[str, str]:
    """(expression, joins): a JSON object of every student extension field, keyed ``table.field``;
    nulls dropped."""
    parts, joins = [], []
    tables = cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' AND starts_with(table_name, ?)",
        [f"{source}__"],
    ).fetchall()
    ext = sorted(
        name[len(source) + 2:] for (name,) in tables
        if name[len(source) + 2:].startswith(("u_", "s_", "studentcorefields"))
    )
    for i, table in enumerate(ext):
        all_cols = raw_columns(cur, source, table)
        cols = [c for c in all_cols if c != "studentsdcid"]
        if "studentsdcid" not in all_cols or not cols:
            continue
        pairs = ", ".join(f"'{table}.{c}', wb_text(e{i}.\"{c}\")" for c in cols)
        parts.append(f"json_object({pairs})")
        joins.append(f"LEFT JOIN {raw_table(source, table)} e{i} ON trim(e{i}.studentsdcid) = trim(s.dcid)")
    # fields of other tables exported inside the Students file itself (STUDENTCOREFIELDS.X ...)
    inline = [c for c in raw_columns(cur, source, "students") if "." in c]
    if inline:
        parts.append("json_object(" + ", ".join(f"'{c}', wb_text(s.\"{c}\")" for c in inline) + ")")
    expr = f"json_merge_patch('{{}}', {', '.join(parts)})" if parts else "NULL::JSON"
    return expr, "\n".join(joins)


def _student_sql(cur: duckdb.DuckDBPyConnection, source: str, t: dict[str, str]) -> str:
    ext_expr, ext_joins = _extension_sql(cur, source)
    race_case = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in RACES.items())
    status_case = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in ENROLL_STATUS.items())
    return f"""
    WITH email AS (
      SELECT trim(pea.personid) AS personid,
             arg_min(wb_text(e.emailaddress),
                     (CASE WHEN wb_bool(pea.isprimaryemailaddress) THEN 0 ELSE 1 END) * 1000000
                     + coalesce(TRY_CAST(pea.emailaddresspriorityorder AS INTEGER), 999999)) AS email
      FROM {t['personemailaddressassoc']} pea
      JOIN {t['emailaddress']} e ON trim(e.emailaddressid) = trim(pea.emailaddressid)
      GROUP BY 1),
    race AS (
      SELECT studentid, list(DISTINCT race ORDER BY race) AS races
      FROM (SELECT trim(studentid) AS studentid, CASE upper(trim(racecd)) {race_case} END AS race
            FROM {t['studentrace']})
      WHERE race IS NOT NULL GROUP BY 1)
    SELECT $prefix || 'S' || trim(s.dcid), $source, 'S' || trim(s.dcid), $load_id,
           wb_text(s.first_name), wb_text(s.middle_name), wb_text(s.last_name),
           wb_text(s.student_web_id), wb_text(s.student_number), wb_text(s.state_studentnumber),
           email.email, wb_text(s.home_phone), wb_date(s.dob),
           CASE upper(trim(s.gender)) WHEN 'M' THEN 'male' WHEN 'F' THEN 'female' WHEN '' THEN NULL
                ELSE CASE WHEN s.gender IS NOT NULL THEN 'other' END END,
           wb_ceds(s.grade_level), {_school_ref('s.schoolid')},
           CASE trim(s.enroll_status) {status_case} ELSE 'inactive' END,
           wb_date(s.entrydate), wb_date(s.exitdate) - 1,
           trim(s.enroll_status) IN ('0', '-1'),
           wb_text(s.street), wb_text(s.city), wb_text(s.state), wb_text(s.zip),
           CASE WHEN wb_text(s.fedethnicity) IS NOT NULL THEN trim(s.fedethnicity) = '1' END,
           CASE WHEN len(race.races) > 0 THEN race.races END,
           {ext_expr}
    FROM {t['students']} s
    LEFT JOIN email ON email.personid = trim(s.person_id)
    LEFT JOIN race ON race.studentid = trim(s.id)
    {ext_joins}"""


def _staff_sql(t: dict[str, str], teachers: bool) -> str:
    is_teacher = "coalesce(r.is_teacher, false)"
    who = is_teacher if teachers else f"NOT {is_teacher} AND wb_bool(u.psaccess)"
    login = "coalesce(wb_text(u.teacherloginid), wb_text(u.loginid))" if teachers else \
        "coalesce(wb_text(u.loginid), wb_text(u.teacherloginid))"
    return f"""
    WITH r AS (
      SELECT trim(users_dcid) AS users_dcid,
             bool_or(trim(staffstatus) = '1') AS is_teacher,
             bool_or(trim(status) = '1') AS active,
             list(DISTINCT trim(schoolid) ORDER BY trim(schoolid)) FILTER (WHERE trim(status) = '1') AS schools
      FROM {t['schoolstaff']} GROUP BY 1)
    SELECT $prefix || 'T' || trim(u.dcid), $source, 'T' || trim(u.dcid), $load_id,
           wb_text(u.first_name), wb_text(u.middle_name), wb_text(u.last_name),
           {login}, wb_text(u.teachernumber), wb_text(u.sif_stateprid), wb_text(u.email_addr),
           wb_text(u.school_phone), wb_text(u.title),
           list_transform(
             CASE WHEN wb_text(u.homeschoolid) IS NOT NULL
                  THEN [trim(u.homeschoolid)]
                       || list_filter(coalesce(r.schools, []), lambda x: x <> trim(u.homeschoolid))
                  ELSE coalesce(r.schools, []) END,
             lambda x: CASE WHEN x = '0' THEN $district ELSE $prefix || x END),
           coalesce(r.active, false)
    FROM {t['users']} u LEFT JOIN r ON r.users_dcid = trim(u.dcid)
    WHERE {who}"""


def _contact_sql(t: dict[str, str]) -> str:
    parent = ", ".join(f"'{r}'" for r in PARENT_RELATIONSHIPS)
    return f"""
    WITH p AS (SELECT DISTINCT trim(personid) AS personid FROM {t['studentcontactassoc']}),
    em AS (
      SELECT trim(pea.personid) AS personid,
             list(trim(e.emailaddress) ORDER BY CASE WHEN wb_bool(pea.isprimaryemailaddress) THEN 0 ELSE 1 END,
                  TRY_CAST(pea.emailaddresspriorityorder AS INTEGER) NULLS LAST, trim(e.emailaddressid))
               FILTER (WHERE wb_text(e.emailaddress) IS NOT NULL) AS emails
      FROM {t['personemailaddressassoc']} pea
      JOIN {t['emailaddress']} e ON trim(e.emailaddressid) = trim(pea.emailaddressid) GROUP BY 1),
    ph AS (
      SELECT trim(ppa.personid) AS personid,
             list(trim(n.phonenumber) ORDER BY CASE WHEN wb_bool(ppa.ispreferred) THEN 0 ELSE 1 END,
                  TRY_CAST(ppa.phonenumberpriorityorder AS INTEGER) NULLS LAST, trim(n.phonenumberid))
               FILTER (WHERE wb_text(n.phonenumber) IS NOT NULL) AS phones
      FROM {t['personphonenumberassoc']} ppa
      JOIN {t['phonenumber']} n ON trim(n.phonenumberid) = trim(ppa.phonenumberid) GROUP BY 1),
    ad AS (
      SELECT trim(paa.personid) AS personid,
             arg_min({{'street': wb_text(a.street), 'city': wb_text(a.city),
                       'state': coalesce(wb_text(cs.code), wb_text(a.statescodesetid)),
                       'zip': wb_text(a.postalcode)}},
                     coalesce(TRY_CAST(paa.addresspriorityorder AS INTEGER), 999999)) AS a
      FROM {t['personaddressassoc']} paa
      JOIN {t['personaddress']} a ON trim(a.personaddressid) = trim(paa.personaddressid)
      LEFT JOIN {t['codeset']} cs ON trim(cs.codesetid) = trim(a.statescodesetid)
      GROUP BY 1),
    rel AS (
      SELECT trim(sca.personid) AS personid,
             bool_or(lower(trim(cs.displayvalue)) IN ({parent})) AS is_parent,
             bool_or(lower(trim(cs.displayvalue)) = 'guardian') AS is_guardian
      FROM {t['studentcontactassoc']} sca
      JOIN {t['studentcontactdetail']} d ON trim(d.studentcontactassocid) = trim(sca.studentcontactassocid)
      JOIN {t['codeset']} cs ON trim(cs.codesetid) = trim(d.relationshiptypecodesetid)
      GROUP BY 1)
    SELECT $prefix || 'C' || trim(x.id), $source, 'C' || trim(x.id), $load_id,
           wb_text(x.firstname), wb_text(x.middlename), wb_text(x.lastname),
           CASE WHEN rel.is_parent THEN 'parent' WHEN rel.is_guardian THEN 'guardian' ELSE 'relative' END,
           em.emails[1], ph.phones[1], em.emails, ph.phones, wb_text(x.employer),
           ad.a.street, ad.a.city, ad.a.state, ad.a.zip,
           coalesce(wb_bool(x.isactive), true)
    FROM {t['person']} x JOIN p ON p.personid = trim(x.id)
    LEFT JOIN em ON em.personid = p.personid LEFT JOIN ph ON ph.personid = p.personid
    LEFT JOIN ad ON ad.personid = p.personid LEFT JOIN rel ON rel.personid = p.personid"""


def _student_contact_sql(t: dict[str, str]) -> str:
    return f"""
    WITH d AS (
      SELECT trim(studentcontactassocid) AS assoc,
             arg_max(d, (CASE WHEN coalesce(wb_bool(isactive), true) THEN 1 ELSE 0 END,
                         coalesce(wb_date(startdate), DATE '1900-01-01'),
                         trim(studentcontactdetailid))) AS d
      FROM {t['studentcontactdetail']} d GROUP BY 1)
    SELECT $prefix || 'S' || trim(s.dcid) || '~C' || trim(x.id), $source,
           'S' || trim(s.dcid) || '~C' || trim(x.id), $load_id,
           $prefix || 'S' || trim(s.dcid), $prefix || 'C' || trim(x.id),
           wb_text(cs.displayvalue), TRY_CAST(sca.contactpriorityorder AS INTEGER),
           wb_bool(d.d.iscustodial), wb_bool(d.d.isemergency), wb_bool(d.d.liveswithflg),
           wb_bool(d.d.receivesmailflg)
    FROM {t['studentcontactassoc']} sca
    JOIN {t['students']} s ON trim(s.dcid) = trim(sca.studentdcid)
    JOIN {t['person']} x ON trim(x.id) = trim(sca.personid)
    LEFT JOIN d ON d.assoc = trim(sca.studentcontactassocid)
    LEFT JOIN {t['codeset']} cs ON trim(cs.codesetid) = trim(d.d.relationshiptypecodesetid)"""


def _enrollment_sql(t: dict[str, str]) -> str:
    return f"""
    WITH lead AS (
      SELECT DISTINCT trim(st.sectionid) AS sectionid
      FROM {t['sectionteacher']} st JOIN {t['roledef']} rd ON trim(rd.id) = trim(st.roleid)
      WHERE lower(trim(rd.name)) = 'lead teacher')
    SELECT $prefix || 'E' || trim(cc.dcid), $source, 'E' || trim(cc.dcid), $load_id,
           $prefix || trim(sec.dcid), {_school_ref('sec.schoolid')}, $prefix || 'S' || trim(st.dcid),
           'student', NULL, wb_date(cc.dateenrolled), wb_date(cc.dateleft) - 1
    FROM {t['cc']} cc
    JOIN {t['sections']} sec ON trim(sec.id) = trim(cc.sectionid)
    JOIN {t['students']} st ON trim(st.id) = trim(cc.studentid)
    WHERE TRY_CAST(cc.sectionid AS BIGINT) > 0 AND wb_date(cc.dateleft) > wb_date(cc.dateenrolled)
    UNION ALL
    SELECT $prefix || 'ST' || trim(x.id), $source, 'ST' || trim(x.id), $load_id,
           $prefix || trim(sec.dcid), {_school_ref('sec.schoolid')}, $prefix || 'T' || trim(ss.users_dcid),
           'teacher', lower(trim(rd.name)) = 'lead teacher', wb_date(x.start_date), wb_date(x.end_date)
    FROM {t['sectionteacher']} x
    JOIN {t['sections']} sec ON trim(sec.id) = trim(x.sectionid)
    JOIN {t['schoolstaff']} ss ON trim(ss.id) = trim(x.teacherid)
    LEFT JOIN {t['roledef']} rd ON trim(rd.id) = trim(x.roleid)
    UNION ALL
    SELECT $prefix || 'L' || trim(sec.dcid), $source, 'L' || trim(sec.dcid), $load_id,
           $prefix || trim(sec.dcid), {_school_ref('sec.schoolid')}, $prefix || 'T' || trim(ss.users_dcid),
           'teacher', true, wb_date(term.firstday), wb_date(term.lastday)
    FROM {t['sections']} sec
    JOIN {t['schoolstaff']} ss ON trim(ss.id) = trim(sec.teacher)
    LEFT JOIN {t['terms']} term ON trim(term.schoolid) = trim(sec.schoolid)
      AND TRY_CAST(term.id AS BIGINT) = abs(TRY_CAST(sec.termid AS BIGINT))
    WHERE trim(sec.id) NOT IN (SELECT sectionid FROM lead)"""


def _findings_sql(t: dict[str, str]) -> list[str]:
    """Set-based findings: references that do not resolve, so the record is not delivered."""
    file = "(SELECT max(file) FROM wb_files WHERE table_name = '{0}')"
    return [
        f"""INSERT INTO dq.load_finding
        SELECT $load_id, $source, {file.format('cc')}, {line_of('cc', t['cc'])},
               CASE WHEN sec.id IS NULL THEN 'CC.SectionID' ELSE 'CC.StudentID' END,
               'E' || trim(cc.dcid), 'orphan_cc', 'warning',
               CASE WHEN sec.id IS NULL THEN cc.sectionid ELSE cc.studentid END,
               CASE WHEN sec.id IS NULL THEN 'CC row refers to a section that is not in Sections; not delivered'
                    ELSE 'CC row refers to a student that is not in Students; not delivered' END
        FROM {t['cc']} cc
        LEFT JOIN {t['sections']} sec ON trim(sec.id) = trim(cc.sectionid)
        LEFT JOIN {t['students']} st ON trim(st.id) = trim(cc.studentid)
        WHERE TRY_CAST(cc.sectionid AS BIGINT) > 0 AND (sec.id IS NULL OR st.id IS NULL)""",
        f"""INSERT INTO dq.load_finding
        SELECT $load_id, $source, {file.format('sections')}, {line_of('s', t['sections'])}, 'Sections.Course_Number',
               trim(s.dcid), 'orphan_section_course', 'warning', s.course_number,
               'section refers to a course number that is not in Courses'
        FROM {t['sections']} s LEFT JOIN {t['courses']} c ON trim(c.course_number) = trim(s.course_number)
        WHERE c.dcid IS NULL""",
        f"""INSERT INTO dq.load_finding
        SELECT $load_id, $source, {file.format('studentcontactassoc')}, {line_of('a', t['studentcontactassoc'])},
               CASE WHEN s.dcid IS NULL THEN 'StudentContactAssoc.StudentDCID' ELSE 'StudentContactAssoc.PersonID' END,
               trim(a.studentcontactassocid), 'orphan_contact_link', 'warning',
               CASE WHEN s.dcid IS NULL THEN a.studentdcid ELSE a.personid END,
               'contact link refers to a student or person that does not exist; not delivered'
        FROM {t['studentcontactassoc']} a
        LEFT JOIN {t['students']} s ON trim(s.dcid) = trim(a.studentdcid)
        LEFT JOIN {t['person']} p ON trim(p.id) = trim(a.personid)
        WHERE s.dcid IS NULL OR p.id IS NULL""",
    ]


def build_canonical(cur: duckdb.DuckDBPyConnection, source: str, prefix: str, load_id: int) -> list[Finding]:
    install_macros(cur)
    tables = [
        "prefs", "schools", "terms", "courses", "sections", "cc", "students", "studentrace", "users",
        "schoolstaff", "sectionteacher", "roledef", "person", "studentcontactassoc",
        "studentcontactdetail", "emailaddress", "personemailaddressassoc", "phonenumber",
        "personphonenumberassoc", "personaddress", "personaddressassoc", "codeset",
    ]
    t = {name: raw_table(source, name) for name in tables}
    number = cur.execute(
        f"SELECT max(trim(value)) FROM {t['prefs']} WHERE lower(trim(name)) = 'districtnumber'"
    ).fetchone()
    district_id = f"D{number[0]}" if number and number[0] else None
    params: dict[str, Any] = {
        "prefix": prefix, "source": source, "load_id": load_id, "district_id": district_id,
        "district": prefix + district_id if district_id else None,
    }
    _insert(cur, "school", _school_sql(t), params)
    _insert(cur, "calendar", _calendar_sql(t), params)
    _insert(cur, "course", _course_sql(t), params)
    _insert(cur, "class", _class_sql(t), params)
    _insert(cur, "student", _student_sql(cur, source, t), params)
    _insert(cur, "teacher", _staff_sql(t, teachers=True), params)
    _insert(cur, "admin", _staff_sql(t, teachers=False), params)
    _insert(cur, "contact", _contact_sql(t), params)
    _insert(cur, "student_contact", _student_contact_sql(t), params)
    _insert(cur, "enrollment", _enrollment_sql(t), params)
    for sql in _findings_sql(t):
        cur.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
    return []
