"""The configuration as data: validate, save as a new version, history, diff, restore.

The current configuration is ``workbench.yaml`` in the workspace folder; every saved version is
also kept in ``meta.config_version`` (number, author, time, YAML text, diff against the previous
version). Restoring a version saves it again as a new version, so history only grows.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from workbench.errors import InputError, Problem
from workbench.model.schema import ENTITIES, column_names
from workbench.rules.schema import TEMPLATES, config_schema
from workbench.workspace import Workspace, author_name

CONFIG_FILE = "workbench.yaml"
NOT_SAVED = "Nothing was saved; the configuration is unchanged."

DEFAULT_CONFIG: dict[str, Any] = {
    "format": 1,
    "sources": [],
    "schools": {"mode": "all", "selected": [], "flag_missing": True},
    "attributes": {},
    "requirements": {},
    "filters": {},
    "advanced": {
        "contact_module": True, "contact_name_separator": " ", "sync_co_teachers": False,
        "terms_merge": False, "terms_title_format": "{name} ({start} {end})",
        "bulk_upload_mode": True, "multiple_sources": False, "compare_by_uniqueness": True,
        "preview_before_sync": True, "prior_data_consumption": False, "incremental_sync": False,
    },
    "uniqueness": {e: [["given_name", "family_name", "email"]]
                   for e in ("student", "contact", "teacher", "admin")},
    "master_fields": {},
    "holds": {e: {"delete": {"percent": 10}, "update": {"percent": 75}}
              for e in ("student", "teacher", "enrollment")},
    "linkage": {"match_threshold": 0.9, "possible_threshold": 0.5, "model": "learned",
                "min_labels": 10, "prior": "fixed"},
    "schedule": {"frequency": "off", "time": "00:00", "first_day_of_calendar": True},
}


@dataclass(frozen=True)
class ConfigVersion:
    version: int
    author: str
    created_at: datetime
    yaml: str
    diff: str
    note: str | None


def default_config() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_CONFIG)


_MERGED_SECTIONS = ("schools", "advanced", "linkage", "schedule")


def complete_config(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration with every missing section or setting filled from the defaults.

    Settings sections (schools, advanced, linkage, schedule) are merged key by key; the other
    sections are taken whole when given. Keys come out in the default order, so saved versions
    diff cleanly whatever order a hand-edited file used.
    """
    out = default_config()
    for key, value in config.items():
        if key in _MERGED_SECTIONS and isinstance(value, dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def dump_yaml(config: dict[str, Any]) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True, default_flow_style=False)


def parse_yaml(text: str, *, file: str = CONFIG_FILE) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError.one(
            f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file,
            line=mark.line + 1 if mark else None, hint="fix the indentation or quoting",
            outcome=NOT_SAVED,
        ) from exc
    if not isinstance(data, dict):
        raise InputError.one("the configuration must be a mapping of settings", file=file,
                             hint="start from `workbench config WORKSPACE show`", outcome=NOT_SAVED)
    return data


