"""Configuration sections as tables the steward edits, and the edited tables back as sections.

Pure functions (no streamlit): each ``*_frame`` turns a section of the configuration into a
DataFrame for ``st.data_editor``; each ``*_from`` turns the edited frame back.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbench.model.schema import COMMON, columns
from workbench.rules.schema import OPERATORS, TEMPLATES

LINEAGE = {c.name for c in COMMON}
INCLUDE = "include"
SCHOOL_COLUMNS = ["Sync", "School", "Number", "Students", "Source", "ID"]
CONDITION_COLUMNS = ["Attribute", "Operator", "Value"]
VALUELESS = {"is_empty", "is_not_empty", "is_future", "is_past"}
GRADES = ["PK", "TK", "KG", *(f"{g:02d}" for g in range(1, 14))]  # CEDS, as the roster stores them


def attributes(entity: str) -> list[tuple[str, str]]:
    """(name, description) of the attributes a steward configures: no lineage columns."""
    return [(c.name, c.doc) for c in columns(entity) if c.name not in LINEAGE]


# --- schools -------------------------------------------------------------------------------

def schools_frame(schools: list[dict[str, Any]], selected: list[str], everything: bool) -> pd.DataFrame:
    chosen = set(selected)
    rows = [{"Sync": everything or s["sourced_id"] in chosen, "School": s["name"],
             "Number": s["school_number"] or "", "Students": s["students"], "Source": s["source"],
             "ID": s["sourced_id"]} for s in schools]
    return pd.DataFrame(rows, columns=SCHOOL_COLUMNS)


def selected_from(frame: pd.DataFrame, selected: list[str]) -> list[str]:
    """The selected IDs: those ticked, plus earlier choices not in this workspace (kept)."""
    shown = set(frame["ID"])
    kept = [s for s in selected if s not in shown]
    return kept + [str(i) for i, on in zip(frame["ID"], frame["Sync"], strict=True) if bool(on)]


def missing_schools(schools: list[dict[str, Any]], selected: list[str]) -> list[str]:
    known = {s["sourced_id"] for s in schools}
    return [s for s in selected if s not in known]


# --- attribute mapping ---------------------------------------------------------------------

def mapping_frame(entity: str, mapping: dict[str, dict[str, str]]) -> pd.DataFrame:
    rows = [{"Attribute": name, "Meaning": doc, "Source field": mapping.get(name, {}).get("field", ""),
             "Source": mapping.get(name, {}).get("source", "")} for name, doc in attributes(entity)]
    return pd.DataFrame(rows, columns=["Attribute", "Meaning", "Source field", "Source"])


def mapping_from(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Rows with a source field; a blank source means every source."""
    out: dict[str, dict[str, str]] = {}
    for row in frame.to_dict("records"):
        field = str(row.get("Source field") or "").strip()
        if field:
            source = str(row.get("Source") or "").strip()
            out[row["Attribute"]] = {"field": field} | ({"source": source} if source else {})
    return out


# --- data requirements ---------------------------------------------------------------------

def requirements_frame(entity: str, requirements: dict[str, str]) -> pd.DataFrame:
    rows = [{"Attribute": name, "Meaning": doc, "Requirement": requirements.get(name, INCLUDE)}
            for name, doc in attributes(entity)]
    return pd.DataFrame(rows, columns=["Attribute", "Meaning", "Requirement"])


def requirements_from(frame: pd.DataFrame) -> dict[str, str]:
    """Only the attributes that differ from the default (include) are written."""
    return {row["Attribute"]: str(row["Requirement"]) for row in frame.to_dict("records")
            if row["Requirement"] and row["Requirement"] != INCLUDE}


# --- filter rules --------------------------------------------------------------------------

def templates_for(entity: str) -> list[str]:
    return [name for name, (entities, _) in TEMPLATES.items() if entity in entities]


def template_params(template: str) -> tuple[str, ...]:
    return TEMPLATES[template][1]


def filterable(entity: str) -> list[str]:
    """Attributes a custom condition may test: every canonical column of the entity."""
    return [c.name for c in columns(entity)]


def template_rule(template: str, action: str, params: dict[str, Any], name: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": name} if name else {}
    rule |= {"action": action, "template": template}
    return rule | ({"params": params} if params else {})


def custom_rule(conditions: list[dict[str, Any]], match: str, action: str,
                name: str) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": name} if name else {}
    return rule | {"action": action, "match": match, "conditions": conditions}


def conditions_from(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Conditions from the builder's rows; ``in_list`` values split on commas."""
    out = []
    for row in frame.to_dict("records"):
        attribute, op = row.get("Attribute"), row.get("Operator")
        if not attribute or not op or pd.isna(attribute) or pd.isna(op):
            continue
        condition: dict[str, Any] = {"attribute": str(attribute), "op": str(op)}
        value = row.get("Value")
        text = "" if value is None or pd.isna(value) else str(value).strip()
        if op == "in_list":
            condition["value"] = [v.strip() for v in text.split(",") if v.strip()]
        elif op not in VALUELESS:
            condition["value"] = text
        out.append(condition)
    return out


def empty_conditions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in CONDITION_COLUMNS})


def describe_rule(rule: dict[str, Any]) -> str:
    """One line a steward reads: 'include: active_students' or 'exclude: grade equals 12'."""
    action = rule.get("action", "include")
    if "template" in rule:
        params = ", ".join(f"{k}={_value(v)}" for k, v in (rule.get("params") or {}).items())
        body = rule["template"].replace("_", " ") + (f" ({params})" if params else "")
    else:
        joiner = " and " if rule.get("match", "all") == "all" else " or "
        body = joiner.join(_condition_text(c) for c in rule.get("conditions") or [])
    name = f"{rule['name']}: " if rule.get("name") else ""
    return f"{name}{action} {body}"


def _condition_text(condition: dict[str, Any]) -> str:
    op = condition["op"].replace("_", " ")
    if "value" not in condition:
        return f"{condition['attribute']} {op}"
    return f"{condition['attribute']} {op} {_value(condition['value'])}"


def _value(value: Any) -> str:
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else repr(value)


OPERATOR_CHOICES = list(OPERATORS)


# --- history -------------------------------------------------------------------------------

def history_frame(versions: list[Any]) -> pd.DataFrame:
    rows = [{"Version": v.version, "Author": v.author,
             "Saved": v.created_at.isoformat(sep=" ", timespec="seconds"), "Note": v.note or "",
             "Lines changed": changed_lines(v.diff)} for v in reversed(versions)]
    return pd.DataFrame(rows, columns=["Version", "Author", "Saved", "Note", "Lines changed"])


def changed_lines(diff: str) -> int:
    """Lines added or removed by a unified diff."""
    return sum(1 for line in diff.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---")))
