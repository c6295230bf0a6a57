"""Read a table's ``_delta_log`` directly, for what deltalake's Python API does not expose.

Why this exists: ``deltalake.DeltaTable`` answers "what is the version of app id X?" but cannot
list every app transaction (``txn`` action) a table holds, does not give the protocol's commit
timestamps (the commit file's modification time, PROTOCOL.md "Commit Provenance Information" /
time travel), and gives no way to tell which old versions are still reconstructable after log
cleanup. ``show``, ``history`` and ``read --as-of`` need all three; the planner needs every app transaction
at once, and the vacuum preview needs tombstones.

The one log parser: listing, commit infos, app transactions (all of them, or those set since a
version), and tombstones for the vacuum preview. Everything here is read-only and reads the log
only, never data files. Files are reached through deltalake's own object store
(:func:`tablespec.delta.store.table_filesystem`), so local folders and S3 use exactly the storage
options every other part of tablespec passes to deltalake; :func:`txns_since` alone reads plain
files, because it runs inside a deltalake write.

Log layout handled (PROTOCOL.md "Delta Log Entries", "Checkpoints"): commits ``NNN.json``;
classic ``NNN.checkpoint.parquet``; multi-part ``NNN.checkpoint.PPP.TTT.parquet`` (used only when
every part is present); V2 ``NNN.checkpoint.<uuid>.json|parquet`` (``txn`` actions live in the
top-level file, never in sidecars); ``_last_checkpoint``, ``.crc`` and log compaction files are
not needed and ignored.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tablespec.config import is_s3, local_path
from tablespec.delta.commit import AppTransaction
from tablespec.delta.store import s3_filesystem

LOG_DIR = "_delta_log"
_COMMIT = re.compile(r"^(\d{20})\.json$")
_CLASSIC = re.compile(r"^(\d{20})\.checkpoint\.parquet$")
_MULTIPART = re.compile(r"^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$")
_V2 = re.compile(r"^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$")


@dataclass(frozen=True)
class LogFile:
    path: str  # relative to the table root
    size: int
    mtime_ms: int | None


@dataclass(frozen=True)
class Listing:
    """The commit and checkpoint files present in ``_delta_log``, by version."""

    commits: dict[int, LogFile] = field(default_factory=dict)
    checkpoints: dict[int, tuple[LogFile, ...]] = field(default_factory=dict)

    @property
    def latest(self) -> int | None:
        versions = list(self.commits) + list(self.checkpoints)
        return max(versions) if versions else None

    def earliest_readable(self) -> int | None:
        """The oldest version that can still be reconstructed: a checkpoint (or version 0) from
        which every later commit is present. Log cleanup deletes commits older than
        ``delta.logRetentionDuration`` but only up to a checkpoint, so this is that checkpoint."""
        latest = self.latest
        if latest is None:
            return None
        starts = sorted({*self.checkpoints, *([0] if 0 in self.commits else [])})
        for start in starts:
            if all(v in self.commits for v in range(start + 1, latest + 1)):
                return start
        return None

    def last_checkpoint(self, at_most: int) -> int | None:
        candidates = [v for v in self.checkpoints if v <= at_most]
        return max(candidates) if candidates else None

    def commit_timestamps(self) -> dict[int, int]:
        """Commit timestamps (ms) as the protocol defines them without in-commit timestamps: the
        commit file's modification time, made strictly increasing the way Delta's history manager
        does, so that "latest version at or before T" is well defined."""
        result: dict[int, int] = {}
        previous = -1
        for version in sorted(self.commits):
            mtime = self.commits[version].mtime_ms or 0
            stamp = mtime if mtime > previous else previous + 1
            result[version] = stamp
            previous = stamp
        return result


def list_log(fs: Any) -> Listing:
    """Every commit and complete checkpoint in ``_delta_log`` (an empty listing when there is none)."""
    import pyarrow.fs as pafs

    infos = fs.get_file_info(pafs.FileSelector(LOG_DIR, allow_not_found=True, recursive=False))
    commits: dict[int, LogFile] = {}
    classic: dict[int, LogFile] = {}
    parts: dict[tuple[int, int], dict[int, LogFile]] = {}
    v2: dict[int, LogFile] = {}
    for info in infos:
        if info.type != pafs.FileType.File:
            continue
        name = info.path.rsplit("/", 1)[-1]
        entry = LogFile(info.path, int(info.size or 0), info.mtime_ns // 1_000_000 if info.mtime_ns else None)
        if m := _COMMIT.match(name):
            commits[int(m.group(1))] = entry
        elif m := _CLASSIC.match(name):
            classic[int(m.group(1))] = entry
        elif m := _MULTIPART.match(name):
            parts.setdefault((int(m.group(1)), int(m.group(3))), {})[int(m.group(2))] = entry
        elif m := _V2.match(name):
            v2[int(m.group(1))] = entry
    checkpoints: dict[int, tuple[LogFile, ...]] = {v: (f,) for v, f in v2.items()}
    checkpoints.update({v: (f,) for v, f in classic.items()})
    for (version, total), found in parts.items():
        if version not in checkpoints and len(found) == total:
            checkpoints[version] = tuple(found[i] for i in sorted(found))
    return Listing(commits=commits, checkpoints=checkpoints)


def read_actions(fs: Any, path: str) -> list[dict[str, Any]]:
    """The actions of one JSON log file (a commit or a V2 JSON checkpoint), one per line."""
    with fs.open_input_stream(path) as stream:
        text = stream.read().decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def commit_info(fs: Any, path: str) -> dict[str, Any]:
    """The ``commitInfo`` action of a commit file ({} when the writer recorded none)."""
    for action in read_actions(fs, path):
        if "commitInfo" in action:
            return dict(action["commitInfo"] or {})
    return {}


def commit_infos(fs: Any, listing: Listing, versions: Iterable[int], *, workers: int = 8) -> dict[int, dict[str, Any]]:
    """``commitInfo`` of several commits, read concurrently (object stores answer slowly, not rarely)."""
    wanted = [v for v in versions if v in listing.commits]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted)))) as pool:
        infos = pool.map(lambda v: commit_info(fs, listing.commits[v].path), wanted)
        return dict(zip(wanted, infos))


def app_transactions(fs: Any, listing: Listing, version: int, *, workers: int = 8) -> dict[str, AppTransaction]:
    """Every app transaction as of ``version``: the newest checkpoint at or before it, then each
    later commit in order (a later ``txn`` for the same app id replaces the earlier one).
    ``workers=1`` reads the commits in this thread: cheaper for a local folder, where starting
    threads costs more than the reads (the planner observes many tables at once already)."""
    found: dict[str, AppTransaction] = {}
    start = listing.last_checkpoint(version)
    if start is not None:
        for part in listing.checkpoints[start]:
            for txn in _checkpoint_txns(fs, part.path):
                found[txn.app_id] = txn
    first = 0 if start is None else start + 1
    # cleaned-up history before a checkpoint is absent; the checkpoint already holds it
    versions = [v for v in range(first, version + 1) if v in listing.commits]
    if workers <= 1 or len(versions) <= 1:
        commits = [read_actions(fs, listing.commits[v].path) for v in versions]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(versions))) as pool:
            commits = list(pool.map(lambda v: read_actions(fs, listing.commits[v].path), versions))
    for v, actions in zip(versions, commits):  # in log order: a later txn replaces an earlier one
        for action in actions:
            entry = action.get("txn")
            if entry:
                found[entry["appId"]] = AppTransaction(
                    entry["appId"], int(entry["version"]), entry.get("lastUpdated"), commit_version=v
                )
    return dict(sorted(found.items()))


def _checkpoint_txns(fs: Any, path: str) -> list[AppTransaction]:
    if path.endswith(".json"):
        return [
            AppTransaction(t["appId"], int(t["version"]), t.get("lastUpdated"))
            for t in (a.get("txn") for a in read_actions(fs, path))
            if t
        ]
    import pyarrow.parquet as pq

    with fs.open_input_file(path) as handle:
        parquet = pq.ParquetFile(handle)
        if "txn" not in parquet.schema_arrow.names:
            return []
        rows = parquet.read(columns=["txn"]).column("txn").to_pylist()
    return [
        AppTransaction(t["appId"], int(t["version"]), t.get("lastUpdated"))
        for t in rows
        if t and t.get("appId") is not None
    ]


# --- tombstones ----------------------------------------------------------------------------


def tombstones(fs: Any, listing: Listing, version: int) -> dict[str, int | None]:
    """Every file removed but not re-added as of ``version`` -> its ``deletionTimestamp`` (ms),
    from the newest checkpoint at or before it and the commits after (PROTOCOL.md "Remove File
    and Add File"; checkpoints keep tombstones until the deleted-file retention expires, which is
    exactly the set a vacuum considers). Paths are percent-decoded, relative to the table root."""
    found: dict[str, int | None] = {}
    start = listing.last_checkpoint(version)
    if start is not None:
        for part in listing.checkpoints[start]:
            found.update(_checkpoint_removes(fs, part.path))
    for v in range(0 if start is None else start + 1, version + 1):
        entry = listing.commits.get(v)
        if entry is None:
            continue
        for action in read_actions(fs, entry.path):
            if action.get("remove"):
                found[unquote(action["remove"]["path"])] = action["remove"].get("deletionTimestamp")
            elif action.get("add"):
                found.pop(unquote(action["add"]["path"]), None)
    return found


def _checkpoint_removes(fs: Any, path: str) -> dict[str, int | None]:
    """Tombstones of one checkpoint file; a V2 checkpoint's sidecars hold its file actions."""
    if path.endswith(".json"):
        actions = read_actions(fs, path)
        found = {unquote(a["remove"]["path"]): a["remove"].get("deletionTimestamp") for a in actions if a.get("remove")}
        for sidecar in (a["sidecar"] for a in actions if a.get("sidecar")):
            found.update(_parquet_removes(fs, f"{LOG_DIR}/_sidecars/{sidecar['path']}"))
        return found
    return _parquet_removes(fs, path)


