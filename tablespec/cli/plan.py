"""``tablespec plan`` (spec vs live table) and ``tablespec diff`` (spec vs spec, no storage).

Both print the same plan model in the same formats. Exit codes (README): 0, or 2 with
``--detailed-exitcode`` when there are changes; 3 invalid spec; 4 for ``diff --fail-on`` when a
change of that class (or worse) is found; 1 error; 64 usage.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tablespec.cli.common import check_out_file, format_option, paths_argument, redacted, table_option, warehouse_option
from tablespec.cli.exitcodes import CHANGES_PENDING, OK, REFUSED
from tablespec.config import DEFAULT_SPECS, load_config
from tablespec.errors import UsageError
from tablespec.specfiles.loader import SPEC_SUFFIXES, load_specs

if TYPE_CHECKING:
    from tablespec.model.plan import Plan

F = TypeVar("F", bound=Callable[..., Any])
# --fail-on LEVEL fails on that class or a worse one.
SEVERITY = ("rewrite", "destructive", "unsupported")


def detailed_option(f: F) -> F:
    return click.option("--detailed-exitcode", is_flag=True,
                        help="Exit 2 when there are changes, 0 when there are none (terraform's convention).")(f)


@click.command()
@paths_argument
@table_option
@format_option("text", "json", "markdown")
@click.option("--out", metavar="FILE", type=click.Path(dir_okay=False, path_type=str),
              help="Also save the plan as JSON to FILE, for `tablespec apply --plan FILE`.")
@detailed_option
@warehouse_option
def plan(paths: tuple[str, ...], tables: tuple[str, ...], fmt: str, out: str | None, detailed_exitcode: bool,
         warehouse: str | None) -> int:
    """Show what apply would change: each spec against its live table (read from the Delta log).

    PATHS are spec files or folders (default: specs/ in the project root). Nothing is written,
    except the saved plan with --out.
    """
    from tablespec.planning.planner import plan as make_plan

    check_out_file(out)
    config = load_config(warehouse=warehouse)
    specs = load_specs(list(paths) or None, config=config, tables=tables)
    result = make_plan(specs, config=config)
    _emit(result, fmt, out)
    return CHANGES_PENDING if detailed_exitcode and result.has_changes else OK


@click.command()
@click.argument("specs", nargs=-1, metavar="OLD NEW | [PATH]", type=click.Path(path_type=str))
@click.option("--against", metavar="GIT_REF", help="Compare PATH (default specs/) with its version at GIT_REF.")
@table_option
@format_option("text", "json", "markdown")
@click.option("--fail-on", type=click.Choice(SEVERITY),
              help="Exit 4 when a change of this class or a worse one is found "
                   "(rewrite < destructive < unsupported).")
@detailed_option
@warehouse_option
def diff(specs: tuple[str, ...], against: str | None, tables: tuple[str, ...], fmt: str, fail_on: str | None,
         detailed_exitcode: bool, warehouse: str | None) -> int:
    """Compare two versions of the specs without touching storage: OLD stands in for the live
    tables. OLD and NEW are spec files or folders; or use --against GIT_REF [PATH] to compare
    PATH with what it was at a git commit, branch or tag. No loads or vacuum are shown.
    """
    from tablespec.planning.diff import diff_specs
    from tablespec.planning.planner import new_plan

    config = load_config(warehouse=warehouse)
    for given in specs:  # OLD and NEW are arguments: a missing one is a usage error (docs/plan.md)
        if not Path(given).exists():
            raise click.UsageError(f"no such file or folder: {given}")
    if against is None:
        if len(specs) != 2:
            raise click.UsageError("diff needs OLD and NEW (two spec files or folders), or --against GIT_REF [PATH]")
        old = load_specs([specs[0]], config=config)
        new_path = specs[1]
    else:
        if len(specs) > 1:
            raise click.UsageError("with --against GIT_REF, give at most one PATH")
        new_path = specs[0] if specs else str(config.root / DEFAULT_SPECS)
        old = ()
    new = load_specs([new_path], config=config, tables=tables)
    with tempfile.TemporaryDirectory(prefix="tablespec-diff-") as scratch:
        if against is not None:
            old_path = specs_at_ref(against, Path(new_path), Path(scratch))
            old = load_specs([old_path], config=config) if old_path is not None else ()
        result = new_plan(diff_specs(old, new))
    _emit(result, fmt, None, title="tablespec diff")
    if fail_on is not None:
        worse = set(SEVERITY[SEVERITY.index(fail_on):])
        if any(a.risk in worse for t in result.tables for a in t.actions):
            return REFUSED
    return CHANGES_PENDING if detailed_exitcode and result.has_changes else OK


def _emit(result: Plan, fmt: str, out: str | None, *, title: str = "tablespec plan") -> None:
    from tablespec.render import render, use_color
    from tablespec.render.json import render as render_json

    click.echo(render(result, fmt, color=fmt == "text" and use_color(sys.stdout), title=title), nl=False)
    if out:
        try:
            Path(out).write_text(redacted(render_json(result)), encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot write the plan to {out}: {e.strerror or e}") from e
        click.echo(f"Saved the plan to {out}; apply it with `tablespec apply --plan {out}`.", err=True)


# --- specs at a git ref ---------------------------------------------------------------------------


def specs_at_ref(ref: str, path: Path, scratch: Path) -> Path | None:
    """Write the spec files under ``path`` as they were at ``ref`` into ``scratch``, keeping their
    layout relative to the repository root (so relative source paths keep their meaning); the
    copy of ``path`` in ``scratch``, or None when ``path`` held no spec at ``ref``."""
    path = path.resolve()
    where = path if path.is_dir() else path.parent
    top = Path(_git(["rev-parse", "--show-toplevel"], where).decode().strip()).resolve()
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top, what=f"unknown git ref {ref!r}")
    relative = path.relative_to(top)
    listed = _git(["ls-tree", "-r", "-z", "--name-only", ref, "--", relative.as_posix() or "."], top)
    names = [n for n in listed.decode().split("\0") if n and n.endswith(SPEC_SUFFIXES)]
    if not names:
        return None
    for name in names:
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_git(["show", f"{ref}:{name}"], top))
    return scratch / relative


def _git(args: list[str], cwd: Path, *, what: str = "") -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError as e:
        raise UsageError("diff --against needs git, which is not installed") from e
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()
        raise UsageError(what or f"git {args[0]} failed: {detail}",
                         hint="--against needs PATH inside a git repository and a commit, branch or tag")
    return done.stdout

