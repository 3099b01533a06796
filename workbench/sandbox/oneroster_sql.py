"""The OneRoster 1.1 files as DuckDB queries over the PowerSchool tables, following docs/mapping.md.

Each query yields the spec columns (``HEADERS``) it knows plus the sort key ``k``. The registered
views are the PowerSchool tables under lower-case names and ``district`` (one row: ``org``, ``name``).
"""

from __future__ import annotations

HEADERS: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"),
    "academicSessions": ("sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
                         "parentSourcedId", "schoolYear"),
    "courses": ("sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode", "grades",
                "orgSourcedId", "subjects", "subjectCodes"),
    "classes": ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"),
    "users": ("sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds",
              "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds",
              "grades", "password"),
    "enrollments": ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId",
                    "role", "primary", "beginDate", "endDate"),
    "demographics": ("sourcedId", "status", "dateLastModified", "birthDate", "sex", "americanIndianOrAlaskaNative",
                     "asian", "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander", "white",
                     "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity", "countryOfBirthCode",
                     "stateOfBirthAbbreviation", "cityOfBirth", "publicSchoolResidenceStatus"),
}

MANIFEST_FILES = ("academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
                  "demographics", "enrollments", "lineItems", "orgs", "resources", "results", "users")

MACROS = (
    "CREATE OR REPLACE MACRO ceds(g) AS CASE WHEN g IS NULL THEN NULL WHEN g < 0 THEN 'PK' WHEN g = 0 THEN 'KG' "
    "WHEN g <= 13 THEN lpad(CAST(g AS VARCHAR), 2, '0') ELSE 'Other' END",
    "CREATE OR REPLACE MACRO ymd(x) AS strftime(x, '%Y-%m-%d')",
    "CREATE OR REPLACE MACRO tf(x) AS CASE WHEN x THEN 'true' ELSE 'false' END",
    "CREATE OR REPLACE MACRO org(s) AS CASE WHEN s = 0 THEN (SELECT org FROM district) ELSE CAST(s AS VARCHAR) END",
)

ORGS = """
SELECT -1 AS k, org AS sourcedId, name, 'district' AS type, substr(org, 2) AS identifier,
       NULL AS parentSourcedId
FROM district
UNION ALL
SELECT School_Number, CAST(School_Number AS VARCHAR), Name, 'school', NULLIF(SIF_StatePrID, ''),
       (SELECT org FROM district)
FROM schools
"""

SESSIONS = """
SELECT t.SchoolID * 100000 + t.ID AS k, t.SchoolID || '-' || t.ID AS sourcedId, t.Name AS title,
       CASE WHEN t.Portion = 1 THEN 'schoolYear' WHEN t.Portion IN (2, 3) THEN 'semester'
            ELSE 'gradingPeriod' END AS type,
       ymd(t.FirstDay) AS startDate, ymd(t.LastDay) AS endDate,
       (SELECT p.SchoolID || '-' || p.ID FROM terms p
        WHERE p.SchoolID = t.SchoolID AND p.YearID = t.YearID AND p.Portion < t.Portion
          AND p.FirstDay <= t.FirstDay AND p.LastDay >= t.LastDay
        ORDER BY p.Portion DESC, p.ID LIMIT 1) AS parentSourcedId,
       CAST(t.YearID + 1991 AS VARCHAR) AS schoolYear
FROM terms t
"""

COURSES = """
SELECT DCID AS k, CAST(DCID AS VARCHAR) AS sourcedId, NULL AS schoolYearSourcedId, Course_Name AS title,
       Course_Number AS courseCode, NULL AS grades, org(SchoolID) AS orgSourcedId,
       NULLIF(Sched_Department, '') AS subjects, NULL AS subjectCodes
FROM courses
"""

CLASSES = """
SELECT s.DCID AS k, CAST(s.DCID AS VARCHAR) AS sourcedId, c.Course_Name || ' - ' || s.Section_Number AS title,
       ceds(s.Grade_Level) AS grades, CAST(c.DCID AS VARCHAR) AS courseSourcedId,
       s.Course_Number || '.' || s.Section_Number AS classCode, 'scheduled' AS classType, s.Room AS location,
       CAST(s.SchoolID AS VARCHAR) AS schoolSourcedId, s.SchoolID || '-' || abs(s.TermID) AS termSourcedIds,
       NULL AS subjects, NULL AS subjectCodes, s.Expression AS periods
FROM sections s LEFT JOIN courses c ON c.Course_Number = s.Course_Number
"""

_EMAILS = """
primary_email AS (
  SELECT a.PersonID,
         first(e.EmailAddress ORDER BY a.IsPrimaryEmailAddress DESC, a.EmailAddressPriorityOrder)
           FILTER (WHERE NULLIF(trim(e.EmailAddress), '') IS NOT NULL) AS email
  FROM personemailaddressassoc a JOIN emailaddress e ON e.EmailAddressID = a.EmailAddressID GROUP BY a.PersonID)
"""

