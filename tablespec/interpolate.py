"""``${VAR}`` and ``${VAR:-default}`` substitution from the environment.

Substitution happens on scalar strings after YAML parsing, so a value can never inject YAML
structure. ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PATTERN = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}?")


class MissingVariable(ValueError):
    """A ``${VAR}`` with no default names a variable that is not set."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class BadReference(ValueError):
    """``${...}`` whose inside is not a variable name."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Replace every reference in ``text``; raise on the first unset or malformed one."""
    if "$" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default, bad = match.group(1), match.group(2), match.group(3)
        if name is None:
            raise BadReference(f"'${{{bad}' is not a valid variable reference")
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise MissingVariable(name)
            return default
        return value

    return _PATTERN.sub(replace, text)
