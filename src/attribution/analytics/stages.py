"""Funnel stages of an event log that records them."""

from __future__ import annotations

import pandas as pd

from attribution.errors import JourneyError
from attribution.journeys.from_events import conversion_flags, require_columns
from attribution.journeys.rules import bad_rows

__all__ = ["stage_summary"]


def stage_summary(events: pd.DataFrame, *, user: str, stage: str, conversion: str) -> pd.DataFrame:
    """Per stage of an event log that carries one (e.g. awareness, consideration, decision).

    Counts the events and the users seen at each stage, and the share of those users who
    converted at some point: where in the funnel users are reached, and how far they go.
    The order of the stages is the column's category order if it is categorical, else
    the order of first appearance.

    Raises
    ------
    JourneyError
        A missing column, a null user or stage, or a conversion flag that is not boolean
        (True/False or 1/0): the same check as :meth:`Journeys.from_events`, so ``"no"``
        or NaN never counts as a conversion.

    Examples
    --------
    >>> events = pd.DataFrame({"u": [1, 1, 2, 2], "stage": ["aware", "deciding", "aware", "aware"],
    ...                        "buy": [False, True, False, False]})
    >>> stage_summary(events, user="u", stage="stage", conversion="buy")["conversion_rate"].to_dict()
    {'aware': 0.5, 'deciding': 1.0}
    """
    require_columns(events, {"user": user, "stage": stage, "conversion": conversion})
    fixes = {
        "user": "drop those events, or fill in the user each belongs to.",
        "stage": "fill in the stage (e.g. 'unknown') or drop those events.",
    }
    for argument, name in (("user", user), ("stage", stage), ("conversion", conversion)):
        if isinstance(events[name], pd.DataFrame):
            raise JourneyError(
                f"column {name!r} (argument {argument!r}) appears more than once in the data. "
                "Fix: rename or drop the copies."
            )
        missing = events[name].isna().to_numpy()
        if argument in fixes and missing.any():
            raise bad_rows(f"column {name!r}", "must not be null", missing, index=events.index, fix=fixes[argument])
    converts = conversion_flags(events[conversion], conversion, events.index)
    converting_users = pd.unique(events[user].to_numpy()[converts])
    frame = pd.DataFrame(
        {"stage": events[stage], "user": events[user], "converts": events[user].isin(converting_users)}
    )
    grouped = frame.groupby("stage", observed=True, sort=False)
    table = pd.DataFrame(
        {
            "events": grouped.size(),
            "users": grouped["user"].nunique(),
            "converting_users": frame[frame["converts"]].groupby("stage", observed=True, sort=False)["user"].nunique(),
        }
    ).fillna({"converting_users": 0})
    if isinstance(events[stage].dtype, pd.CategoricalDtype):
        table = table.reindex([c for c in events[stage].cat.categories if c in table.index])
    table["converting_users"] = table["converting_users"].astype(int)
    table["conversion_rate"] = table["converting_users"] / table["users"]
    return table.rename_axis("stage")
