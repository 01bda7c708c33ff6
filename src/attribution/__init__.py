"""Multi-touch channel attribution over one shared, flat path structure.

Build :class:`Journeys` from an event log or a path table, attribute conversions to
channels with a model, and compare models with :func:`compare`.
"""

import attribution.engines  # noqa: F401  (registers the engines by input type; imports none of them)
from attribution.compare import Comparison, compare
from attribution.errors import AttributionError, JourneyError, ParameterError
from attribution.journeys import Journeys, JourneysSummary, concat
from attribution.models import (
    Attribution,
    FirstTouch,
    LastNonDirect,
    LastTouch,
    Linear,
    LogisticShapley,
    MarkovChain,
    Model,
    PositionBased,
    ShaoLi,
    Shapley,
    TimeDecay,
    select_order,
)

__all__ = [
    "Attribution",
    "AttributionError",
    "Comparison",
    "FirstTouch",
    "JourneyError",
    "Journeys",
    "JourneysSummary",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "LogisticShapley",
    "MarkovChain",
    "Model",
    "ParameterError",
    "PositionBased",
    "ShaoLi",
    "Shapley",
    "TimeDecay",
    "__version__",
    "compare",
    "concat",
    "select_order",
]

__version__ = "0.1.0"
