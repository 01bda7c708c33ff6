"""Evaluation: simulated journeys with a known truth, scoring, bootstrap intervals, validity."""

from attribution.evaluate.bootstrap import BootstrapResult, bootstrap
from attribution.evaluate.scenarios import SCENARIOS, Scenario, recovery_benchmark
from attribution.evaluate.scoring import score
from attribution.evaluate.simulation import Simulation, simulate
from attribution.evaluate.validity import predictive_validity

__all__ = [
    "SCENARIOS",
    "BootstrapResult",
    "Scenario",
    "Simulation",
    "bootstrap",
    "predictive_validity",
    "recovery_benchmark",
    "score",
    "simulate",
]
