"""The OneRoster 1.1 CSV binding as data: files, columns in spec order, vocabularies, layout signs.

Sources: /work/shared/reference/powerschool-and-oneroster.md section 3 (several independent header
lists agree). ``need`` is ``R`` (a value is required), ``D`` (required in delta files, blank in bulk
files) or ``O`` (optional). ``key`` fields must be non-empty or the load is refused (a row without
them cannot be placed). ``ref`` names the file whose ``sourcedId`` a value must match.

The second half states the per-row rules as SQL (``row_checks``, ``ref_check``): each ``Check`` is
a set-based query over a file's raw rows whose hits become findings; the reader runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

MANIFEST = "manifest"
MANIFEST_HEADER = ("propertyName", "value")
MANIFEST_VERSION = "1.0"
ONEROSTER_VERSION = "1.1"
MODES = ("bulk", "delta", "absent")

STATUS = ("active", "tobedeleted")
DELETED_STATUS = ("tobedeleted", "inactive")  # 1.0's inactive is deprecated: read as tobedeleted
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
USER_ROLES = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher")
ENROLLMENT_ROLES = ("administrator", "proctor", "student", "teacher")
SEXES = ("male", "female")
BOOLEANS = ("true", "false")
GRADES = ("IT", "PR", "PK", "TK", "KG", *(f"{g:02d}" for g in range(1, 14)), "PS", "UG", "Other")

# canonical entity of each users.role
STUDENT_ROLES = ("student",)
TEACHER_ROLES = ("teacher", "aide")
ADMIN_ROLES = ("administrator", "proctor")
CONTACT_ROLES = ("parent", "guardian", "relative")

RACES = (
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
)

DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
YEAR_RE = r"^\d{4}$"
USER_ID_RE = r"^\{[^{}:]+:[^{}]*\}$"


@dataclass(frozen=True)
class Field:
    """One column of a OneRoster file."""

    name: str
    need: str = "O"  # R | D | O
    kind: str = "text"  # text | date | datetime | bool | enum | year | list | grades | userids
    enum: tuple[str, ...] = ()
    ref: str | None = None  # file whose sourcedId the value (or each list item) names
    key: bool = False  # empty -> the load is refused

    @property
    def is_list(self) -> bool:
        return self.kind in ("list", "grades", "userids")


@dataclass(frozen=True)
class FileSpec:
    """One OneRoster CSV file: its name without .csv and its columns in spec order."""

    name: str
    fields: tuple[Field, ...]

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


def _head() -> tuple[Field, ...]:
    return (
        Field("sourcedId", "R", key=True),
        Field("status", "D", "enum", STATUS),
        Field("dateLastModified", "D", "datetime"),
    )


SPECS: dict[str, FileSpec] = {
    s.name: s
    for s in (
        FileSpec("orgs", (
            *_head(),
            Field("name", "R"),
            Field("type", "R", "enum", ORG_TYPES),
            Field("identifier"),
            Field("parentSourcedId", ref="orgs"),
        )),
        FileSpec("academicSessions", (
            *_head(),
            Field("title", "R"),
            Field("type", "R", "enum", SESSION_TYPES),
            Field("startDate", "R", "date"),
            Field("endDate", "R", "date"),
            Field("parentSourcedId", ref="academicSessions"),
            Field("schoolYear", "R", "year"),
        )),
        FileSpec("courses", (
            *_head(),
            Field("schoolYearSourcedId", ref="academicSessions"),
            Field("title", "R"),
            Field("courseCode"),
            Field("grades", kind="grades"),
            Field("orgSourcedId", "R", ref="orgs"),
            Field("subjects", kind="list"),
            Field("subjectCodes", kind="list"),
        )),
        FileSpec("classes", (
            *_head(),
            Field("title", "R"),
            Field("grades", kind="grades"),
            Field("courseSourcedId", "R", ref="courses"),
            Field("classCode"),
            Field("classType", "R", "enum", CLASS_TYPES),
            Field("location"),
            Field("schoolSourcedId", "R", ref="orgs"),
            Field("termSourcedIds", "R", "list", ref="academicSessions"),
            Field("subjects", kind="list"),
            Field("subjectCodes", kind="list"),
            Field("periods", kind="list"),
        )),
        FileSpec("users", (
            *_head(),
            Field("enabledUser", "R", "bool"),
            Field("orgSourcedIds", "R", "list", ref="orgs"),
            Field("role", "R", "enum", USER_ROLES, key=True),
            Field("username", "R"),
            Field("userIds", kind="userids"),
            Field("givenName", "R"),
            Field("familyName", "R"),
            Field("middleName"),
            Field("identifier"),
            Field("email"),
            Field("sms"),
            Field("phone"),
            Field("agentSourcedIds", kind="list", ref="users"),
            Field("grades", kind="grades"),
            Field("password"),
        )),
        FileSpec("enrollments", (
            *_head(),
            Field("classSourcedId", "R", ref="classes", key=True),
            Field("schoolSourcedId", "R", ref="orgs"),
            Field("userSourcedId", "R", ref="users", key=True),
            Field("role", "R", "enum", ENROLLMENT_ROLES, key=True),
            Field("primary", kind="bool"),
            Field("beginDate", kind="date"),
            Field("endDate", kind="date"),
        )),
        FileSpec("demographics", (
            *_head(),
            Field("birthDate", kind="date"),
            Field("sex", kind="enum", enum=SEXES),
            *(Field(r, kind="bool") for r in RACES),
            Field("demographicRaceTwoOrMoreRaces", kind="bool"),
            Field("hispanicOrLatinoEthnicity", kind="bool"),
            Field("countryOfBirthCode"),
            Field("stateOfBirthAbbreviation"),
            Field("cityOfBirth"),
            Field("publicSchoolResidenceStatus"),
        )),
    )
}

# Gradebook and resource files: valid OneRoster, not part of a roster; never read.
OTHER_FILES = ("categories", "classResources", "courseResources", "lineItems", "resources", "results")
ALL_FILES = (*SPECS, *OTHER_FILES)

# Files an enrollment cannot do without: enrollments of classes or users outside the package are
# not delivered, so a package with enrollments but no classes.csv or users.csv is refused.
NEEDS = {"enrollments": ("classes", "users")}

# Microsoft School Data Sync v2/v2.1 (OneRoster-like file names, different columns).
SDS_FILES = ("roles", "relationships", "userFlags")
# file -> {SDS column: the OneRoster 1.1 column it stands in for}; a sign only without the latter.
SDS_COLUMNS = {
    "users": {"activeDirectoryMatchId": "enabledUser"},
    "classes": {"sessionSourcedIds": "termSourcedIds"},
    "courses": {"subject": "subjects", "code": "courseCode"},
    "demographics": {"ethnicityCodes": "hispanicOrLatinoEthnicity", "raceCodes": "white"},
}
SDS_MINIMAL_HEADERS = {
    "classes": ("sourcedId", "orgSourcedId", "title"),
    "enrollments": ("classSourcedId", "userSourcedId", "role"),
}

# OneRoster 1.0 columns that 1.1 renamed: file -> {1.0 column: its 1.1 name}; a sign only
# when the 1.1 column is absent.
V10_COLUMNS = {
    "classes": {"termSourcedId": "termSourcedIds", "grade": "grades"},
    "courses": {"schoolYearId": "schoolYearSourcedId", "grade": "grades"},
    "users": {"userId": "userIds", "agents": "agentSourcedIds"},
    "demographics": {"userSourcedId": "sourcedId", "birthdate": "birthDate"},
}
# 1.1 columns whose absence (with the file's other columns present) marks the 1.0 layout.
V10_MISSING = {
    "academicSessions": "schoolYear",
    "users": "enabledUser",
    "enrollments": "beginDate",
}


def spec_named(name: str) -> FileSpec | None:
    """The spec of a file stem, matched case-insensitively (``Users`` -> users)."""
    for key, spec in SPECS.items():
        if key.lower() == name.lower():
            return spec
    return None


def canonical_name(stem: str) -> str | None:
    """The OneRoster name (any of the 13 files or manifest) of a file stem, case-insensitively."""
    for name in (*ALL_FILES, MANIFEST):
        if name.lower() == stem.lower():
            return name
    return None


# ------------------------------------------------------------------------------ the rules as SQL


@dataclass(frozen=True)
class Rows:
    """A file's rows as SQL: ``base`` is a FROM item with ``wb_line``, ``wb_id`` and the columns.
    ``mode`` is the file's manifest mode: ``bulk``, or ``delta`` (only when a package is checked
    without being loaded, ``validate_package``)."""

    spec: FileSpec
    columns: set[str]
    base: str
    mode: str = "bulk"


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Check:
    """A set-based row check: each row of ``source`` (alias ``t``, with ``wb_line`` and ``wb_id``)
    where ``cond`` holds is a finding. ``severity``, ``message`` and ``value`` are SQL expressions."""

    field: str
    rule: str
    severity: str
    cond: str
    message: str
    value: str = "NULL"
    source: str | None = None  # default: the file's rows (``Rows.base``)


def list_source(rows: Rows, col: str) -> str:
    return (f"(SELECT wb_line, wb_id, unnest(wb_or_list({q(col)})) AS item, "
            f"generate_subscripts(wb_or_list({q(col)}), 1) AS pos FROM {rows.base})")


def sql_list(values: tuple[str, ...]) -> str:
    """A SQL list literal of spec constants (never of input data)."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _field_checks(rows: Rows, fld: Field) -> list[Check]:
    col, name = f"t.{q(fld.name)}", fld.name
    v = f"wb_or_text({col})"
    checks = []
    if fld.need == "R" and not fld.key:
        checks.append(Check(name, "required_missing", "'error'", f"{v} IS NULL",
                            "'required value is empty'"))
    if fld.kind == "enum":
        checks.append(_enum_check(rows, fld, v))
    elif fld.kind == "bool":
        allowed = sql_list(BOOLEANS)
        checks.append(Check(
            name, "bool_value", f"CASE WHEN list_contains({allowed}, lower({v})) THEN 'warning' "
            "ELSE 'error' END", f"{v} IS NOT NULL AND NOT list_contains({allowed}, {v})",
            f"CASE WHEN list_contains({allowed}, lower({v})) THEN 'booleans are lower-case true/false; "
            f"read as ' || lower({v}) ELSE 'not true or false; read as empty' END", v))
    elif fld.kind == "date":
        checks.append(Check(
            name, "date_format", f"CASE WHEN wb_or_date({v}) IS NULL THEN 'error' ELSE 'warning' END",
            f"{v} IS NOT NULL AND NOT (regexp_full_match({v}, '{DATE_RE}') AND TRY_CAST({v} AS DATE) "
            "IS NOT NULL)", f"CASE WHEN wb_or_date({v}) IS NULL THEN 'not a date (YYYY-MM-DD); read "
            f"as empty' ELSE 'dates are YYYY-MM-DD; read as ' || wb_or_date({v}) END", v))
    elif fld.kind == "datetime":
        checks.append(Check(
            name, "datetime_format", "'warning'", f"{v} IS NOT NULL AND NOT (regexp_full_match({v}, "
            f"'{DATETIME_RE}') AND TRY_CAST(rtrim({v}, 'Z') AS TIMESTAMP) IS NOT NULL)",
            "'not a UTC date-time YYYY-MM-DDTHH:MM:SS.sssZ'", v))
    elif fld.kind == "year":
        checks.append(Check(name, "year_format", "'error'", f"{v} IS NOT NULL AND NOT "
                            f"regexp_full_match({v}, '{YEAR_RE}')",
                            "'not a year (YYYY); read as empty'", v))
    checks += _list_checks(rows, fld)
    return checks


