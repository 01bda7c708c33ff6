"""Hold-out predictive validity of the Markov chain: log-loss and AUC across folds."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from attribution.journeys import Journeys
from attribution.models.order_selection import select_order

__all__ = ["predictive_validity"]


def predictive_validity(journeys: Journeys, max_order: int = 3, cv: int = 5, seed: int | None = None) -> pd.DataFrame:
    """Held-out log-loss and AUC of Markov chains of order 1..``max_order``, same folds for both.

    Reuses :func:`~attribution.select_order` (journeys, not rows, are split into folds).

    Returns
    -------
    pandas.DataFrame
        Indexed by order: ``log_loss`` and ``log_loss_std`` (lower is better), ``auc`` and
        ``auc_std`` (higher is better) over the folds.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B", "A"], ["A"], ["B"]],
    ...                             conversions=[300, 50, 100, 100], nulls=[100, 350, 300, 300])
    >>> table = predictive_validity(j, max_order=2, cv=4, seed=1)
    >>> int(table["log_loss"].idxmin()), int(table["auc"].idxmax())
    (2, 2)
    """
    columns: dict[str, pd.Series] = {}
    metrics: tuple[Literal["log_loss"], Literal["auc"]] = ("log_loss", "auc")
    for metric in metrics:
        scores = select_order(journeys, max_order=max_order, cv=cv, metric=metric, seed=seed).scores
        columns[metric] = scores["mean"]
        columns[f"{metric}_std"] = scores["std"]
    return pd.DataFrame(columns).rename_axis("order")
