"""The steward's configuration as data: schema, validation, versions, compilation to SQL."""

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
from workbench.rules.schema import config_schema

__all__ = [
    "CONFIG_FILE",
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
