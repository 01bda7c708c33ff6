"""Testing helpers for this library and for authors of models built on it (needs ``hypothesis``).

- :func:`check_model` runs the contract every attribution model keeps;
- :mod:`attribution.testing.strategies` holds hypothesis strategies for event logs and
  :class:`~attribution.Journeys`.

``hypothesis`` is not a dependency of the library: install it with the ``testing`` extra
(``pip install hypothesis``, or ``pip install ".[testing]"`` from a checkout).
"""

import importlib.util

if importlib.util.find_spec("hypothesis") is None:  # say what to install, not a bare ModuleNotFoundError
    raise ImportError(
        "attribution.testing needs hypothesis, which is not installed. "
        'Fix: pip install hypothesis (or pip install ".[testing]" from a checkout of attribution).'
    )

from attribution.testing.contract import check_model  # after the check above

__all__ = ["check_model"]
