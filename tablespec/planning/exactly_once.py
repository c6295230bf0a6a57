"""Which source files a load still has to do, decided from Delta app transactions. Pure.

How exactly-once works: the commit that loads a file also carries Delta ``txn`` actions
(app transactions, PROTOCOL.md "Transaction Identifiers") in the same atomic log entry:

* ``tablespec/<source>/content/<digest>`` -> 1: this content was loaded (append, merge);
* ``tablespec/<source>/path/<key>`` -> version derived from the digest: the content last loaded
  from that path, so an edited file shows as ``changed`` rather than ``new``;
* ``tablespec/<source>/overwrite`` -> version derived from the digest of all files together;
* ``tablespec/<source>/seed`` -> 0 written by the create commit, 1 by the commit that loads the
  seed data of a ``create`` source (so a crash between the two still loads the seed once).

Because the marker and the data are in one commit, a crash leaves either both or neither: a re-run
finds exactly the files whose commit did not happen. ``tablespec.loads.execute`` checks the markers again
right before each commit (a resumed or concurrent apply may have committed since the plan), and
two appliers that race carry the same app id, which Delta's conflict check refuses to commit twice.

Digests come from ``tablespec.sources.discover``: sha256 of the bytes for local files, ``etag:<ETag>:<size>``
for objects. Identity is per source: the same bytes under another source name load again.

Limits (docs/loads.md): Delta may expire app transactions older than
``delta.setTransactionRetentionDuration`` when a table sets it; tablespec never sets it, and a
table that does can reload old files. Every loaded file keeps two ``txn`` entries in the log and
its checkpoints forever, about 200 bytes each.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence

from tablespec.model.actions import LoadSource, PendingFile
from tablespec.model.keys import APP_ID_PREFIX
from tablespec.model.spec import SourceSpec
from tablespec.model.state import SourceFile

PREFIX = APP_ID_PREFIX
_GLOB_CHARS = "*?["


def content_app_id(source: SourceSpec, digest: str) -> str:
    return f"{PREFIX}/{source.name}/content/{digest}"


def path_app_id(source: SourceSpec, path: str) -> str:
    return f"{PREFIX}/{source.name}/path/{path_key(source, path)}"


def overwrite_app_id(source: SourceSpec) -> str:
    return f"{PREFIX}/{source.name}/overwrite"


def seed_app_id(source: SourceSpec) -> str:
    return f"{PREFIX}/{source.name}/seed"


def digest_version(digest: str) -> int:
    """A positive 60-bit number standing for a digest (txn versions are longs)."""
    return int(hashlib.sha256(digest.encode()).hexdigest()[:15], 16)


def combined_digest(files: Sequence[SourceFile]) -> str:
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        h.update(f"{os.path.basename(f.path)}\0{f.digest}\n".encode())
    return h.hexdigest()


def path_key(source: SourceSpec, path: str) -> str:
    """A file's path relative to the fixed part of the source's pattern, so that the same specs
    checked out on another machine (or folder) recognise the files they already loaded."""
    pattern = source.resolved
    cut = min((pattern.find(c) for c in _GLOB_CHARS if c in pattern), default=-1)
    base = os.path.dirname(pattern if cut < 0 else pattern[:cut])
    if base and path.startswith(base):
        return path[len(base) :].lstrip("/")
    return os.path.basename(path)


def app_ids_for(source: SourceSpec, files: Sequence[SourceFile]) -> list[str]:
    """Every app id whose version the planner must look up for this source."""
    if source.mode == "overwrite":
        return [overwrite_app_id(source)]
    if source.mode == "create":
        return [seed_app_id(source)]
    ids = []
    for f in files:
        ids.append(content_app_id(source, f.digest))
        ids.append(path_app_id(source, f.path))
    return ids


def plan_load(
    table: str,
    source: SourceSpec,
    files: Sequence[SourceFile],
    app_versions: Mapping[str, int | None],
    *,
    table_exists: bool,
) -> LoadSource | None:
    """The load action for one source, or None when the source has nothing to do.

    ``app_versions`` maps the ids of :func:`app_ids_for` to the versions the table holds (absent or
    None: never committed). Row counts are the planner's to add (parquet footers).
    """
    files = sorted(files, key=lambda f: f.path)
    known = {k: v for k, v in app_versions.items() if v is not None}

    def pending(f: SourceFile, reason: str) -> PendingFile:
        return PendingFile(f, reason)  # type: ignore[arg-type]

    if not files:
        return None
    if source.mode == "create":
        seed = known.get(seed_app_id(source))
        if table_exists and seed != 0:
            return None  # created earlier (seeded, or by someone else): create sources never load again
        return _action(table, source, [pending(f, "new") for f in files])
    if source.mode == "overwrite":
        loaded = known.get(overwrite_app_id(source))
        if loaded == digest_version(combined_digest(files)):
            reason = "already loaded"
        else:
            reason = "new" if loaded is None else "changed"
        return _action(table, source, [pending(f, reason) for f in files])
    out = []
    seen: set[str] = set()
    for f in files:
        if content_app_id(source, f.digest) in known or f.digest in seen:
            out.append(pending(f, "already loaded"))  # or the same bytes as an earlier file of this load
        elif path_app_id(source, f.path) in known:
            out.append(pending(f, "changed"))
        else:
            out.append(pending(f, "new"))
        seen.add(f.digest)
    return _action(table, source, out)


def _action(table: str, source: SourceSpec, files: list[PendingFile]) -> LoadSource | None:
    """None when every file is already loaded: a converged source is not a change."""
    if all(f.reason == "already loaded" for f in files):
        return None
    return LoadSource(table=table, source=source.name, mode=source.mode, files=tuple(files))
