"""The ``/ws/v1`` resources: for each, the SQL over the district's tables (one row per record, the
record's DCID as ``id``), the searchable fields, and the JSON object PowerSchool builds from a row.
Columns an extract lacks read as NULL; NULL members are left out of the objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.sandbox.mock_powerschool.context import Context
from workbench.sandbox.mock_powerschool.store import DistrictStore

Row = dict[str, Any]
ID = "(?P<ident>[^/]+)"
PARENT = "(?P<parent>[^/]+)"
STATUS = {"0": ("A", "Active"), "-1": ("P", "Pre-registered"), "1": ("I", "Inactive"), "2": ("T", "Transferred out"),
          "3": ("G", "Graduated"), "4": ("H", "Historical")}
STATUS_LETTER = ("CASE r.enroll_status " + " ".join(f"WHEN '{k}' THEN '{v[0]}'" for k, v in STATUS.items())
                 + " ELSE 'I' END")


@dataclass(frozen=True)
class Resource:
    plural: str
    singular: str
    paths: tuple[str, ...]
    base: Callable[[DistrictStore], str]
    order: str
    build: Callable[[Context, Row, set[str]], dict[str, Any]]
    search: dict[str, str] = field(default_factory=dict)
    scope: str | None = None  # the column a parent id in the path is matched against
    parent: tuple[str, str] | None = None  # (table, column) the parent id must exist in
    expansions: tuple[str, ...] = ()
    single: str | None = None
    list_filter: str = ""  # lists and counts leave these out (the Graduated Students school)
    extension_tables: bool = False

    def sql(self, store: DistrictStore) -> str:
        return self.base(store)

    def extensions(self, store: DistrictStore) -> list[str]:
        return student_extensions(store) if self.extension_tables else []


def cols(store: DistrictStore, alias: str, table: str, names: list[str]) -> str:
    t = store.table(table)
    have = set(t.fields) if t else set()
    return ", ".join(f'{alias}."{n}" AS "{n}"' if n in have else f'CAST(NULL AS VARCHAR) AS "{n}"' for n in names)


def clean(obj: dict[str, Any]) -> dict[str, Any] | str:
    """Drop NULL (and empty nested) members; an object with nothing left is ``""``."""
    out = {k: v for k, v in obj.items() if v is not None and v != "" and v != {}}
    return out or ""


def _expand(obj: dict[str, Any], expansions: set[str], builders: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    for name in sorted(expansions):
        if name in builders:
            obj[name] = builders[name]()
    return obj


# Students ----------------------------------------------------------------------------------------

_STUDENT = ["student_number", "state_studentnumber", "student_web_id", "first_name", "middle_name", "last_name",
            "gender", "dob", "districtentrydate", "sched_yearofgraduation", "grade_level", "enroll_status",
            "entrydate", "exitdate", "schoolid", "entrycode", "exitcode", "street", "city", "state", "zip",
            "mailing_street", "mailing_city", "mailing_state", "mailing_zip", "home_phone", "fedethnicity",
            "guardianemail", "mother", "father", "home_room", "next_school", "sched_nextyeargrade", "person_id"]
STUDENT_EXPANSIONS = ("demographics", "addresses", "alerts", "phones", "school_enrollment", "ethnicity_race",
                      "contact", "contact_info", "initial_enrollment", "schedule_setup", "fees", "lunch")


def student_extensions(store: DistrictStore) -> list[str]:
    return [t.key for t in store.tables.values() if "studentsdcid" in t.fields
            and (t.key == "studentcorefields" or t.key.startswith(("u_", "s_")))]


def _students_sql(store: DistrictStore) -> str:
    return (f'SELECT s.dcid AS id, s.id AS students_id, {cols(store, "s", "students", _STUDENT)}, '
            "sch.dcid AS school_dcid FROM students s LEFT JOIN schools sch ON sch.school_number = s.schoolid")


def _races(ctx: Context, row: Row) -> Any:
    if ctx.store.table("studentrace") is None:
        return None
    codes = [c for (c,) in ctx.cur.execute("SELECT racecd FROM studentrace WHERE studentid = ? ORDER BY __row",
                                           [row["students_id"]]).fetchall()]
    races = [{"district_race_code": c} for c in codes]
    return races[0] if len(races) == 1 else (races or None)


def _extension_data(ctx: Context, dcid: str) -> dict[str, Any] | None:
    wanted = [e.strip().lower() for e in ctx.params.get("extensions", "").split(",") if e.strip()]
    tables = []
    for name in (w for w in wanted if w in student_extensions(ctx.store)):
        t = ctx.store.tables[name]
        found = ctx.cur.execute(f'SELECT * EXCLUDE (__row) FROM "{name}" WHERE studentsdcid = ? LIMIT 1',
                                [dcid]).fetchone()
        fields = [{"name": c, "type": "String", "value": v} for c, v in zip(t.fields, found or (), strict=False)
                  if v is not None and c != "studentsdcid"]
        tables.append({"name": name, "recordFound": found is not None, "_field": fields})
    if not tables:
        return None
    return {"_table_extension": tables[0] if len(tables) == 1 else tables}


def student_email(ctx: Context, person_id: Any) -> str | None:
    """The student's email as the extract loader picks it: the primary one, then by priority."""
    if person_id is None or ctx.store.table("personemailaddressassoc") is None \
            or ctx.store.table("emailaddress") is None:
        return None
    row = ctx.cur.execute("""SELECT e.emailaddress FROM personemailaddressassoc a
        JOIN emailaddress e ON trim(e.emailaddressid) = trim(a.emailaddressid)
        WHERE trim(a.personid) = trim(?)
        ORDER BY CASE WHEN lower(trim(a.isprimaryemailaddress)) IN ('1', 'true', 'y', 'yes') THEN 0 ELSE 1 END,
                 coalesce(TRY_CAST(a.emailaddresspriorityorder AS INTEGER), 999999), a.__row
        LIMIT 1""", [person_id]).fetchone()
    return row[0] if row else None


