"""Which canonical records a configuration keeps, and the rule that drops each other one.

One decision per record, set-based, in temporary tables of the cursor that runs the statements
(``_dec_<entity>``: source, sourced_id, school_sourced_id, rule, reason, stage; ``rule`` is NULL
for a kept record). The candidate roster materialises them; the impact preview only counts them.

The first applicable step names the rule, in this order:

1. ``schools``: mode ``selected`` keeps the listed schools (and the district orgs they belong to)
   and what belongs to them (``school_not_selected``); a school dropped by a requirement drops its
   members (``school_dropped``). Contacts belong to schools through their students.
2. ``requirement``: ``skip_if_missing`` drops (``skip_if_missing:<attribute>``).
3. ``filter``: value checks first quarantine invalid values (filters see them as NULL); then each
   enabled include rule drops the records it does not match, each exclude rule those it matches.
4. ``cascade``: ``include_linked`` (on class, default true) gives back the course and terms of a
   kept class; a dropped class drops its enrollments (``class_dropped``), a dropped student or
   teacher their enrollments and contact links (``student_dropped``, ``teacher_dropped``); a
   contact no kept student links to is dropped (``no_linked_student``); with
   ``advanced.sync_co_teachers`` off, teacher enrollments that are not primary are dropped
   (``co_teacher``).

The rules read ``Scope.read``: ``stg``, or the prepared copy of ``workbench.rules.prepare`` when
attribute mapping, the contact module off (contacts from the legacy Students fields) or terms merge
reshape the data first; records that preparation removes are in its ``dropped`` table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.model.schema import columns
from workbench.rules.compile import (
    Scope,
    Sql,
    attribute_kind,
    compile_rule,
    compose,
    join,
    not_,
    param,
    raw,
    rule_label,
)
from workbench.rules.quarantine import quarantined_scope

MEMBERS = ("calendar", "course", "class", "student", "teacher", "admin")
PEOPLE = ("student", "teacher", "admin")
LINEAGE = ("sourced_id", "source", "source_id", "load_id")
STAGE_RESCUABLE = ("schools", "filter")


@dataclass(frozen=True)
class Branch:
    """One way a record is dropped: when, which rule, why, at which stage."""

    when: Sql
    rule: Sql
    reason: Sql
    stage: str


def dec(entity: str) -> str:
    return f"_dec_{entity}"


def gone(entity: str) -> str:
    return f"_gone_{entity}"


def missing(c: Sql, kind: str) -> Sql:
    """NULL, blank text or an empty list."""
    if kind == "list":
        return compose("({} IS NULL OR len({}) = 0)", c, c)
    if kind in ("text", "json"):
        return compose("({} IS NULL OR trim(CAST({} AS VARCHAR)) = '')", c, c)
    return compose("({} IS NULL)", c)


def _text(value: str) -> Sql:
    return param(value, "VARCHAR")


def _school_branches(entity: str, config: Mapping[str, Any], scope: Scope) -> list[Branch]:
    schools = config.get("schools") or {}
    branches = []
    many = entity in ("teacher", "admin")
    col = scope.col("school_sourced_ids" if many else "school_sourced_id")
    if schools.get("mode") == "selected":
        listed = param([str(s) for s in schools.get("selected") or []], "VARCHAR[]")
        hit = (compose("coalesce(list_has_any({}, {}), false)", col, listed) if many
               else compose("coalesce(list_contains({}, {}), false)", listed, col))
        why = (raw("'none of its schools is selected'") if many
               else compose("'school ' || coalesce({}, '(none)') || ' is not selected'", col))
        branches.append(Branch(not_(hit), _text("school_not_selected"), why, "schools"))
    if _school_requirements(config):
        dropped = raw(f"(SELECT list(sourced_id) FROM {dec('school')} WHERE rule IS NOT NULL)")
        kept = raw(f"(SELECT list(sourced_id) FROM {dec('school')} WHERE rule IS NULL)")
        hit = (compose("(coalesce(list_has_any({}, {}), false) AND NOT coalesce(list_has_any({}, {}), false))",
                       col, dropped, col, kept) if many
               else compose("coalesce(list_contains({}, {}), false)", dropped, col))
        branches.append(Branch(hit, _text("school_dropped"), raw("'its school is dropped'"),
                               "schools"))
    return branches


def _school_requirements(config: Mapping[str, Any]) -> bool:
    reqs = (config.get("requirements") or {}).get("school") or {}
    return "skip_if_missing" in reqs.values()


def requirement_branches(entity: str, config: Mapping[str, Any], scope: Scope) -> list[Branch]:
    """``skip_if_missing``, checked on the value as loaded (before quarantine)."""
    branches = []
    reqs = (config.get("requirements") or {}).get(entity) or {}
    for attribute, req in reqs.items():
        kind = attribute_kind(entity, attribute, f"requirements.{entity}.{attribute}")
        if req == "skip_if_missing":
            branches.append(Branch(missing(scope.col(attribute), kind),
                                   _text(f"skip_if_missing:{attribute}"),
                                   _text(f"{attribute} is missing (skip if missing)"),
                                   "requirement"))
    return branches


def filter_branches(entity: str, config: Mapping[str, Any], scope: Scope) -> list[Branch]:
    """Each enabled rule in order: include drops what it does not match, exclude what it matches."""
    spec = (config.get("filters") or {}).get(entity) or {}
    checked = quarantined_scope(entity, scope)
    branches = []
    for i, rule in enumerate(spec.get("rules") or []):
        if not rule.get("enabled", True):
            continue
        label = rule_label(entity, rule, i)
        match = compile_rule(entity, rule, checked, f"filters.{entity}.rules.{i}")
        if rule.get("action", "include") == "exclude":
            branches.append(Branch(match, _text(label), _text(f'matches exclude rule "{label}"'),
                                   "filter"))
        else:
            branches.append(Branch(not_(match), _text(label),
                                   _text(f'does not match include rule "{label}"'), "filter"))
    return branches


def _case(branches: list[Branch], reasons: bool = True) -> Sql:
    if not branches:
        return raw("NULL::STRUCT(rule VARCHAR, reason VARCHAR, stage VARCHAR)")
    whens = [compose("WHEN {} THEN struct_pack(rule := {}, reason := {}, stage := {})",
                     b.when, b.rule, b.reason if reasons else raw("NULL::VARCHAR"),
                     _text(b.stage)) for b in branches]
    return compose("CASE {} END", join(whens, " "))


def decision_select(source: Sql, school: Sql, branches: list[Branch], joins: str = "",
                    reasons: bool = True) -> Sql:
    """source/sourced_id/school_sourced_id/rule/reason/stage of every row of ``source`` (as t);
    without ``reasons`` the reason stays NULL (cheaper when only counting)."""
    inner = compose(f"SELECT t.source, t.sourced_id, {{}} AS school_sourced_id, {{}} AS d "
                    f"FROM {{}} AS t{joins}", school, _case(branches, reasons), source)
    return compose("SELECT source, sourced_id, school_sourced_id, d.rule AS rule, "
                   "d.reason AS reason, d.stage AS stage FROM ({}) AS q", inner)


def _create(entity: str, select: Sql) -> Sql:
    return compose(f"CREATE OR REPLACE TEMP TABLE {dec(entity)} AS {{}}", select)


def school_decision(config: Mapping[str, Any], scope: Scope) -> Sql:
    branches = []
    schools = config.get("schools") or {}
    if schools.get("mode") == "selected":
        listed = param([str(s) for s in schools.get("selected") or []], "VARCHAR[]")
        parent = compose("(t.org_type = 'district' AND t.sourced_id IN (SELECT _p.parent_sourced_id "
                         f"FROM {scope.rel('school')} AS _p WHERE list_contains({{}}, _p.sourced_id)))",
                         listed)
        keep = compose("(coalesce(list_contains({}, t.sourced_id), false) OR {})", listed, parent)
        branches.append(Branch(not_(keep), _text("school_not_selected"),
                               raw("'school ' || t.sourced_id || ' is not selected'"), "schools"))
    branches += requirement_branches("school", config, scope)
    return _create("school", decision_select(scope.table("school"), raw("t.sourced_id"), branches))


def member_decision(entity: str, config: Mapping[str, Any], scope: Scope) -> Sql:
    branches = (_school_branches(entity, config, scope) + requirement_branches(entity, config, scope)
                + filter_branches(entity, config, scope))
    school = raw("t.school_sourced_ids[1]" if entity in ("teacher", "admin")
                 else "t.school_sourced_id")
    return _create(entity, decision_select(scope.table(entity), school, branches))


def rescue_linked(config: Mapping[str, Any], scope: Scope) -> list[Sql]:
    """include_linked: a kept class keeps its course and its terms (with their parent sessions)."""
    spec = (config.get("filters") or {}).get("class") or {}
    if not spec.get("include_linked", True):
        return []
    kept = f"(SELECT sourced_id FROM {dec('class')} WHERE rule IS NULL)"
    stages = "('" + "', '".join(STAGE_RESCUABLE) + "')"
    reset = "SET rule = NULL, reason = NULL, stage = NULL"
    course = (f"UPDATE {dec('course')} {reset} WHERE stage IN {stages} AND sourced_id IN "
              f"(SELECT course_sourced_id FROM {scope.rel('class')} WHERE sourced_id IN {kept})")
    terms = (f"WITH RECURSIVE used(id) AS (SELECT DISTINCT unnest(term_sourced_ids) FROM "
             f"{scope.rel('class')} WHERE sourced_id IN {kept} UNION SELECT c.parent_sourced_id "
             f"FROM {scope.rel('calendar')} c "
             f"JOIN used ON c.sourced_id = used.id WHERE c.parent_sourced_id IS NOT NULL) "
             f"UPDATE {dec('calendar')} {reset} WHERE stage IN {stages} AND sourced_id IN "
             f"(SELECT id FROM used)")
    return [raw(course), raw(terms)]


def gone_table(entity: str) -> Sql:
    """IDs every copy of which is dropped (what references to the entity must follow)."""
    return raw(f"CREATE OR REPLACE TEMP TABLE {gone(entity)} AS SELECT sourced_id FROM "
               f"{dec(entity)} GROUP BY sourced_id HAVING bool_and(rule IS NOT NULL)")


def contact_decision(config: Mapping[str, Any], scope: Scope) -> Sql:
    unlinked = Branch(
        raw(f"t.sourced_id NOT IN (SELECT contact_sourced_id FROM {scope.rel('student_contact')} WHERE "
            f"contact_sourced_id IS NOT NULL AND student_sourced_id NOT IN (SELECT sourced_id FROM {gone('student')}))"),
        _text("no_linked_student"), _text("no kept student is linked to this contact"), "cascade")
    branches = (requirement_branches("contact", config, scope)
                + filter_branches("contact", config, scope) + [unlinked])
    joins = (" LEFT JOIN (SELECT _l.contact_sourced_id AS cid, min(_s.school_sourced_id) AS sid "
             f"FROM {scope.rel('student_contact')} AS _l JOIN {scope.rel('student')} AS _s ON _s.sourced_id = "
             "_l.student_sourced_id GROUP BY ALL) AS _cs ON _cs.cid = t.sourced_id")
    return _create("contact", decision_select(scope.table("contact"), raw("_cs.sid"), branches, joins))


def link_select(config: Mapping[str, Any], scope: Scope, reasons: bool = True) -> Sql:
    """Decisions of student_contact rows (a SELECT; large, so counted without materialising)."""
    branches = requirement_branches("student_contact", config, scope) + [
        Branch(raw(f"t.student_sourced_id IN (SELECT sourced_id FROM {gone('student')})"),
               _text("student_dropped"), raw("'student ' || t.student_sourced_id || ' is dropped'"),
               "cascade"),
        Branch(raw(f"t.contact_sourced_id IN (SELECT sourced_id FROM {gone('contact')})"),
               _text("contact_dropped"), raw("'contact ' || t.contact_sourced_id || ' is dropped'"),
               "cascade"),
    ]
    joins = (" LEFT JOIN (SELECT sourced_id AS sid_, min(school_sourced_id) AS school FROM "
             f"{scope.rel('student')} GROUP BY ALL) AS _ss ON _ss.sid_ = t.student_sourced_id")
    return decision_select(scope.table("student_contact"), raw("_ss.school"), branches, joins, reasons)


def enrollment_select(config: Mapping[str, Any], scope: Scope, reasons: bool = True) -> Sql:
    """Decisions of enrollment rows (a SELECT; the largest table, counted without materialising)."""
    branches = requirement_branches("enrollment", config, scope)
    if not (config.get("advanced") or {}).get("sync_co_teachers", False):
        branches.append(Branch(raw("(t.role = 'teacher' AND NOT coalesce(t.is_primary, false))"),
                               _text("co_teacher"),
                               _text("co-teachers are not synced (advanced.sync_co_teachers)"),
                               "advanced"))
    staff = f"(SELECT sourced_id FROM {gone('teacher')} UNION ALL SELECT sourced_id FROM {gone('admin')})"
    branches += [
        Branch(raw(f"t.class_sourced_id IN (SELECT sourced_id FROM {gone('class')})"),
               _text("class_dropped"), raw("'class ' || t.class_sourced_id || ' is dropped'"),
               "cascade"),
        Branch(raw(f"(t.role = 'student' AND t.user_sourced_id IN (SELECT sourced_id FROM "
                   f"{gone('student')}))"), _text("student_dropped"),
               raw("'student ' || t.user_sourced_id || ' is dropped'"), "cascade"),
        Branch(raw(f"(t.role <> 'student' AND t.user_sourced_id IN {staff})"),
               _text("teacher_dropped"), raw("'teacher ' || t.user_sourced_id || ' is dropped'"),
               "cascade"),
    ]
    return decision_select(scope.table("enrollment"), raw("t.school_sourced_id"), branches, "", reasons)


def decision_statements(config: Mapping[str, Any], scope: Scope) -> list[Sql]:
    """Statements that fill ``_dec_*`` (all entities but enrollment and student_contact) and
    ``_gone_*`` on the cursor that runs them, in order."""
    out = [school_decision(config, scope)]
    out += [member_decision(e, config, scope) for e in MEMBERS]
    out += rescue_linked(config, scope)
    out += [gone_table(e) for e in ("class", *PEOPLE)]
    out += [contact_decision(config, scope), gone_table("contact")]
    return out


def lineage_refusal(config: Mapping[str, Any]) -> list[str]:
    """Masked lineage columns (a record without its ID cannot be delivered)."""
    return [f"requirements.{e}.{a}" for e, reqs in (config.get("requirements") or {}).items()
            for a, r in (reqs or {}).items() if r == "mask" and a in LINEAGE]


def column_type(entity: str, attribute: str) -> str:
    for c in columns(entity):
        if c.name == attribute:
            return c.type.replace(" NOT NULL", "")
    raise KeyError(attribute)
