"""The ``tablespec`` command: a click group whose commands load lazily.

Each command lives in its own module and imports heavy libraries only inside its body, so
``tablespec --help`` and ``tablespec validate`` never import deltalake, polars or pyarrow.
Exit codes are decided in exactly one place, :func:`run` (README, "Exit codes").
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from tablespec import __version__
from tablespec.cli.exitcodes import exit_code_for, render_error

# command name -> (module, attribute, one-line help shown by `tablespec --help` without importing)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("tablespec.cli.validate", "validate", "Check specs without touching storage."),
    "plan": ("tablespec.cli.plan", "plan", "Show what apply would change, spec vs live table."),
    "apply": ("tablespec.cli.apply", "apply", "Carry out the plan."),
    "diff": ("tablespec.cli.plan", "diff", "Compare two versions of the specs, without storage."),
    "show": ("tablespec.cli.inspect", "show", "Live state of a table."),
    "history": ("tablespec.cli.inspect", "history", "Commits of a table, newest first."),
    "read": ("tablespec.cli.inspect", "read", "Rows of a table, now or at a past version."),
    "import": ("tablespec.cli.inspect", "import_", "Write a spec for an existing Delta table."),
    "schema": ("tablespec.cli.schema", "schema", "Print the spec JSON Schema (draft-07, for editors)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._available(name)]

    def _available(self, name: str) -> bool:
        module = COMMANDS[name][0]
        return importlib.util.find_spec(module) is not None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not self._available(name):
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tablespec")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors (or set TABLESPEC_DEBUG=1).")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Declarative Delta Lake tables: keep one YAML spec per table, plan and apply changes."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def run(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every outcome into one of the documented exit codes (README).

    Everything the command prints passes through :class:`Redacting`, so a secret that reached a
    table (a description written before specs refused ``${AWS_SECRET_ACCESS_KEY}``, another
    writer's commit metadata) is never shown by plan, show or history in any format.
    """
    args = sys.argv[1:] if argv is None else argv
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Redacting(out), Redacting(err)
    try:
        return _run(args)
    finally:
        sys.stdout, sys.stderr = out, err


def console() -> None:
    """The ``tablespec`` command: :func:`run`, then leave at once (issue 24.8). The native thread
    pools of deltalake's tokio runtime, polars and pyarrow are still alive when the interpreter
    finalizes; tearing them down there aborted about one run in 400 with "terminate called without
    an active exception" (exit 134) after the output was complete. Everything is flushed first;
    nothing tablespec does relies on exit handlers (temporary files are removed where they are used)."""
    code = run()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _run(args: list[str]) -> int:
    debug = "--debug" in args or os.environ.get("TABLESPEC_DEBUG") == "1"
    try:
        result: Any = main.main(args=args, prog_name="tablespec", standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except BaseException as e:  # noqa: BLE001 - the one place errors become exit codes
        if isinstance(e, SystemExit):
            return int(e.code or 0) if isinstance(e.code, int) or e.code is None else 1
        code = exit_code_for(e)
        if debug and not isinstance(e, (click.exceptions.ClickException, click.exceptions.Abort)):
            import traceback

            traceback.print_exception(e, file=sys.stderr)
        render_error(e)
        return code
    return int(result or 0)


class Redacting:
    """A text stream that hides secrets (:func:`tablespec.config.redact`) in everything written to
    it: the last line of defence at the one place output leaves tablespec."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._secrets = known_secrets()

    def write(self, text: str) -> int:
        from tablespec.config import redact

        self._stream.write(redact(text, self._secrets) if isinstance(text, str) else text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def known_secrets() -> list[str]:
    """Secret values from the environment and, when it reads, tablespec.yaml's storage options."""
    from tablespec.config import load_config, secret_values

    try:
        return load_config().secrets()
    except Exception:  # noqa: BLE001 - a broken tablespec.yaml is reported by the command itself
        return secret_values(os.environ)
