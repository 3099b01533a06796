"""Filter rules compiled to DuckDB SQL: a boolean expression over one canonical row, values bound.

SQL is a value here (``Sql``: text plus positional parameters); nothing in this module executes it.
Attribute names are checked against the canonical schema and quoted as identifiers; every value a
steward types is a bound parameter, so the SQL text of a condition depends only on its operator and
attribute, never on its value.

Semantics (two-valued: a condition is never NULL, so include and exclude are complements):

* a value may be one item or a list; ``equals``, ``in_list``, ``contains``, ``starts_with`` and
  ``matches_pattern`` hold when **any** item matches; ``not_equals`` is the negation of ``equals``
  (a NULL attribute is "not equal"). Comparisons are exact (case-sensitive); use ``matches_pattern``
  with ``(?i)`` for case-insensitive matching.
* non-text attributes compare as their text (``true``/``false``, ``2026-08-19``, ``5``).
* list attributes (``grades``, ``school_sourced_ids`` ...): ``equals``/``in_list``/``contains`` hold
  when the list holds one of the values; ``starts_with``/``matches_pattern`` look at each element.
* ``is_empty``: NULL, blank text or an empty list. ``before``/``after`` take one ISO date (the first
  item of a list) and apply to date attributes only, as do ``is_future``/``is_past`` (against today).
* a template compiles to what it keeps (``exclude_test_accounts`` keeps real accounts; test, demo,
  sample, dummy or fake as a word of a name, username or e-mail marks a test account); a rule with
  action ``exclude`` drops what the template would keep. Templates that look at other entities
  (``has_enrollments``, ``custodial_contacts_only``, ``current_school_year``) read the loaded
  roster (``Scope.tables`` can point them elsewhere).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import InputError
from workbench.model.schema import columns
from workbench.rules.schema import OPERATORS, TEMPLATES

NOT_APPLIED = "The rule was not applied."
CEDS_GRADES = ("PK", "TK", "KG", *(f"{g:02d}" for g in range(1, 14)))
TEST_ACCOUNT_PATTERN = r"(^|[^a-z])(test|demo|sample|dummy|fake)([^a-z]|$)"
_ALIAS = re.compile(r"^[a-z_][a-z0-9_]*$")
_READ = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


@dataclass(frozen=True)
class Sql:
    """A piece of SQL and its positional (``?``) parameters, in order of appearance."""

    text: str
    params: tuple[Any, ...] = ()

    def __str__(self) -> str:
        return self.text


def raw(text: str) -> Sql:
    """Trusted SQL written in this code base (never user input)."""
    return Sql(text)


def param(value: Any, cast: str | None = None) -> Sql:
    """One bound value, optionally cast (the cast is a type name from this module, not input)."""
    return Sql(f"?::{cast}" if cast else "?", (value,))


def compose(fmt: str, *parts: Sql) -> Sql:
    """Fill each ``{}`` of ``fmt`` with a part; parameters follow in order of appearance."""
    pieces = fmt.split("{}")
    if len(pieces) != len(parts) + 1 or "?" in fmt:
        raise ValueError("compose: one part per {} and no bare ? in the format")
    text = pieces[0] + "".join(p.text + rest for p, rest in zip(parts, pieces[1:], strict=True))
    return Sql(text, tuple(v for p in parts for v in p.params))


def join(parts: Iterable[Sql], sep: str) -> Sql:
    items = list(parts)
    return Sql(sep.join(p.text for p in items), tuple(v for p in items for v in p.params))


def and_(*parts: Sql) -> Sql:
    return compose("({})", join(parts, " AND ")) if parts else raw("TRUE")


def or_(*parts: Sql) -> Sql:
    return compose("({})", join(parts, " OR ")) if parts else raw("FALSE")


def not_(part: Sql) -> Sql:
    return compose("(NOT {})", part)


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Scope:
    """Where a condition is evaluated: the row alias, today, and the relation of each entity."""

    today: dt.date
    alias: str = "t"
    tables: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, Sql] = field(default_factory=dict)
    read: str = "stg"

    def rel(self, entity: str) -> str:
        """The canonical table of an entity in the schema rules read (``stg`` or a prepared copy)."""
        if not _READ.match(self.read):
            raise ValueError(f"bad schema {self.read!r}")
        return self.tables.get(entity, f"{self.read}.{ident(entity)}")

    def table(self, entity: str) -> Sql:
        return raw(self.rel(entity))

    def col(self, name: str) -> Sql:
        """The row's attribute (or the expression standing for it, e.g. a quarantined value)."""
        if name in self.overrides:
            return self.overrides[name]
        if not _ALIAS.match(self.alias):
            raise ValueError(f"bad alias {self.alias!r}")
        return raw(f"{self.alias}.{ident(name)}")


