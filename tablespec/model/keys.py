"""Every well-known key, once: Delta property names and their defaults, tablespec's own property
and commit-metadata keys, and the app-id prefix of load markers.

Plain constants so that ``model``, ``delta``, ``planning`` and ``inspect`` spell them the same way
(they once did not: three modules each had their own ``"delta.constraints."``).
"""

from __future__ import annotations

# The package version; tablespec/__init__.py re-exports it as ``__version__``. Kept here, in a
# module with no imports, so that low layers need not import the package root.
VERSION = "0.1.0"

# --- Delta table properties (PROTOCOL.md, "Table Properties") ------------------------------------
CONSTRAINT_PREFIX = "delta.constraints."  # + name: a CHECK constraint's expression
DELETED_FILE_RETENTION = "delta.deletedFileRetentionDuration"
LOG_RETENTION = "delta.logRetentionDuration"
TXN_RETENTION = "delta.setTransactionRetentionDuration"
# Delta's defaults when the property is absent.
DEFAULT_DELETED_FILE_RETENTION_SECONDS = 7 * 86400
DEFAULT_LOG_RETENTION_SECONDS = 30 * 86400

# --- tablespec's own keys -----------------------------------------------------------------------
# Table property: the comma-separated keys tablespec manages (so a key dropped from a spec is unset).
MANAGED_KEY = "tablespec.managedProperties"
# Commit metadata (commitInfo) every commit apply makes carries.
VERSION_KEY = "tablespec.version"
PLAN_ID_KEY = "tablespec.plan_id"
SPEC_HASH_KEY = "tablespec.spec_hash"
# App transactions of loads: ``tablespec/<source>/<kind>/...`` (tablespec.planning.exactly_once).
APP_ID_PREFIX = "tablespec"
