"""``tablespec apply``: parse, call :func:`tablespec.apply.apply`, render, return an exit code.

Approval: with ``--auto-approve`` nothing is asked. Otherwise the plan is shown and confirmed on
the terminal; with no terminal on stdin (CI), apply refuses with exit 4 and says to pass
``--auto-approve``. Exit codes: 0 ok, 1 a table failed, 3 invalid spec, 4 refused (guard, stale
plan, no approval), 64 usage.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from tablespec.cli.common import debug_enabled, format_option, paths_argument, table_option, warehouse_option
from tablespec.cli.exitcodes import ERROR, OK, REFUSED


def stdin_is_tty() -> bool:
    """Separate so tests can stand in for a terminal."""
    return sys.stdin.isatty()


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()


@click.command()
@paths_argument
@table_option
@click.option("--plan", "plan_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=str),
              help="Apply this saved plan (from `tablespec plan --out FILE`) exactly; refused if stale.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for approval (for CI).")
@click.option("--allow", "allow", multiple=True, type=click.Choice(["destructive", "rewrite"]),
              help="Permit changes of this class as verified rewrites (repeatable).")
@format_option("text", "json")
@warehouse_option
@click.option("--progress/--no-progress", "show_progress", default=True, show_default=True,
              help="Progress on stderr (text format): live on a terminal, plain lines otherwise.")
def apply(paths: tuple[str, ...], tables: tuple[str, ...], plan_file: str | None, auto_approve: bool,
          allow: tuple[str, ...], fmt: str, warehouse: str | None, show_progress: bool) -> int:
    """Carry out the plan: make the tables match their specs.

    PATHS are spec files or folders (default: specs/ in the project root). Destructive, rewrite
    and unsupported changes are refused (exit 4) unless allowed with --allow; nothing of a
    refused table is applied.
    """
    from tablespec.applying.applier import apply as run_apply
    from tablespec.cli.flags import report_for_cli
    from tablespec.config import load_config
    from tablespec.errors import ApprovalRequired
    from tablespec.render.apply_report import render_json, render_not_approved, render_text

    config = load_config(warehouse=warehouse)
    from tablespec.cli.progress import progress_view

    bar = progress_view(terminal=stderr_is_tty()) if show_progress and fmt == "text" else None
    approver = None if auto_approve else _Approver(fmt, allow)
    try:
        report = run_apply(list(paths) or None, config=config, tables=tables, allow=allow, plan=plan_file,
                           approve=approver, progress=bar)
    except ApprovalRequired as e:
        if fmt == "json":  # stdout is for the report, whatever happened; the error goes to stderr
            click.echo(render_not_approved(approver.plan if approver else None, e.message, e.hint))
        raise
    finally:
        if bar is not None:
            bar.close()
    shown = report_for_cli(report)
    click.echo(render_json(shown) if fmt == "json" else render_text(shown))
    if debug_enabled():
        print_tracebacks(report)
    if report.failed:
        return ERROR
    if report.refused:
        return REFUSED
    return OK


def print_tracebacks(report: Any) -> None:
    """With --debug: the traceback of each table's failure, on stderr (the report keeps the exception)."""
    import traceback

    for t in report.tables:
        if t.exception is not None:
            click.echo(f"--- traceback for table {t.table} ---", err=True)
            traceback.print_exception(t.exception, file=sys.stderr)


class _Approver:
    """Show the plan and ask; refuse (exit 4) when there is no terminal to ask on."""

    def __init__(self, fmt: str, allow: tuple[str, ...]) -> None:
        self.fmt, self.allow = fmt, allow
        self.plan: Any = None  # the plan asked about, for the JSON report of a refusal

    def __call__(self, plan: Any) -> bool:
        from tablespec.errors import ApprovalRequired

        self.plan = plan
        if not stdin_is_tty():
            raise ApprovalRequired(
                "apply needs approval, and stdin is not a terminal to ask on; nothing was changed",
                hint="review `tablespec plan`, then run `tablespec apply --auto-approve` (CI), "
                "or apply a reviewed saved plan with `tablespec apply --plan FILE --auto-approve`",
            )
        # With --format json, stdout is for the report: the plan and the question go to stderr.
        stream = sys.stderr if self.fmt == "json" else sys.stdout
        click.echo(_plan_text(plan, stream), err=self.fmt == "json", nl=False)
        if not click.confirm("Apply these changes?", default=False, err=True):
            raise click.exceptions.Abort()
        return True


def _plan_text(plan: Any, stream: Any) -> str:
    from tablespec.render import render, use_color

    return render(plan, "text", color=use_color(stream))
