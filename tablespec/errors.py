"""One error root for everything tablespec raises.

Library code raises these and never prints or exits; the CLI maps each class to an exit code in
one place (``tablespec.cli.errors``). Errors carry data, not only text, so callers can act on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    """Where in a spec file a problem sits (1-based line and column, as editors count)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec; all problems are reported together."""

    location: Location
    message: str
    hint: str = ""
    severity: Severity = "error"
    table: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "table": self.table,
        }


class TablespecError(Exception):
    """Root of every error tablespec raises on purpose."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f"\nhint: {self.hint}" if self.hint else "")


class SpecInvalid(TablespecError):
    """The specs do not validate; ``problems`` lists every error and warning found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"{len(errors)} problem(s) in the specs:\n" + "\n".join(str(p) for p in errors))


class ConfigError(TablespecError):
    """tablespec.yaml or the environment is unusable (exit 3: the project is misconfigured)."""


class StorageError(TablespecError):
    """The store could not be reached or answered with an error (exit 1)."""

    def __init__(self, message: str, *, table: str = "", uri: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.table = table
        self.uri = uri


class NotADeltaTable(StorageError):
    """The location holds files but no Delta log."""


class TableNotFound(StorageError):
    """The table does not exist at its location (a state for plan, an error for read/show)."""


class TableExists(StorageError):
    """``create`` found a Delta table already at the location (another writer may have made it)."""


class NoSuchVersion(StorageError):
    """Time travel asked for a version or timestamp the table's log cannot give."""


class DataError(TablespecError):
    """Source data does not fit the spec: names the file, column and rows (exit 1)."""

    def __init__(
        self,
        message: str,
        *,
        file: str = "",
        column: str = "",
        rows: tuple[int, ...] = (),
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.file = file
        self.column = column
        self.rows = rows


class SchemaMismatch(DataError):
    """Data offered to a table has columns or types the table does not have."""

    def __init__(
        self,
        message: str,
        *,
        missing: tuple[str, ...] = (),
        extra: tuple[str, ...] = (),
        different: tuple[str, ...] = (),
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.missing = missing
        self.extra = extra
        self.different = different


class ConcurrentModification(StorageError):
    """Another writer committed a conflicting change; retrying the command is safe."""


class Refused(TablespecError):
    """A change tablespec will not make without explicit permission, or ever (exit 4)."""


class StalePlan(Refused):
    """A saved plan no longer matches the table or the spec."""

    def __init__(self, table: str, planned: int | None, found: int | None, what: str) -> None:
        self.table = table
        self.planned = planned
        self.found = found
        self.what = what
        super().__init__(
            f"saved plan is stale for table {table}: planned at version {_v(planned)}, "
            f"found version {_v(found)}; {what}",
            hint="run `tablespec plan --out FILE` again and review the new plan",
        )


class ApprovalRequired(Refused):
    """apply would change things, but nobody approved and no terminal can ask."""


class UsageError(TablespecError):
    """Bad command-line usage that click itself did not catch (exit 64)."""


def _v(version: int | None) -> str:
    return "none (table absent)" if version is None or version < 0 else str(version)
