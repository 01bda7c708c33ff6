"""Rule-based models: SPEC.md §8 exactly, the extra cases, conventions, parameters, contract."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from attribution import AttributionError, Journeys, ParameterError
from attribution.models import FirstTouch, LastNonDirect, LastTouch, Linear, PositionBased, TimeDecay
from attribution.testing import check_model
from attribution.testing.strategies import journeys

DAY = 86_400.0


@pytest.fixture
def timed_spec() -> Journeys:
    """Data D of SPEC.md §7 with its days before conversion (null-only rows get arbitrary times)."""
    return Journeys.from_sequences(
        [["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        conversions=[2, 1, 0, 1, 0],
        nulls=[0, 1, 2, 1, 1],
        value=[200, 50, 0, 30, 0],
        times=[[14 * DAY, 7 * DAY, 0], [7 * DAY, 0], [0], [0], [DAY, 0]],
    )


def _conversions(model: object, j: Journeys) -> list[float]:
    return model.attribute(j).credits["conversions"].tolist()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (FirstTouch(), [3, 0, 1]),
        (LastTouch(), [0, 0, 4]),
        (Linear(), [Fraction(7, 6), Fraction(2, 3), Fraction(13, 6)]),
        (PositionBased.u_shaped(), [1.3, 0.4, 2.3]),
        (PositionBased.j_curve(), [0.65, 0.4, 2.95]),
        (PositionBased.inverse_j(), [1.95, 0.4, 1.65]),
        (TimeDecay("7D"), [Fraction(13, 21), Fraction(4, 7), Fraction(59, 21)]),
    ],
    ids=lambda x: repr(x) if not isinstance(x, list) else "",
)
def test_spec_section_8(timed_spec: Journeys, model: object, expected: list[float]) -> None:
    assert _conversions(model, timed_spec) == pytest.approx([float(e) for e in expected], rel=1e-12)


def test_value_uses_the_conversion_weights(timed_spec: Journeys) -> None:
    """Linear value: A 200/3 + 25, B 200/3, C 200/3 + 25 + 30."""
    value = Linear().attribute(timed_spec).credits["value"].tolist()
    assert value == pytest.approx([200 / 3 + 25, 200 / 3, 200 / 3 + 25 + 30], rel=1e-12)


def test_repeated_channel_gets_every_touch_weight() -> None:
    """SPEC §8: A > A > B, one conversion — linear 2/3, 1/3; U-shaped 0.6, 0.4."""
    j = Journeys.from_sequences([["A", "A", "B"]], conversions=[1])
    assert _conversions(Linear(), j) == pytest.approx([2 / 3, 1 / 3])
    assert _conversions(PositionBased.u_shaped(), j) == pytest.approx([0.6, 0.4])


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (PositionBased.u_shaped(), [0.5, 0.5]),
        (PositionBased.j_curve(), [0.25, 0.75]),
        (PositionBased.inverse_j(), [0.75, 0.25]),
        (PositionBased(0, 1, 0), [0.5, 0.5]),
    ],
)
def test_two_touches_ignore_the_middle_share(model: PositionBased, expected: list[float]) -> None:
    j = Journeys.from_sequences([["A", "B"]], conversions=[1])
    assert _conversions(model, j) == pytest.approx(expected)


def test_time_decay_three_two_zero_days() -> None:
    j = Journeys.from_sequences([["A", "B", "C"]], conversions=[1], times=[[3 * DAY, 2 * DAY, 0]])
    assert _conversions(TimeDecay(7), j) == pytest.approx([0.289856, 0.320027, 0.390117], abs=5e-7)


def test_time_decay_matches_adobes_published_example() -> None:
    """Touches 0, 0, 6, 9 days before a $50 order, half-life 7 days: 33.8 %, 33.8 %, 18.6 %, 13.8 %."""
    j = Journeys.from_sequences([["D", "C", "B", "A"]], conversions=[1], value=[50], times=[[9 * DAY, 6 * DAY, 0, 0]])
    shares = TimeDecay(pd.Timedelta(days=7)).attribute(j).credits["share"]
    assert shares.round(3).to_dict() == {"A": 0.338, "B": 0.338, "C": 0.186, "D": 0.138}


def test_time_decay_half_life_forms_are_equivalent(timed_spec: Journeys) -> None:
    expected = _conversions(TimeDecay("7D"), timed_spec)
    for half_life in (7, 7.0, "168h", pd.Timedelta(days=7), np.timedelta64(7, "D")):
        assert _conversions(TimeDecay(half_life), timed_spec) == pytest.approx(expected, rel=1e-12)


def test_time_decay_without_times_says_how_to_get_them(spec_journeys: Journeys) -> None:
    with pytest.raises(AttributionError, match=r"needs the time of every touch.*from_events.*by='position'"):
        TimeDecay().attribute(spec_journeys)


def test_time_decay_by_position_is_explicit(spec_journeys: Journeys) -> None:
    """w_i ∝ 2^(−(L−i)/h): with h = 1 the path A > B > C weighs 1/4, 1/2, 1, normalised."""
    j = Journeys.from_sequences([["A", "B", "C"]], conversions=[7])
    assert _conversions(TimeDecay(1, by="position"), j) == pytest.approx([1, 2, 4])


@given(journeys(with_times=True))
def test_time_decay_tends_to_linear_and_last_touch(j: Journeys) -> None:
    np.testing.assert_allclose(_conversions(TimeDecay(1e9), j), _conversions(Linear(), j), rtol=1e-6, atol=1e-9)
    # as h → 0 only touches at the very time of the last one keep weight; make times distinct
    distinct = Journeys.from_sequences(
        [list(p) for p in j.paths()],
        conversions=j.conversions,
        nulls=j.nulls,
        value=j.value,
        times=[[float(len(p) - i) * 3600 for i in range(len(p))] for p in j.paths()],
    )
    np.testing.assert_allclose(
        _conversions(TimeDecay(1e-9), distinct), _conversions(LastTouch(), distinct), rtol=1e-9, atol=1e-9
    )


def test_last_non_direct_skips_direct_unless_all_direct() -> None:
    j = Journeys.from_sequences(
        [["Email", "Direct", "Direct"], ["Direct", "Direct"], ["Social"]], conversions=[1, 2, 4]
    )
    assert LastNonDirect().attribute(j).credits["conversions"].to_dict() == {"Direct": 2, "Email": 1, "Social": 4}
    custom = LastNonDirect(skip=("Direct", "Email"))
    assert custom.attribute(j).credits["conversions"].to_dict() == {"Direct": 3, "Email": 0, "Social": 4}


def test_unattributed_conversions_are_reported_not_dropped() -> None:
    j = Journeys.from_sequences([["A"], []], conversions=[1, 3], value=[10, 30])
    result = Linear().attribute(j)
    assert result.unattributed == (3.0, 30.0)
    assert result.credits["conversions"].tolist() == [1.0]
    assert result.credits["share"].tolist() == [1.0]
    assert (result.total_conversions, result.total_value) == (4.0, 40.0)


def test_path_level_credits_join_back_to_rows(spec_journeys: Journeys) -> None:
    result = PositionBased.u_shaped().attribute(spec_journeys, per_path=True)
    matrix = result.path_credits()
    assert matrix.shape == (5, 3)
    np.testing.assert_allclose(matrix.sum(axis=0), result.credits["conversions"].to_numpy())
    np.testing.assert_allclose(matrix.toarray()[0], [0.8, 0.4, 0.8])  # A > B > C with 2 conversions
    frame = result.path_credits_frame()
    assert list(frame.columns) == ["row", "channel", "conversions", "value"]
    first_row = frame[frame["row"] == 0].set_index("channel")
    assert first_row["value"].to_dict() == pytest.approx({"A": 80.0, "B": 40.0, "C": 80.0})
    with pytest.raises(AttributionError, match=r"per_path=True"):
        Linear().attribute(spec_journeys).path_credits()


def test_result_is_immutable_and_prints(spec_journeys: Journeys) -> None:
    result = Linear().attribute(spec_journeys)
    table = result.credits
    table.loc["A", "conversions"] = 99.0
    assert result.credits.loc["A", "conversions"] == pytest.approx(7 / 6)
    assert repr(result).startswith("Attribution: Linear\n")
    assert "unattributed: 0 conversions" in repr(result)
    assert "<table" in result._repr_html_()
    assert list(result.to_frame().columns) == ["model", "channel", "conversions", "value", "share"]


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (
            lambda: PositionBased(-0.1, 0.2, 0.4),
            r"parameter 'first' of PositionBased must be a finite number >= 0; got -0.1",
        ),
        (lambda: PositionBased(0, 0, 0), r"must not all be 0; got \(0, 0, 0\)"),
        (
            lambda: PositionBased(0.4, "x", 0.4),
            r"parameter 'middle' of PositionBased must be a finite number >= 0; got 'x'",
        ),
        (lambda: TimeDecay(0), r"argument 'half_life' must be a positive, finite number of days; got 0"),
        (lambda: TimeDecay("-7D"), r"argument 'half_life' must be a positive duration; got '-7D'"),
        (lambda: TimeDecay("7D", by="hour"), r"parameter 'by' of TimeDecay must be 'time' or 'position'; got 'hour'"),
        (lambda: TimeDecay("7D", by="position"), r"must be a positive number of touches; got '7D'"),
        (lambda: LastNonDirect(skip="Direct"), r"parameter 'skip' of LastNonDirect must be a tuple of channel labels"),
    ],
)
def test_parameters_are_validated_at_creation(factory: object, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        factory()  # type: ignore[operator]


def test_parameter_error_is_a_value_error() -> None:
    assert issubclass(ParameterError, ValueError)


def test_names_describe_the_configuration() -> None:
    assert PositionBased.u_shaped().name == "U-shaped (40/20/40)"
    assert PositionBased(1, 1, 2).name == "Position-based (25/25/50)"
    assert TimeDecay("36h").name == "Time decay (36h)"


@pytest.mark.parametrize(
    "model",
    [
        FirstTouch(),
        LastTouch(),
        LastNonDirect(),
        LastNonDirect(skip=("A", "B")),
        Linear(),
        PositionBased.u_shaped(),
        PositionBased.j_curve(),
        PositionBased.inverse_j(),
        PositionBased(0, 1, 0),
        TimeDecay(),
        TimeDecay(1.5, by="position"),
    ],
    ids=repr,
)
def test_contract(model: object) -> None:
    check_model(model, max_examples=40)  # type: ignore[arg-type]


@given(journeys(), st.sampled_from([FirstTouch(), LastTouch(), Linear(), PositionBased(0.3, 0.3, 0.4)]))
def test_fast_weights_match_per_path_python(j: Journeys, model: object) -> None:
    """Against the weights written out per path in plain Python (SPEC §3)."""

    def weights(path_length: int) -> list[float]:
        if isinstance(model, FirstTouch):
            return [1.0] + [0.0] * (path_length - 1)
        if isinstance(model, LastTouch):
            return [0.0] * (path_length - 1) + [1.0]
        if isinstance(model, Linear):
            return [1 / path_length] * path_length
        first, middle, last = 0.3, 0.3, 0.4
        if path_length == 1:
            return [1.0]
        if path_length == 2:
            return [first / (first + last), last / (first + last)]
        return [first] + [middle / (path_length - 2)] * (path_length - 2) + [last]

    expected = dict.fromkeys(j.channels, 0.0)
    for path, conversions in zip(j.paths(), j.conversions, strict=True):
        for channel, w in zip(path, weights(len(path)) if path else [], strict=True):
            expected[channel] += conversions * w
    assert _conversions(model, j) == pytest.approx(list(expected.values()), rel=1e-9, abs=1e-12)


def test_shares_sum_to_one(spec_journeys: Journeys) -> None:
    shares = Linear().attribute(spec_journeys).shares
    assert shares.sum() == pytest.approx(1.0)
    assert shares["C"] == pytest.approx((13 / 6) / 4)


@given(
    journeys(with_times=True),
    st.sampled_from([Linear(), PositionBased.u_shaped(), TimeDecay("2D"), TimeDecay(1.5, by="position")]),
    st.integers(1, 5),
)
def test_credits_summed_over_small_row_blocks_equal_the_whole_table(j: Journeys, model: object, block: int) -> None:
    """Block-by-block credits (blocks of a few touches, the route of large tables) equal the
    credits from one weight vector over the whole table (the per-path route)."""
    from unittest import mock

    assert isinstance(model, (Linear, PositionBased, TimeDecay))
    whole = model.attribute(j, per_path=True).credits
    with mock.patch("attribution.models.base.TOUCHES_PER_BLOCK", block):
        blocked = model.attribute(j).credits
    pd.testing.assert_frame_equal(blocked, whole, check_exact=False, rtol=1e-12, atol=1e-9)
