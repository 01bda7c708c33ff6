"""Testing helpers for this library and for authors of models built on it.

:mod:`attribution.testing.strategies` holds hypothesis strategies for event logs and
:class:`~attribution.Journeys`. It needs ``hypothesis`` (the ``test`` extra).
"""
