"""Thread safety: concurrent use gives exactly what a single thread gives.

Eight worker threads (``concurrent.futures.ThreadPoolExecutor``) at once:
- attribute one shared ``Journeys`` object with every model (one shared model object too),
  and get results bit-identical to a single-threaded run;
- build journeys from one shared DataFrame (``from_events``, ``from_paths``) or the same
  sequences, and get identical journeys while the caller's frame stays unchanged;
- call the lazily cached ``Journeys.touch_rows()`` on a fresh object, and all get the same,
  read-only array (the cache is never seen half-built).

The interpreter's switch interval is shortened during these tests so threads interleave often.
"""

from __future__ import annotations

import pickle
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest

from attribution import (
    FirstTouch,
    Journeys,
    LastNonDirect,
    LastTouch,
    Linear,
    MarkovChain,
    PositionBased,
    Shapley,
    TimeDecay,
    compare,
)
from attribution.models import Counterfactual, DegenerateChainWarning

WORKERS = 8

MODELS: dict[str, Any] = {
    "FirstTouch": FirstTouch(),
    "LastTouch": LastTouch(),
    "LastNonDirect": LastNonDirect(skip=("C",)),
    "Linear": Linear(),
    "PositionBased": PositionBased.u_shaped(),
    "TimeDecay": TimeDecay("1D"),
    "TimeDecay by position": TimeDecay(2, by="position"),
    "MarkovChain order 1": MarkovChain(),
    "MarkovChain order 2": MarkovChain(order=2),
    "MarkovChain order 3": MarkovChain(order=3),
    "Shapley conversions": Shapley(),
    "Shapley conversion_rate": Shapley(value="conversion_rate"),
    "Shapley markov": Shapley(value="markov"),
    "Shapley sampling seeded": Shapley(value="conversion_rate", method="sampling", n_permutations=40, seed=5),
    "Counterfactual": Counterfactual(),
}


@pytest.fixture(autouse=True)
def _frequent_thread_switches() -> Iterator[None]:
    """Switch threads every microsecond instead of every 5 ms, so races show up."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def _event_log(n_users: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_users * 6
    converted = rng.random(n) < 0.15
    channel = rng.choice(np.array(["A", "B", "C", "D", "E", "F"], dtype=object), size=n)
    channel[converted & (rng.random(n) < 0.5)] = None
    return pd.DataFrame(
        {
            "user": rng.integers(0, n_users, size=n).astype(str),
            "time": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60 * 24 * 30, size=n), unit="min"),
            "channel": channel,
            "converted": converted,
            "value": np.where(converted, rng.integers(1, 200, size=n).astype(float), np.nan),
        }
    )


EVENT_ARGS = {"user": "user", "time": "time", "channel": "channel", "conversion": "converted", "value": "value"}


def _fresh_journeys() -> Journeys:
    """About 1,500 journeys over six channels, with times, users, empty paths and nulls."""
    return Journeys.from_events(_event_log(), **EVENT_ARGS)


@pytest.fixture(scope="module")
def shared() -> Journeys:
    return _fresh_journeys()


def _attribute(model: Any, j: Journeys) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateChainWarning)
        return model.attribute(j)


def _bits(frame: pd.DataFrame) -> bytes:
    return np.ascontiguousarray(frame.to_numpy(dtype=np.float64)).tobytes()


def _assert_identical(got: Any, want: Any) -> None:
    pd.testing.assert_frame_equal(got.credits, want.credits, check_exact=True)
    assert _bits(got.credits) == _bits(want.credits)
    assert tuple(got.unattributed) == tuple(want.unattributed)
    if hasattr(want, "removal_effects"):
        assert _bits(got.removal_effects) == _bits(want.removal_effects)
    if hasattr(want, "raw_values"):
        assert _bits(got.raw_values.to_frame()) == _bits(want.raw_values.to_frame())


def _run_concurrently(tasks: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(task) for task in tasks]
        return [f.result() for f in futures]


# ---------------------------------------------------------------------- attributing
@pytest.mark.parametrize("name", list(MODELS))
def test_threads_attributing_one_journeys_with_one_model_match_a_single_thread(name: str) -> None:
    """Eight threads attributing one fresh Journeys with one shared model give the single-threaded result."""
    model = MODELS[name]
    want = _attribute(model, _fresh_journeys())
    j = _fresh_journeys()  # fresh: its lazy caches are filled while the threads race
    results = _run_concurrently([lambda: _attribute(model, j)] * (2 * WORKERS))
    for got in results:
        _assert_identical(got, want)


def test_threads_running_every_model_at_once_match_a_single_thread(shared: Journeys) -> None:
    """All models interleaved on one Journeys from eight threads give each model's single-threaded result."""
    want = {name: _attribute(model, shared) for name, model in MODELS.items()}
    j = _fresh_journeys()
    names = list(MODELS) * 3
    results = _run_concurrently([lambda name=name: _attribute(MODELS[name], j) for name in names])
    for name, got in zip(names, results, strict=True):
        _assert_identical(got, want[name])