def _parquet_removes(fs: Any, path: str) -> dict[str, int | None]:
    import pyarrow.parquet as pq

    with fs.open_input_file(path) as handle:
        parquet = pq.ParquetFile(handle)
        names = parquet.schema_arrow.names
        rows = parquet.read(columns=["remove"]).column("remove").to_pylist() if "remove" in names else []
        sidecars = parquet.read(columns=["sidecar"]).column("sidecar").to_pylist() if "sidecar" in names else []
    found = {unquote(r["path"]): r.get("deletionTimestamp") for r in rows if r and r.get("path")}
    for sidecar in (s for s in sidecars if s and s.get("path")):
        found.update(_parquet_removes(fs, f"{LOG_DIR}/_sidecars/{sidecar['path']}"))
    return found


# --- from inside a write ----------------------------------------------------------------------


def txns_since(uri: str, storage_options: Mapping[str, str], version: int) -> dict[str, int] | None:
    """App transactions (app id -> version) set by the commits after ``version``, read straight
    from the log's JSON commit files (PROTOCOL.md "Delta Log Entries", "Transaction Identifiers").

    Plain file reads (pyarrow's S3 client for ``s3://``), no deltalake: this runs inside
    deltalake's writer. None for a store this cannot read; the conflict check still applies then.
    """
    if is_s3(uri):
        fs = s3_filesystem(storage_options)
        base = uri.split("://", 1)[1].rstrip("/") + "/_delta_log/"

        def read(name: str) -> bytes | None:
            try:
                with fs.open_input_stream(base + name) as f:
                    return bytes(f.read())
            except (FileNotFoundError, OSError):
                return None
    elif "://" not in uri or uri.startswith("file://"):
        folder = os.path.join(str(local_path(uri)), "_delta_log")

        def read(name: str) -> bytes | None:
            try:
                with open(os.path.join(folder, name), "rb") as f:
                    return f.read()
            except FileNotFoundError:
                return None
    else:
        return None
    found: dict[str, int] = {}
    v = version + 1
    while (text := read(f"{v:020d}.json")) is not None:
        for line in text.splitlines():
            if b'"txn"' in line:
                txn = json.loads(line).get("txn")
                if txn:
                    found[txn["appId"]] = int(txn["version"])
        v += 1
    return found
