"""Configuration sections as tables the steward edits, and the edited tables back as sections.

Pure functions (no streamlit): each ``*_frame`` turns a section of the configuration into a
DataFrame for ``st.data_editor``; each ``*_from`` turns the edited frame back.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbench.model.schema import COMMON, ENTITIES, columns
from workbench.rules.schema import OPERATORS, TEMPLATES

LINEAGE = {c.name for c in COMMON}
ENTITY_CHOICES = list(ENTITIES)
STUDENT = ENTITY_CHOICES.index("student")
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

def requirements_frame(entity: str, requirements: dict[str, str],
                       missing: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per attribute; ``missing``: records missing it now (shown, not edited)."""
    missing = missing or {}
    rows = [{"Attribute": name, "Meaning": doc, "Missing now": missing.get(name, 0),
             "Requirement": requirements.get(name, INCLUDE)} for name, doc in attributes(entity)]
    return pd.DataFrame(rows, columns=["Attribute", "Meaning", "Missing now", "Requirement"])


def missing_by_attribute(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Missing values per attribute over every school (rows of explore.missing_values)."""
    out: dict[str, int] = {}
    for row in rows:
        out[row["attribute"]] = out.get(row["attribute"], 0) + int(row["missing"])
    return out


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


# --- sources, holds and domains of uniqueness ----------------------------------------------

SOURCE_COLUMNS = {"name": "Name", "kind": "Kind", "location": "Location", "id_prefix": "ID prefix",
                  "sync_mode": "Sync mode"}
CHANGES = ("insert", "update", "delete")
HOLD_SETTINGS = {"per_school": "Per school", "near_term_days": "Days near a term boundary",
                 "near_term_factor": "Looser by (factor)"}


def sources_frame(sources: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [{label: s.get(key, "") for key, label in SOURCE_COLUMNS.items()} for s in sources]
    return pd.DataFrame(rows, columns=list(SOURCE_COLUMNS.values()))


def sources_from(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows with a name; blank optional cells are left out."""
    out = []
    for row in frame.to_dict("records"):
        source = {key: _text(row.get(label)) for key, label in SOURCE_COLUMNS.items()}
        if source["name"]:
            out.append({k: v for k, v in source.items() if v or k in ("name", "kind")})
    return out


def holds_frame(holds: dict[str, dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for entity, spec in holds.items():
        row: dict[str, Any] = {"Entity": entity}
        for change in CHANGES:
            row[f"{change.capitalize()} %"] = (spec.get(change) or {}).get("percent")
            row[f"{change.capitalize()} count"] = (spec.get(change) or {}).get("count")
        row |= {label: spec.get(key) for key, label in HOLD_SETTINGS.items()}
        rows.append(row)
    columns_ = ["Entity", *(f"{c.capitalize()} {u}" for c in CHANGES for u in ("%", "count")),
                *HOLD_SETTINGS.values()]
    return pd.DataFrame(rows, columns=columns_).astype(
        {f"{c.capitalize()} {u}": "float64" for c in CHANGES for u in ("%", "count")}
        | {"Per school": "boolean", "Days near a term boundary": "Int64",
           "Looser by (factor)": "float64"})


def holds_from(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        entity = _text(row.get("Entity"))
        if not entity:
            continue
        spec: dict[str, Any] = {}
        for change in CHANGES:
            limit = {"percent": _number(row.get(f"{change.capitalize()} %")),
                     "count": _number(row.get(f"{change.capitalize()} count"), whole=True)}
            if any(v is not None for v in limit.values()):
                spec[change] = {k: v for k, v in limit.items() if v is not None}
        if _present(row.get("Per school")):
            spec["per_school"] = bool(row["Per school"])
        days = _number(row.get("Days near a term boundary"), whole=True)
        factor = _number(row.get("Looser by (factor)"))
        spec |= ({"near_term_days": days} if days is not None else {}) | (
            {"near_term_factor": factor} if factor is not None else {})
        out[entity] = spec
    return out


def uniqueness_text(sets: list[list[str]]) -> str:
    return "; ".join(" + ".join(s) for s in sets)


def uniqueness_from(text: str) -> list[list[str]]:
    """'given_name + family_name + email; state_id' -> [[given_name, family_name, email], [state_id]]."""
    sets = [[a.strip() for a in part.split("+") if a.strip()] for part in text.split(";")]
    return [s for s in sets if s]


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and \
        value is not pd.NA


def _text(value: Any) -> str:
    return str(value).strip() if _present(value) else ""


def _number(value: Any, whole: bool = False) -> int | float | None:
    if not _present(value):
        return None
    number = float(value)
    return int(number) if whole or number.is_integer() else number


MASTER_COLUMNS = ["Entity", "Attribute", "Strategy", "Source priority"]


def master_frame(master: dict[str, dict[str, dict[str, Any]]]) -> pd.DataFrame:
    rows = [{"Entity": entity, "Attribute": attribute, "Strategy": spec.get("strategy", ""),
             "Source priority": ", ".join(spec.get("sources") or [])}
            for entity, attrs in master.items() for attribute, spec in attrs.items()]
    return pd.DataFrame(rows, columns=MASTER_COLUMNS)


def master_from(frame: pd.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    """Rows with an entity and an attribute; the priority is a comma-separated source list."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in frame.to_dict("records"):
        entity, attribute = _text(row.get("Entity")), _text(row.get("Attribute"))
        if not entity or not attribute:
            continue
        spec: dict[str, Any] = {"strategy": _text(row.get("Strategy")) or "source_priority"}
        sources = [s.strip() for s in _text(row.get("Source priority")).split(",") if s.strip()]
        out.setdefault(entity, {})[attribute] = spec | ({"sources": sources} if sources else {})
    return out