def build_student(ctx: Context, r: Row, expansions: set[str]) -> dict[str, Any]:
    status, description = STATUS.get(r["enroll_status"] or "", ("I", "Inactive"))
    obj: dict[str, Any] = {"id": r["id"], "local_id": r["student_number"], "student_username": r["student_web_id"],
                           "state_province_id": r["state_studentnumber"],
                           "name": clean({"first_name": r["first_name"], "middle_name": r["middle_name"],
                                          "last_name": r["last_name"]})}
    obj = {k: v for k, v in obj.items() if v is not None}
    _expand(obj, expansions, {
        "demographics": lambda: clean({"gender": r["gender"], "birth_date": r["dob"],
                                       "district_entry_date": r["districtentrydate"],
                                       "projected_graduation_year": r["sched_yearofgraduation"]}),
        "school_enrollment": lambda: clean({
            "enroll_status": status, "enroll_status_code": r["enroll_status"],
            "enroll_status_description": description, "grade_level": r["grade_level"], "entry_date": r["entrydate"],
            "exit_date": r["exitdate"], "school_number": r["schoolid"], "school_id": r["school_dcid"],
            "entry_code": r["entrycode"], "exit_code": r["exitcode"]}),
        "addresses": lambda: clean({
            "physical": clean({"street": r["street"], "city": r["city"], "state_province": r["state"],
                               "postal_code": r["zip"]}),
            "mailing": clean({"street": r["mailing_street"], "city": r["mailing_city"],
                              "state_province": r["mailing_state"], "postal_code": r["mailing_zip"]})}),
        "phones": lambda: clean({"main": clean({"number": r["home_phone"]})}),
        "contact": lambda: clean({"guardian_email": r["guardianemail"], "mother": r["mother"], "father": r["father"]}),
        "ethnicity_race": lambda: clean({"federal_ethnicity": r["fedethnicity"], "races": _races(ctx, r)}),
        "schedule_setup": lambda: clean({"home_room": r["home_room"], "next_school": r["next_school"],
                                         "sched_next_year_grade": r["sched_nextyeargrade"]}),
        "contact_info": lambda: clean({"email": student_email(ctx, r["person_id"])}),
        **{e: (lambda: "") for e in ("alerts", "initial_enrollment", "fees", "lunch")},
    })
    ext = _extension_data(ctx, r["id"])
    if ext:
        obj["_extension_data"] = ext
    return obj


STUDENT_SEARCH = {
    "id": "r.id", "local_id": "r.student_number", "student_username": "r.student_web_id",
    "state_province_id": "r.state_studentnumber", "name.first_name": "r.first_name",
    "name.middle_name": "r.middle_name", "name.last_name": "r.last_name",
    "school_enrollment.enroll_status": STATUS_LETTER, "school_enrollment.enroll_status_code": "r.enroll_status",
    "school_enrollment.entry_date": "r.entrydate", "school_enrollment.exit_date": "r.exitdate",
    "school_enrollment.grade_level": "r.grade_level", "school_enrollment.school_number": "r.schoolid",
}

# Schools, sections, staff, courses, terms, section enrollments -------------------------------------

_SCHOOL = ["school_number", "name", "sif_stateprid", "low_grade", "high_grade", "alternate_school_number",
           "principal", "principalemail", "principalphone", "asstprincipal", "schooladdress", "schoolcity",
           "schoolstate", "schoolzip", "schoolphone", "schoolfax"]