def _key(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _schema_problems(config: dict[str, Any], file: str) -> list[Problem]:
    validator = jsonschema.Draft202012Validator(config_schema())
    problems = []
    for err in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        allowed = err.schema.get("enum") if isinstance(err.schema, dict) else None
        if err.validator == "propertyNames":
            allowed = err.schema.get("propertyNames", {}).get("enum")
        hint = f"allowed: {', '.join(map(str, allowed))}" if allowed else None
        problems.append(Problem(err.message, file=file, field=_key(err.absolute_path), hint=hint))
    return problems


def _attribute_problems(config: dict[str, Any], file: str) -> list[Problem]:
    """Attribute names must be canonical columns of their entity."""
    problems = []

    def check(entity: str, attribute: str, key: str) -> None:
        if entity in ENTITIES and attribute not in column_names(entity):
            problems.append(Problem(
                f"{attribute!r} is not an attribute of {entity}", file=file, field=key,
                hint=f"allowed: {', '.join(column_names(entity))}",
            ))

    for section in ("attributes", "requirements", "master_fields"):
        for entity, attrs in (config.get(section) or {}).items():
            for attribute in attrs or {}:
                check(entity, attribute, f"{section}.{entity}.{attribute}")
    for entity, fields in (config.get("extensions") or {}).items():
        seen: dict[str, str] = {}
        for name in fields or []:
            column = name.rpartition(".")[2].lower()
            if column in seen:
                problems.append(Problem(
                    f"{name} and {seen[column]} would both be delivered as metadata.{column}",
                    file=file, field=f"extensions.{entity}", hint="deliver one of the two"))
            seen[column] = name
    for entity, attrs in (config.get("writeback") or {}).items():
        for attribute in attrs or []:
            check(entity, attribute, f"writeback.{entity}")
    for entity, sets in (config.get("uniqueness") or {}).items():
        for i, attrs in enumerate(sets or []):
            for attribute in attrs:
                check(entity, attribute, f"uniqueness.{entity}.{i}")
    for entity, spec in (config.get("filters") or {}).items():
        for i, rule in enumerate((spec or {}).get("rules") or []):
            for j, cond in enumerate(rule.get("conditions") or []):
                check(entity, cond.get("attribute", ""), f"filters.{entity}.rules.{i}.conditions.{j}")
            template = rule.get("template")
            if template in TEMPLATES:
                entities, params = TEMPLATES[template]
                if entity not in entities:
                    problems.append(Problem(
                        f"template {template!r} does not apply to {entity}", file=file,
                        field=f"filters.{entity}.rules.{i}.template",
                        hint=f"it applies to: {', '.join(entities)}"))
                missing = [p for p in params if p not in (rule.get("params") or {})]
                if missing:
                    problems.append(Problem(
                        f"template {template!r} needs {', '.join(missing)}", file=file,
                        field=f"filters.{entity}.rules.{i}.params",
                        hint=f"give params: {{{', '.join(f'{p}: ...' for p in params)}}}"))
    return problems


def validate_config(config: dict[str, Any], *, file: str = CONFIG_FILE) -> dict[str, Any]:
    """Check a configuration; raise InputError naming each bad key and its allowed values."""
    problems = _schema_problems(config, file)
    # a section of the wrong shape breaks the walk: the schema problems above already say so
    with contextlib.suppress(AttributeError, TypeError):
        problems += _attribute_problems(config, file)
    if problems:
        raise InputError(problems, NOT_SAVED)
    return config


def _versions(ws: Workspace, where: str = "", params: list[Any] | None = None,
              order: str = "version") -> list[ConfigVersion]:
    """Saved versions matching ``where`` (the table is made when a workspace is opened; a
    workspace opened read-only before it existed has none)."""
    if not ws.query("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'meta' "
                    "AND table_name = 'config_version'"):
        return []
    rows = ws.query("SELECT version, author, created_at, yaml, diff, note FROM meta.config_version "
                    f"{where} ORDER BY {order}", params)
    return [ConfigVersion(*r) for r in rows]


def history(ws: Workspace) -> list[ConfigVersion]:
    """Every saved version, oldest first."""
    return _versions(ws)


def current_version(ws: Workspace) -> ConfigVersion | None:
    latest = _versions(ws, order="version DESC LIMIT 1")
    return latest[0] if latest else None


def get_version(ws: Workspace, version: int) -> ConfigVersion:
    found = _versions(ws, "WHERE version = ?", [version])
    if found:
        return found[0]
    raise InputError.one(f"configuration version {version} does not exist", field="version",
                         hint="list the versions with `workbench config WORKSPACE history`",
                         outcome=NOT_SAVED)


def load_config(ws: Workspace) -> dict[str, Any]:
    """The saved configuration (the default when nothing was saved yet)."""
    latest = current_version(ws)
    return complete_config(parse_yaml(latest.yaml)) if latest else default_config()


def diff_text(old: str, new: str, old_label: str, new_label: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=old_label, tofile=new_label))



def save_config(
    ws: Workspace, config: dict[str, Any], *, author: str | None = None, note: str | None = None
) -> ConfigVersion:
    """Validate and save as a new version (also written to workbench.yaml); unchanged = no version."""
    config = complete_config(config)
    validate_config(config)
    text = dump_yaml(config)
    latest = current_version(ws)
    if latest and latest.yaml == text:
        return latest
    old = latest.yaml if latest else ""
    number = (latest.version if latest else 0) + 1
    label = f"version {latest.version}" if latest else "(none)"
    diff = diff_text(old, text, label, f"version {number}")
    now = datetime.now()
    with ws.transaction() as cur:
        cur.execute("INSERT INTO meta.config_version VALUES (?, ?, ?, ?, ?, ?)",
                    [number, author_name(author), now, text, diff, note])
        _write_file(ws.root / CONFIG_FILE, text)
    return ConfigVersion(number, author_name(author), now, text, diff, note)


def _write_file(path: Path, text: str) -> None:
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def save_file(ws: Workspace, path: Path | None = None, *, author: str | None = None,
              note: str | None = None) -> ConfigVersion:
    """Save a YAML file (default: the workspace's workbench.yaml, edited by hand) as a version."""
    path = path or ws.root / CONFIG_FILE
    if not path.exists():
        raise InputError.one(f"{path} does not exist", file=path.name,
                             hint="write it first, e.g. `workbench config WORKSPACE show > FILE`",
                             outcome=NOT_SAVED)
    config = parse_yaml(path.read_text(encoding="utf-8"), file=path.name)
    validate_config(config, file=path.name)
    return save_config(ws, config, author=author, note=note)


def restore_version(ws: Workspace, version: int, *, author: str | None = None) -> ConfigVersion:
    """Make a new version equal to an old one; nothing is erased."""
    old = get_version(ws, version)
    return save_config(ws, parse_yaml(old.yaml), author=author, note=f"restore of version {version}")


def diff_versions(ws: Workspace, v1: int, v2: int) -> str:
    a, b = get_version(ws, v1), get_version(ws, v2)
    return diff_text(a.yaml, b.yaml, f"version {v1}", f"version {v2}")


def file_drift(ws: Workspace) -> str | None:
    """A diff when workbench.yaml was edited by hand since the last saved version, else None."""
    path = ws.root / CONFIG_FILE
    latest = current_version(ws)
    if not path.exists() or latest is None:
        return None
    text = path.read_text(encoding="utf-8")
    if text == latest.yaml:
        return None
    return diff_text(latest.yaml, text, f"version {latest.version}", f"{CONFIG_FILE} (unsaved)")

