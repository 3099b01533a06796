"""The steward's configuration as data: schema, validation, versions, compilation to SQL,
the candidate roster it delivers and the impact of a draft."""

from workbench.rules.candidate import CandidateSummary, build_candidate
from workbench.rules.compile import Sql, compile_rule
from workbench.rules.config import (
    CONFIG_FILE,
    ConfigVersion,
    complete_config,
    default_config,
    diff_versions,
    dump_yaml,
    file_drift,
    get_version,
    history,
    load_config,
    parse_yaml,
    restore_version,
    save_config,
    save_file,
    validate_config,
)
from workbench.rules.impact import Impact, preview_impact
from workbench.rules.schema import config_schema

__all__ = [
    "CONFIG_FILE",
    "CandidateSummary",
    "Impact",
    "Sql",
    "build_candidate",
    "compile_rule",
    "preview_impact",
    "ConfigVersion",
    "complete_config",
    "config_schema",
    "default_config",
    "diff_versions",
    "dump_yaml",
    "file_drift",
    "get_version",
    "history",
    "load_config",
    "parse_yaml",
    "restore_version",
    "save_config",
    "save_file",
    "validate_config",
]
