"""``tablespec schema``: print the spec JSON Schema (draft-07) for editors and other tools.

Only the standard library and click: the schema is a data file (tablespec/schema/), the very
one ``tablespec validate`` checks specs with.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from tablespec.cli.exitcodes import OK
from tablespec.schema import schema_text


@click.command()
@click.option("--output", "-o", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the schema to FILE instead of standard output.")
def schema(output: Path | None) -> int:
    """Print the spec JSON Schema (draft-07, for editors).

    Point yaml-language-server at it with a first line
    `# yaml-language-server: $schema=.tablespec-schema.json` after
    `tablespec schema --output .tablespec-schema.json`.
    """
    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
        return OK
    _write_whole(output, text)
    click.echo(f"Wrote {output}", err=True)
    return OK


def _write_whole(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so FILE is never left half-written."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as e:
        raise click.UsageError(f"cannot write --output {path}: {e.strerror or e}; "
                               "the folder must exist and be writable") from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a file meant for editors and the team
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise click.FileError(str(path), hint=e.strerror or str(e)) from e
