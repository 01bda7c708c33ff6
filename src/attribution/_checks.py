"""Parameter checks with one message template (as scikit-learn's declared constraints).

Every check returns the value in its canonical type or raises ``error`` (default
:class:`~attribution.errors.ParameterError`) worded the same way everywhere::

    parameter 'order' of MarkovChain must be an integer >= 1; got 0. Fix: pass e.g. order=2.

Builders pass ``error=JourneyError`` and ``kind="argument"`` for their own arguments.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np

from attribution.errors import ParameterError

__all__ = ["boolean", "describe", "finite_number", "integer", "one_of", "probability", "refuse"]


def describe(value: Any) -> str:
    """Render an offending value for a message, short and unambiguous (numpy scalars as Python ones)."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def refuse(
    name: str,
    rule: str,
    value: Any,
    *,
    owner: str | None = None,
    fix: str | None = None,
    error: type[Exception] = ParameterError,
    kind: str = "parameter",
) -> Exception:
    """The error for ``name`` breaking ``rule``: one template for every parameter of the library."""
    where = f" of {owner}" if owner else ""
    advice = f" Fix: {fix}" if fix else ""
    return error(f"{kind} {name!r}{where} must be {rule}; got {describe(value)}.{advice}")


def _is_integer(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def integer(
    value: Any,
    name: str,
    *,
    low: int | None = 1,
    high: int | None = None,
    owner: str | None = None,
    fix: str | None = None,
    error: type[Exception] = ParameterError,
    kind: str = "parameter",
) -> int:
    """An integer in ``[low, high]`` (bounds inclusive; ``None``: unbounded). Booleans are refused.

    Examples
    --------
    >>> integer(3, "order", owner="MarkovChain")
    3
    >>> integer(0, "order", owner="MarkovChain")
    Traceback (most recent call last):
    ...
    attribution.errors.ParameterError: parameter 'order' of MarkovChain must be an integer >= 1; got 0.
    """
    if low is not None and high is not None:
        rule = f"an integer in [{low}, {high}]"
    elif low is not None:
        rule = f"an integer >= {low}"
    elif high is not None:
        rule = f"an integer <= {high}"
    else:
        rule = "an integer"
    if not _is_integer(value) or (low is not None and value < low) or (high is not None and value > high):
        raise refuse(name, rule, value, owner=owner, fix=fix, error=error, kind=kind)
    return int(value)


def finite_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    owner: str | None = None,
    fix: str | None = None,
    error: type[Exception] = ParameterError,
    kind: str = "parameter",
) -> float:
    """A finite real number within the bounds given (closed unless ``*_open``). Booleans are refused.

    Examples
    --------
    >>> finite_number(0.5, "level", low=0, high=1, low_open=True, high_open=True)
    0.5
    >>> finite_number(float("inf"), "horizon_days", low=0, low_open=True, owner="simulate")
    Traceback (most recent call last):
    ...
    attribution.errors.ParameterError: parameter 'horizon_days' of simulate must be a finite number > 0; got inf.
    """
    parts = []
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        rule = f"a finite number in {left}{low:g}, {high:g}{right}"
    else:
        if low is not None:
            parts.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            parts.append(f"{'<' if high_open else '<='} {high:g}")
        rule = "a finite number" + (" " + " and ".join(parts) if parts else "")
    ok = _is_real(value) and math.isfinite(float(value))
    if ok:
        number = float(value)
        if low is not None and (number < low or (low_open and number == low)):
            ok = False
        if high is not None and (number > high or (high_open and number == high)):
            ok = False
    if not ok:
        raise refuse(name, rule, value, owner=owner, fix=fix, error=error, kind=kind)
    return float(value)


def probability(
    value: Any, name: str, *, owner: str | None = None, fix: str | None = None, error: type[Exception] = ParameterError
) -> float:
    """A probability in [0, 1].

    Examples
    --------
    >>> probability(1, "baseline")
    1.0
    """
    return finite_number(value, name, low=0.0, high=1.0, owner=owner, fix=fix, error=error)


def one_of(
    value: Any,
    name: str,
    choices: Collection[Any],
    *,
    owner: str | None = None,
    fix: str | None = None,
    error: type[Exception] = ParameterError,
    kind: str = "parameter",
) -> Any:
    """One of ``choices`` (compared with ``==``; unhashable values are refused, not raised on).

    Examples
    --------
    >>> one_of("exact", "method", ("auto", "exact", "sampling"), owner="Shapley")
    'exact'
    >>> one_of("fast", "method", ("auto", "exact"), owner="Shapley")
    Traceback (most recent call last):
    ...
    attribution.errors.ParameterError: parameter 'method' of Shapley must be one of 'auto', 'exact'; got 'fast'.
    """
    try:
        found = any(value == choice and type(value) is type(choice) for choice in choices)
    except (TypeError, ValueError):
        found = False
    if not found:
        listed = ", ".join(map(repr, choices))
        raise refuse(name, f"one of {listed}", value, owner=owner, fix=fix, error=error, kind=kind)
    return value


def boolean(
    value: Any, name: str, *, owner: str | None = None, error: type[Exception] = ParameterError, kind: str = "parameter"
) -> bool:
    """``True`` or ``False`` (numpy booleans accepted; 0, 1 and strings refused).

    Examples
    --------
    >>> boolean(np.True_, "collapse_repeats")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise refuse(name, "True or False", value, owner=owner, error=error, kind=kind)
    return bool(value)
