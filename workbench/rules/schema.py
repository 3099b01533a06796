"""The steward's configuration: its JSON Schema, published as docs/config.schema.json.

One document per workspace (``workbench.yaml``) holds every setting of the sync: sources, schools
mapping, attribute mapping, data requirements, filter rules, advanced settings, domains of
uniqueness, master fields, hold thresholds, duplicate-score bands and the schedule. Attribute names
are checked against the canonical schema by ``workbench.rules.config.validate_config``; the JSON
Schema checks the shape and the allowed values.
"""

from __future__ import annotations

from typing import Any

from workbench.model.schema import ENTITIES

FILTER_ENTITIES = ("student", "contact", "teacher", "course", "class", "calendar", "admin")
PERSON_ENTITIES = ("student", "contact", "teacher", "admin")
REQUIREMENTS = ("include", "report_if_missing", "skip_if_missing", "mask")
OPERATORS = (
    "equals", "not_equals", "contains", "starts_with", "is_empty", "is_not_empty", "before",
    "after", "is_future", "is_past", "in_list", "matches_pattern",
)
TEMPLATES = {
    # template: (entities it applies to, parameters it takes)
    "active_students": (("student",), ()),
    "current_school_year": (("calendar", "class", "course"), ()),
    "grade_range": (("student", "class"), ("from", "to")),
    "schools_in_list": (("student", "teacher", "admin", "class", "course", "calendar"), ("schools",)),
    "exclude_test_accounts": (("student", "teacher", "admin", "contact"), ()),
    "custodial_contacts_only": (("contact",), ()),
    "emergency_contacts_only": (("contact",), ()),
    "enabled_only": (("student", "teacher", "admin", "contact"), ()),
    "has_enrollments": (("student", "teacher", "class"), ()),
}
MASTER_STRATEGIES = ("source_priority", "most_recent", "most_complete", "aggregate")
CHANGE_KINDS = ("insert", "update", "delete")

_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}
_ATTRIBUTE = {"type": "string", "minLength": 1, "maxLength": 64}


def _threshold() -> dict[str, Any]:
    return {
        "type": "object", "additionalProperties": False,
        "properties": {
            "percent": {"type": "number", "minimum": 0, "maximum": 100},
            "count": {"type": "integer", "minimum": 0},
        },
    }


def _condition() -> dict[str, Any]:
    return {
        "type": "object", "additionalProperties": False,
        "required": ["attribute", "op"],
        "properties": {
            "attribute": _ATTRIBUTE,
            "op": {"enum": list(OPERATORS)},
            "value": {"type": ["string", "number", "boolean", "array", "null"],
                      "items": {"type": ["string", "number"]}},
        },
    }


def _rule() -> dict[str, Any]:
    return {
        "type": "object", "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": 80},
            "action": {"enum": ["include", "exclude"], "default": "include"},
            "template": {"enum": sorted(TEMPLATES)},
            "params": {"type": "object"},
            "match": {"enum": ["all", "any"], "default": "all"},
            "conditions": {"type": "array", "items": _condition()},
            "enabled": {"type": "boolean", "default": True},
        },
        "oneOf": [{"required": ["template"]}, {"required": ["conditions"]}],
    }


