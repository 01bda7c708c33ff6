"""Slow, obviously correct reference implementations that the fast code must match.

Plain Python loops over users and events, written straight from SPEC.md §2, with no
attempt at speed. Tests compare the vectorised builders against these on random input.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class RefJourney:
    user: object
    path: tuple[str, ...]
    converted: bool
    value: float
    times: tuple[float, ...]  # seconds before the journey's end


def _kind(channel: object, converted: bool) -> int:
    if not converted:
        return 0
    return 1 if channel is not None else 2


def reference_journeys(
    events: pd.DataFrame,
    *,
    lookback_seconds: float | None = None,
    max_touches: int | None = None,
    split_on_conversion: bool = True,
    tiebreak: str | None = None,
) -> list[RefJourney]:
    """Journeys from an event log with columns user, time, channel, converted, value.

    Ordered by user (sorted) and then by journey end; SPEC §2 conventions.
    """
    records = []
    for row in events.itertuples(index=False):
        channel = None if pd.isna(row.channel) else str(row.channel)
        value = 0.0 if pd.isna(row.value) else float(row.value)
        tb = getattr(row, tiebreak) if tiebreak else 0
        records.append(
            (
                row.user,
                pd.Timestamp(row.time),
                tb,
                _kind(channel, bool(row.converted)),
                channel or "",
                value,
                channel,
                bool(row.converted),
            )
        )
    by_user: dict[object, list[tuple]] = {}
    for rec in records:
        by_user.setdefault(rec[0], []).append(rec)
    out: list[RefJourney] = []
    for user in sorted(by_user):
        evs = sorted(by_user[user], key=lambda r: (r[1], r[2], r[3], r[4], r[5]))
        raw: list[tuple[list[tuple[str, pd.Timestamp]], pd.Timestamp | None, bool, float]] = []
        if split_on_conversion:
            current: list[tuple[str, pd.Timestamp]] = []
            for _, t, _, _, _, value, channel, converted in evs:
                if channel is not None:
                    current.append((channel, t))
                if converted:
                    raw.append((current, t, True, value))
                    current = []
            if current:
                raw.append((current, None, False, 0.0))
        else:
            seen: list[tuple[str, pd.Timestamp]] = []
            any_conversion = False
            for _, t, _, _, _, value, channel, converted in evs:
                if channel is not None:
                    seen.append((channel, t))
                if converted:
                    any_conversion = True
                    raw.append((list(seen), t, True, value))
            if not any_conversion and seen:
                raw.append((seen, None, False, 0.0))
        for touches, end, converted, value in raw:
            end_time = end if end is not None else touches[-1][1]
            kept = [(c, (end_time - t).total_seconds()) for c, t in touches]
            if lookback_seconds is not None:
                kept = [(c, s) for c, s in kept if s <= lookback_seconds]
            if max_touches is not None:
                kept = kept[-max_touches:] if kept else kept
            out.append(RefJourney(user, tuple(c for c, _ in kept), converted, value, tuple(s for _, s in kept)))
    return out
