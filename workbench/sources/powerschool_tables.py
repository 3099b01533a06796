"""The PowerSchool tables the workbench reads from extracts, and what it expects of each.

Field names are PowerSchool's, lower-cased. ``required`` fields must be in the header; ``optional``
fields are read when present and are NULL otherwise; ``keys`` must be unique and non-empty;
``integers`` and ``dates`` must parse; ``needs`` names the tables a table refers to (an extract with
CC rows but no Sections cannot be mapped).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableSpec:
    name: str  # as PowerSchool writes it
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    integers: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional


_AUDIT = ("whencreated", "whenmodified", "whocreated", "whomodified")

SPECS: dict[str, TableSpec] = {
    s.name.lower(): s
    for s in (
        TableSpec("Prefs", ("name", "value"), ("schoolid",)),
        TableSpec(
            "Schools", ("school_number", "name"),
            ("id", "dcid", "abbreviation", "sif_stateprid", "low_grade", "high_grade",
             "schooladdress", "schoolcity", "schoolstate", "schoolzip", "schoolphone", "principal",
             "alternate_school_number", "district_number"),
            keys=("school_number",), integers=("low_grade", "high_grade"),
        ),
        TableSpec(
            "Terms", ("id", "dcid", "yearid", "schoolid", "name", "firstday", "lastday", "portion"),
            ("abbreviation", "isyearrec", "noofdays", "termsinyear"),
            keys=("dcid",), integers=("id", "yearid", "portion"), dates=("firstday", "lastday"),
        ),
        TableSpec(
            "Courses", ("dcid", "course_number", "course_name"),
            ("id", "schoolid", "credit_hours", "credittype", "sched_department", "code"),
            keys=("dcid", "course_number"),
        ),
        TableSpec(
            "Sections", ("id", "dcid", "course_number", "section_number", "schoolid", "termid"),
            ("teacher", "expression", "external_expression", "room", "grade_level", "section_type",
             "maxenrollment"),
            keys=("dcid", "id"), integers=("id", "termid", "grade_level"), needs=("courses",),
        ),
        TableSpec(
            "CC", ("id", "dcid", "studentid", "sectionid", "schoolid", "termid", "dateenrolled",
                   "dateleft"),
            ("course_number", "section_number", "teacherid", "expression", "studyear"),
            keys=("dcid",), integers=("studentid", "sectionid", "termid"),
            dates=("dateenrolled", "dateleft"), needs=("sections", "students"),
        ),
        TableSpec(
            "Students", ("id", "dcid", "student_number", "first_name", "last_name", "grade_level",
                         "schoolid", "enroll_status"),
            ("state_studentnumber", "student_web_id", "middle_name", "lastfirst", "dob", "gender",
             "entrydate", "exitdate", "entrycode", "exitcode", "districtentrydate", "home_phone",
             "street", "city", "state", "zip", "mailing_street", "mailing_city", "mailing_state",
             "mailing_zip", "fedethnicity", "ethnicity", "person_id", "guardianemail", "mother",
             "father", "home_room", "sched_yearofgraduation", "transaction_date"),
            keys=("dcid", "id"), integers=("id", "dcid", "grade_level", "enroll_status"),
            dates=("dob", "entrydate", "exitdate", "districtentrydate"),
        ),
        TableSpec("StudentRace", ("studentid", "racecd"), needs=("students",)),
        TableSpec(
            "Users", ("dcid", "first_name", "last_name"),
            ("middle_name", "email_addr", "teachernumber", "loginid", "teacherloginid",
             "homeschoolid", "psaccess", "ptaccess", "title", "sif_stateprid", "preferredname",
             "school_phone", "home_phone"),
            keys=("dcid",),
        ),
        TableSpec(
            "SchoolStaff", ("id", "dcid", "users_dcid", "schoolid", "status", "staffstatus"),
            keys=("dcid", "id"), needs=("users",),
        ),
        TableSpec(
            "SectionTeacher", ("id", "sectionid", "teacherid", "roleid"),
            ("allocation", "priorityorder", "start_date", "end_date", *_AUDIT),
            keys=("id",), integers=("sectionid",), dates=("start_date", "end_date"),
            needs=("sections", "schoolstaff", "roledef"),
        ),
        TableSpec("RoleDef", ("id", "name"), ("rolekey", "description"), keys=("id",)),
        TableSpec(
            "Person", ("id", "firstname", "lastname"),
            ("dcid", "middlename", "employer", "isactive", "gendercodesetid", "statecontactid",
             *_AUDIT),
            keys=("id",),
        ),
        TableSpec(
            "StudentContactAssoc", ("studentcontactassocid", "studentdcid", "personid"),
            ("contactpriorityorder", "currreltypecodesetid", *_AUDIT),
            keys=("studentcontactassocid",), integers=("contactpriorityorder",),
            needs=("students", "person"),
        ),
        TableSpec(
            "StudentContactDetail", ("studentcontactdetailid", "studentcontactassocid"),
            ("relationshiptypecodesetid", "relationshipnote", "startdate", "enddate", "isactive",
             "iscustodial", "isemergency", "liveswithflg", "schoolpickupflg", "receivesmailflg",
             *_AUDIT),
            keys=("studentcontactdetailid",), dates=("startdate", "enddate"),
            needs=("studentcontactassoc",),
        ),
        TableSpec("EmailAddress", ("emailaddressid", "emailaddress"), keys=("emailaddressid",)),
        TableSpec(
            "PersonEmailAddressAssoc", ("personid", "emailaddressid"),
            ("personemailaddressassocid", "emailtypecodesetid", "isprimaryemailaddress",
             "emailaddresspriorityorder"),
            integers=("emailaddresspriorityorder",), needs=("emailaddress",),
        ),
        TableSpec("PhoneNumber", ("phonenumberid", "phonenumber"), ("phonenumberext", "issms"),
                  keys=("phonenumberid",)),
        TableSpec(
            "PersonPhoneNumberAssoc", ("personid", "phonenumberid"),
            ("personphonenumberassocid", "phonetypecodesetid", "ispreferred",
             "phonenumberpriorityorder", "phonenumberasentered"),
            integers=("phonenumberpriorityorder",), needs=("phonenumber",),
        ),
        TableSpec(
            "PersonAddress", ("personaddressid",),
            ("street", "linetwo", "unit", "city", "statescodesetid", "postalcode"),
            keys=("personaddressid",),
        ),
        TableSpec(
            "PersonAddressAssoc", ("personid", "personaddressid"),
            ("addresstypecodesetid", "addresspriorityorder", "startdate", "enddate"),
            integers=("addresspriorityorder",), needs=("personaddress",),
        ),
        TableSpec(
            "CodeSet", ("codesetid", "codetype"), ("code", "displayvalue", "description"),
            keys=("codesetid",),
        ),
        TableSpec("StudentCoreFields", ("studentsdcid",), keys=("studentsdcid",), needs=("students",)),
    )
}

# Student extension tables: PowerSchool's default extension and district or state groups
# (U_DEF_EXT_STUDENTS, U_STUDENTSUSERFIELDS, S_STU_X ...), one row per student by StudentsDCID.
EXTENSION_PREFIXES = ("u_", "s_")
STUDENT_EXTENSION_KEY = "studentsdcid"

# Signatures of PowerSchool *import* layouts, which are not table extracts.
IMPORT_LAYOUT_HEADERS = {
    "new contact identifier": "the PowerSchool Student Contacts import layout",
    "contact identifier": "the PowerSchool Student Contacts import layout",
}


def spec_for(table: str) -> TableSpec | None:
    """The spec of a known table, or a generic one for a student extension table."""
    t = table.lower()
    if t in SPECS:
        return SPECS[t]
    if t.startswith(EXTENSION_PREFIXES):
        return TableSpec(table.upper(), (), keys=())
    return None
