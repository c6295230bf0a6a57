"""Exit codes, mapped in one place (README, "Exit codes"): errors 1, changes pending 2, invalid spec 3,
refused 4, usage 64. Library code raises; only this module knows the numbers."""

from __future__ import annotations

import sys

import click

from tablespec.cli.flags import for_cli
from tablespec.config import redact
from tablespec.errors import ConfigError, Refused, SpecInvalid, TablespecError, UsageError

OK = 0
ERROR = 1
CHANGES_PENDING = 2
INVALID_SPEC = 3
REFUSED = 4
USAGE = 64


def exit_code_for(error: BaseException) -> int:
    if isinstance(error, (click.exceptions.UsageError, UsageError)):
        return USAGE
    if isinstance(error, click.exceptions.Abort):
        return ERROR
    if isinstance(error, (SpecInvalid, ConfigError)):
        return INVALID_SPEC
    if isinstance(error, Refused):
        return REFUSED
    return ERROR


def render_error(error: BaseException) -> None:
    """Print an error for a person: one message, a hint, never a traceback, never a secret."""
    if isinstance(error, click.exceptions.ClickException):
        error.show(file=sys.stderr)
        return
    if isinstance(error, click.exceptions.Abort):
        click.echo("Aborted.", err=True)
        return
    if isinstance(error, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        return
    if isinstance(error, TablespecError):
        text = for_cli(str(error))
    else:
        text = f"unexpected {type(error).__name__}: {error}\n(run with --debug for the traceback)"
    click.echo(redact(f"Error: {text}"), err=True)
