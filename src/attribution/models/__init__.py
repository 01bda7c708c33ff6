"""Attribution models, one module per family, sharing :class:`Attribution` results."""

from attribution.models.base import Attribution, Model, ModelSpec, Unattributed
from attribution.models.rules import FirstTouch, LastNonDirect, LastTouch, Linear, PositionBased, TimeDecay

__all__ = [
    "Attribution",
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
