"""Shared fixtures: the worked example D of SPEC.md §7."""

from __future__ import annotations

import pytest
from hypothesis import settings

from attribution import Journeys

# Speed lives in benchmarks/, not in tests: no per-example deadline (CI machines are noisy).
settings.register_profile("attribution", deadline=None)
settings.load_profile("attribution")


def pytest_configure(config: pytest.Config) -> None:
    import pandas as pd

    if int(pd.__version__.split(".", 1)[0]) < 3:
        # pandas 2's Timedelta("12h") / Timedelta(hours=12) build np.timedelta64(int), deprecated by numpy 2.5
        config.addinivalue_line("filterwarnings", "ignore:The 'generic' unit for NumPy timedelta:DeprecationWarning")


@pytest.fixture
def spec_journeys() -> Journeys:
    """Data D of SPEC.md §7 (paths, conversions, nulls, value)."""
    return Journeys.from_sequences(
        [["A", "B", "C"], ["A", "C"], ["B"], ["C"], ["A", "B"]],
        conversions=[2, 1, 0, 1, 0],
        nulls=[0, 1, 2, 1, 1],
        value=[200, 50, 0, 30, 0],
    )


@pytest.fixture(scope="session")
def spark() -> object:
    """One local[2] Spark session for every Spark test (start-up takes ~15 s), in UTC."""
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="the spark extra is not installed")
    import os
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17, which is not on this machine (no java on PATH, no JAVA_HOME)")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("attribution-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