def _enum_check(rows: Rows, fld: Field, v: str) -> Check:
    allowed = sql_list(fld.enum)
    lowered = sql_list(tuple(x.lower() for x in fld.enum))
    drop = rows.spec.name == "users" and fld.name == "role"
    other = ("'not a OneRoster 1.1 user role; the user is not loaded'" if drop
             else f"'not one of {', '.join(fld.enum)}'")
    if fld.name == "status":
        return Check(fld.name, "status_value", "'warning'",
                     f"{v} IS NOT NULL AND NOT list_contains({allowed}, {v})",
                     f"CASE WHEN lower({v}) = 'inactive' THEN 'inactive is the deprecated 1.0 status; "
                     "read as tobedeleted' ELSE 'status is active or tobedeleted' END", v)
    return Check(
        fld.name, "enum_value",
        f"CASE WHEN list_contains({lowered}, lower({v})) THEN 'warning' ELSE "
        f"'{'error' if drop else 'warning'}' END",
        f"{v} IS NOT NULL AND NOT list_contains({allowed}, {v})",
        f"CASE WHEN list_contains({lowered}, lower({v})) THEN 'enumerations are case-sensitive; "
        f"read as ' || {allowed}[list_position({lowered}, lower({v}))] ELSE {other} END", v)


def _list_checks(rows: Rows, fld: Field) -> list[Check]:
    if fld.kind == "grades":
        return [Check(fld.name, "grade_value", "'warning'",
                      f"NOT list_contains({sql_list(GRADES)}, item)",
                      "'''' || item || ''' is not a CEDS grade code (PK, KG, 01 ... 13, ...); kept as given'",
                      "item", list_source(rows, fld.name))]
    if fld.kind == "userids":
        return [Check(fld.name, "userids_format", "'warning'",
                      f"NOT regexp_full_match(item, '{USER_ID_RE}')",
                      "'''' || item || ''' is not a {type:id} user identifier'", "item",
                      list_source(rows, fld.name))]
    return []