USERS_STUDENTS = """
WITH """ + _EMAILS + """,
agents AS (SELECT StudentDCID, string_agg('C' || PersonID, ',' ORDER BY ContactPriorityOrder) AS ids
           FROM studentcontactassoc GROUP BY StudentDCID)
SELECT s.DCID AS k, 'S' || s.DCID AS sourcedId, tf(s.Enroll_Status IN (-1, 0)) AS enabledUser,
       CAST(s.SchoolID AS VARCHAR) AS orgSourcedIds, 'student' AS role, s.Student_Web_ID AS username,
       '{State:' || NULLIF(s.State_StudentNumber, '') || '}' AS userIds, s.First_Name AS givenName,
       s.Last_Name AS familyName, NULLIF(s.Middle_Name, '') AS middleName,
       CAST(s.Student_Number AS VARCHAR) AS identifier, pe.email, NULL AS sms, s.Home_Phone AS phone,
       ag.ids AS agentSourcedIds, ceds(s.Grade_Level) AS grades, NULL AS password
FROM students s LEFT JOIN primary_email pe ON pe.PersonID = s.Person_ID
LEFT JOIN agents ag ON ag.StudentDCID = s.DCID
WHERE s.DCID IS NOT NULL
"""

USERS_STAFF = """
WITH staff_role AS (
  SELECT u.DCID, CASE WHEN EXISTS (SELECT 1 FROM schoolstaff x WHERE x.Users_DCID = u.DCID AND x.StaffStatus = 1)
                      THEN 'teacher' WHEN u.PSAccess = 1 THEN 'administrator' END AS role,
         EXISTS (SELECT 1 FROM schoolstaff x WHERE x.Users_DCID = u.DCID AND x.Status = 1) AS enabled
  FROM users u),
other_schools AS (
  SELECT Users_DCID, string_agg(org(SchoolID), ',' ORDER BY CAST(SchoolID AS VARCHAR)) AS ids FROM (
    SELECT DISTINCT x.Users_DCID, x.SchoolID FROM schoolstaff x JOIN users u ON u.DCID = x.Users_DCID
    WHERE x.Status = 1 AND x.SchoolID <> u.HomeSchoolID) GROUP BY Users_DCID)
SELECT u.DCID AS k, 'T' || u.DCID AS sourcedId, tf(r.enabled) AS enabledUser,
       org(u.HomeSchoolID) || coalesce(',' || o.ids, '') AS orgSourcedIds, r.role,
       CASE WHEN r.role = 'teacher' THEN u.TeacherLoginID ELSE u.LoginID END AS username,
       '{State:' || NULLIF(u.SIF_StatePrID, '') || '}' AS userIds, u.First_Name AS givenName,
       u.Last_Name AS familyName, NULLIF(u.Middle_Name, '') AS middleName, u.TeacherNumber AS identifier,
       NULLIF(u.Email_Addr, '') AS email, NULL AS sms, NULLIF(u.School_Phone, '') AS phone,
       NULL AS agentSourcedIds, NULL AS grades, NULL AS password
FROM users u JOIN staff_role r ON r.DCID = u.DCID LEFT JOIN other_schools o ON o.Users_DCID = u.DCID
WHERE r.role IS NOT NULL
"""

USERS_CONTACTS = """
WITH """ + _EMAILS + """,
current_rel AS (
  SELECT a.PersonID, c.DisplayValue AS rel, s.SchoolID
  FROM studentcontactassoc a
  JOIN studentcontactdetail d ON d.StudentContactAssocID = a.StudentContactAssocID AND d.IsActive = 1
  JOIN codeset c ON c.CodeSetID = d.RelationshipTypeCodeSetID
  JOIN students s ON s.DCID = a.StudentDCID),
contact AS (
  SELECT PersonID,
         CASE WHEN bool_or(rel IN ('Mother', 'Father', 'Parent', 'Stepmother', 'Stepfather')) THEN 'parent'
              WHEN bool_or(rel = 'Guardian') THEN 'guardian' ELSE 'relative' END AS role
  FROM current_rel GROUP BY PersonID),
contact_orgs AS (
  SELECT PersonID, string_agg(CAST(SchoolID AS VARCHAR), ',' ORDER BY SchoolID) AS ids
  FROM (SELECT DISTINCT PersonID, SchoolID FROM current_rel) GROUP BY PersonID),
phones AS (
  SELECT a.PersonID, list(p.PhoneNumber ORDER BY a.IsPreferred DESC, a.PhoneNumberPriorityOrder) AS numbers
  FROM personphonenumberassoc a JOIN phonenumber p ON p.PhoneNumberID = a.PhoneNumberID GROUP BY a.PersonID)
SELECT p.ID AS k, 'C' || p.ID AS sourcedId, tf(p.IsActive = 1) AS enabledUser, co.ids AS orgSourcedIds, c.role,
       coalesce(pe.email, 'C' || p.ID) AS username, NULL AS userIds, p.FirstName AS givenName,
       p.LastName AS familyName, NULLIF(p.MiddleName, '') AS middleName, NULL AS identifier, pe.email,
       ph.numbers[2] AS sms, ph.numbers[1] AS phone, NULL AS agentSourcedIds, NULL AS grades, NULL AS password
FROM person p JOIN contact c ON c.PersonID = p.ID
LEFT JOIN contact_orgs co ON co.PersonID = p.ID
LEFT JOIN primary_email pe ON pe.PersonID = p.ID
LEFT JOIN phones ph ON ph.PersonID = p.ID
"""

