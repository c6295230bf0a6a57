"""Durations as specs write them ("7 days", "12 hours", "30d") and as Delta stores them
("interval 7 days"; Delta's CalendarInterval strings, see the protocol's table properties)."""

from __future__ import annotations

import datetime as dt
import re

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_CANONICAL = ((86400, "days"), (3600, "hours"), (60, "minutes"), (1, "seconds"))
_PART = re.compile(r"(\d+)\s*([a-z]+)")


def parse_duration(text: str) -> int:
    """Seconds in ``text``; accepts an optional leading ``interval`` and several parts ("1 day 12 hours")."""
    body = text.strip().lower()
    if body.startswith("interval"):
        body = body[len("interval") :].strip()
    if not body:
        raise ValueError(f"empty duration {text!r}")
    total, pos = 0, 0
    for match in _PART.finditer(body):
        if body[pos : match.start()].strip():
            break
        unit = _UNITS.get(match.group(2))
        if unit is None:
            raise ValueError(f"unknown unit {match.group(2)!r} in duration {text!r}; use seconds, minutes, hours, days or weeks")
        total += int(match.group(1)) * unit
        pos = match.end()
    if pos != len(body) or total == 0 and pos == 0:
        raise ValueError(f"cannot read duration {text!r}; write e.g. '7 days', '12 hours' or '30d'")
    return total


def to_delta_interval(seconds: int) -> str:
    """The property value Delta expects, in the largest whole unit: ``interval 7 days``."""
    for size, unit in _CANONICAL:
        if seconds % size == 0 and seconds >= size:
            return f"interval {seconds // size} {unit}"
    return "interval 0 seconds"


def human(seconds: int) -> str:
    for size, unit in _CANONICAL:
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {unit[:-1] if count == 1 else unit}"
    return "0 seconds"


def parse_timestamp(value: dt.datetime | dt.date | str) -> dt.datetime:
    """An aware datetime from a datetime, a date (midnight) or ISO 8601 text; naive means UTC.

    The one timestamp parser: the library's ``as_of`` and ``tablespec read --as-of`` both use it,
    so they agree on what a timestamp means. Accepts ``2026-01-31``, ``2026-01-31 12:00``,
    ``2026-01-31T12:00:00Z`` and offsets; raises ValueError (the CLI says which flag)."""
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            stamp = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"cannot read timestamp {value!r}; use ISO 8601, e.g. 2024-01-31T12:00:00Z") from None
    else:
        raise TypeError(f"as_of must be a datetime or an ISO 8601 string, not {type(value).__name__}")
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.timezone.utc)
