"""Helpers shared by tests: a small event-log builder."""

from __future__ import annotations

import pandas as pd

from attribution import Journeys

DAY = 86_400.0


def events(rows: list[tuple[object, str, object, bool, float | None]]) -> pd.DataFrame:
    """An event log from (user, time, channel, converted, value) tuples."""
    frame = pd.DataFrame(rows, columns=["user", "time", "channel", "converted", "value"])
    frame["time"] = pd.to_datetime(frame["time"], format="ISO8601")
    frame["converted"] = frame["converted"].astype(bool)
    return frame


def build(frame: pd.DataFrame, **options: object) -> Journeys:
    """``from_events`` with the column names used by :func:`events`."""
    return Journeys.from_events(
        frame, user="user", time="time", channel="channel", conversion="converted", value="value", **options
    )
