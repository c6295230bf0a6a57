"""``${VAR}`` and ``${VAR:-default}`` substitution from the environment.

Substitution happens on scalar strings after YAML parsing, so a value can never inject YAML
structure. ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_PATTERN = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}?")


class MissingVariable(ValueError):
    """A ``${VAR}`` with no default names a variable that is not set."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class BadReference(ValueError):
    """``${...}`` whose inside is not a variable name."""


class SecretReference(ValueError):
    """``${VAR}`` names a credential (or a variable holding one): it must not reach a spec."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def interpolate(text: str, env: Mapping[str, str], *, secret: Callable[[str, str | None], bool] | None = None) -> str:
    """Replace every reference in ``text``; raise on the first unset or malformed one.

    ``secret(name, value)`` says whether a variable is a secret; such a reference raises
    :class:`SecretReference` whether or not it is set (PRODUCT.md: never the credential variables).
    """
    if "$" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default, bad = match.group(1), match.group(2), match.group(3)
        if name is None:
            raise BadReference(f"'${{{bad}' is not a valid variable reference")
        value = env.get(name)
        if secret is not None and secret(name, value):
            raise SecretReference(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise MissingVariable(name)
            return default
        return value

    return _PATTERN.sub(replace, text)
