"""Hold-out predictive validity of the Markov chain: log-loss and AUC across folds.

Computed with order selection, in one cross-validation pass
(:func:`attribution.models.order_selection.predictive_validity`); re-exported here.
"""

from __future__ import annotations

from attribution.models.order_selection import predictive_validity

__all__ = ["predictive_validity"]
