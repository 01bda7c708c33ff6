"""Time zones of event times: their names, and the zone of ISO strings' UTC offsets.

Calendar periods are counted in the zone the event times were given in; every builder
names that zone the same way, so that journeys built by different engines compare equal.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import pandas as pd

from attribution.errors import JourneyError

__all__ = ["OFFSET_PATTERN", "offsets_zone", "zone_name"]

# The UTC offset at the end of an ISO 8601 string (group 1), as the engines extract it
OFFSET_PATTERN = r"(Z|[+-]\d{2}(?::?\d{2})?)\s*$"


def zone_name(zone: Any) -> str:
    """A time zone as the name pandas, Arrow and the engines know it (``"Asia/Jakarta"``, ``"+07:00"``, ``"UTC"``).

    Raises :class:`JourneyError` for a zone that has no such name.
    """
    if isinstance(zone, str):
        name = zone
    elif isinstance(zone, datetime.timezone):
        name = _offset_name(zone.utcoffset(None))
    elif getattr(zone, "key", None) or getattr(zone, "zone", None):  # zoneinfo, pytz
        name = getattr(zone, "key", None) or zone.zone
    else:  # a fixed offset of another kind (pytz.FixedOffset...), else dateutil and others (their str)
        offset = zone.utcoffset(None) if hasattr(zone, "utcoffset") else None
        name = _offset_name(offset) if isinstance(offset, datetime.timedelta) else str(zone)
    if name in ("Z", "z", "+00:00", "-00:00", "Etc/UTC", "UTC+00:00", "Etc/GMT", "GMT"):  # one spelling of UTC
        name = "UTC"
    try:
        pd.Timestamp(0).tz_localize(name)
    except Exception:  # pandas raises several types here; each means "not a zone name"
        raise JourneyError(
            f"time zone {zone!r} has no name that pandas can read back. "
            "Fix: convert the times to a named zone first, e.g. times.dt.tz_convert('Europe/Paris')."
        ) from None
    return name


def offsets_zone(offsets: Iterable[str]) -> str | None:
    """The zone of ISO strings written with these UTC offsets (``Z``, ``+07``, ``+0700``, ``+07:00``):
    the offset they share, ``"UTC"`` when they differ (pandas converts them to UTC), ``None`` if none."""
    found = set()
    for text in offsets:
        text = text.strip()
        if text in ("", "Z", "z"):
            if text:
                found.add("UTC")
            continue
        digits = text[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0)
        found.add(_offset_name(datetime.timedelta(minutes=minutes if text[0] == "+" else -minutes)))
    if not found:
        return None
    return found.pop() if len(found) == 1 else "UTC"


def _offset_name(offset: datetime.timedelta) -> str:
    seconds = int(offset.total_seconds())
    if seconds == 0:
        return "UTC"
    sign, seconds = ("+" if seconds > 0 else "-"), abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
