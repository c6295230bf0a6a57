"""Plain frozen data, no I/O: specs, observed state, plan actions, reports, type strings, keys.

Every other package speaks in these types. Never imports pyarrow, polars or deltalake, nor any
other tablespec package but :mod:`tablespec.errors` (an import-linter contract).
"""
