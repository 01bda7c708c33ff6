"""Attribution models, one module per family, sharing :class:`Attribution` results."""

from attribution.models.base import Attribution, Model, ModelSpec, Unattributed
from attribution.models.counterfactual import Counterfactual
from attribution.models.games import bitmask_game
from attribution.models.grouping import GroupedAttribution, SmallGroupWarning, attribute_by
from attribution.models.logistic import FittedLogistic, LogisticAttribution, LogisticShapley
from attribution.models.markov import DegenerateChainWarning, FittedMarkovChain, MarkovAttribution, MarkovChain
from attribution.models.order_selection import OrderSelection, select_order
from attribution.models.probabilistic import ShaoLi, ShaoLiAttribution
from attribution.models.rules import FirstTouch, LastNonDirect, LastTouch, Linear, PositionBased, TimeDecay
from attribution.models.shapley import Shapley, ShapleyAttribution

__all__ = [
    "Attribution",
    "Counterfactual",
    "FittedLogistic",
    "LogisticAttribution",
    "LogisticShapley",
    "ShaoLi",
    "ShaoLiAttribution",
    "GroupedAttribution",
    "SmallGroupWarning",
    "attribute_by",
    "Shapley",
    "ShapleyAttribution",
    "bitmask_game",
    "DegenerateChainWarning",
    "FittedMarkovChain",
    "MarkovAttribution",
    "MarkovChain",
    "OrderSelection",
    "select_order",
    "FirstTouch",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "Model",
    "ModelSpec",
    "PositionBased",
    "TimeDecay",
    "Unattributed",
]
