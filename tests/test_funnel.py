"""The funnel simulator against a slow, obviously correct walker: one user, one step at a time.

The reference below reads the process as the module docstring of
``attribution.evaluate.funnel`` states it, with plain Python scalars, and takes its random
numbers from the same per-(user, step) streams. The vectorised engine must give the same
event log and, with any channels switched off, the same number of conversions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from attribution.datasets import _sample
from attribution.evaluate import funnel as engine
from attribution.evaluate.simulation import _funnel


def _category(cumulative: np.ndarray, u: float) -> int:
    return min(int((u > cumulative).sum()), len(cumulative) - 1)


def reference(f: engine.Funnel, seed: int, n: int, on: np.ndarray) -> list[tuple[int, float, int, bool, float]]:
    """Every logged row (user, time, channel, converted, value), walked user by user."""
    rng = engine._rng
    user_u = rng(seed, 0).random((7, n))
    step_rows: dict[tuple[int, int], np.ndarray] = {}

    def U(step: int, row: int, user: int) -> float:
        if (step, row) not in step_rows:
            step_rows[step, row] = rng(seed, 1, step, row).random(n)
        return float(step_rows[step, row][user])

    def spread(s: engine.Spread, u: float) -> float:
        return float(engine.Spread.draw(s, np.array([u]))[0])

    lift = np.where(on[:, None], f.lift, 0.0)
    cumulative = f.cumulative_reach()
    same_row = np.zeros(len(f.channels)) if f.same_row is None else f.same_row
    observe = math.inf if f.observe_days is None else f.observe_days
    budgets = engine._poisson(user_u[2], f.mean_touches) if f.mean_touches is not None else None
    out = []
    for user in range(n):
        untracked = user_u[4, user] < f.untracked
        stage = _category(np.cumsum(f.start / f.start.sum()), user_u[0, user])
        budget = -1 if budgets is None else int(budgets[user])
        clock = 0.0 if f.arrival_days is None else user_u[1, user] * f.arrival_days
        steps = f.max_steps if budgets is None else int(budgets.max())
        walking = not untracked and budget != 0 and clock < observe
        converted, last = False, math.nan
        for step in range(steps):
            if not walking:
                break
            channel = _category(cumulative[min(stage, 2)], U(step, 0, user))
            if f.arrival_days is None:
                time = clock + (f.horizon_days - clock) * -math.expm1(math.log(U(step, 3, user)) / budget)
            else:
                time = clock
            moves = stage < 3 and U(step, 1, user) < lift[channel, min(stage, 2)]
            ends = (not moves) and f.leave[min(stage, 2)] > 0 and U(step, 2, user) < f.leave[min(stage, 2)]
            buys = on_row = False
            bought_at = time
            if not f.decide_at_end and moves and stage == 2:
                buys = U(step, 9, user) < f.p_decide
                if buys:
                    on_row = U(step, 5, user) < same_row[channel]
                    bought_at = time if on_row else time + spread(f.delay, U(step, 4, user))
                    if bought_at < observe:
                        out.append(
                            (
                                user,
                                bought_at,
                                channel if on_row else -1,
                                True,
                                round(spread(f.value, U(step, 7, user)), 2),
                            )
                        )
                    converted = True
                    ends = ends or not U(step, 6, user) < f.repeat
            elif moves:
                stage += 1
            if time < observe and not on_row:
                out.append((user, time, channel, False, math.nan))
            last = time
            if f.arrival_days is None:
                budget -= 1
                ends = ends or budget == 0
                clock = time
            else:
                clock = (
                    bought_at + spread(f.comeback, U(step, 8, user)) if buys else time + spread(f.gap, U(step, 3, user))
                )
            walking = not ends and clock < observe
            if f.decide_at_end and ends and stage == 3 and U(step, 9, user) < f.p_decide:
                when = last + spread(f.delay, U(step, 4, user))
                if when < observe:
                    out.append((user, when, -1, True, round(spread(f.value, U(step, 7, user)), 2)))
                converted = True
        if untracked or (not converted and user_u[3, user] < f.baseline):
            when = (
                last + spread(f.delay, user_u[5, user])
                if not math.isnan(last)
                else user_u[5, user] * (f.horizon_days if f.arrival_days is None else min(f.horizon_days, observe))
            )
            if when < observe:
                out.append((user, when, -1, True, round(spread(f.value, user_u[6, user]), 2)))
    return out


def _dass() -> engine.Funnel:
    reach = np.array([1.2, 1.0, 0.8, 0.6, 0.5])
    lift = np.array([[0.3, 0.05, 0.02], [0.25, 0.1, 0.03], [0.1, 0.3, 0.2], [0.02, 0.15, 0.3], [0.0, 0.0, 0.05]])
    return _funnel(["a", "b", "c", "d", "e"], reach, lift, 0.6, 0.05, 30.0, 80.0)


FUNNELS = {"sample": _sample.FUNNEL, "dass": _dass()}


@pytest.mark.parametrize("name", FUNNELS)
def test_the_factual_log_is_the_reference_walk(name: str) -> None:
    funnel, n, seed = FUNNELS[name], 600, 3
    log = engine.run_funnel(funnel, n, seed)
    expected = sorted(reference(funnel, seed, n, np.ones(len(funnel.channels), bool)), key=lambda r: (r[0], r[1], r[3]))
    assert len(log.user) == len(expected) > n
    assert log.user.tolist() == [r[0] for r in expected]
    np.testing.assert_allclose(log.time, [r[1] for r in expected], rtol=1e-12)
    assert log.channel.tolist() == [r[2] for r in expected]
    assert log.converted.tolist() == [r[3] for r in expected]
    np.testing.assert_array_equal(log.value, np.array([r[4] for r in expected]))


@pytest.mark.parametrize("name", FUNNELS)
def test_replays_with_channels_off_count_the_reference_walks_conversions(name: str) -> None:
    funnel, n, seed = FUNNELS[name], 400, 5
    rng = np.random.default_rng(0)
    on = rng.random((6, len(funnel.channels))) < 0.5
    on[0] = True
    on[1] = False
    counts = engine.funnel_conversions(funnel, n, seed, on)
    expected = [sum(r[3] for r in reference(funnel, seed, n, row)) for row in on]
    assert counts.tolist() == expected
    assert counts[0] > counts[1]  # switching every channel off loses conversions
