"""Options shared by several commands, so each is spelled and documented once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


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
