"""What apply reports while it runs: plain events, so the CLI can draw them as it likes (a rich
live display on a terminal, stable plain lines in CI logs) and the library never prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """A table's apply moved on: ``what`` is starting, ``done`` of ``total`` actions finished."""

    table: str
    what: str
    done: int
    total: int


@dataclass(frozen=True)
class FileProgress:
    """A source file of a load: after each batch read (``done`` False) and once it is read whole."""

    table: str
    source: str
    path: str
    file_index: int  # 1-based, among the files this load commits
    file_count: int
    rows: int  # rows read from this file so far
    size: int  # the file's size in bytes
    done: bool


ProgressEvent = Step | FileProgress
Progress = Callable[[ProgressEvent], None]
