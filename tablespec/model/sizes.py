"""Sizes in specs: ``"128 MiB"`` <-> bytes.

Binary units (KiB, MiB, GiB, TiB: powers of 1024) are what file-size targets are usually written
in; decimal ones (KB, MB, GB, TB: powers of 1000) are accepted too and mean what they say, so
``1 GB`` is 10**9 bytes. Units are case-insensitive; a plain number (or ``B``) is bytes.
"""

from __future__ import annotations

import math
import re

UNITS = {
    "b": 1,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
}  # fmt: skip
ACCEPTED = "B, KiB, MiB, GiB (or KB, MB, GB)"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z/]*)\s*$")


def parse_size(value: str | int) -> int:
    """Bytes in ``value``; ValueError (worded for a spec author) when it is not a size above 0."""
    if isinstance(value, bool):
        raise ValueError(f"cannot read size {value!r}; write e.g. '128 MiB' ({ACCEPTED})")
    if isinstance(value, int):
        amount, unit = float(value), "b"
    else:
        match = _SIZE.match(value)
        if match is None:
            raise ValueError(f"cannot read size {value!r}; write e.g. '128 MiB' ({ACCEPTED})")
        amount, unit = float(match.group(1)), (match.group(2) or "b").lower()
        if unit not in UNITS:
            raise ValueError(f"unknown size unit {match.group(2)!r} in {value!r}; use {ACCEPTED}")
    size = math.floor(amount * UNITS[unit])
    if size <= 0:
        raise ValueError(f"size {value!r} must be greater than 0 bytes")
    return size
