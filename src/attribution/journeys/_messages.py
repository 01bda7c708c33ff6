"""Uniform error messages for bad journey data: what, which rule, how many, first row, fix."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from attribution._checks import describe
from attribution.errors import JourneyError


def bad_rows(
    subject: str,
    rule: str,
    bad: npt.NDArray[np.bool_],
    *,
    index: Any = None,
    values: Any = None,
    fix: str,
    unit: str = "row",
) -> JourneyError:
    """Build the error for rows that break ``rule``.

    Parameters
    ----------
    subject
        What is checked, e.g. ``"column 'timestamp'"``.
    rule
        The rule, phrased as what must hold, e.g. ``"must not be null"``.
    bad
        Boolean mask of offending rows (at least one is true).
    index
        Labels of the rows (a DataFrame index); positions are used without it.
    values
        The checked values, to quote the first offending one.
    fix
        How to fix the data, as an imperative sentence.
    unit
        What one element is called (``"row"``, ``"path"``, ``"touch"``).
    """
    positions = np.flatnonzero(bad)
    first = int(positions[0])
    label = index[first] if index is not None else first
    where = f"first at index {describe(label)}" if index is not None else f"first at {unit} {first}"
    count = f"{len(positions)} {unit}{'s' if len(positions) != 1 else ''} break{'s' if len(positions) == 1 else ''} it"
    quoted = f" (value {describe(values[first])})" if values is not None else ""
    return JourneyError(f"{subject} {rule}; {count}, {where}{quoted}. Fix: {fix}")


def bad_argument(name: str, rule: str, value: Any, fix: str) -> JourneyError:
    """Build the error for a builder or transform argument that breaks ``rule``."""
    return JourneyError(f"argument {name!r} {rule}; got {describe(value)}. Fix: {fix}")
