"""Simulated journeys with a known truth (in the spirit of Google's DASS, Sapp & Vaver 2016).

Each user walks a funnel: unaware (stage 0) → aware (1) → considering (2) → deciding (3).
Channels reach users at random: channel c touches a user Poisson(``reach[c]``) times at
uniform random times over the horizon. In time order, a touch of channel c moves a user
at stage k < 3 up one stage with probability ``lift[c][k]``; nothing else moves users
through the funnel. A user who ends at stage 3 converts with probability
``p_decide`` (after the last touch); independently, any user converts with probability
``baseline`` without any help (organic demand). Conversions carry log-normal values.

The walk is the funnel of :mod:`attribution.evaluate.funnel` (the one behind the bundled
sample too), configured with one reach for every stage and a Poisson budget of touches:
one Poisson total split by reach in random order is the same as a Poisson count per channel.
Because a channel acts only through its own touches, switching it off is well defined:
its touches lose their effect and every random number is replayed unchanged (common
random numbers). The truth reported per channel is exact for the simulated population:

- ``incremental``: conversions lost when that channel alone is switched off;
- ``shapley``: the Shapley value of the game v(S) = conversions with only the channels in
  S switched on, by exact enumeration of the 2^C coalitions (each replayed with the same
  random numbers — one walk per user and subset of the channels the user can meet —
  then solved by :func:`attribution.models.shapley.exact_shapley`), for
  up to ``max_shapley_channels`` channels.

Both are net of baseline conversions, which no channel causes: a model that gives
channels credit for organic conversions over-credits them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution._display import Report, count_cells, counted, format_count, frame_columns, share_cells
from attribution.errors import ParameterError
from attribution.evaluate.funnel import Funnel, FunnelLog, Spread, funnel_truth, run_funnel, truth_table

__all__ = ["Simulation", "simulate"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

STAGES = 3  # stages a touch can lift a user out of: unaware, aware, considering
STAGE_NAMES = ["unaware", "aware", "considering", "deciding", "converted"]

DEFAULT_CHANNELS: dict[str, tuple[float, tuple[float, float, float]]] = {
    # channel: (mean touches per user, lift out of stage 0 / 1 / 2)
    "Display": (1.2, (0.30, 0.05, 0.02)),
    "Social": (1.0, (0.25, 0.10, 0.03)),
    "Search": (0.8, (0.10, 0.30, 0.20)),
    "Email": (0.6, (0.02, 0.15, 0.30)),
    "Direct": (0.5, (0.00, 0.00, 0.05)),
}

MAX_USERS = 10**9  # every user's draws are held in memory
MAX_REACH = 1e6  # mean touches per user and channel; beyond it the Poisson draws are out of numpy's range
MAX_HORIZON_DAYS = 36_500.0  # the log starts on 2025-01-01 and pandas timestamps end in 2262
MAX_MEAN_VALUE = 1e300  # log-normal draws around a larger mean overflow to infinity


@dataclass(frozen=True)
class Simulation:
    """A simulated event log and the truth behind it.

    Attributes
    ----------
    events
        One row per touch or conversion: ``user``, ``time``, ``channel`` (null on
        conversions), ``converted``, ``value`` — ready for :meth:`Journeys.from_events` —
        and ``stage``: the funnel stage each touch found its user in (``"converted"`` on
        conversion rows), for :func:`attribution.analytics.stage_summary`.
    truth
        Per channel: ``incremental`` conversions (lost when it alone is switched off),
        ``shapley`` (Shapley value of the true game; NaN past ``max_shapley_channels``),
        and both as shares (``incremental_share``, ``shapley_share``).
    conversions, baseline_conversions
        Conversions in the log, and how many of them only organic demand explains (the
        funnel did not convert those users).
    conversions_without_channels
        Conversions with every channel switched off (organic demand alone): the true
        game's v(∅), so the Shapley truth sums to ``conversions`` minus this.
    parameters
        The settings that produced it.
    """

    events: pd.DataFrame
    truth: pd.DataFrame
    conversions: int
    baseline_conversions: int
    conversions_without_channels: int
    parameters: dict[str, object]

    def _report(self) -> Report:
        users, seed = self.parameters.get("n_users"), self.parameters.get("seed")
        who = f"{users:,} users" if isinstance(users, int) else "simulated users"
        title = f"Simulation: {who}" + ("" if seed is None else f", seed {seed}")
        formats = {
            "incremental": count_cells,
            "incremental_share": share_cells,
            "shapley": count_cells,
            "shapley_share": share_cells,
        }
        truth = self.truth[[c for c in formats if c in self.truth.columns]]
        return Report(
            title,
            [
                ("events", f"{len(self.events):,} rows (touches and conversions)"),
                (
                    "conversions",
                    f"{format_count(self.conversions)} in the log, {format_count(self.baseline_conversions)} of them "
                    "organic (not caused by the funnel)",
                ),
                ("channels off", f"{counted(self.conversions_without_channels, 'conversion')} with every channel off"),
                ("truth", "per channel: conversions lost when it alone is off (incremental), Shapley value"),
            ],
            frame_columns(truth, formats),
        )

    def __repr__(self) -> str:
        return self._report().text()

    def _repr_html_(self) -> str:
        return self._report().html()


def simulate(
    n_users: int,
    *,
    channels: Mapping[str, tuple[float, Sequence[float]]] | None = None,
    p_decide: float = 0.6,
    baseline: float = 0.01,
    horizon_days: float = 30.0,
    mean_value: float = 80.0,
    max_shapley_channels: int = 10,
    seed: int | None = None,
) -> Simulation:
    """Simulate ``n_users`` journeys through a funnel, with the true effect of every channel.

    Parameters
    ----------
    n_users
        Number of users: an integer in [1, 10^9].
    channels
        ``{name: (mean touches per user, (lift out of stage 0, 1, 2))}``; default five
        channels from awareness (Display, Social) to closing (Search, Email, Direct).
        Names are non-empty strings, mean touches finite in [0, 10^6], lifts in [0, 1].
    p_decide
        Probability that a user at the decision stage converts, in [0, 1].
    baseline
        Probability that a user converts with no help from any channel, in [0, 1].
    horizon_days
        Touches fall uniformly over this many days (finite, in (0, 36500]); a conversion
        follows the last touch.
    mean_value
        Mean conversion value (log-normal, coefficient of variation about 0.5): finite
        and positive.
    max_shapley_channels
        Compute the exact Shapley truth (2^C replays) only up to this many channels (an
        integer >= 0).
    seed
        Seed of the random generator (an integer >= 0, or ``None``); the same seed gives
        the same simulation.

    Raises
    ------
    ParameterError
        A parameter breaks its rule; the message names it, the rule and the value.
        Numbers may be Python or numpy scalars; bools, strings, NaN and infinities are
        refused.

    Examples
    --------
    >>> sim = simulate(20_000, seed=1)
    >>> sorted(sim.events.columns)
    ['channel', 'converted', 'stage', 'time', 'user', 'value']
    >>> bool((sim.truth["incremental"] >= 0).all())
    True
    """
    names, reach, lift = _check(
        n_users,
        DEFAULT_CHANNELS if channels is None else channels,
        p_decide,
        baseline,
        horizon_days,
        mean_value,
        max_shapley_channels,
        seed,
    )
    n_users, p_decide, baseline = int(n_users), float(p_decide), float(baseline)
    horizon_days, mean_value = float(horizon_days), float(mean_value)
    funnel = _funnel(names, reach, lift, p_decide, baseline, horizon_days, mean_value)
    seed = int(np.random.SeedSequence().entropy if seed is None else seed)  # type: ignore[arg-type]
    log = run_funnel(funnel, n_users, seed)
    incremental, shapley, total, without = funnel_truth(
        funnel, n_users, seed, shapley=len(names) <= max_shapley_channels
    )
    return Simulation(
        events=_event_log(log, names),
        truth=truth_table(names, incremental, shapley),
        conversions=total,
        baseline_conversions=total - log.funnel_conversions,
        conversions_without_channels=without,
        parameters={
            "n_users": n_users,
            "channels": {
                n: (float(r), tuple(float(x) for x in lf)) for n, r, lf in zip(names, reach, lift, strict=True)
            },
            "p_decide": p_decide,
            "baseline": baseline,
            "horizon_days": horizon_days,
            "mean_value": mean_value,
            "max_shapley_channels": int(max_shapley_channels),
            "seed": seed,
        },
    )


def _funnel(
    names: list[str],
    reach: FloatArray,
    lift: FloatArray,
    p_decide: float,
    baseline: float,
    horizon_days: float,
    mean_value: float,
) -> Funnel:
    """The funnel of :func:`simulate`: a Poisson budget of touches spread by reach, deciding at the end.

    Per-channel Poisson counts are one Poisson total split by reach, in a random order: so
    each touch is on channel c with probability reach[c] / sum(reach), whatever the stage.
    """
    sigma = 0.47  # log-normal with a coefficient of variation of about 0.5
    return Funnel(
        channels=tuple(names),
        reach=np.repeat(reach[:, None], STAGES, axis=1),
        lift=lift,
        mean_touches=float(reach.sum()),
        p_decide=p_decide,
        decide_at_end=True,
        baseline=baseline,
        horizon_days=horizon_days,
        delay=Spread(0.5, 0.8, 0.0, 2.0),  # a conversion follows the last touch within two days
        value=Spread(mean_value * np.exp(-(sigma**2) / 2), sigma),
    )


def _shown(value: object) -> str:
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds, so comparisons never cast between numpy types."""
    if isinstance(value, np.floating):
        with np.errstate(over="ignore"):
            return float(value)
    return int(value) if isinstance(value, np.integer) else value


