"""Apply's progress on stderr, drawn from the library's plain events (tablespec.model.progress).

On a terminal: a rich live display, one line per table (actions done of all) and one per load
(files, rows, bytes, and an ETA once the load has run a couple of seconds). Anywhere else (CI
logs, pipes): plain lines, one per action started and one per source file read, in a stable
wording that tests compare with a golden file. ``NO_COLOR`` is honoured (rich reads it).

Tables apply on threads, so both views take a lock; rich is imported only for a terminal.
"""

from __future__ import annotations

import sys
import threading
from typing import IO, Any

from tablespec.model.progress import FileProgress, ProgressEvent, Step
from tablespec.render import human_bytes

ETA_AFTER_SECONDS = 2.0  # shorter loads show no ETA: it would only flicker


class PlainProgress:
    """One line per action started and per source file read; never rewrites a line."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        line = plain_line(event)
        if line is None:
            return
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        """Nothing to tidy: plain lines stay as written."""


def plain_line(event: ProgressEvent) -> str | None:
    if isinstance(event, Step):
        if event.what == "done":
            return None  # the report that follows says how each table ended
        return f"{event.table}: [{event.done + 1}/{event.total}] {event.what}"
    if not event.done:
        return None  # per batch: too chatty for a log
    return (f"{event.table}: load {event.source}: file {event.file_index}/{event.file_count} {event.path}: "
            f"{event.rows:,} rows, {human_bytes(event.size)}")


class RichProgress:
    """A live display on a terminal: a bar per table and a bar per load, cleared at the end."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._lock = threading.Lock()
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"), _LateEta(),
            console=Console(file=stream), transient=True,
        )
        self._tables: dict[str, Any] = {}
        self._loads: dict[tuple[str, str], Any] = {}
        self._read: dict[tuple[str, str], tuple[int, int]] = {}  # rows, bytes of files finished
        self._started = False  # started by the first event: approval is asked before any


    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if not self._started:
                self._progress.start()
                self._started = True
            if isinstance(event, Step):
                self._step(event)
            else:
                self._file(event)

    def _step(self, event: Step) -> None:
        task = self._tables.get(event.table)
        what = "" if event.what == "done" else event.what
        if task is None:
            task = self._tables[event.table] = self._progress.add_task(event.table, total=event.total or 1,
                                                                      detail=what)
        self._progress.update(task, completed=event.done, total=event.total or 1, detail=what)

    def _file(self, event: FileProgress) -> None:
        key = (event.table, event.source)
        rows, size = self._read.get(key, (0, 0))
        task = self._loads.get(key)
        if task is None:
            task = self._loads[key] = self._progress.add_task(f"  load {event.source}", total=event.file_count,
                                                              detail="")
        if event.done:
            rows, size = rows + event.rows, size + event.size
            self._read[key] = (rows, size)
            shown_rows = rows
        else:
            shown_rows = rows + event.rows
        self._progress.update(task, completed=event.file_index - (0 if event.done else 1), total=event.file_count,
                              detail=f"{shown_rows:,} rows, {human_bytes(size)} · {event.path}")

    def close(self) -> None:
        with self._lock:
            if self._started:
                self._progress.stop()


class _LateEta:
    """rich's time-remaining column, blank until a task has run ETA_AFTER_SECONDS."""

    def __new__(cls) -> Any:
        from rich.progress import TimeRemainingColumn
        from rich.text import Text

        class LateEta(TimeRemainingColumn):
            def render(self, task: Any) -> Text:
                if task.elapsed is None or task.elapsed < ETA_AFTER_SECONDS or task.finished:
                    return Text("")
                return super().render(task)

        return LateEta()


def progress_view(*, terminal: bool, stream: IO[str] | None = None) -> RichProgress | PlainProgress:
    out = sys.stderr if stream is None else stream
    return RichProgress(out) if terminal else PlainProgress(out)