def _refuse(message: str, field_: str | None, hint: str | None = None) -> InputError:
    return InputError.one(message, field=field_, hint=hint, outcome=NOT_APPLIED)


def attribute_kind(entity: str, attribute: str, where: str | None = None) -> str:
    """``text``, ``list``, ``date``, ``bool``, ``number`` or ``json``; refuse unknown attributes."""
    for c in columns(entity):
        if c.name == attribute:
            base = c.type.replace(" NOT NULL", "")
            return {"VARCHAR[]": "list", "DATE": "date", "BOOLEAN": "bool", "INTEGER": "number",
                    "BIGINT": "number", "JSON": "json"}.get(base, "text")
    names = ", ".join(c.name for c in columns(entity))
    raise _refuse(f"{attribute!r} is not an attribute of {entity}", where, f"allowed: {names}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def value_texts(value: Any, kind: str = "text") -> list[str]:
    """A condition's value as the list of texts it is compared with (one item or many)."""
    items = value if isinstance(value, list | tuple) else [value]
    texts = [_text(v) for v in items if v is not None]
    return [t.lower() for t in texts] if kind == "bool" else texts


def value_date(value: Any) -> dt.date | None:
    """The one ISO date of ``before``/``after`` (first item of a list); None when not a date."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()) if isinstance(value, str) else None
    except ValueError:
        return None


def _scalar_condition(op: str, c: Sql, kind: str, value: Any, scope: Scope) -> Sql:
    txt = c if kind == "text" else compose("CAST({} AS VARCHAR)", c)
    values = param(value_texts(value, kind), "VARCHAR[]")
    if op in ("equals", "in_list", "not_equals"):
        hit = compose("coalesce(list_contains({}, {}), false)", values, txt)
        return not_(hit) if op == "not_equals" else hit
    if op in ("contains", "starts_with", "matches_pattern"):
        fn = {"contains": "contains", "starts_with": "starts_with",
              "matches_pattern": "regexp_matches"}[op]
        return compose(f"(len(list_filter({{}}, lambda x: {fn}({{}}, x))) > 0)", values, txt)
    if op in ("is_empty", "is_not_empty"):
        empty = compose("({} IS NULL OR trim({}) = '')", c, txt)
        return empty if op == "is_empty" else not_(empty)
    return _date_condition(op, c, value, scope)


def _date_condition(op: str, c: Sql, value: Any, scope: Scope) -> Sql:
    if op == "before":
        return compose("coalesce({} < {}, false)", c, param(value_date(value), "DATE"))
    if op == "after":
        return compose("coalesce({} > {}, false)", c, param(value_date(value), "DATE"))
    if op == "is_future":
        return compose("coalesce({} > {}, false)", c, param(scope.today, "DATE"))
    return compose("coalesce({} < {}, false)", c, param(scope.today, "DATE"))


def _list_condition(op: str, c: Sql, value: Any) -> Sql:
    values = param(value_texts(value), "VARCHAR[]")
    if op in ("equals", "in_list", "contains", "not_equals"):
        hit = compose("coalesce(list_has_any({}, {}), false)", c, values)
        return not_(hit) if op == "not_equals" else hit
    if op in ("starts_with", "matches_pattern"):
        fn = "starts_with" if op == "starts_with" else "regexp_matches"
        return compose(
            f"coalesce(len(list_filter({{}}, lambda e: len(list_filter({{}}, "
            f"lambda x: {fn}(e, x))) > 0)) > 0, false)", c, values)
    empty = compose("({} IS NULL OR len({}) = 0)", c, c)
    return empty if op == "is_empty" else not_(empty)


DATE_OPERATORS = ("before", "after", "is_future", "is_past")


def compile_condition(entity: str, cond: Mapping[str, Any], scope: Scope,
                      where: str | None = None) -> Sql:
    """One custom condition ``{attribute, op, value}`` as a boolean SQL expression."""
    attribute, op = cond.get("attribute"), cond.get("op")
    if not isinstance(attribute, str):
        raise _refuse("a condition needs an attribute name", where)
    kind = attribute_kind(entity, attribute, where)
    if op not in OPERATORS:
        raise _refuse(f"unknown operator {op!r}", where, f"allowed: {', '.join(OPERATORS)}")
    if op in DATE_OPERATORS and kind != "date":
        raise _refuse(f"{op} applies to date attributes; {attribute} is not a date", where)
    c = scope.col(attribute)
    if kind == "list":
        return _list_condition(op, c, cond.get("value"))
    return _scalar_condition(op, c, kind, cond.get("value"), scope)


def compile_conditions(entity: str, conds: Iterable[Mapping[str, Any]], match: str,
                       scope: Scope, where: str | None = None) -> Sql:
    parts = [compile_condition(entity, c, scope, f"{where}.conditions.{i}" if where else None)
             for i, c in enumerate(conds)]
    return or_(*parts) if match == "any" else and_(*parts)


def compile_rule(entity: str, rule: Mapping[str, Any], scope: Scope,
                 where: str | None = None) -> Sql:
    """What a rule matches (before its include/exclude action): a template or custom conditions."""
    if "template" in rule:
        return compile_template(entity, rule["template"], rule.get("params") or {}, scope, where)
    return compile_conditions(entity, rule.get("conditions") or [], rule.get("match", "all"),
                              scope, where)


def rule_label(entity: str, rule: Mapping[str, Any], index: int) -> str:
    """The name a dropped record cites: the rule's name, its template, or ``entity rule N``."""
    return str(rule.get("name") or rule.get("template") or f"{entity} rule {index + 1}")


def ceds_grade(value: Any, where: str | None = None) -> str:
    """A grade as its CEDS code (``1`` -> ``01``, ``K`` -> ``KG``); refuse unknown grades."""
    text = _text(value).strip().upper()
    text = {"K": "KG", "0": "KG", "00": "KG", "-1": "PK", "-2": "PK"}.get(text, text)
    if text.isdigit():
        text = text.zfill(2)
    if text not in CEDS_GRADES:
        raise _refuse(f"{value!r} is not a grade", where, f"allowed: {', '.join(CEDS_GRADES)}")
    return text


def _grade_range(entity: str, params: Mapping[str, Any], scope: Scope, where: str | None) -> Sql:
    lo, hi = (CEDS_GRADES.index(ceds_grade(params.get(k), where)) for k in ("from", "to"))
    grades = param(list(CEDS_GRADES[min(lo, hi):max(lo, hi) + 1]), "VARCHAR[]")
    if entity == "class":
        return compose("coalesce(list_has_any({}, {}), false)", scope.col("grades"), grades)
    return compose("coalesce(list_contains({}, {}), false)", grades, scope.col("grade"))


def _schools_in_list(entity: str, params: Mapping[str, Any], scope: Scope) -> Sql:
    schools = param(value_texts(params.get("schools")), "VARCHAR[]")
    if entity in ("teacher", "admin"):
        return compose("coalesce(list_has_any({}, {}), false)", scope.col("school_sourced_ids"),
                       schools)
    return compose("coalesce(list_contains({}, {}), false)", schools,
                   scope.col("school_sourced_id"))


def current_school_year(scope: Scope) -> Sql:
    """School year (the calendar year it ends in) of the school-year session containing today;
    without one (summer, no calendar), the year of the next 30 June."""
    today = scope.today
    fallback = today.year + 1 if today.month >= 7 else today.year
    return compose(
        "coalesce((SELECT max(_y.school_year) FROM {} AS _y WHERE _y.session_type = {} "
        "AND {} BETWEEN _y.start_date AND _y.end_date), {})",
        scope.table("calendar"), param("schoolYear"), param(today, "DATE"), param(fallback))


def _current_terms(scope: Scope) -> Sql:
    return compose("(SELECT list(_s.sourced_id) FROM {} AS _s WHERE _s.school_year = {})",
                   scope.table("calendar"), current_school_year(scope))


def _current_year_rule(entity: str, scope: Scope) -> Sql:
    if entity == "calendar":
        return compose("coalesce({} = {}, false)", scope.col("school_year"),
                       current_school_year(scope))
    if entity == "class":
        return compose("coalesce(list_has_any({}, {}), false)", scope.col("term_sourced_ids"),
                       _current_terms(scope))
    in_year = compose("coalesce({} IN (SELECT unnest({})), false)",
                      scope.col("school_year_sourced_id"), _current_terms(scope))
    taught = compose("coalesce({} IN (SELECT _k.course_sourced_id FROM {} AS _k "
                     "WHERE list_has_any(_k.term_sourced_ids, {})), false)",
                     scope.col("sourced_id"), scope.table("class"), _current_terms(scope))
    return or_(in_year, taught)


def _not_test_account(entity: str, scope: Scope) -> Sql:
    names = ["given_name", "family_name", "username", "email"]
    cols = join([scope.col(n) for n in names if n in {c.name for c in columns(entity)}], ", ")
    test = compose("coalesce(regexp_matches(lower(concat_ws(' ', {})), {}), false)", cols,
                   param(TEST_ACCOUNT_PATTERN))
    return not_(test)


def _contact_flag(flag: str, scope: Scope) -> Sql:
    return compose(f"coalesce({{}} IN (SELECT _l.contact_sourced_id FROM {{}} AS _l "
                   f"WHERE _l.{ident(flag)}), false)",
                   scope.col("sourced_id"), scope.table("student_contact"))


def _has_enrollments(entity: str, scope: Scope) -> Sql:
    key = "class_sourced_id" if entity == "class" else "user_sourced_id"
    return compose(f"coalesce({{}} IN (SELECT _e.{key} FROM {{}} AS _e), false)",
                   scope.col("sourced_id"), scope.table("enrollment"))


def compile_template(entity: str, template: str, params: Mapping[str, Any], scope: Scope,
                     where: str | None = None) -> Sql:
    """What a built-in template keeps, as a boolean expression (``exclude`` drops it instead)."""
    if template not in TEMPLATES:
        raise _refuse(f"unknown template {template!r}", where,
                      f"allowed: {', '.join(sorted(TEMPLATES))}")
    if entity not in TEMPLATES[template][0]:
        raise _refuse(f"template {template!r} does not apply to {entity}", where,
                      f"it applies to: {', '.join(TEMPLATES[template][0])}")
    if template == "active_students":
        return compose("coalesce({} = {}, false)", scope.col("enroll_status"), param("active"))
    if template == "current_school_year":
        return _current_year_rule(entity, scope)
    if template == "grade_range":
        return _grade_range(entity, params, scope, where)
    if template == "schools_in_list":
        return _schools_in_list(entity, params, scope)
    if template == "exclude_test_accounts":
        return _not_test_account(entity, scope)
    if template in ("custodial_contacts_only", "emergency_contacts_only"):
        return _contact_flag(template.split("_")[0], scope)
    if template == "enabled_only":
        return compose("coalesce({}, false)", scope.col("enabled"))
    return _has_enrollments(entity, scope)
