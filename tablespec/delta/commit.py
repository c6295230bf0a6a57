"""What every commit carries: tablespec's commit metadata, app transactions, the retry budget.

One :class:`AppTransaction` type serves both directions: what a write records (a Delta ``txn``
action, PROTOCOL.md "Transaction Identifiers") and what the log reader finds
(:mod:`tablespec.delta.log`, which also knows when it was set).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tablespec.model.keys import VERSION, VERSION_KEY

# Generous on purpose: on S3 every writer that loses a race re-reads the log and tries the next
# version. Four busy writers need a handful of attempts each; a hundred leaves a wide margin and
# still ends. deltalake's own default is 15.
MAX_COMMIT_RETRIES = 100


@dataclass(frozen=True)
class AppTransaction:
    """An application's progress marker committed atomically with a write (Delta ``txn`` action).

    Loads record, per source, the highest version they committed; a re-run that finds its marker
    knows the write already happened (exactly-once loads). Read back from the log, it also says
    when the writer recorded it (``last_updated``, ms; delta-rs leaves it out) and which commit set
    it (``commit_version``, when seen in a commit file rather than a checkpoint).
    """

    app_id: str
    version: int
    last_updated: int | None = None
    commit_version: int | None = None

    def to_delta(self) -> Any:
        from deltalake import Transaction

        return Transaction(app_id=self.app_id, version=self.version)


def commit_properties(
    commit_metadata: Mapping[str, Any] | None = None,
    app_transactions: Iterable[AppTransaction | Any] | None = None,
    *,
    max_retries: int = MAX_COMMIT_RETRIES,
) -> Any:
    """The single place that builds every commit's properties: tablespec's version plus the
    caller's metadata in ``commitInfo``, app transactions, and the retry budget."""
    from deltalake import CommitProperties

    metadata: dict[str, Any] = {VERSION_KEY: VERSION}
    for key, value in (commit_metadata or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"commit metadata keys must be strings, not {key!r}")
        metadata[key] = value
    txns = [t.to_delta() if isinstance(t, AppTransaction) else t for t in (app_transactions or ())]
    return CommitProperties(
        custom_metadata=metadata,
        max_commit_retries=max_retries,
        app_transactions=txns or None,
    )


# commitInfo keys of the Delta protocol and of delta-rs; every other key is commit metadata
_COMMIT_KEYS = frozenset({
    "version", "timestamp", "inCommitTimestamp", "operation", "operationParameters", "operationMetrics",
    "engineInfo", "clientVersion", "readVersion", "isolationLevel", "isBlindAppend", "userId", "userName",
    "txnId", "job", "notebook", "clusterId",
})  # fmt: skip


@dataclass(frozen=True)
class CommitInfo:
    """One commit of :meth:`DeltaTable.history`."""

    version: int
    timestamp: dt.datetime  # the commit's own timestamp (in-commit timestamp when recorded), UTC
    operation: str | None  # WRITE, MERGE, CREATE TABLE, ...
    parameters: Mapping[str, Any]  # operationParameters
    metrics: Mapping[str, Any]  # operationMetrics
    metadata: Mapping[str, Any]  # commit metadata: tablespec.* keys and the caller's own
    engine: str | None = None  # engineInfo or clientVersion

    @classmethod
    def from_delta(cls, info: Mapping[str, Any]) -> CommitInfo:
        millis = int(info.get("inCommitTimestamp") or info.get("timestamp") or 0)
        return cls(
            version=int(info["version"]),
            timestamp=dt.datetime.fromtimestamp(millis / 1000, tz=dt.timezone.utc),
            operation=info.get("operation"),
            parameters=dict(info.get("operationParameters") or {}),
            metrics=dict(info.get("operationMetrics") or {}),
            metadata={k: v for k, v in info.items() if k not in _COMMIT_KEYS},
            engine=info.get("engineInfo") or info.get("clientVersion"),
        )
