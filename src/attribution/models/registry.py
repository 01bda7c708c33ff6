"""The models by name: one registry for ``compare(journeys, ["linear", "markov"])`` and the CLI's ``--models``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from attribution.errors import ParameterError
from attribution.models.base import Model
from attribution.models.counterfactual import Counterfactual
from attribution.models.logistic import LogisticShapley
from attribution.models.markov import MarkovChain
from attribution.models.probabilistic import ShaoLi
from attribution.models.rules import FirstTouch, LastNonDirect, LastTouch, Linear, PositionBased, TimeDecay
from attribution.models.shapley import Shapley

__all__ = ["MODELS", "model_named", "normalise_model_name", "resolve_models"]

# Each name makes the model with the library's defaults.
MODELS: dict[str, Callable[[], Model]] = {
    "first_touch": FirstTouch,
    "last_touch": LastTouch,
    "last_non_direct": LastNonDirect,
    "linear": Linear,
    "u_shaped": PositionBased.u_shaped,
    "j_curve": PositionBased.j_curve,
    "inverse_j": PositionBased.inverse_j,
    "time_decay": TimeDecay,
    "shapley": Shapley,
    "shapley_rate": lambda: Shapley(value="conversion_rate"),
    "markov": MarkovChain,
    "shao_li": ShaoLi,
    "logistic": LogisticShapley,
    "counterfactual": Counterfactual,
}


def normalise_model_name(name: str) -> str:
    """A registry name as people may write it: ``"Last touch"``, ``"last-touch"`` → ``"last_touch"``.

    Examples
    --------
    >>> normalise_model_name(" Last-Touch ")
    'last_touch'
    """
    return "_".join(name.strip().lower().replace("-", " ").split())


def model_named(name: str) -> Model:
    """The model registered as ``name`` (see :data:`MODELS`), with its defaults.

    Examples
    --------
    >>> model_named("u_shaped").name
    'U-shaped (40/20/40)'
    """
    if isinstance(name, str) and normalise_model_name(name) in MODELS:
        name = normalise_model_name(name)
    if not isinstance(name, str) or name not in MODELS:
        raise ParameterError(
            f"unknown model name {name!r}; the names are: {', '.join(MODELS)}. "
            "Fix: pick one of them, or pass a model object (e.g. MarkovChain(order=2))."
        )
    return MODELS[name]()


def resolve_models(models: Iterable[Any]) -> list[Any]:
    """Models given as objects or registered names, as model objects (others are left to the caller's check)."""
    return [model_named(m) if isinstance(m, str) else m for m in models]