def _bad(name: str, rule: str, value: object, fix: str) -> ParameterError:
    return ParameterError(f"parameter {name!r} of simulate must be {rule}; got {_shown(value)}. Fix: {fix}")


def _is_real(value: object) -> bool:
    """A real number (Python or numpy), not a bool and not text."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _is_count(value: object) -> bool:
    """An integer (Python or numpy), not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check(
    n_users: Any,
    channels: Any,
    p_decide: Any,
    baseline: Any,
    horizon_days: Any,
    mean_value: Any,
    max_shapley_channels: Any,
    seed: Any,
) -> tuple[list[str], FloatArray, FloatArray]:
    """Validate every parameter of :func:`simulate`; return channel names, reach and lifts.

    Python numbers are compared as given, never converted first (``float(10**400)`` overflows).
    """
    n_users, p_decide, baseline, horizon_days, mean_value, max_shapley_channels, seed = map(
        _plain, (n_users, p_decide, baseline, horizon_days, mean_value, max_shapley_channels, seed)
    )
    if not _is_count(n_users) or not 1 <= n_users <= MAX_USERS:
        raise _bad(
            "n_users", f"a positive integer (at most {MAX_USERS:,})", n_users, "pass how many users, e.g. 10_000."
        )
    for name, value in (("p_decide", p_decide), ("baseline", baseline)):
        if not _is_real(value) or not 0 <= value <= 1:
            raise _bad(name, "a probability in [0, 1]", value, "pass a number such as 0.05.")
    if not _is_real(horizon_days) or not 0 < horizon_days <= MAX_HORIZON_DAYS:
        raise _bad(
            "horizon_days",
            f"a finite number of days in (0, {MAX_HORIZON_DAYS:g}]",
            horizon_days,
            "pass the length of the campaign in days, e.g. 30.",
        )
    if not _is_real(mean_value) or not 0 < mean_value <= MAX_MEAN_VALUE:
        raise _bad(
            "mean_value",
            f"a finite positive number (at most {MAX_MEAN_VALUE:g})",
            mean_value,
            "pass e.g. mean_value=80.",
        )
    if not _is_count(max_shapley_channels) or max_shapley_channels < 0:
        raise _bad(
            "max_shapley_channels",
            "an integer >= 0",
            max_shapley_channels,
            "pass up to how many channels the exact Shapley truth is computed, e.g. 10 (0 skips it).",
        )
    if seed is not None and (not _is_count(seed) or seed < 0):
        raise _bad("seed", "a non-negative integer or None", seed, "pass e.g. seed=0, or None for fresh randomness.")
    return _check_channels(channels)


