"""YAML spec files -> :class:`~tablespec.model.spec.TableSpec`: positions, JSON Schema, meaning checks.

Imports only ``model``, ``config`` and ``errors`` (never ``delta``, ``planning`` or a heavy
library), so ``tablespec validate`` starts fast.
"""
