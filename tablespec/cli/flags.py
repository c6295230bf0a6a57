"""Library words -> command-line words, in one place.

The library speaks its own language in errors and reports (``allow=("rewrite",)``, the
keyword a Python caller passes); the CLI shows the flag a person types (``--allow rewrite``).
"""

from __future__ import annotations

import dataclasses

from tablespec.model.report import ApplyReport, TableReport

# The library's spelling of an argument -> the CLI flag that sets it.
FLAGS = {
    'allow=("rewrite",)': "--allow rewrite",
    'allow=("destructive",)': "--allow destructive",
}


def for_cli(text: str) -> str:
    """``text`` with every library argument spelled as the CLI flag that sets it."""
    for library, flag in FLAGS.items():
        text = text.replace(library, flag)
    return text


def report_for_cli(report: ApplyReport) -> ApplyReport:
    """The same report, its hints and messages in CLI words (for the text and JSON renderers)."""
    return dataclasses.replace(report, tables=tuple(_table(t) for t in report.tables))


def _table(table: TableReport) -> TableReport:
    refused = tuple(dataclasses.replace(r, hint=for_cli(r.hint), reason=for_cli(r.reason)) for r in table.refused)
    return dataclasses.replace(table, refused=refused, hint=for_cli(table.hint), error=for_cli(table.error))
