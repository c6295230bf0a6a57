"""Wording shared by the plan formats (text, json, markdown) and the apply and inspect reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tablespec.model.durations import human

if TYPE_CHECKING:
    from tablespec.model.actions import Checkpoint, CleanupLog, LoadSource, Optimize

MARKERS = {"create": "+", "change": "~", "remove": "-", "refused": "!"}


def human_bytes(size: int) -> str:
    """1536 -> "1.5 KiB"; exact below 1 KiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def quote(value: str | None) -> str:
    """A value as the user wrote it, quoted so that spaces and empty strings show."""
    if value is None:
        return "(none)"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def load_summary(action: LoadSource) -> str:
    """'2 files, 1.5 KiB, 1,000 rows (1 new, 1 changed; 3 already loaded)' for a load action."""
    pending = action.pending
    rows = action.pending_rows
    counts = {reason: sum(1 for f in action.files if f.reason == reason) for reason in ("new", "changed")}
    loaded = len(action.files) - len(pending)
    reasons = ", ".join(f"{n} {reason}" for reason, n in counts.items() if n)
    if loaded:
        reasons += f"; {loaded} already loaded"
    row_text = "rows unknown" if rows is None else plural(rows, "row")
    return (f"{plural(len(pending), 'file')}, {human_bytes(action.pending_bytes)}, {row_text}"
            + (f" ({reasons})" if reasons else "") + skipped_summary(action))


def skipped_summary(action: LoadSource, shown: int = 3) -> str:
    """'; skipped 2 files of another format: README.txt, notes.md' — files of the folder a load
    will not read (issue 13.3)."""
    if not action.skipped:
        return ""
    names = [p.rstrip("/").rsplit("/", 1)[-1] for p in action.skipped]
    more = f", {len(names) - shown} more" if len(names) > shown else ""
    return f"; skipped {plural(len(names), 'file')} of another format: {', '.join(names[:shown])}{more}"


# --- upkeep (shared by the text and markdown plans) -------------------------------------------------

PARTITIONS_SHOWN = 10  # an optimize lists at most this many partitions; the rest are counted


def partition_label(values: tuple[tuple[str, str | None], ...]) -> str:
    """``dt=2024-01-01/region=eu`` (``__null__`` for a null value); "the table" when unpartitioned."""
    return "/".join(f"{c}={'__null__' if v is None else v}" for c, v in values) or "the table"


def optimize_summary(a: Optimize) -> str:
    where = plural(len(a.partitions), "partition") if any(p.values for p in a.partitions) else "the table"
    what = f"z-order {where} by ({', '.join(a.z_order)})" if a.z_order else f"compact {where}"
    return (f"optimize: {what}, {plural(a.files, 'file')} ({human_bytes(a.bytes)}) -> "
            f"about {plural(a.files_out, 'file')}, target {human_bytes(a.target_size)}")


def optimize_partitions(a: Optimize) -> list[str]:
    """One line per partition (the first PARTITIONS_SHOWN), then how many more."""
    if not any(p.values for p in a.partitions):
        return []
    lines = [f"{partition_label(p.values)}: {plural(p.files, 'file')}, {human_bytes(p.bytes)} -> "
             f"{plural(p.files_out, 'file')}" for p in a.partitions[:PARTITIONS_SHOWN]]
    if len(a.partitions) > PARTITIONS_SHOWN:
        lines.append(f"... and {plural(len(a.partitions) - PARTITIONS_SHOWN, 'more partition')}")
    return lines


def cleanup_summary(a: CleanupLog) -> str:
    entries = f"{a.entries} log entr{'y' if a.entries == 1 else 'ies'}" + (
        f" and {plural(a.checkpoint_files, 'checkpoint file')}" if a.checkpoint_files else "")
    return (f"clean up the log: {entries} (versions up to {a.through_version}) older than "
            f"{human(a.retention_seconds)}; time travel before version {a.oldest_kept} ends")


def checkpoint_summary(a: Checkpoint) -> str:
    return (f"checkpoint at version {a.version}: {plural(a.commits_since, 'commit')} to replay since the last one "
            f"(interval {a.interval})")
