"""The spec JSON Schema, shipped as data: one draft-07 file that both the loader and editors use.

Draft-07 because yaml-language-server (VS Code and other editors) supports no later draft; the
loader validates with :class:`jsonschema.Draft7Validator` from the same file, so what an editor
underlines and what ``tablespec validate`` reports at the schema level cannot drift apart
(``tests/cli/test_schema_agreement.py`` checks that with ``check-jsonschema``). Reading it needs
the standard library only, so ``tablespec schema`` and ``tablespec validate`` stay light.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).with_name("tablespec-v1.json")


def schema_text() -> str:
    """The schema exactly as shipped (what ``tablespec schema`` prints)."""
    return SCHEMA_FILE.read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The schema as a JSON value."""
    value: dict[str, Any] = json.loads(schema_text())
    return value