def build_school(ctx: Context, r: Row, expansions: set[str]) -> dict[str, Any]:
    obj = {"id": r["id"], "name": r["name"], "school_number": r["school_number"],
           "state_province_id": r["sif_stateprid"], "low_grade": r["low_grade"], "high_grade": r["high_grade"],
           "alternate_school_number": r["alternate_school_number"],
           "addresses": clean({"physical": clean({"street": r["schooladdress"], "city": r["schoolcity"],
                                                  "state_province": r["schoolstate"], "postal_code": r["schoolzip"]})}),
           "phones": clean({"main": clean({"number": r["schoolphone"]}), "fax": clean({"number": r["schoolfax"]})}),
           "principal": clean({"name": r["principal"], "email": r["principalemail"], "phone": r["principalphone"]}),
           "assistant_principal": clean({"name": r["asstprincipal"]})}
    return {k: v for k, v in obj.items() if v is not None}


_SECTION = ["section_number", "expression", "external_expression", "room", "grade_level", "maxenrollment",
            "course_number"]


def _sections_sql(store: DistrictStore) -> str:
    return (f'SELECT sec.dcid AS id, {cols(store, "sec", "sections", _SECTION)}, sch.dcid AS school_dcid, '
            "c.dcid AS course_dcid, t.dcid AS term_dcid, ss.dcid AS staff_dcid FROM sections sec "
            "LEFT JOIN schools sch ON sch.school_number = sec.schoolid "
            "LEFT JOIN (SELECT course_number, min(dcid) AS dcid FROM courses GROUP BY course_number) c "
            "ON c.course_number = sec.course_number "
            "LEFT JOIN terms t ON t.id = sec.termid AND t.schoolid = sec.schoolid "
            f"LEFT JOIN schoolstaff ss ON ss.id = {'sec.teacher' if _has(store, 'sections', 'teacher') else 'NULL'}")


def _has(store: DistrictStore, table: str, column: str) -> bool:
    t = store.table(table)
    return bool(t and column in t.fields)


def build_section(ctx: Context, r: Row, expansions: set[str]) -> dict[str, Any]:
    obj = {"id": r["id"], "school_id": r["school_dcid"], "course_id": r["course_dcid"], "term_id": r["term_dcid"],
           "staff_id": r["staff_dcid"], "section_number": r["section_number"], "expression": r["expression"],
           "external_expression": r["external_expression"], "room": r["room"], "grade_level": r["grade_level"],
           "max_enrollment": r["maxenrollment"]}
    return {k: v for k, v in obj.items() if v is not None}


_USER = ["first_name", "middle_name", "last_name", "email_addr", "teachernumber", "loginid", "teacherloginid",
         "home_phone", "title"]


def _staff_sql(store: DistrictStore) -> str:
    return (f'SELECT ss.dcid AS id, ss.id AS schoolstaff_id, ss.users_dcid, {cols(store, "u", "users", _USER)}, '
            "ss.status, ss.staffstatus, sch.dcid AS school_dcid FROM schoolstaff ss "
            "JOIN users u ON u.dcid = ss.users_dcid LEFT JOIN schools sch ON sch.school_number = ss.schoolid "
            "WHERE ss.status = '1'")


def build_staff(ctx: Context, r: Row, expansions: set[str]) -> dict[str, Any]:
    obj = {"id": r["id"], "users_dcid": r["users_dcid"], "local_id": r["teachernumber"],
           "admin_username": r["loginid"], "teacher_username": r["teacherloginid"], "title": r["title"],
           "name": clean({"first_name": r["first_name"], "middle_name": r["middle_name"], "last_name": r["last_name"]}),
           "emails": clean({"work_email": r["email_addr"]}), "phones": clean({"home_phone": r["home_phone"]}),
           "school_affiliations": {"school_affiliation": clean({"school_id": r["school_dcid"],
                                                                "type": r["staffstatus"], "status": r["status"]})}}
    return {k: v for k, v in obj.items() if v is not None}


def _courses_sql(store: DistrictStore) -> str:
    sections = ("OR (c.schoolid = '0' AND EXISTS (SELECT 1 FROM sections s WHERE s.course_number = c.course_number "
                "AND s.schoolid = sch.school_number))") if store.table("sections") else ""
    return (f'SELECT DISTINCT c.dcid AS id, {cols(store, "c", "courses", ["course_number", "course_name", "credit_hours"])},'
            f" sch.dcid AS school_dcid FROM courses c JOIN schools sch ON sch.school_number = c.schoolid {sections}")


def build_course(ctx: Context, r: Row, expansions: set[str]) -> dict[str, Any]:
    obj = {"id": r["id"], "course_number": r["course_number"], "course_name": r["course_name"],
           "credit_hours": r["credit_hours"]}
    return {k: v for k, v in obj.items() if v is not None}


