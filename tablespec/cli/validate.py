"""``tablespec validate``: JSON Schema and meaning checks, no storage, no heavy imports."""

from __future__ import annotations

import json

import click

from tablespec.cli.common import format_option, paths_argument, warehouse_option
from tablespec.cli.exitcodes import INVALID_SPEC, OK
from tablespec.config import load_config
from tablespec.specfiles.loader import check_specs


@click.command()
@paths_argument
@format_option("text", "json")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@warehouse_option
def validate(paths: tuple[str, ...], fmt: str, strict: bool, warehouse: str | None) -> int:
    """Check specs (JSON Schema + meaning) without touching storage.

    PATHS are spec files or folders (default: specs/ in the project root). Exit 3 when any
    spec is invalid (or has warnings, with --strict), else 0.
    """
    result = check_specs(list(paths) or None, config=load_config(warehouse=warehouse))
    failed = bool(result.errors) or (strict and bool(result.warnings))
    if fmt == "json":
        click.echo(json.dumps({
            "format_version": 1,
            "valid": not failed,
            "files": list(result.files),
            "tables": [s.name for s in result.specs],
            "problems": [p.to_json() for p in result.problems],
        }, indent=2))
    else:
        for problem in result.problems:
            click.echo(str(problem), err=True)
        errors, warnings = len(result.errors), len(result.warnings)
        if failed:
            click.echo(f"Invalid: {errors} error(s), {warnings} warning(s) in {len(result.files)} file(s).", err=True)
        else:
            suffix = f", {warnings} warning(s)" if warnings else ""
            click.echo(f"Valid: {len(result.specs)} table(s) in {len(result.files)} file(s){suffix}.")
    return INVALID_SPEC if failed else OK