def row_checks(rows: Rows) -> list[Check]:
    checks = [c for fld in rows.spec.fields if fld.name in rows.columns for c in _field_checks(rows, fld)]
    if rows.mode == "delta":
        return checks + _delta_checks(rows) + _special_checks(rows)
    if {"status", "dateLastModified"} <= rows.columns:
        s, d = "wb_or_text(t.status)", 'wb_or_text(t."dateLastModified")'
        checks.append(Check(
            "status", "bulk_delta_fields", "'warning'", f"{s} IS NOT NULL OR {d} IS NOT NULL",
            f"CASE WHEN {d} IS NULL THEN 'status is set but dateLastModified is blank: valid for "
            "neither bulk (both blank) nor delta (both set); read as bulk' ELSE 'bulk files leave "
            "status and dateLastModified blank' END", f"coalesce({s}, '') || '|' || coalesce({d}, '')"))
    if "status" in rows.columns:
        checks.append(Check("status", "deleted_row", "'warning'",
                            f"list_contains({sql_list(DELETED_STATUS)}, lower(wb_or_text(t.status)))",
                            "'status ' || trim(t.status) || ': the record is not loaded'", "t.status"))
    return checks + _special_checks(rows)


def _delta_checks(rows: Rows) -> list[Check]:
    """A delta row says what happened to it and when: status and dateLastModified are required."""
    both = ("status", "dateLastModified")
    cond = (" OR ".join(f"wb_or_text(t.{q(c)}) IS NULL" for c in both)
            if set(both) <= rows.columns else "true")
    return [Check("status", "delta_fields_missing", "'error'", cond,
                  "'delta rows need both status and dateLastModified'")]


