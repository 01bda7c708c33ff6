"""Slow, obviously correct reference implementations that the fast code must match.

Plain Python loops over users and events, written straight from SPEC.md §2, with no
attempt at speed. Tests compare the vectorised builders against these on random input.
"""

from __future__ import annotations

import itertools
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


def reference_markov(
    paths: list[tuple[str, ...]],
    conversions: list[float],
    nulls: list[float],
    value: list[float],
    *,
    order: int,
    collapse: bool = True,
) -> tuple[float, dict[str, float], dict[str, float]]:
    """P(conv), conversion removal effects and value removal effects, straight from SPEC §4.

    Dict-based transition counts; one dense solve of (I - Q) x = r per removed channel, with
    every transition into a state containing the channel redirected to NULL.
    """
    import numpy as np

    counts: dict[object, dict[object, float]] = {}
    value_end: dict[object, float] = {}
    conv_end: dict[object, float] = {}

    def add(a: object, b: object, w: float) -> None:
        counts.setdefault(a, {})
        counts[a][b] = counts[a].get(b, 0.0) + w

    for path, c, n, v in zip(paths, conversions, nulls, value, strict=True):
        if collapse:
            path = tuple(ch for i, ch in enumerate(path) if i == 0 or path[i - 1] != ch)
        if not path:
            continue
        states = [path] if len(path) < order else [path[i - order + 1 : i + 1] for i in range(order - 1, len(path))]
        walk: list[object] = ["START", *states]
        for a, b in itertools.pairwise(walk):
            add(a, b, c + n)
        add(states[-1], "CONV", c)
        add(states[-1], "NULL", n)
        value_end[states[-1]] = value_end.get(states[-1], 0.0) + v
        conv_end[states[-1]] = conv_end.get(states[-1], 0.0) + c
    transient = sorted(
        {s for s in counts if s != "START"} | {t for d in counts.values() for t in d} - {"CONV", "NULL"}, key=repr
    )
    index = {s: i for i, s in enumerate(transient)}
    mu = np.array([value_end.get(s, 0.0) / conv_end[s] if conv_end.get(s, 0.0) > 0 else 0.0 for s in transient])

    def solve(removed: str | None) -> tuple[float, float]:
        size = len(transient)
        q = np.zeros((size, size))
        r = np.zeros(size)
        start = np.zeros(size)
        for a, targets in counts.items():
            total = sum(targets.values())
            if total == 0:
                continue
            for b, w in targets.items():
                p = w / total
                if b not in ("CONV", "NULL") and removed is not None and removed in b:  # type: ignore[operator]
                    continue  # redirected to NULL
                if a == "START":
                    if b not in ("CONV", "NULL"):
                        start[index[b]] += p
                elif b == "CONV":
                    r[index[a]] += p
                elif b != "NULL":
                    q[index[a], index[b]] += p
        if size == 0:
            return 0.0, 0.0
        x = np.linalg.solve(np.eye(size) - q, r)
        xv = np.linalg.solve(np.eye(size) - q, r * mu)
        return float(start @ x), float(start @ xv)

    p, flow = solve(None)
    channels = sorted({ch for path in paths for ch in path})
    effects, value_effects = {}, {}
    for ch in channels:
        p_minus, flow_minus = solve(ch)
        effects[ch] = 1 - p_minus / p if p > 0 else 0.0
        value_effects[ch] = 1 - flow_minus / flow if flow > 0 else 0.0
    return p, effects, value_effects
