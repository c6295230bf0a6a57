"""One table's apply in progress (:class:`Run`), what handlers read and append to, and the
small helpers the applier and the executor share.

Kept apart from the executor so handlers depend on this, not on the module that calls them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tablespec.config import Config
from tablespec.delta.table import DeltaTable
from tablespec.errors import NotADeltaTable
from tablespec.model.actions import Action
from tablespec.model.plan import TablePlan
from tablespec.model.report import LoadOutcome
from tablespec.model.spec import TableSpec

T = TypeVar("T")
Progress = Callable[[str, str, int, int], None]  # (table, step, done, total)
AfterAction = Callable[[str, Action], None]  # (table, the action just done)


@dataclass
class Run:
    """One table's apply in progress: what handlers read and append to."""

    spec: TableSpec
    plan: TablePlan
    table: DeltaTable
    metadata: dict[str, str]
    allow: frozenset[str]
    config: Config
    progress: Progress | None = None
    done: list[Action] = field(default_factory=list)
    loads: list[LoadOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    version: int | None = None  # the table's version after our last commit (or as found)
    folded: set[int] = field(default_factory=set)  # ids of actions done inside another's commit
    position: tuple[int, int] = (0, 0)  # (actions done, actions in total), for progress
    after_action: AfterAction | None = None  # called after each action (a test seam; see apply_plan)

    def step(self, what: str, done: int | None = None, total: int | None = None) -> None:
        if done is not None and total is not None:
            self.position = (done, total)
        if self.progress is not None:
            self.progress(self.spec.name, what, *self.position)


def settled(read: Callable[[], T], attempts: int = 4, pause: float = 0.5) -> T:
    """``read()``, retried briefly while a table is half-created by another writer: its folder
    then holds ``_delta_log/`` but no commit yet, which reads as NotADeltaTable for a moment.
    A folder that really is not a Delta table still fails, a second or two later."""
    for attempt in range(attempts):
        try:
            return read()
        except NotADeltaTable:
            if attempt == attempts - 1:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")
