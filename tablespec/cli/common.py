"""Options shared by several commands, so each is spelled and documented once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def debug_enabled() -> bool:
    """``--debug`` on the command line, or ``TABLESPEC_DEBUG=1`` in the environment."""
    import os

    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    flag = bool(root is not None and isinstance(root.obj, dict) and root.obj.get("debug"))
    return flag or os.environ.get("TABLESPEC_DEBUG") == "1"


def redacted(text: str) -> str:
    """``text`` fit for a file the CLI writes (``--out``): what goes to the terminal is redacted
    by :class:`tablespec.cli.Redacting`, files get the same treatment here."""
    from tablespec.cli import known_secrets
    from tablespec.config import redact

    return redact(text, known_secrets())


def paths_argument(f: F) -> F:
    return click.argument("paths", nargs=-1, type=click.Path(path_type=str))(f)


def table_option(f: F) -> F:
    return click.option("--table", "tables", multiple=True, metavar="NAME",
                        help="Only this table (repeatable).")(f)


def warehouse_option(f: F) -> F:
    return click.option("--warehouse", metavar="URI", default=None,
                        help="Warehouse root for relative locations (overrides TABLESPEC_WAREHOUSE).")(f)


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    def decorate(f: F) -> F:
        return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                            help="Output format.")(f)

    return decorate


def check_out_file(out: str | None, *, force: bool = True) -> None:
    """Refuse a bad ``--out FILE`` before any work is done (exit 64, like every usage error):
    a missing folder, a folder that is a file, an existing file without ``--force``."""
    import os

    from tablespec.errors import UsageError

    if not out:
        return
    folder = os.path.dirname(out) or "."
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise UsageError(f"cannot write --out {out}: {folder} {what}", hint="create the folder first, or choose another --out FILE")
    if os.path.isdir(out):
        raise UsageError(f"cannot write --out {out}: it is a folder", hint="name a file")
    if not force and os.path.exists(out):
        raise UsageError(f"{out} exists", hint="pass --force to overwrite it, or choose another --out FILE")