def test_threads_comparing_models_match_a_single_thread(shared: Journeys) -> None:
    """compare() run from eight threads on one Journeys gives the single-threaded long table."""
    models = [MODELS[name] for name in ("Linear", "MarkovChain order 1", "Shapley conversion_rate")]
    want = compare(shared, models).long()
    for got in _run_concurrently([lambda: compare(shared, models).long()] * WORKERS):
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_threads_fitting_one_chain_and_predicting_match_a_single_thread(shared: Journeys) -> None:
    """One fitted Markov chain shared by eight threads gives the same removal effects and predictions."""
    chain = MarkovChain(order=2).fit(shared)
    effects, predictions = chain.removal_effects(), chain.predict_proba(shared)
    results = _run_concurrently([lambda: (chain.removal_effects(), chain.predict_proba(shared))] * (2 * WORKERS))
    for got_effects, got_predictions in results:
        assert _bits(got_effects) == _bits(effects)
        np.testing.assert_array_equal(got_predictions, predictions)


@pytest.mark.parametrize("order", [1, 3])
def test_threads_sharing_an_unpickled_chain_rebuild_its_solver_safely(shared: Journeys, order: int) -> None:
    """An unpickled chain (its LU cache empty) used by eight threads at once gives the original's numbers."""
    chain = MarkovChain(order=order).fit(shared)
    effects = chain.removal_effects()
    copy = pickle.loads(pickle.dumps(chain))
    barrier = threading.Barrier(WORKERS)

    def use() -> pd.DataFrame:
        barrier.wait(timeout=30)
        return copy.removal_effects()

    for got in _run_concurrently([use] * WORKERS):
        assert _bits(got) == _bits(effects)


# ---------------------------------------------------------------------- building
def test_threads_building_from_one_event_log_get_identical_journeys() -> None:
    """from_events on one shared DataFrame from eight threads gives equal journeys; the frame is unchanged."""
    log = _event_log(seed=1)
    before = log.copy(deep=True)
    want = Journeys.from_events(log, **EVENT_ARGS)
    options = [{}, {"lookback": "3D"}, {"max_touches": 2}, {"split_on_conversion": False}]
    wants = [Journeys.from_events(log, **EVENT_ARGS, **o) for o in options]
    tasks = [lambda o=o: Journeys.from_events(log, **EVENT_ARGS, **o) for o in options] * 4
    for got, expected in zip(_run_concurrently(tasks), wants * 4, strict=True):
        assert got == expected
    assert wants[0] == want
    pd.testing.assert_frame_equal(log, before, check_exact=True)


def test_threads_building_from_one_path_table_get_identical_journeys(shared: Journeys) -> None:
    """from_paths on one shared table from eight threads gives equal journeys; the table is unchanged."""
    table = shared.aggregate().to_frame()
    before = table.copy(deep=True)
    args = {"path": "path", "conversions": "conversions", "nulls": "nulls", "value": "value"}
    want = Journeys.from_paths(table, **args)
    for got in _run_concurrently([lambda: Journeys.from_paths(table, **args)] * (2 * WORKERS)):
        assert got == want
    pd.testing.assert_frame_equal(table, before, check_exact=True)


def test_threads_building_from_the_same_sequences_get_identical_journeys(shared: Journeys) -> None:
    """from_sequences on the same shared lists and arrays from eight threads gives equal journeys."""
    paths = [list(p) for p in shared.paths()]
    conversions, nulls, value = shared.conversions.copy(), shared.nulls.copy(), shared.value.copy()

    def build() -> Journeys:
        return Journeys.from_sequences(paths, conversions=conversions, nulls=nulls, value=value)

    want = build()
    for got in _run_concurrently([build] * (2 * WORKERS)):
        assert got == want


# ---------------------------------------------------------------------- the lazy cache
def test_touch_rows_cache_is_safe_under_concurrency() -> None:
    """Eight threads released together calling touch_rows() on a fresh Journeys all get the right read-only array."""
    for _ in range(5):  # a few fresh objects: each race starts with an empty cache
        j = _fresh_journeys()
        want = np.repeat(np.arange(j.n_rows), j.lengths)
        barrier = threading.Barrier(WORKERS)

        def call(j: Journeys = j, barrier: threading.Barrier = barrier) -> np.ndarray:
            barrier.wait(timeout=30)
            return j.touch_rows()

        results = _run_concurrently([call] * WORKERS)
        for rows in results:
            np.testing.assert_array_equal(rows, want)
            assert not rows.flags.writeable
        assert j.touch_rows() is j.touch_rows()
        np.testing.assert_array_equal(j.touch_rows(), want)


def test_touch_rows_and_models_racing_on_a_fresh_journeys_match_a_single_thread() -> None:
    """Models that use touch_rows() racing with direct touch_rows() calls on a fresh object stay correct."""
    names = ["Shapley conversion_rate", "Counterfactual", "Linear", "Shapley conversions"]
    want = {name: _attribute(MODELS[name], _fresh_journeys()) for name in names}
    j = _fresh_journeys()
    expected_rows = np.repeat(np.arange(j.n_rows), j.lengths)
    tasks: list[Callable[[], Any]] = []
    for name in names:
        tasks.append(lambda name=name: (name, _attribute(MODELS[name], j)))
        tasks.append(lambda: ("rows", j.touch_rows()))
    for kind, got in _run_concurrently(tasks * 2):
        if kind == "rows":
            np.testing.assert_array_equal(got, expected_rows)
        else:
            _assert_identical(got, want[kind])
