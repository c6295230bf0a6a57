"""What apply and loads return: plain frozen reports, rendered by ``tablespec.render``.

They live in ``model`` so renderers never import the code that produces them (the executor
returns these; the CLI maps them to exit codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tablespec.model.actions import Action
from tablespec.model.keys import VERSION

Status = Literal["applied", "failed", "refused", "skipped"]


@dataclass(frozen=True)
class LoadOutcome:
    """What one source's load did (the apply summary line)."""

    source: str
    files: int  # files committed by this run
    rows_read: int
    inserted: int
    updated: int
    deleted: int  # for an overwrite: the rows it replaced
    seconds: float
    version: int | None  # the table version after the last commit; None when nothing was committed
    skipped: int = 0  # pending files found already loaded when the load ran (resumed or concurrent apply)
    # unreferenced data files written while our write that lost a commit race ran: its own, and
    # any other loser's of the same moment (files carry no writer id); vacuum removes them
    orphaned_files: int = 0
    # (expectation, on_fail, rows that failed it) for drop and warn expectations (issue 15.3)
    expectations: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True)
class Refusal:
    """One action apply would not do, with why and what would permit it."""

    action: Action
    reason: str
    hint: str = ""


@dataclass(frozen=True)
class TableReport:
    table: str
    uri: str
    status: Status
    actions: tuple[Action, ...] = ()  # the actions done, in the order they were done
    version_before: int | None = None  # None: the table did not exist
    version_after: int | None = None
    seconds: float = 0.0
    loads: tuple[LoadOutcome, ...] = ()  # one per load done
    refused: tuple[Refusal, ...] = ()
    error: str = ""
    error_type: str = ""
    hint: str = ""
    notes: tuple[str, ...] = ()  # re-plans, properties reset rather than removed, ...
    # the exception behind ``error``, so `--debug` can show its traceback; not data (not compared, not in JSON)
    exception: BaseException | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ApplyReport:
    plan_id: str
    tables: tuple[TableReport, ...]
    seconds: float = 0.0
    tablespec_version: str = VERSION

    def count(self, status: Status) -> int:
        return sum(1 for t in self.tables if t.status == status)

    @property
    def failed(self) -> bool:
        return any(t.status == "failed" for t in self.tables)

    @property
    def refused(self) -> bool:
        return any(t.status == "refused" for t in self.tables)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused
