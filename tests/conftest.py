"""Shared fixtures: the worked example D of SPEC.md §7."""

from __future__ import annotations

import pytest

from attribution import Journeys


@pytest.fixture
def spec_journeys() -> Journeys:
    """Data D of SPEC.md §7 (paths, conversions, nulls, value)."""
    return Journeys.from_sequences(
        [["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        conversions=[2, 1, 0, 1, 0],
        nulls=[0, 1, 2, 1, 1],
        value=[200, 50, 0, 30, 0],
    )
