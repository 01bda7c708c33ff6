"""Bootstrap confidence intervals for any model's credits, on aggregated rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import ParameterError
from attribution.journeys import Journeys
from attribution.models.base import Model

__all__ = ["BootstrapResult", "bootstrap"]


@dataclass(frozen=True)
class BootstrapResult:
    """Per-channel intervals from ``n`` bootstrap replicates.

    Attributes
    ----------
    estimate
        The model's credits on the full data (``conversions``, ``value``, ``share``).
    intervals
        Per channel and quantity (``conversions``, ``share``): the full-data ``estimate``,
        the replicates' ``mean`` and ``std``, and the ``low`` / ``high`` percentile bounds.
    rank_stability
        Per channel: the share of replicates in which it holds its full-data rank.
    replicates
        Replicates × channels table of conversions credited.
    level
        Confidence level of the intervals.
    """

    estimate: pd.DataFrame
    intervals: pd.DataFrame
    rank_stability: pd.Series
    replicates: pd.DataFrame
    level: float


def _resampled(journeys: Journeys, value_per_conversion: npt.NDArray[np.float64], rng: np.random.Generator) -> Journeys:
    """The same paths with Poisson-resampled counts: journeys drawn with replacement.

    Each journey appears Poisson(1) times, so a row of k converting journeys gets
    Poisson(k) of them (likewise nulls); value follows the row's value per conversion.
    """
    conversions = rng.poisson(journeys.conversions).astype(np.float64)
    nulls = rng.poisson(journeys.nulls).astype(np.float64)
    return Journeys._trusted(
        journeys.codes,
        journeys.offsets,
        journeys.channels,
        conversions,
        nulls,
        conversions * value_per_conversion,
        journeys.times,
    )


def bootstrap(
    journeys: Journeys,
    model: Model,
    n: int = 200,
    *,
    level: float = 0.95,
    seed: int | None = None,
    progress: bool = False,
) -> BootstrapResult:
    """Percentile bootstrap of ``model``'s credits over journeys.

    Journeys are resampled with replacement through Poisson weights on the rows' counts
    (vectorised: aggregated rows are never expanded into single journeys), the model is
    refitted on each replicate, and each channel's credits and shares give percentile
    intervals. Paths are held fixed, so a path that no journey took is never invented.

    Parameters
    ----------
    journeys, model
        The data and any model of the library (or one following its protocol).
    n
        Number of replicates.
    level
        Confidence level of the intervals (default 0.95).
    seed
        Seed of the resampling; the same seed gives the same intervals.
    progress
        Show a progress bar (needs ``tqdm``).

    Examples
    --------
    >>> from attribution import Journeys, Linear
    >>> j = Journeys.from_sequences([["A", "B"], ["B"], ["A"]], conversions=[30, 20, 10], nulls=[70, 80, 90])
    >>> result = bootstrap(j, Linear(), n=50, seed=0)
    >>> list(result.intervals.columns)
    ['estimate', 'mean', 'std', 'low', 'high']
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ParameterError(f"parameter 'n' of bootstrap must be an integer >= 2; got {n!r}.")
    if not (isinstance(level, float) and 0 < level < 1):
        raise ParameterError(f"parameter 'level' of bootstrap must be a float in (0, 1); got {level!r}.")
    rng = np.random.default_rng(seed)
    full = model.attribute(journeys).credits
    channels = full.index
    rounds: Any = range(int(n))
    if progress:
        try:
            from tqdm.auto import tqdm

            rounds = tqdm(rounds, desc=f"bootstrap {model.name}")
        except ImportError:
            raise ParameterError("progress=True needs tqdm. Fix: pip install tqdm, or leave progress off.") from None
    with np.errstate(invalid="ignore", divide="ignore"):  # the same for every replicate
        value_per_conversion = np.where(journeys.conversions > 0, journeys.value / journeys.conversions, 0.0)
    conversions = np.zeros((int(n), len(channels)))
    shares = np.zeros((int(n), len(channels)))
    for i in rounds:
        credits = model.attribute(_resampled(journeys, value_per_conversion, rng)).credits.reindex(
            channels, fill_value=0.0
        )
        conversions[i] = credits["conversions"].to_numpy()
        shares[i] = credits["share"].to_numpy()
    alpha = (1 - level) / 2
    blocks = {}
    for quantity, draws in (("conversions", conversions), ("share", shares)):
        blocks[quantity] = pd.DataFrame(
            {
                "estimate": full[quantity].to_numpy(),
                "mean": draws.mean(axis=0),
                "std": draws.std(axis=0, ddof=1),
                "low": np.quantile(draws, alpha, axis=0),
                "high": np.quantile(draws, 1 - alpha, axis=0),
            },
            index=channels,
        )
    intervals = pd.concat(blocks, names=["quantity", "channel"])
    full_rank = pd.Series(full["conversions"]).rank(ascending=False, method="min").to_numpy()
    replicate_rank = pd.DataFrame(conversions).rank(axis=1, ascending=False, method="min").to_numpy()
    stability = pd.Series((replicate_rank == full_rank).mean(axis=0), index=channels, name="rank_stability")
    return BootstrapResult(
        estimate=full,
        intervals=intervals,
        rank_stability=stability,
        replicates=pd.DataFrame(conversions, columns=channels).rename_axis("replicate"),
        level=level,
    )