def _special_checks(rows: Rows) -> list[Check]:
    cols, checks = rows.columns, []
    pairs = {"academicSessions": ("startDate", "endDate"), "enrollments": ("beginDate", "endDate")}
    a, b = pairs.get(rows.spec.name, ("", ""))
    if a in cols and b in cols:
        checks.append(Check(b, "date_order", "'warning'", f"wb_or_date(t.{q(b)}) < wb_or_date(t.{q(a)})",
                            f"'{b} is before {a}'", f"t.{q(b)}"))
    if rows.spec.name == "users" and "agentSourcedIds" in cols:
        checks.append(Check(
            "agentSourcedIds", "duplicate_agent", "'info'", "pos > first_pos",
            "'''' || item || ''' is listed more than once; the first counts'", "item",
            "(SELECT *, min(pos) OVER (PARTITION BY wb_line, item) AS first_pos "
            f"FROM {list_source(rows, 'agentSourcedIds')})"))
    if rows.spec.name == "enrollments" and {"primary", "role"} <= cols:
        checks.append(Check("primary", "primary_not_teacher", "'info'",
                            "wb_or_bool(t.\"primary\") AND trim(t.role) <> 'teacher'",
                            "'primary is for teachers only; the role is ' || trim(t.role)", "t.\"primary\""))
    return checks


def ref_check(rows: Rows, name: str, target: FileSpec, table: str, is_list: bool,
              ids: str | None = None) -> Check:
    """References from ``rows.name`` to the sourcedIds of ``table`` (or of ``ids``: a relation with
    the column ``id``, e.g. the rows a delta's receiver already holds)."""
    ids = ids or f'(SELECT DISTINCT trim("sourcedId") AS id FROM {table})'
    if is_list:
        src = f"(SELECT s.* FROM {list_source(rows, name)} s ANTI JOIN {ids} i ON i.id = s.item)"
    else:
        src = (f"(SELECT s.wb_line, s.wb_id, wb_or_text(s.{q(name)}) AS item FROM {rows.base} s "
               f"ANTI JOIN {ids} i ON i.id = wb_or_text(s.{q(name)}))")
    drop = rows.spec.name == "enrollments" and name in ("classSourcedId", "userSourcedId")
    what = {True: "; the enrollment is not loaded", False: ""}[drop]
    if rows.spec.name == "demographics":
        what = "; the demographics are not attached to anyone"
    return Check(name, "dangling_reference", "'error'" if drop else "'warning'", "item IS NOT NULL",
                 f"'''' || item || ''' is not a sourcedId in {target.file_name}{what}'",
                 "item", src)