def _terms_sql(store: DistrictStore) -> str:
    return (f'SELECT t.dcid AS id, {cols(store, "t", "terms", ["yearid", "portion", "firstday", "lastday", "abbreviation", "name"])}, '
            "sch.dcid AS school_dcid FROM terms t JOIN schools sch ON sch.school_number = t.schoolid")


def build_term(ctx: Context, r: Row, expansions: set[str]) -> dict[str, Any]:
    year = str(int(r["yearid"]) + 1990) if (r["yearid"] or "").lstrip("-").isdigit() else None
    obj = {"id": r["id"], "school_id": r["school_dcid"], "start_year": year, "portion": r["portion"],
           "start_date": r["firstday"], "end_date": r["lastday"], "abbreviation": r["abbreviation"], "name": r["name"]}
    return {k: v for k, v in obj.items() if v is not None}


def _enrollments_sql(store: DistrictStore) -> str:
    return ("SELECT cc.dcid AS id, sec.dcid AS section_dcid, st.dcid AS student_dcid, cc.dateenrolled, cc.dateleft, "
            "TRY_CAST(cc.sectionid AS BIGINT) < 0 AS dropped FROM cc "
            "JOIN sections sec ON TRY_CAST(sec.id AS BIGINT) = abs(TRY_CAST(cc.sectionid AS BIGINT)) "
            "LEFT JOIN students st ON st.id = cc.studentid")


def build_enrollment(ctx: Context, r: Row, expansions: set[str]) -> dict[str, Any]:
    obj = {"id": r["id"], "section_id": r["section_dcid"], "student_id": r["student_dcid"],
           "entry_date": r["dateenrolled"], "exit_date": r["dateleft"], "dropped": bool(r["dropped"])}
    return {k: v for k, v in obj.items() if v is not None}


_NUM = "TRY_CAST(r.id AS BIGINT)"
SCHOOL_PATH = f"/ws/v1/school/{PARENT}"

RESOURCES = [
    Resource("schools", "school", ("/ws/v1/district/school",),
             lambda st: f'SELECT sch.dcid AS id, {cols(st, "sch", "schools", _SCHOOL)} FROM schools sch', _NUM,
             build_school, {"id": "r.id", "school_number": "r.school_number", "name": "r.name"},
             single=f"/ws/v1/school/{ID}", list_filter=" AND r.school_number <> '999999'"),
    Resource("students", "student", ("/ws/v1/district/student", f"{SCHOOL_PATH}/student"), _students_sql, _NUM,
             build_student, STUDENT_SEARCH, scope="r.school_dcid", parent=("schools", "dcid"),
             expansions=STUDENT_EXPANSIONS, single=f"/ws/v1/student/{ID}", extension_tables=True),
    Resource("sections", "section", (f"{SCHOOL_PATH}/section",), _sections_sql, _NUM, build_section,
             {"id": "r.id", "section_number": "r.section_number", "course_number": "r.course_number",
              "term_id": "r.term_dcid", "staff_id": "r.staff_dcid"},
             scope="r.school_dcid", parent=("schools", "dcid"), expansions=("term",), single=f"/ws/v1/section/{ID}"),
    Resource("staffs", "staff", (f"{SCHOOL_PATH}/staff",), _staff_sql, "TRY_CAST(r.schoolstaff_id AS BIGINT)",
             build_staff, {"id": "r.id", "local_id": "r.teachernumber", "name.last_name": "r.last_name",
                           "name.first_name": "r.first_name"},
             scope="r.school_dcid", parent=("schools", "dcid"), single=f"/ws/v1/staff/{ID}"),
    Resource("courses", "course", (f"{SCHOOL_PATH}/course",), _courses_sql, "r.course_number, " + _NUM, build_course,
             {"id": "r.id", "course_number": "r.course_number"}, scope="r.school_dcid", parent=("schools", "dcid"),
             single=f"/ws/v1/course/{ID}"),
    Resource("terms", "term", (f"{SCHOOL_PATH}/term",), _terms_sql,
             "TRY_CAST(r.portion AS INTEGER), r.firstday, " + _NUM, build_term,
             {"id": "r.id", "start_year": "CAST(TRY_CAST(r.yearid AS INTEGER) + 1990 AS VARCHAR)"},
             scope="r.school_dcid", parent=("schools", "dcid"), single=f"/ws/v1/term/{ID}"),
    Resource("section_enrollments", "section_enrollment", (f"/ws/v1/section/{PARENT}/section_enrollment",),
             _enrollments_sql, "TRY_CAST(r.student_dcid AS BIGINT), r.dateenrolled, " + _NUM, build_enrollment,
             {"id": "r.id", "student_id": "r.student_dcid"}, scope="r.section_dcid", parent=("sections", "dcid"),
             single=f"/ws/v1/section_enrollment/{ID}"),
]
