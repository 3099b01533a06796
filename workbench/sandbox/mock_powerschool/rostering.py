"""The built-in "rostering" plugin: access to every table and field the workbench reads, plus the
core ``com.pearson.core.*`` rostering PowerQueries (SQL over the district's text tables). Its
``/ws/v1`` access level is FULL (``V1_ACCESS``), so that two-way sync can send write-backs."""

from __future__ import annotations

from pathlib import Path

from workbench.sandbox.mock_powerschool.plugins import (
    Plugin,
    parse_named_queries,
    parse_plugin_xml,
    plugin_xml,
)
from workbench.sources.powerschool.plugin import QuerySpec, standard_fields
from workbench.sources.powerschool.plugin import named_queries_xml as _queries_xml

NAME = "Roster Workbench"
V1_ACCESS = "FULL"  # reads, and the write-backs of two-way sync (POST /ws/v1/student)

_STUDENT_COLUMNS = [("STUDENTS.DCID", "dcid"), ("STUDENTS.ID", "id"), ("STUDENTS.STUDENT_NUMBER", "student_number"),
                    ("STUDENTS.FIRST_NAME", "first_name"), ("STUDENTS.LAST_NAME", "last_name"),
                    ("STUDENTS.LASTFIRST", "lastfirst"), ("STUDENTS.GRADE_LEVEL", "grade_level"),
                    ("STUDENTS.GENDER", "gender")]

# (name, coreTable, args [(name, type, required)], columns [(TABLE.FIELD, alias)], sql)
CORE_QUERIES = [
    ("com.pearson.core.student.student_dcid_id_map", "students", [],
     [("STUDENTS.DCID", "dcid"), ("STUDENTS.ID", "id")],
     "select students.dcid, students.id from students order by cast(students.dcid as bigint)"),
    ("com.pearson.core.teachers.sectionEnrollments", "students", [("section_dcid", "array", True)],
     _STUDENT_COLUMNS,
     "select distinct students.dcid, students.id, students.student_number, students.first_name,"
     " students.last_name, students.lastfirst, students.grade_level, students.gender"
     " from sections join cc on cc.sectionid = sections.id join students on students.id = cc.studentid"
     " where sections.dcid in (:section_dcid)"
     " order by students.lastfirst, students.dcid"),
    ("com.pearson.core.terms.year_terms", "terms", [("schoolid", "primitive", True), ("yearid", "primitive", True)],
     [("TERMS.DCID", "dcid"), ("TERMS.ID", "id"), ("TERMS.NAME", "name"), ("TERMS.ABBREVIATION", "abbreviation"),
      ("TERMS.FIRSTDAY", "firstday"), ("TERMS.LASTDAY", "lastday"), ("TERMS.PORTION", "portion"),
      ("TERMS.ISYEARREC", "isyearrec")],
     "select dcid, id, name, abbreviation, firstday, lastday, portion, isyearrec from terms"
     " where schoolid = :schoolid and yearid = :yearid"
     " order by cast(portion as integer), firstday, cast(id as bigint)"),
    ("com.pearson.core.terms.yearid", "terms", [("schoolid", "primitive", True), ("currentdate", "primitive", True)],
     [("TERMS.YEARID", "yearid")],
     "select distinct yearid from terms where schoolid = :schoolid and isyearrec = '1'"
     " and firstday <= :currentdate and lastday >= :currentdate"),
    ("com.pearson.core.school.school_detail", "schools", [("school_number", "primitive", True)],
     [("SCHOOLS.DCID", "dcid"), ("SCHOOLS.SCHOOL_NUMBER", "school_number"), ("SCHOOLS.NAME", "name"),
      ("SCHOOLS.ABBREVIATION", "abbreviation"), ("SCHOOLS.LOW_GRADE", "low_grade"),
      ("SCHOOLS.HIGH_GRADE", "high_grade"), ("SCHOOLS.PRINCIPAL", "principal")],
     "select dcid, school_number, name, abbreviation, low_grade, high_grade, principal from schools"
     " where school_number = :school_number"),
    ("com.pearson.core.sections.section_enrollments", "cc", [],
     [("CC.DCID", "dcid"), ("CC.ID", "id"), ("CC.STUDENTID", "studentid"), ("STUDENTS.DCID", "students_dcid"),
      ("CC.SECTIONID", "sectionid"), ("SECTIONS.DCID", "sections_dcid"), ("CC.SCHOOLID", "schoolid"),
      ("CC.TERMID", "termid"), ("CC.DATEENROLLED", "dateenrolled"), ("CC.DATELEFT", "dateleft")],
     "select cc.dcid, cc.id, cc.studentid, students.dcid as students_dcid, cc.sectionid,"
     " sections.dcid as sections_dcid, cc.schoolid, cc.termid, cc.dateenrolled, cc.dateleft"
     " from cc left join students on students.id = cc.studentid"
     " left join sections on sections.id = cast(abs(cast(cc.sectionid as bigint)) as varchar)"
     " order by cast(cc.dcid as bigint)"),
]


def named_queries_xml(queries: list[tuple]) -> str:  # type: ignore[type-arg]
    """The queries_root file of ``(name, coreTable, args, columns, sql)`` tuples, written by the
    product's plugin writer (``workbench.sources.powerschool.plugin``)."""
    return _queries_xml([QuerySpec(name, core, tuple(columns), sql, tuple(args))
                         for name, core, args, columns, sql in queries])


def rostering_fields(district_columns: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Every field the loader reads, and every column of the district served (so ``projection=*``
    pulls whole tables)."""
    fields = standard_fields()
    for table, cols in (district_columns or {}).items():
        known = {k.lower(): k for k in fields}
        target = fields.setdefault(known.get(table.lower(), table), [])
        target += [c for c in cols if c.lower() not in {t.lower() for t in target}]
    return fields


def rostering_plugin(district_columns: dict[str, list[str]] | None = None) -> Plugin:
    plugin = parse_plugin_xml(plugin_xml(NAME, rostering_fields(district_columns),
                                         description="Sandbox rostering plugin", v1_access=V1_ACCESS))
    plugin.queries.update(parse_named_queries(named_queries_xml(CORE_QUERIES)))
    return plugin


def write_rostering_plugin(folder: str | Path, district_columns: dict[str, list[str]] | None = None) -> Path:
    """Write the built-in plugin as a folder PowerSchool (or ``load_plugin``) would install."""
    folder = Path(folder)
    (folder / "queries_root").mkdir(parents=True, exist_ok=True)
    (folder / "plugin.xml").write_text(plugin_xml(NAME, rostering_fields(district_columns), v1_access=V1_ACCESS),
                                      encoding="utf-8")
    (folder / "queries_root" / "rostering.named_queries.xml").write_text(named_queries_xml(CORE_QUERIES),
                                                                          encoding="utf-8")
    return folder