def _check_channels(channels: Any) -> tuple[list[str], FloatArray, FloatArray]:
    example = "e.g. channels={'Search': (0.8, (0.1, 0.3, 0.2))}."
    if not isinstance(channels, Mapping):
        raise _bad(
            "channels",
            "a mapping {name: (mean touches per user, (lift 0, lift 1, lift 2))}",
            channels,
            f"pass a dict, {example}",
        )
    if not channels:
        raise ParameterError(
            f"parameter 'channels' of simulate must name at least one channel; got none. Fix: {example}"
        )
    names: list[str] = []
    reach = np.zeros(len(channels))
    lift = np.zeros((len(channels), STAGES))
    for i, (name, entry) in enumerate(channels.items()):
        if not isinstance(name, str) or not name.strip():
            raise _bad("channels", "keyed by non-empty channel names (strings)", name, f"name each channel, {example}")
        shape = f"channel {name!r} of parameter 'channels' of simulate must be (mean touches, (lift 0, lift 1, lift 2))"
        if not isinstance(entry, (tuple, list)) or len(entry) != 2:
            raise ParameterError(f"{shape}; got {_shown(entry)}. Fix: {example}")
        rate, lifts = _plain(entry[0]), entry[1]
        one_dimensional = isinstance(lifts, (tuple, list)) or (isinstance(lifts, np.ndarray) and lifts.ndim == 1)
        if not one_dimensional or len(lifts) != STAGES:
            raise ParameterError(f"{shape}; got {_shown(entry)}. Fix: {example}")
        if not _is_real(rate) or not 0 <= rate <= MAX_REACH:
            raise ParameterError(
                f"channel {name!r} of parameter 'channels' of simulate needs a mean number of touches that is "
                f"a finite number in [0, {MAX_REACH:g}]; got {_shown(rate)}. Fix: {example}"
            )
        if not all(_is_real(x) and 0 <= _plain(x) <= 1 for x in lifts):
            raise ParameterError(
                f"channel {name!r} of parameter 'channels' of simulate needs lifts in [0, 1] (probabilities, "
                f"not NaN); got {_shown(tuple(_plain(x) for x in lifts))}. Fix: {example}"
            )
        names.append(name)
        reach[i] = float(rate)
        lift[i] = [float(x) for x in lifts]
    return names, reach, lift


def _event_log(log: FunnelLog, names: list[str]) -> pd.DataFrame:
    labels = np.array([*names, None], dtype=object)  # code -1 picks the trailing None
    return pd.DataFrame(
        {
            "user": log.user,
            "time": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.round(log.time * 86_400.0), unit="s"),
            "channel": labels[log.channel],
            "converted": log.converted,
            "value": log.value,
            "stage": pd.Categorical.from_codes(
                log.stage.astype(np.int64), dtype=pd.CategoricalDtype(STAGE_NAMES, ordered=True)
            ),
        }
    )
