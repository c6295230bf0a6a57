"""tablespec: declarative Delta Lake tables on delta-rs.

Heavy modules (deltalake, polars, pyarrow) load only when their names are first used, so the CLI's
``validate`` and ``--help`` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tablespec.model.keys import VERSION as __version__

if TYPE_CHECKING:
    from tablespec.applying.applier import apply
    from tablespec.delta.table import DeltaTable
    from tablespec.planning.planner import plan
    from tablespec.specfiles.loader import load_specs

__all__ = ["DeltaTable", "__version__", "apply", "load_specs", "plan"]

_LAZY = {
    "DeltaTable": ("tablespec.delta.table", "DeltaTable"),
    "load_specs": ("tablespec.specfiles.loader", "load_specs"),
    "plan": ("tablespec.planning.planner", "plan"),
    "apply": ("tablespec.applying.applier", "apply"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tablespec' has no attribute {name!r}")
