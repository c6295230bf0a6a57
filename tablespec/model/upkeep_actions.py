"""Upkeep actions of a plan: vacuum, optimize (compaction or z-order), log cleanup and
checkpoints. Frozen data like every action; see :mod:`tablespec.model.actions`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tablespec.model.action_base import LOG, OPTIMIZE, VACUUM, Action, Risk
from tablespec.model.state import PartitionValues


@dataclass(frozen=True)
class Vacuum(Action):
    """Remove files no longer referenced, older than the deleted-file retention.

    Destructive only when some removed file is still referenced by a version inside the log
    retention window (time travel to it would break); otherwise ``write`` (storage only).
    """

    phase: ClassVar[int] = VACUUM
    retention_seconds: int = 0
    files: int = 0
    bytes: int = 0
    unsafe_files: int = 0

    @property
    def risk(self) -> Risk:
        return "destructive" if self.unsafe_files else "write"

    @property
    def refused_reason(self) -> str:
        if self.unsafe_files:
            return (f"{self.unsafe_files} file(s) are still referenced by versions inside the log retention window; "
                    "time travel to those versions would break")
        return ""


# --- upkeep (maintenance:) ------------------------------------------------------------------



@dataclass(frozen=True)
class PartitionWork:
    """One partition an optimize rewrites: its values (empty for an unpartitioned table), the
    files and bytes it reads, and about how many files it writes (bytes / target size)."""

    values: PartitionValues = ()
    files: int = 0
    bytes: int = 0
    files_out: int = 1


@dataclass(frozen=True)
class Optimize(Action):
    """Compact small files (or z-order, with ``z_order``) partition by partition.

    Class ``maintenance``: delta-rs rewrites files with ``dataChange: false``; every row stays as it
    was, so apply does it without ``--allow``; the plan shows the bytes it will read and write.
    """

    phase: ClassVar[int] = OPTIMIZE
    target_size: int = 0
    z_order: tuple[str, ...] = ()
    partitions: tuple[PartitionWork, ...] = ()

    @property
    def risk(self) -> Risk:
        return "maintenance"

    @property
    def files(self) -> int:
        return sum(p.files for p in self.partitions)

    @property
    def bytes(self) -> int:
        return sum(p.bytes for p in self.partitions)

    @property
    def files_out(self) -> int:
        return sum(p.files_out for p in self.partitions)


@dataclass(frozen=True)
class CleanupLog(Action):
    """Delete log entries (commit files) older than the log retention, up to a checkpoint, as
    delta-rs's ``cleanup_metadata`` does; time travel before ``oldest_kept`` ends.

    ``maintenance`` when every entry is past the retention the table promised until now;
    ``destructive`` when the spec shortens that retention and some entry is still inside the old one.
    """

    phase: ClassVar[int] = LOG
    retention_seconds: int = 0
    entries: int = 0  # commit files
    checkpoint_files: int = 0  # older checkpoints that go with them
    through_version: int = 0  # the newest version whose entry goes
    oldest_kept: int = 0  # the oldest version time travel reaches afterwards
    unsafe_entries: int = 0
    promised_seconds: int = 0  # the table's log retention before this apply

    @property
    def risk(self) -> Risk:
        return "destructive" if self.unsafe_entries else "maintenance"

    @property
    def refused_reason(self) -> str:
        if self.unsafe_entries:
            return (f"{self.unsafe_entries} log entr{'y is' if self.unsafe_entries == 1 else 'ies are'} inside the log "
                    f"retention the table promised until now; time travel to those versions would end early")
        return ""


@dataclass(frozen=True)
class Checkpoint(Action):
    """Write a checkpoint: ``commits_since`` commit files would otherwise be replayed on every
    open, and log cleanup can only remove entries before a checkpoint. Log only (``maintenance``)."""

    phase: ClassVar[int] = LOG
    rank: ClassVar[int] = 1  # after log cleanup, which counted the checkpoints there were
    version: int = 0
    commits_since: int = 0
    interval: int = 0

    @property
    def risk(self) -> Risk:
        return "maintenance"


# --- changes delta-rs cannot make in place ---------------------------------------------------
