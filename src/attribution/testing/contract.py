"""The contract every attribution model keeps, as a runnable check.

Examples
--------
>>> from attribution.models import Linear
>>> check_model(Linear(), max_examples=10)
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import attribution
import attribution.models
from attribution.errors import AttributionError
from attribution.journeys import Journeys
from attribution.models.base import Attribution, Model
from attribution.testing.strategies import journeys

__all__ = ["check_model"]

_RELATIVE = 1e-9


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _RELATIVE * max(1.0, abs(a), abs(b))


def _attribute(model: Model, j: Journeys, needs_nulls: bool = False) -> Attribution | None:
    """The model's result; ``None`` when it refuses journeys with nothing to attribute (allowed), or,
    for a model that ``needs_nulls``, journeys without non-converting counts."""
    try:
        return model.attribute(j)
    except AttributionError:
        if needs_nulls and not float(j.nulls.sum()) > 0:
            return None
        if j.total_conversions - j.unattributed_conversions > 0:
            raise
        return None


def _credits(model: Model, j: Journeys, needs_nulls: bool = False) -> pd.DataFrame | None:
    result = _attribute(model, j, needs_nulls)
    return None if result is None else result.credits


def _needs_times(model: Model) -> bool:
    untimed = Journeys.from_sequences([["a", "b"], ["b"]], conversions=[1, 0], nulls=[0, 1])
    try:
        model.attribute(untimed)
    except AttributionError:
        return True
    return False


def check_model(
    model: Model,
    *,
    max_examples: int = 60,
    check_repr: bool = True,
    single_touch_rule: bool = True,
    needs_nulls: bool = False,
) -> None:
    """Check that ``model`` keeps every invariant of an attribution model.

    On random journeys (hypothesis), it checks: credits plus unattributed equal total
    conversions and value (relative 1e-9); credits are non-negative; relabelling channels
    relabels credits (a model whose parameters name channels provides
    ``renamed(mapping)`` returning the same model over the new labels); row order does not matter; aggregated and raw journeys agree
    (skipped for models that need touch times, which aggregation drops); a single-touch
    path gives its channel all the credit; the journeys are left unchanged; journeys
    with nothing to attribute may be refused with an ``AttributionError``; the result
    is an :class:`~attribution.models.Attribution` indexed by the journeys' channels;
    and ``repr(model)`` rebuilds an equal model (``check_repr=False`` skips this for
    models whose repr is not meant to be evaluated). ``single_touch_rule=False`` skips the
    single-touch check for a model whose definition breaks it on purpose, and says so in
    its documentation (the exact-set conversion-rate Shapley game: a coalition never
    observed is worth 0, so single-channel paths also "lose" value to their rivals; the
    logistic model: a channel whose presence lowers the fitted probability gets nothing).
    ``needs_nulls=True`` allows the model to refuse journeys without non-converting counts
    (the logistic model, whose intercept is then unbounded).

    Raises
    ------
    AssertionError
        Naming the invariant broken, with hypothesis' minimal failing example.
    """
    timed = _needs_times(model)
    strategy = journeys(with_times=True) if timed else journeys()
    run = settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)

    @run
    @given(strategy)
    def efficiency_and_sign(j: Journeys) -> None:
        result = _attribute(model, j, needs_nulls)
        if result is None:
            return
        assert isinstance(result, Attribution), f"attribute returned {type(result).__name__}, not Attribution"
        credits = result.credits
        assert list(credits.index) == list(j.channels), "credits must be indexed by the journeys' channels"
        assert credits.index.name == "channel"
        assert {"conversions", "value", "share"} <= set(credits.columns)
        total = float(credits["conversions"].sum()) + result.unattributed.conversions
        assert _close(total, j.total_conversions), f"credits + unattributed = {total}, not {j.total_conversions}"
        value = float(credits["value"].sum()) + result.unattributed.value
        assert _close(value, j.total_value), f"value credits + unattributed = {value}, not {j.total_value}"
        # conversions on empty paths are always unattributed; a model may report more it cannot share
        assert result.unattributed.conversions >= j.unattributed_conversions - _RELATIVE * max(1.0, j.total_conversions)
        assert (credits[["conversions", "value"]].to_numpy() >= -1e-12).all(), "credits must be non-negative"

    @run
    @given(strategy, st.data())
    def relabelling_and_row_order(j: Journeys, data: st.DataObject) -> None:
        base = _credits(model, j, needs_nulls)
        if base is None:
            return
        names = {c: f"z{len(j.channels) - i:02d}_{c}" for i, c in enumerate(j.channels)}
        # a model whose parameters name channels (LastNonDirect's skip) renames them too
        renamed_model = model.renamed(names) if hasattr(model, "renamed") else model
        relabelled = _credits(renamed_model, j.map_channels(names))
        assert relabelled is not None, "relabelling channels must not change whether a model can attribute"
        renamed = base.rename(index=names).sort_index()
        np.testing.assert_allclose(
            relabelled.to_numpy(),
            renamed.to_numpy(),
            rtol=1e-9,
            atol=1e-12,
            err_msg="relabelling channels must relabel credits",
        )
        order = data.draw(st.permutations(list(range(j.n_rows))))
        shuffled = _credits(model, j[np.asarray(order, dtype=np.int64)], needs_nulls)
        assert shuffled is not None, "row order must not change whether a model can attribute"
        np.testing.assert_allclose(
            shuffled.to_numpy(), base.to_numpy(), rtol=1e-9, atol=1e-12, err_msg="row order must not change credits"
        )

    @run
    @given(strategy)
    def aggregation(j: Journeys) -> None:
        raw = _credits(model, j, needs_nulls)
        if raw is None:
            return
        aggregated = _credits(model, j.aggregate(), needs_nulls)
        assert aggregated is not None, "aggregating must not change whether a model can attribute"
        np.testing.assert_allclose(
            aggregated.to_numpy(),
            raw.to_numpy(),
            rtol=1e-9,
            atol=1e-12,
            err_msg="aggregated journeys must give the same credits",
        )

    @run
    @given(journeys(max_length=1, with_times=True if timed else None))
    def single_touch(j: Journeys) -> None:
        credits = _credits(model, j, needs_nulls)
        if credits is None:
            return
        expected = np.bincount(j.codes, weights=j.conversions[j.lengths == 1], minlength=len(j.channels))
        np.testing.assert_allclose(
            credits["conversions"].to_numpy(),
            expected,
            rtol=1e-9,
            atol=1e-12,
            err_msg="a single-touch path must give its channel all the credit",
        )

    @run
    @given(strategy)
    def inputs_unchanged(j: Journeys) -> None:
        before = copy.deepcopy(j)
        model_before = copy.deepcopy(model)
        _attribute(model, j, needs_nulls)
        assert j == before, "attribute must not modify the journeys"
        assert repr(model) == repr(model_before), "attribute must not modify the model"

    efficiency_and_sign()
    relabelling_and_row_order()
    if not timed:
        aggregation()
    if single_touch_rule:
        single_touch()
    inputs_unchanged()
    if check_repr:
        namespace: dict[str, Any] = {**vars(attribution), **vars(attribution.models)}
        namespace.update(vars(__import__(type(model).__module__, fromlist=["_"])))
        rebuilt = eval(repr(model), namespace)
        assert rebuilt == model, f"repr(model) must rebuild an equal model; {model!r} gave {rebuilt!r}"
