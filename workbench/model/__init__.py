"""The canonical roster: entity tables and the mapping from each source."""

from .schema import ENTITIES, column_names, columns

__all__ = ["ENTITIES", "column_names", "columns"]
