"""Value checks that quarantine a bad value instead of losing the record.

An invalid value (a malformed e-mail such as ``1``, ``n/a`` or ``x@@y.org``; a birth date in the
future) is set to NULL in the candidate roster and listed in ``dq.finding`` with severity
``warning``; the record itself is kept. Filter rules see the quarantined value as NULL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from workbench.rules.compile import Scope, Sql, compose, param

VALID_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@dataclass(frozen=True)
class Check:
    """One value check: the attribute, the rule a finding names, and when the value is invalid."""

    attribute: str
    rule: str
    message: str
    invalid: Callable[[Sql, Scope], Sql]


def _bad_email(c: Sql, scope: Scope) -> Sql:
    return compose("coalesce(trim({}) <> '' AND NOT regexp_matches({}, {}), false)", c, c,
                   param(VALID_EMAIL))


def _future(c: Sql, scope: Scope) -> Sql:
    return compose("coalesce({} > {}, false)", c, param(scope.today, "DATE"))


EMAIL = Check("email", "invalid_email", "not an e-mail address; quarantined (set to NULL)",
              _bad_email)
CHECKS: dict[str, tuple[Check, ...]] = {
    "student": (EMAIL, Check("birth_date", "future_birth_date",
                             "birth date in the future; quarantined (set to NULL)", _future)),
    "teacher": (EMAIL,),
    "admin": (EMAIL,),
    "contact": (EMAIL,),
}


def checks(entity: str) -> tuple[Check, ...]:
    return CHECKS.get(entity, ())


def quarantined(entity: str, attribute: str, scope: Scope) -> Sql | None:
    """The attribute with its invalid values set to NULL, or None when it is not checked."""
    if entity == "contact" and attribute == "emails":
        return compose("list_filter({}, lambda x: regexp_matches(x, {}))", scope.col("emails"),
                       param(VALID_EMAIL))
    for check in checks(entity):
        if check.attribute == attribute:
            c = scope.col(attribute)
            return compose("(CASE WHEN {} THEN NULL ELSE {} END)", check.invalid(c, scope), c)
    return None


def quarantined_scope(entity: str, scope: Scope) -> Scope:
    """A scope in which checked attributes read as their quarantined values."""
    names = [c.attribute for c in checks(entity)] + (["emails"] if entity == "contact" else [])
    overrides = {n: q for n in names if (q := quarantined(entity, n, scope)) is not None}
    return dataclasses.replace(scope, overrides={**scope.overrides, **overrides})
