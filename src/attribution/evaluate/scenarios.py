"""Named worlds for the funnel simulator, and a benchmark of which model recovers their truth.

A scenario is one setting of the funnel of :mod:`attribution.evaluate.funnel`: a world a
marketer may live in, with a known causal truth. :data:`SCENARIOS` holds four of them by name
(each one's ``description`` says what world it is, in plain words, with its parameters):

- ``"default"``: the funnel of :func:`~attribution.evaluate.simulate` at its defaults;
- ``"harvesting"``: a closing channel (Brand Search) that reaches users late, when they
  have mostly decided already, so it is the last touch of many purchases it did not cause;
- ``"organic"``: the default funnel with heavy organic demand, so that most purchases
  would happen with every channel switched off;
- ``"synergy"``: channels that only work together, awareness channels that cannot close
  and closing channels that cannot create demand, so no channel converts anyone alone.

No scenario lets users drop out, so that a touch can only help: a user walked with more
channels switched on is never at an earlier stage (the walks share their random numbers),
the true game is monotone and both truths are >= 0.

:func:`recovery_benchmark` simulates every scenario with every seed, builds the journeys,
runs every model and scores its shares against both truths of the simulation with
:func:`~attribution.evaluate.score`: the incremental shares (conversions lost when one
channel alone is switched off, as shares) and the Shapley shares (the Shapley value of the
true game v(S) = conversions with only the channels in S on). Errors are averaged over the
seeds, with their standard deviation.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution._checks import integer, refuse
from attribution._durations import parse_duration
from attribution.compare import compare, default_models
from attribution.errors import ParameterError
from attribution.evaluate.funnel import Funnel, funnel_truth, run_funnel, truth_table
from attribution.evaluate.scoring import score
from attribution.evaluate.simulation import DEFAULT_CHANNELS, MAX_USERS, Simulation, _event_log, _funnel
from attribution.journeys import Journeys
from attribution.models.base import Model
from attribution.models.registry import MODELS, model_named, normalise_model_name

__all__ = ["SCENARIOS", "TRUTHS", "MEASURES", "Scenario", "recovery_benchmark"]

FloatArray = npt.NDArray[np.float64]

MAX_CHANNELS = 10  # the exact Shapley truth replays 2^C coalitions
TRUTHS = ("incremental", "shapley")  # the truths every model is scored against
MEASURES = ("mean_abs_error", "max_abs_error", "total_variation", "rank_correlation")  # columns of score()
_OWNER = "recovery_benchmark"


@dataclass(frozen=True, repr=False)
class Scenario:
    """A named world of the funnel simulator.

    Attributes
    ----------
    name
        The scenario's name (its key in :data:`SCENARIOS`).
    build
        A function of no arguments that returns the :class:`~attribution.evaluate.funnel.Funnel`
        of the world; its docstring describes the world (see :attr:`description`). A new
        scenario is ``Scenario("mine", lambda: dataclasses.replace(SCENARIOS["default"].funnel(), baseline=0.2))``.

    Examples
    --------
    >>> SCENARIOS["harvesting"]
    <Scenario 'harvesting': A closing channel harvests demand created upstream.>
    >>> SCENARIOS["harvesting"].funnel().channels
    ('Display', 'Social', 'Email', 'Brand Search')
    >>> sim = SCENARIOS["organic"].simulate(2_000, seed=0)
    >>> sim.conversions_without_channels / sim.conversions > 0.5
    True
    """

    name: str
    build: Callable[[], Funnel]

    @property
    def description(self) -> str:
        """What world the scenario describes, in plain words, with its parameters (the docstring of ``build``)."""
        return inspect.getdoc(self.build) or ""

    @property
    def summary(self) -> str:
        """The first line of :attr:`description`."""
        return self.description.split("\n", 1)[0]

    def funnel(self) -> Funnel:
        """A fresh :class:`~attribution.evaluate.funnel.Funnel` of the scenario."""
        built = self.build()
        if not isinstance(built, Funnel):
            raise ParameterError(
                f"scenario {self.name!r} must build a Funnel; its build function returned {type(built).__name__}. "
                "Fix: return an attribution.evaluate.funnel.Funnel, e.g. dataclasses.replace(SCENARIOS['default']"
                ".funnel(), baseline=0.2)."
            )
        return built

    def simulate(self, n_users: int, *, seed: int) -> Simulation:
        """Simulate ``n_users`` users of this world, with its truth (as :func:`~attribution.evaluate.simulate`).

        Parameters
        ----------
        n_users
            Number of users: an integer in [1, 10^9].
        seed
            Seed of the random numbers (an integer >= 0); the same seed gives the same simulation.

        Returns
        -------
        Simulation
            The event log and the truth per channel (exact Shapley values up to 10
            channels, NaN beyond); ``parameters`` holds ``scenario``, ``n_users``, ``seed``
            and the ``funnel``. For ``"default"`` the log and the truth are those of
            ``simulate(n_users, seed=seed)``.
        """
        n_users = integer(n_users, "n_users", low=1, high=MAX_USERS, owner=f"Scenario {self.name!r}.simulate")
        seed = integer(seed, "seed", low=0, owner=f"Scenario {self.name!r}.simulate", fix="pass e.g. seed=0.")
        funnel = self.funnel()
        names = list(funnel.channels)
        log = run_funnel(funnel, n_users, seed)
        incremental, shapley, total, without = funnel_truth(funnel, n_users, seed, shapley=len(names) <= MAX_CHANNELS)
        return Simulation(
            events=_event_log(log, names),
            truth=truth_table(names, incremental, shapley),
            conversions=total,
            baseline_conversions=total - log.funnel_conversions,
            conversions_without_channels=without,
            parameters={"scenario": self.name, "n_users": n_users, "seed": seed, "funnel": funnel},
        )

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {self.summary}>"


def _channels(
    table: Mapping[str, tuple[float, tuple[float, float, float]]],
) -> tuple[list[str], FloatArray, FloatArray]:
    names = list(table)
    reach = np.array([table[name][0] for name in names], dtype=np.float64)
    lift = np.array([table[name][1] for name in names], dtype=np.float64)
    return names, reach, lift


def _default() -> Funnel:
    """The funnel of simulate() at its defaults.

    Five channels from awareness to closing, each reaching users at random whatever their
    stage (mean touches per user; lift out of stage 0 / 1 / 2): Display 1.2 (0.30, 0.05,
    0.02), Social 1.0 (0.25, 0.10, 0.03), Search 0.8 (0.10, 0.30, 0.20), Email 0.6 (0.02,
    0.15, 0.30), Direct 0.5 (0.00, 0.00, 0.05). Users start unaware and have a Poisson
    budget of 4.1 touches over 30 days; a user who reaches the deciding stage buys after
    the last touch with probability ``p_decide`` = 0.6, and any user buys with no help
    with probability ``baseline`` = 0.01 (about half the purchases). Direct is frequent
    and causes almost nothing; Search, which moves users through the middle, causes most.
    """
    names, reach, lift = _channels(DEFAULT_CHANNELS)
    return _funnel(names, reach, lift, p_decide=0.6, baseline=0.01, horizon_days=30.0, mean_value=80.0)


def _harvesting() -> Funnel:
    """A closing channel harvests demand created upstream.

    Brand Search is where users who have made up their minds go to buy: it takes 60 % of
    the touches of users who consider or have decided, and 5 % / 10 % of those of unaware
    and aware users, but a brand search moves almost nobody on (lift 0.00 / 0.02 / 0.03
    out of stage 0 / 1 / 2). The demand is created upstream: Display (reach 0.45 / 0.15 /
    0.05 of the touches at stage 0 / 1 / 2, lift 0.30 / 0.05 / 0.02) and Social (reach
    0.35 / 0.30 / 0.10, lift 0.25 / 0.25 / 0.05) make users aware, Email (reach 0.15 /
    0.45 / 0.25, lift 0.02 / 0.30 / 0.35) moves them to a decision. Users start unaware
    with a Poisson budget of 5 touches over 30 days; deciders buy after their last touch
    with probability 0.7 (``p_decide``), and 1 % of users buy with no help (``baseline``).
    A user who has decided keeps searching for the brand until the purchase, so Brand
    Search is the last touch of about 40 % of purchases while it causes about 6 % of
    them: last-touch models reward the harvest, not the sowing (as in Blake, Nosko &
    Tadelis 2015, where eBay's brand-keyword ads turned out to cause almost no sales).
    """
    reach = np.array(
        [
            [0.45, 0.15, 0.05],  # Display: mostly unaware users
            [0.35, 0.30, 0.10],  # Social
            [0.15, 0.45, 0.25],  # Email: aware and considering users
            [0.05, 0.10, 0.60],  # Brand Search: considering and decided users
        ]
    )
    lift = np.array(
        [
            [0.30, 0.05, 0.02],
            [0.25, 0.25, 0.05],
            [0.02, 0.30, 0.35],
            [0.00, 0.02, 0.03],
        ]
    )
    simulated = _default()  # its purchase delays and order values
    return Funnel(
        channels=("Display", "Social", "Email", "Brand Search"),
        reach=reach,
        lift=lift,
        mean_touches=5.0,
        p_decide=0.7,
        decide_at_end=True,
        baseline=0.01,
        horizon_days=30.0,
        delay=simulated.delay,
        value=simulated.value,
    )


def _organic() -> Funnel:
    """Heavy organic demand: most purchases would happen with every channel switched off.

    The default funnel (the same five channels, Display, Social, Search, Email and Direct,
    with the same reach and lifts, ``p_decide`` = 0.6 and 4.1 touches over 30 days) in a
    market where 5 % of users buy with no help (``baseline`` = 0.05, five times the
    default) and 1 % of users never meet a channel and only buy (``untracked`` = 0.01:
    purchases with no tracked touch, which no model can attribute). About 87 % of the
    purchases are organic. A touched organic buyer's journey looks like any other
    converting journey, so every model hands the organic purchases to whichever channels
    happened to touch those buyers, in proportion to reach rather than effect; the truth
    gives channels only the purchases they cause.
    """
    return dataclasses.replace(_default(), baseline=0.05, untracked=0.01)


_SYNERGY_CHANNELS: dict[str, tuple[float, tuple[float, float, float]]] = {
    # channel: (mean touches per user, lift out of stage 0 / 1 / 2)
    "Video": (1.0, (0.45, 0.30, 0.00)),
    "Display": (1.0, (0.35, 0.25, 0.00)),
    "Search": (0.8, (0.00, 0.00, 0.50)),
    "Email": (0.6, (0.00, 0.00, 0.45)),
}


def _synergy() -> Funnel:
    """Channels that only work together: no channel converts anyone on its own.

    Video and Display create demand but cannot close: they move unaware users to awareness
    (lift 0.45 and 0.35) and aware users to consideration (0.30 and 0.25), never a
    considering user to a decision (0.00). Search and Email close but cannot create demand:
    they move considering users to a decision (lift 0.50 and 0.45) and nobody else (0.00
    out of stages 0 and 1). Channels reach users at random whatever their stage (mean
    touches per user: Video 1.0, Display 1.0, Search 0.8, Email 0.6, a Poisson budget of
    3.4 over 30 days, as in ``simulate()``); users start unaware, deciders buy after their
    last touch with probability 0.6 and 1 % of users buy with no help. With one channel on
    nobody buys but the organic buyers (every single-channel lift is 0), while a demand
    channel and a closer together sell: the lift of the pair is far above the sum of their
    lifts, and switching one channel off loses more than its Shapley share (the
    incremental conversions add up to more than the conversions channels cause).
    """
    names, reach, lift = _channels(_SYNERGY_CHANNELS)
    return _funnel(names, reach, lift, p_decide=0.6, baseline=0.01, horizon_days=30.0, mean_value=80.0)


SCENARIOS: Mapping[str, Scenario] = MappingProxyType(
    {
        "default": Scenario("default", _default),
        "harvesting": Scenario("harvesting", _harvesting),
        "organic": Scenario("organic", _organic),
        "synergy": Scenario("synergy", _synergy),
    }
)
"""The named scenarios, read-only: name → :class:`Scenario` (see the module docstring)."""


def _scenarios(scenarios: Any) -> list[Scenario]:
    """The scenarios asked for, by name or as :class:`Scenario` objects, each once."""
    known = ", ".join(map(repr, SCENARIOS))
    if scenarios is None:
        return list(SCENARIOS.values())
    if isinstance(scenarios, (str, Scenario)):
        scenarios = [scenarios]
    if not isinstance(scenarios, Sequence) or not scenarios:
        raise refuse(
            "scenarios",
            f"a non-empty list of scenario names ({known}) or Scenario objects",
            scenarios,
            owner=_OWNER,
            fix="pass e.g. scenarios=['default', 'harvesting'], or None for all of them.",
        )
    chosen: list[Scenario] = []
    for item in scenarios:
        if isinstance(item, str) and item in SCENARIOS:
            chosen.append(SCENARIOS[item])
        elif isinstance(item, Scenario) and isinstance(item.name, str) and item.name:
            chosen.append(item)
        else:
            raise refuse(
                "scenarios",
                f"a list of scenario names ({known}) or Scenario objects",
                item,
                owner=_OWNER,
                fix=f"name one of {known}, or pass Scenario(name, build) for a world of your own.",
            )
    names = [s.name for s in chosen]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise refuse(
            "scenarios",
            "a list of distinct scenarios",
            scenarios,
            owner=_OWNER,
            fix=f"{repeated[0]!r} appears more than once: list each scenario once (seeds repeat the simulation).",
        )
    for scenario in chosen:
        channels = scenario.funnel().channels
        if not 1 <= len(channels) <= MAX_CHANNELS:
            raise refuse(
                "scenarios",
                f"scenarios of 1 to {MAX_CHANNELS} channels (the exact Shapley truth replays 2^C coalitions)",
                scenario,
                owner=_OWNER,
                fix=f"scenario {scenario.name!r} has {len(channels)} channels: merge some of them.",
            )
    return chosen


def _models(models: Any) -> list[Model] | None:
    """The models asked for, as objects (None: compare's defaults for each simulation)."""
    if models is None:
        return None
    if isinstance(models, (str, Model)):
        models = [models]
    rule = f"a non-empty list of models or registered names ({', '.join(MODELS)})"
    if not isinstance(models, Sequence) or not models:
        raise refuse("models", rule, models, owner=_OWNER, fix="pass e.g. models=['last_touch', 'markov'].")
    chosen: list[Model] = []
    for item in models:
        if isinstance(item, str) and normalise_model_name(item) in MODELS:
            chosen.append(model_named(item))
        elif not isinstance(item, str) and isinstance(item, Model):
            chosen.append(item)
        else:
            raise refuse(
                "models",
                f"a list of models or registered names ({', '.join(MODELS)})",
                item,
                owner=_OWNER,
                fix="name a registered model, or pass a model object (e.g. MarkovChain(order=2)).",
            )
    names = [m.name for m in chosen]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise refuse(
            "models",
            "a list of models with distinct names",
            models,
            owner=_OWNER,
            fix=f"{repeated[0]!r} appears more than once: list each model once.",
        )
    return chosen


def _seeds(seeds: Any) -> list[int]:
    rule = "a non-empty sequence of distinct integers >= 0"
    fix = "pass e.g. seeds=(0, 1, 2) or seeds=range(5)."
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, np.ndarray)) or len(seeds) == 0:
        raise refuse("seeds", rule, seeds, owner=_OWNER, fix=fix)
    checked = [integer(s, "seeds", low=0, owner=_OWNER, fix=fix) for s in seeds]
    if len(set(checked)) != len(checked):
        raise refuse("seeds", rule, seeds, owner=_OWNER, fix="list each seed once; " + fix)
    return checked


