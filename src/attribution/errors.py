"""The exception hierarchy: one root error, and data errors that are also ``ValueError``."""

from __future__ import annotations

__all__ = ["AttributionError", "JourneyError", "ParameterError"]


class AttributionError(Exception):
    """Root of every error this library raises on purpose.

    Catch this to handle any failure of ``attribution`` in one place.
    """


class JourneyError(AttributionError, ValueError):
    """Journey data or a builder argument breaks a rule.

    The message names the column or argument, the rule broken, how many rows
    break it and the first one, and how to fix it.
    """


class ParameterError(AttributionError, ValueError):
    """A model or function parameter breaks its rule.

    The message names the parameter, the rule and the value received.
    """