ENROLLMENTS_STUDENTS = """
SELECT cc.ID AS k, 'E' || cc.DCID AS sourcedId, CAST(x.DCID AS VARCHAR) AS classSourcedId,
       CAST(x.SchoolID AS VARCHAR) AS schoolSourcedId, 'S' || s.DCID AS userSourcedId, 'student' AS role,
       NULL AS "primary", ymd(cc.DateEnrolled) AS beginDate, ymd(cc.DateLeft - INTERVAL 1 DAY) AS endDate
FROM cc JOIN sections x ON x.ID = cc.SectionID JOIN students s ON s.ID = cc.StudentID
WHERE cc.SectionID > 0 AND cc.DateLeft > cc.DateEnrolled AND s.DCID IS NOT NULL
"""

ENROLLMENTS_TEACHERS = """
SELECT t.ID AS k, 'ST' || t.ID AS sourcedId, CAST(x.DCID AS VARCHAR) AS classSourcedId,
       CAST(x.SchoolID AS VARCHAR) AS schoolSourcedId, 'T' || ss.Users_DCID AS userSourcedId, 'teacher' AS role,
       tf(r.Name = 'Lead Teacher') AS "primary", ymd(t.Start_Date) AS beginDate, ymd(t.End_Date) AS endDate
FROM sectionteacher t JOIN sections x ON x.ID = t.SectionID JOIN schoolstaff ss ON ss.ID = t.TeacherID
JOIN roledef r ON r.ID = t.RoleID
"""

DEMOGRAPHICS = """
WITH r AS (
  SELECT StudentID, bool_or(RaceCD = 'I') AS i, bool_or(RaceCD = 'A') AS a, bool_or(RaceCD = 'B') AS b,
         bool_or(RaceCD = 'P') AS p, bool_or(RaceCD = 'W') AS w, count(DISTINCT RaceCD) AS n
  FROM studentrace GROUP BY StudentID)
SELECT s.DCID AS k, 'S' || s.DCID AS sourcedId, ymd(s.DOB) AS birthDate,
       CASE WHEN s.Gender IS NULL THEN NULL WHEN s.Gender = 'M' THEN 'male' WHEN s.Gender = 'F' THEN 'female'
            ELSE 'other' END AS sex,
       tf(coalesce(r.i, false)) AS americanIndianOrAlaskaNative, tf(coalesce(r.a, false)) AS asian,
       tf(coalesce(r.b, false)) AS blackOrAfricanAmerican, tf(coalesce(r.p, false)) AS nativeHawaiianOrOtherPacificIslander,
       tf(coalesce(r.w, false)) AS white, tf(coalesce(r.n, 0) > 1) AS demographicRaceTwoOrMoreRaces,
       tf(s.FedEthnicity = 1) AS hispanicOrLatinoEthnicity, NULL AS countryOfBirthCode,
       NULL AS stateOfBirthAbbreviation, NULL AS cityOfBirth, NULL AS publicSchoolResidenceStatus
FROM students s LEFT JOIN r ON r.StudentID = s.ID
WHERE s.DCID IS NOT NULL
"""

#: Each file is written part by part (each part sorted by ``k``), so no query holds a whole big file.
QUERIES: dict[str, tuple[str, ...]] = {
    "orgs": (ORGS,), "academicSessions": (SESSIONS,), "courses": (COURSES,), "classes": (CLASSES,),
    "users": (USERS_STUDENTS, USERS_STAFF, USERS_CONTACTS),
    "enrollments": (ENROLLMENTS_STUDENTS, ENROLLMENTS_TEACHERS), "demographics": (DEMOGRAPHICS,),
}


def part_queries(name: str) -> list[str]:
    """The queries for one file: its spec columns in spec order (status and dateLastModified blank)."""
    cols = ", ".join(f'"{h}"' if h not in ("status", "dateLastModified") else f'NULL AS "{h}"' for h in HEADERS[name])
    return [f"SELECT {cols} FROM ({inner}) ORDER BY k" for inner in QUERIES[name]]