def recovery_benchmark(
    models: Sequence[Model | str] | str | None = None,
    scenarios: Sequence[str | Scenario] | str | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    n_users: int = 100_000,
    lookback: str | pd.Timedelta | float | None = None,
) -> pd.DataFrame:
    """How well each model recovers the true channel shares of each scenario, over several seeds.

    For every scenario and seed: simulate ``n_users`` users (:meth:`Scenario.simulate`),
    build their journeys (:meth:`~attribution.Journeys.from_events`, split on conversions,
    with ``lookback``), run every model (:func:`~attribution.compare`) and score each
    model's shares against the incremental and the Shapley truth
    (:func:`~attribution.evaluate.score`). The errors are averaged over the seeds.

    Parameters
    ----------
    models
        Model objects or registered names, as :func:`~attribution.compare` takes them;
        ``None`` (default): compare's default models for the simulated journeys.
    scenarios
        Names from :data:`SCENARIOS` or :class:`Scenario` objects (distinct, each of 1
        to 10 channels); ``None`` (default): every scenario of :data:`SCENARIOS`.
    seeds
        Distinct integers >= 0: one simulation per scenario and seed.
    n_users
        Users per simulation, an integer in [1, 10^9]. The default, 100,000, runs the
        default benchmark (4 scenarios × 3 seeds × compare's default models) in about
        10 s on 2 cores and picks the same winners as 500,000 users do. Smaller
        populations are noisier: the truth rests on fewer purchases and data-driven
        models estimate less well (the logistic model's error in the default world is
        0.047 at 20,000 users, 0.010 at 500,000), so compare models by their mean over
        seeds against the ``_std`` columns.
    lookback
        Passed to :meth:`~attribution.Journeys.from_events`: drop touches more than this
        long before the journey's end (``"7D"``, a timedelta or a number of days);
        ``None``: no window (simulated touches span 30 days).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``model`` (in the order run) and ``scenario`` (in the order given), one
        row each. For each truth ``t`` in ``incremental``, ``shapley`` and each measure
        ``m`` of :func:`~attribution.evaluate.score` — ``mean_abs_error`` (mean over
        channels of |model share − true share|), ``max_abs_error``, ``total_variation``
        (the share of credit in the wrong place) and ``rank_correlation`` (Spearman's ρ
        between the model's and the true shares) — the column ``m_t`` holds its mean over
        the seeds and ``m_t_std`` its standard deviation over the seeds (NaN with one
        seed). A rank correlation that is undefined for a seed (equal shares) is left out
        of its mean.

    Raises
    ------
    ParameterError
        An unknown scenario or model name (the message lists the known ones), repeated
        scenarios, models or seeds, a bad ``n_users``, seed or ``lookback``, or a
        population so small that no channel caused a conversion (nothing to recover).

    Examples
    --------
    >>> table = recovery_benchmark(["last_touch", "linear"], ["harvesting"], seeds=(0, 1), n_users=5_000)
    >>> table["mean_abs_error_shapley"].round(2)
    model       scenario
    Last touch  harvesting    0.17
    Linear      harvesting    0.08
    Name: mean_abs_error_shapley, dtype: float64
    """
    chosen_models = _models(models)
    chosen_scenarios = _scenarios(scenarios)
    seed_list = _seeds(seeds)
    n_users = integer(n_users, "n_users", low=1, high=MAX_USERS, owner=_OWNER, fix="pass e.g. n_users=100_000.")
    window = None if lookback is None else parse_duration(lookback, "lookback", error=ParameterError)
    frames: list[pd.DataFrame] = []
    for scenario in chosen_scenarios:
        for seed in seed_list:
            simulation = scenario.simulate(n_users, seed=seed)
            caused = simulation.conversions - simulation.conversions_without_channels
            if caused <= 0 or simulation.truth["incremental"].sum() <= 0:
                raise refuse(
                    "n_users",
                    "large enough for channels to cause conversions",
                    n_users,
                    owner=_OWNER,
                    fix=f"in scenario {scenario.name!r} with seed {seed} the channels caused no conversion that "
                    "switching them off loses, so there is no truth to recover: simulate more users, e.g. "
                    "n_users=100_000.",
                )
            journeys = Journeys.from_events(
                simulation.events,
                user="user",
                time="time",
                channel="channel",
                conversion="converted",
                value="value",
                lookback=window,
            )
            run = default_models(journeys) if chosen_models is None else chosen_models
            comparison = compare(journeys, run)
            scored = [
                score(comparison, simulation.truth, against=f"{truth}_share")[list(MEASURES)].add_suffix(f"_{truth}")
                for truth in TRUTHS
            ]
            table = pd.concat(scored, axis=1).reindex(pd.Index(comparison.models, name="model"))
            frames.append(table.reset_index().assign(scenario=scenario.name, seed=seed))
    return _summary(pd.concat(frames, ignore_index=True))


def _summary(long: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds, one row per (model, scenario), in first-seen order."""
    keys = ["model", "scenario"]
    measured = [f"{measure}_{truth}" for truth in TRUTHS for measure in MEASURES]
    grouped = long.groupby(keys, sort=False)[measured]
    table = pd.concat([grouped.mean(), grouped.std(ddof=1).add_suffix("_std")], axis=1)
    order = [c for name in measured for c in (name, f"{name}_std")]
    models = list(dict.fromkeys(long["model"]))
    scenarios = list(dict.fromkeys(long["scenario"]))
    index = pd.MultiIndex.from_tuples([(m, s) for m in models for s in scenarios if (m, s) in table.index], names=keys)
    return table.reindex(index)[order]
