"""Testing helpers for this library and for authors of models built on it (needs ``hypothesis``).

- :func:`check_model` runs the contract every attribution model keeps;
- :mod:`attribution.testing.strategies` holds hypothesis strategies for event logs and
  :class:`~attribution.Journeys`.
"""

from attribution.testing.contract import check_model

__all__ = ["check_model"]
