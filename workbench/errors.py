"""Typed errors. Every error a steward can meet says where it happened and what to do."""

from __future__ import annotations

from dataclasses import dataclass, field


class WorkbenchError(Exception):
    """Base class: a problem the user can act on (the CLI exits 2 on it)."""


@dataclass
class Problem:
    """One located problem in an input: file, line and field, with advice."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def render(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


@dataclass
class InputError(WorkbenchError):
    """Input that cannot be loaded. Carries one or more located problems."""

    problems: list[Problem] = field(default_factory=list)
    outcome: str = "Nothing was loaded; the workspace is unchanged."

    def __post_init__(self) -> None:
        super().__init__(self.render())

    @classmethod
    def one(
        cls,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
        outcome: str = "Nothing was loaded; the workspace is unchanged.",
    ) -> InputError:
        return cls([Problem(message, file=file, line=line, field=field, hint=hint)], outcome)

    def render(self, limit: int = 20) -> str:
        lines = [p.render() for p in self.problems[:limit]]
        more = len(self.problems) - limit
        if more > 0:
            lines.append(f"... and {more} more problem(s) of the same kind")
        if self.outcome:
            lines.append(self.outcome)
        return "\n".join(lines)


class WorkspaceError(WorkbenchError):
    """The workspace folder is missing, not a workspace, or already exists."""
