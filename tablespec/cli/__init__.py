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
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Declarative Delta Lake tables: keep one YAML spec per table, plan and apply changes."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def run(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every outcome into one of the documented exit codes (README)."""
    args = sys.argv[1:] if argv is None else argv
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
