"""``tablespec show | history | read | import``: look at live tables, never write to them.

TARGET is a table NAME from the specs or a table URI. It is a URI when it has ``://``, is an
absolute path, or starts with ``./`` / ``../`` or holds a path separator; a bare word is a spec
name first and an existing folder second. So ``tablespec show s3://lake/x`` and ``tablespec show
/data/x`` need no spec at all. Heavy libraries load inside the commands only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from tablespec.cli.common import check_out_file, format_option, redacted, warehouse_option
from tablespec.cli.exitcodes import OK
from tablespec.config import Config, load_config
from tablespec.errors import SpecInvalid, UsageError
from tablespec.render.inspection import render_history, render_show

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_TABLE_ROWS = 20


@dataclass(frozen=True)
class Target:
    uri: str
    storage_options: dict[str, str]
    name: str | None  # the spec name, when TARGET named a spec
    sources: tuple[str, ...] = ()
    target_size: int | None = None  # the spec's maintenance.optimize.target_file_size


def target_options(f: F) -> F:
    f = click.option("--specs", "specs", multiple=True, metavar="PATH", type=click.Path(path_type=str),
                     help="Spec files or folders to find NAME in (repeatable; default: specs/).")(f)
    f = warehouse_option(f)
    return click.argument("target", metavar="NAME|URI")(f)


def looks_like_uri(target: str) -> bool:
    return ("://" in target or os.path.isabs(target) or target.startswith(("./", "../"))
            or os.sep in target or (os.altsep is not None and os.altsep in target))


def resolve_target(target: str, specs: Sequence[str], warehouse: str | None) -> Target:
    """A spec name or a URI -> where the table is and how to reach it."""
    config = load_config(warehouse=warehouse)
    if looks_like_uri(target):
        return _uri_target(target, config)
    from tablespec.specfiles.loader import check_specs

    result = check_specs(list(specs) or None, config=config)
    for spec in result.specs:
        if spec.name == target:
            optimize = spec.maintenance.optimize
            return Target(spec.uri, config.storage_options(spec.uri), spec.name, tuple(s.name for s in spec.sources),
                          optimize.target_size if optimize is not None else None)
    if os.path.exists(target):
        return _uri_target(target, config)
    mine = [p for p in result.errors if p.table == target]
    if mine:
        raise SpecInvalid(mine)
    known = ", ".join(s.name for s in result.specs) or "none"
    raise UsageError(
        f"no table named {target!r} in the specs ({', '.join(result.files) or 'no spec files found'}) "
        "and no such path",
        hint=f"known tables: {known}; give a URI (s3://..., /abs/path, ./relative) to look at any Delta table",
    )


def _uri_target(target: str, config: Config) -> Target:
    uri = target
    uri = uri.removeprefix("file://")
    if "://" not in uri:
        uri = os.path.abspath(uri)
    else:
        uri = uri.rstrip("/")
    return Target(uri, config.storage_options(uri), None)


# --- show ------------------------------------------------------------------------------------


@click.command()
@target_options
@format_option("text", "json")
def show(target: str, specs: tuple[str, ...], warehouse: str | None, fmt: str) -> int:
    """Live state of a table, from its Delta log only: version, timestamps, schema, partitioning,
    properties, constraints, protocol and features, files and bytes, and the loads recorded for
    each source."""
    from tablespec.inspect.show import describe

    where = resolve_target(target, specs, warehouse)
    info = describe(where.uri, where.storage_options, name=where.name, sources=where.sources,
                    target_size=where.target_size)
    if fmt == "json":
        click.echo(json.dumps(info.to_json(), indent=2))
        return OK
    click.echo("\n".join(render_show(info)))
    return OK


# --- history ---------------------------------------------------------------------------------


@click.command()
@target_options
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N", help="Only the N newest commits.")
@format_option("text", "json", "markdown")
def history(target: str, specs: tuple[str, ...], warehouse: str | None, limit: int | None, fmt: str) -> int:
    """Commits of a table, newest first: version, time, operation, who wrote it (engine, user,
    tablespec plan id and spec hash), rows and files added and removed."""
    from tablespec.inspect.show import history as read_history
    from tablespec.model.tableinfo import FORMAT_VERSION

    where = resolve_target(target, specs, warehouse)
    commits = read_history(where.uri, where.storage_options, limit=limit, name=where.name)
    if fmt == "json":
        click.echo(json.dumps({"format_version": FORMAT_VERSION, "table": where.name, "uri": where.uri,
                               "commits": [c.to_json() for c in commits]}, indent=2))
        return OK
    click.echo("\n".join(render_history(commits, where.name or where.uri, markdown=fmt == "markdown")))
    return OK


# --- read ------------------------------------------------------------------------------------


@click.command()
@target_options
@click.option("--version", "version", type=click.IntRange(min=0), default=None, metavar="N",
              help="Read the table as of version N.")
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP",
              help="Read the newest version committed at or before TIMESTAMP (ISO 8601; no zone means UTC).")
@click.option("--limit", type=click.IntRange(min=0), default=None, metavar="N",
              help=f"At most N rows (default: {DEFAULT_TABLE_ROWS} for --format table, all otherwise).")
@click.option("--columns", default=None, metavar="A,B", help="Only these columns, comma-separated.")
@click.option("--where", "where", default=None, metavar="EXPR",
              help="Keep rows matching a SQL expression, e.g. \"amount > 10 AND region = 'eu'\".")
@format_option("table", "csv", "json", "ndjson", default="table")
def read(target: str, specs: tuple[str, ...], warehouse: str | None, version: int | None, as_of: str | None,
         limit: int | None, columns: str | None, where: str | None, fmt: str) -> int:
    """Rows of a table, now or at a past version (time travel with --version or --as-of)."""
    from tablespec.inspect.rows import read_rows

    if version is not None and as_of is not None:
        raise click.UsageError("give --version or --as-of, not both")
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else []
    if columns is not None and not wanted:
        raise click.UsageError("--columns needs at least one column name")
    where_target = resolve_target(target, specs, warehouse)
    effective = DEFAULT_TABLE_ROWS if limit is None and fmt == "table" else limit
    result = read_rows(where_target.uri, where_target.storage_options, version=version, as_of=as_of,
                       columns=wanted, where=where, limit=effective, name=where_target.name)
    emit_rows(result, fmt)
    if result.truncated and fmt != "table":
        click.echo(f"(stopped at {effective} row(s); more rows match; use --limit)", err=True)
    return OK


def emit_rows(result: Any, fmt: str) -> None:
    frame = result.frame
    if fmt == "table":
        import polars as pl

        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200,
                       tbl_hide_dataframe_shape=True):
            click.echo(str(frame))
        more = "; more rows match (use --limit)" if result.truncated else ""
        click.echo(f"{frame.height} row(s) at version {result.version}{more}")
    elif fmt == "csv":
        click.echo(_csv_ready(frame).write_csv(), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(result.to_json_rows(), indent=2, ensure_ascii=False))
    else:
        for row in result.to_json_rows():
            click.echo(json.dumps(row, ensure_ascii=False))


def _csv_ready(frame: Any) -> Any:
    """CSV cannot hold nested values or bytes: those columns become JSON / base64 text."""
    import polars as pl

    from tablespec.inspect.rows import json_value

    changed = {}
    for name, dtype in frame.schema.items():
        if dtype.is_nested() or dtype == pl.Binary:
            values = [None if v is None else (json_value(v) if dtype == pl.Binary else json.dumps(json_value(v)))
                      for v in frame.get_column(name).to_list()]
            changed[name] = pl.Series(name, values, dtype=pl.String)
    return frame.with_columns(**changed) if changed else frame


# --- import ----------------------------------------------------------------------------------


@click.command(name="import")
@click.argument("uri", metavar="URI")
@click.option("--name", "name", required=True, metavar="NAME", help="Table name for the spec.")
@click.option("--location-as", "location_as", default=None, metavar="TEXT",
              help="Write this as the spec's location (e.g. a path under the warehouse) instead of URI.")
@click.option("--out", "out", default=None, metavar="FILE", type=click.Path(dir_okay=False, path_type=str),
              help="Write the spec to FILE instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite --out FILE if it exists.")
@warehouse_option
def import_(uri: str, name: str, location_as: str | None, out: str | None, force: bool,
            warehouse: str | None) -> int:
    """Write a spec (YAML) for an existing Delta table, written by any engine. Planning it against
    the same table shows no changes; what the spec format cannot express is reported on stderr
    and as comments in the YAML."""
    from tablespec.inspect.importer import import_spec

    where = _uri_target(uri, load_config(warehouse=warehouse))
    check_out_file(out, force=force)
    result = import_spec(where.uri, where.storage_options, name=name, location=location_as)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if out:
        try:
            with open(out, "w", encoding="utf-8") as handle:
                handle.write(redacted(result.yaml))
        except OSError as e:
            raise UsageError(f"cannot write --out {out}: {e.strerror or e}") from e
        click.echo(f"Wrote {out}: table {name}, {len(result.document['columns'])} column(s), "
                   f"version {result.version}.", err=True)
    else:
        click.echo(result.yaml, nl=False)
    return OK