def config_schema() -> dict[str, Any]:
    entity_map = {"type": "object", "propertyNames": {"enum": list(ENTITIES)}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://roster-workbench.example/config.schema.json",
        "title": "Roster Workbench configuration",
        "type": "object",
        "additionalProperties": False,
        "required": ["format"],
        "properties": {
            "format": {"const": 1, "description": "version of this configuration format"},
            "sources": {
                "type": "array", "description": "where roster data comes from",
                "items": {
                    "type": "object", "additionalProperties": False, "required": ["name", "kind"],
                    "properties": {
                        "name": _NAME,
                        "kind": {"enum": ["powerschool", "oneroster", "powerschool_api"]},
                        "location": {"type": "string"},
                        "id_prefix": {"type": "string", "maxLength": 20, "default": ""},
                        "sync_mode": {"enum": ["import", "two_way"], "default": "import"},
                    },
                },
            },
            "schools": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "mode": {"enum": ["all", "selected"], "default": "all",
                             "description": "all = auto mapping; selected = only the listed schools"},
                    "selected": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                    "flag_missing": {"type": "boolean", "default": True,
                                     "description": "report mapped schools that a load lacks"},
                },
            },
            "attributes": {
                **entity_map, "description": "canonical attribute <- source field",
                "additionalProperties": {
                    "type": "object", "propertyNames": _ATTRIBUTE,
                    "additionalProperties": {
                        "type": "object", "additionalProperties": False, "required": ["field"],
                        "properties": {"source": _NAME, "field": {"type": "string", "minLength": 1}},
                    },
                },
            },
            "requirements": {
                **entity_map,
                "additionalProperties": {
                    "type": "object", "propertyNames": _ATTRIBUTE,
                    "additionalProperties": {"enum": list(REQUIREMENTS)},
                },
            },
            "filters": {
                "type": "object", "propertyNames": {"enum": list(FILTER_ENTITIES)},
                "additionalProperties": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "rules": {"type": "array", "items": _rule()},
                        "include_linked": {"type": "boolean", "default": True},
                    },
                },
            },
            "advanced": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "contact_module": {"type": "boolean", "default": True},
                    "contact_name_separator": {"type": "string", "maxLength": 3, "default": " "},
                    "sync_co_teachers": {"type": "boolean", "default": False},
                    "terms_merge": {"type": "boolean", "default": False},
                    "terms_title_format": {"type": "string", "default": "{name} ({start} {end})"},
                    "bulk_upload_mode": {"type": "boolean", "default": True},
                    "multiple_sources": {"type": "boolean", "default": False},
                    "compare_by_uniqueness": {"type": "boolean", "default": True},
                    "preview_before_sync": {"type": "boolean", "default": True},
                    "prior_data_consumption": {"type": "boolean", "default": False},
                    "incremental_sync": {"type": "boolean", "default": False},
                },
            },
            "uniqueness": {
                "type": "object", "propertyNames": {"enum": list(PERSON_ENTITIES)},
                "additionalProperties": {
                    "type": "array", "description": "ordered attribute sets",
                    "items": {"type": "array", "items": _ATTRIBUTE, "minItems": 1, "uniqueItems": True},
                },
            },
            "master_fields": {
                **entity_map,
                "additionalProperties": {
                    "type": "object", "propertyNames": _ATTRIBUTE,
                    "additionalProperties": {
                        "type": "object", "additionalProperties": False, "required": ["strategy"],
                        "properties": {
                            "strategy": {"enum": list(MASTER_STRATEGIES)},
                            "sources": {"type": "array", "items": _NAME},
                        },
                    },
                },
            },
            "holds": {
                **entity_map,
                "additionalProperties": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        **{k: _threshold() for k in CHANGE_KINDS},
                        "per_school": {"type": "boolean", "default": False},
                        "near_term_days": {"type": "integer", "minimum": 0, "default": 0},
                        "near_term_factor": {"type": "number", "minimum": 1, "default": 1},
                    },
                },
            },
            "extensions": {
                "type": "object", "propertyNames": {"enum": ["student"]},
                "description": "extension fields delivered with the record, as OneRoster "
                               "metadata.<field> columns of users.csv (e.g. student: "
                               "[U_DEF_EXT_STUDENTS.laptop_tag]); the others stay in the roster",
                "additionalProperties": {
                    "type": "array", "uniqueItems": True,
                    "items": {"type": "string",
                              "pattern": "^[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*$"},
                },
            },
            "writeback": {
                "type": "object", "propertyNames": {"enum": list(PERSON_ENTITIES)},
                "description": "attributes whose steward corrections are sent back to a two_way "
                               "source (e.g. student: [email])",
                "additionalProperties": {"type": "array", "items": _ATTRIBUTE, "uniqueItems": True},
            },
            "linkage": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "match_threshold": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.9},
                    "possible_threshold": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
                    "model": {
                        "enum": ["default", "learned"], "default": "learned",
                        "description": "learned: once the steward has decided min_labels pairs each "
                                       "way, a logistic regression fitted on those decisions (and on "
                                       "the default model's confident pairs) scores the pairs",
                    },
                    "min_labels": {"type": "integer", "minimum": 1, "default": 10},
                    "prior": {
                        "enum": ["fixed", "estimated"], "default": "fixed",
                        "description": "the default model's prior log-odds of a candidate pair: "
                                       "fixed (set by hand per entity) or estimated from the "
                                       "candidate pairs with the weights held fixed, within 2 "
                                       "of the fixed one",
                    },
                },
            },
            "schedule": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "frequency": {"enum": ["off", "daily", "weekly"], "default": "off"},
                    "time": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                             "default": "00:00"},
                    "weekday": {"enum": ["monday", "tuesday", "wednesday", "thursday", "friday",
                                         "saturday", "sunday"]},
                    "expires": {"type": "string", "format": "date"},
                    "first_day_of_calendar": {"type": "boolean", "default": True},
                },
            },
        },
    }
